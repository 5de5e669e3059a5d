"""Stage `report`: rank the architectures of params.yaml on the test split and draw the figures.

Writes reports/report.md (PNGs next to it), a self-contained reports/report.html, leaderboard.csv,
summary.json, and curves/*.tsv (one column per architecture, for `dvc plots`; kept in git).
"""
from __future__ import annotations

from typing import Any

from seqpipe import atomic, layout, process
from seqpipe.config import tracked
from seqpipe.config.context import Context, context
from seqpipe.data.prepared import load as load_prepared
from seqpipe.errors import user_errors_exit
from seqpipe.reporting.build import write_report
from seqpipe.reporting.results import read_results


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    args = process.parser(__doc__).parse_args(argv)
    process.quiet_tensorflow()
    ctx = context(args.params)
    started = ctx.tracked("report")
    names = ctx.params.architectures
    prepared = load_prepared(layout.PREPARED_DIR, splits=("train", "test"))
    results = read_results(names)
    seed_note = f" (first seed, {ctx.params.seed})" if ctx.params.train.repeats > 1 else ""
    with atomic.atomic_path(layout.REPORTS_DIR) as out, atomic.atomic_path(layout.CURVES_DIR) as curves:
        table, findings = write_report(out, curves, results, prepared, _applied(ctx),
                                       {a: ctx.registry.origin_of(a) for a in names}, seed_note)
        tracked.check_unchanged(args.params, started)  # before the renames
    print(table.to_string(index=False))
    for finding in findings:  # the same lines as in the report: results that look wrong, with the fix
        print(f"check: {finding.line()}")


def _applied(ctx: Context) -> dict[str, Any]:
    """params.yaml as validated, each architecture's `train` replaced by what it trained with where
    that is not `train:` (its recipe, models.<arch>.train), each value with where it came from."""
    params = ctx.params.model_dump(mode="json")
    for name in ctx.params.architectures:
        entry = dict(params["models"].get(name) or {})
        entry.pop("train", None)
        own = ctx.train_settings(name).own()
        params["models"][name] = {**entry, **({"train": own} if own else {})}
    return params


if __name__ == "__main__":
    main()
    process.skip_final_collection()

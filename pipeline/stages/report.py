"""Stage `report`: rank the architectures of params.yaml on the test split and draw the figures.

Writes reports/report.md (PNGs next to it), a self-contained reports/report.html, leaderboard.csv,
summary.json, curves/*.tsv (one column per architecture, for `dvc plots`; kept in git) and
diagnostics/checks.json (the checks that flag each architecture, for `seqpipe leaderboard`).
"""
from __future__ import annotations

from seqpipe import atomic, layout, process
from seqpipe.config import tracked
from seqpipe.config.context import context
from seqpipe.data.prepared import load as load_prepared
from seqpipe.errors import user_errors_exit
from seqpipe.reporting.build import write_report
from seqpipe.reporting.diagnostics import flags
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
        table, findings = write_report(out, curves, results, prepared, ctx.params.model_dump(mode="json"),
                                       {a: ctx.registry.origin_of(a) for a in names}, seed_note)
        tracked.check_unchanged(args.params, started)  # before the renames
    atomic.write_json(layout.DIAGNOSTICS_FILE, flags(findings, list(table["architecture"])))
    print(table.to_string(index=False))
    for finding in findings:  # the same lines as in the report: results that look wrong, with the fix
        print(f"check: {finding.line()}")



if __name__ == "__main__":
    main()
    process.skip_final_collection()

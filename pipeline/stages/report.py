"""Stage `report`: rank the architectures of params.yaml on the test split and draw the figures.

Writes reports/report.md (PNGs next to it), a self-contained reports/report.html, leaderboard.csv,
summary.json, curves/*.tsv (one column per architecture, for `dvc plots`), summary/metrics.json
(`<arch>.<primary metric>` and `<arch>.rank`, the only DVC metrics file) and
diagnostics/checks.json (the checks that flag each architecture, for `seqpipe leaderboard`); the
last three in git. The report compares the test scores with those committed at git HEAD (the
baseline commit), an input DVC does not track: the section names the commit (see
seqpipe.reporting.compare).
"""
from __future__ import annotations

import json
from typing import Any

from seqpipe import atomic, layout, process
from seqpipe.config import seeds, tracked
from seqpipe.config.context import Context, context
from seqpipe.data import differencing
from seqpipe.data.prepared import load as load_prepared
from seqpipe.data.spec import PreparedSpec
from seqpipe.errors import user_errors_exit
from seqpipe.reporting.backtest import backtest
from seqpipe.reporting.build import write_report
from seqpipe.reporting.compare import read_commit_metrics
from seqpipe.reporting.diagnostics import flags
from seqpipe.reporting.results import read_results
from seqpipe.reporting.summary_metrics import precision_hint, summary_metrics
from seqpipe.training import least_squares, strategy


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    args = process.parser(__doc__).parse_args(argv)
    process.quiet_tensorflow()
    ctx = context(args.params)
    started = ctx.tracked("report")
    names = ctx.params.architectures
    prepared = load_prepared(layout.PREPARED_DIR, splits=("train", "test"))
    results = read_results(names)
    trains = {a: ctx.train_settings(a, prepared.spec).params for a in names}  # as each train@ chose
    seed_note = f" (first seed, {ctx.params.seed})" if trains[names[0]].repeats > 1 else ""
    committed = read_commit_metrics(names)
    bt = ctx.params.backtest
    tested = backtest(results, prepared.spec.task, bt.origins, bt.step or ctx.params.data.window.horizon)
    with atomic.atomic_path(layout.REPORTS_DIR) as out, atomic.atomic_path(layout.CURVES_DIR) as curves:
        solved = frozenset(a for a in names if results.timings[a].get("least_squares"))
        # as each was trained: auto's recursive falls back to direct where a forecast ran away
        strategies = {a: strategy.trained(results.timings[a].get("strategy"), trains[a], prepared.spec) for a in names}
        table, findings = write_report(out, curves, results, prepared, _applied(ctx, prepared.spec, solved),
                                       {a: ctx.registry.origin_of(a) for a in names}, seed_note, committed,
                                       tested, _model_rows(ctx, prepared.spec, strategies),
                                       strategy.recursive_names(strategies))
        tracked.check_unchanged(args.params, started)  # before the renames
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        primary = summary["primary_metric"]
        # with a backtest, its means over origins after the rest
        flat = {**summary_metrics(table, names, primary, summary["baseline"].get(primary)),
                **(tested.summary if tested else {})}
        atomic.write_json(layout.SUMMARY_METRICS, flat)
        atomic.write_json(layout.DIAGNOSTICS_FILE, flags(findings, list(table["architecture"])))
    print(table.to_string(index=False))
    if tested:
        print(f"backtest over {len(ctx.params.backtest.origins) + 1} origins (mean and std; per origin: "
              f"{layout.REPORTS_DIR}/backtest.csv):")
        print(tested.mean.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for finding in findings:  # the same lines as in the report: results that look wrong, with the fix
        print(f"check: {finding.line()}")
    hint = precision_hint(flat, layout.SUMMARY_METRICS.as_posix())
    if hint:
        print(hint)


def _model_rows(ctx: Context, spec: PreparedSpec, strategies: dict[str, strategy.Strategy]) -> dict[str, str]:
    """The data table's rows on how the models forecast: differencing that is not the data's, and the
    strategy each trained with (seqpipe.training.strategy), one row when every architecture shares it."""
    rows = {f"differencing of {name}": line for name, line in _differencing(ctx, spec).items()}
    return {**rows, **strategy.report_rows(strategies, spec)}


def _differencing(ctx: Context, spec: PreparedSpec) -> dict[str, str]:
    """The architectures whose models forecast with other differencing than the data's
    (`train.difference`: a recipe or models.<arch>.train), each with what it uses and why."""
    if spec.forecast is None:
        return {}
    data = differencing.describe(spec.forecast)
    own = {name: differencing.describe(differencing.for_choice(ctx.architecture(name), spec).forecast)  # type: ignore[arg-type]
           for name in ctx.params.architectures}
    return {name: line for name, line in own.items() if line != data}


def _applied(ctx: Context, spec: PreparedSpec, solved: frozenset[str] = frozenset()) -> dict[str, Any]:
    """params.yaml as validated (a forecast's or a small training set's `train.repeats` and `ensemble`,
    left out, as "3 (default for a forecast)"), each architecture's `train` replaced by what it trained
    with where that is not `train:` (its recipe, models.<arch>.train), each value with where it came from;
    in the architectures `solved` by least squares, the gradient-training settings marked unused."""
    params = ctx.params.model_dump(mode="json")
    for key in sorted(seeds.chosen(ctx.params.train)):  # a forecast's seeds, left out of params.yaml
        params["train"][key] = f"{json.dumps(params['train'][key])} ({seeds.SOURCE})"
    settings = {name: ctx.train_settings(name, spec) for name in ctx.params.architectures}  # as train@ chose
    small: dict[str, str] = {}
    for one in settings.values():  # a small training set's seeds: every architecture's, shown under train
        small = {**one.small_set(), **small}
    params["train"].update(small)
    for name in ctx.params.architectures:
        entry = dict(params["models"].get(name) or {})
        entry.pop("train", None)
        own = settings[name].own()
        if name in solved:  # true as settings, but nothing was trained by steps
            own = {k: f"{v}; unused: the head was solved by least squares" if k in least_squares.STEP_SETTINGS else v
                   for k, v in own.items()}
        params["models"][name] = {**entry, **({"train": own} if own else {})}
    return params


if __name__ == "__main__":
    main()
    process.skip_final_collection()

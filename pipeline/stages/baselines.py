"""Stage `baselines`: fit the task's classical baselines on the prepared data and score them on test.

Writes metrics/baselines.json (per baseline its test scores, rounded like the architectures'),
timings/baselines.json (seconds per baseline, apart so reruns compare byte for byte) and
predictions/baselines/<name>.csv (test predictions, for the report's paired test; with
train.quantiles, the forecasting baselines' levels from their prediction intervals). Which
baselines a task gets is the task table's `classical` field; seqpipe.baselines implements them.
"""
from __future__ import annotations

import copy
from pathlib import Path

from seqpipe import atomic, baselines, layout, process
from seqpipe.config import params, tracked
from seqpipe.data.prepared import load as load_prepared
from seqpipe.errors import user_errors_exit
from seqpipe.evaluation.scoring import predictions_frame


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    args = process.parser(__doc__).parse_args(argv)
    # One param: train.quantiles, the levels the forecasting baselines give from their prediction
    # intervals, as the architectures do; the baselines are deterministic and read the prepared data.
    process.check_project_code()
    # Without a params file (prepared data alone, as in a test) there are no levels to forecast.
    raw = params.read_yaml(args.params) if Path(args.params).is_file() else {"architectures": ["none"]}
    started = tracked.tracked_values(raw, "baselines")
    levels = params.validate(params.Params, copy.deepcopy(raw), source=str(args.params)).train.quantiles
    prepared = load_prepared(layout.PREPARED_DIR)
    outcomes = baselines.run(prepared, tuple(levels) if levels and prepared.spec.task == "forecast" else None)
    y_test = prepared.arrays["y_test"]

    outputs = [layout.BASELINES_METRICS, layout.BASELINES_TIMINGS]
    if Path(args.params).is_file():
        tracked.check_unchanged(args.params, started)  # the levels DVC records are those forecast
    with atomic.removed_on_failure(*outputs, layout.BASELINES_PREDICTIONS):
        atomic.write_json(outputs[0], {o.name: {"description": o.description, **o.scores} for o in outcomes})
        atomic.write_json(outputs[1], {o.name: {"seconds": o.seconds} for o in outcomes})
        with atomic.atomic_path(layout.BASELINES_PREDICTIONS) as tmp:
            tmp.mkdir(parents=True)
            for o in outcomes:
                predictions_frame(prepared.spec.task, y_test, o.raw_output).to_csv(
                    tmp / layout.baseline_predictions_path(o.name).name, index=False, float_format="%.6g")
    for o in outcomes:
        print(f"baseline {o.name}: " + ", ".join(f"{k}={v}" for k, v in o.scores.items()) + f" ({o.seconds}s)")
        for note in o.notes:  # forecasting: the model chosen per series, and any fallback to a simpler one
            print(f"  {o.name}: {note}")
    if not outcomes:
        print(f"no classical baseline for task {prepared.spec.task}; the report shows its no-skill row")


if __name__ == "__main__":
    main()
    process.skip_final_collection()

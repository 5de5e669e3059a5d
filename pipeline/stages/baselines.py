"""Stage `baselines`: fit the task's classical baselines on the prepared data and score them on test.

Writes metrics/baselines.json (per baseline its test scores, rounded like the architectures'),
timings/baselines.json (seconds per baseline, apart so reruns compare byte for byte) and
predictions/baselines/<name>.csv (test predictions, for the report's paired test; with
train.quantiles, the forecasting baselines' levels from their prediction intervals). Which
baselines a task gets is the task table's `classical` field; seqpipe.baselines implements them.
Prepare's process has usually fitted them already (seqpipe.baselines.outputs): then this copies them.
"""
from __future__ import annotations

import copy
from pathlib import Path

from seqpipe import baselines, layout, process
from seqpipe.baselines import outputs
from seqpipe.config import params, tracked
from seqpipe.data.prepared import load as load_prepared
from seqpipe.errors import user_errors_exit
from seqpipe.evaluation import cache


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

    def unchanged() -> None:
        if Path(args.params).is_file():
            tracked.check_unchanged(args.params, started)  # the levels DVC records are those forecast

    cache_key = outputs.key(levels) if cache.enabled() else None
    lines = None
    if cache_key is not None:
        unchanged()
        lines = outputs.restore(cache_key)  # prepare's process fitted them already
    if lines is None:
        prepared = load_prepared(layout.PREPARED_DIR)
        task = prepared.spec.task
        outcomes = baselines.run(prepared, tuple(levels) if levels and task == "forecast" else None)
        unchanged()
        outputs.write(outcomes, task, prepared.arrays["y_test"], layout.BASELINES_METRICS, layout.BASELINES_TIMINGS,
                      layout.BASELINES_PREDICTIONS)
        lines = outputs.log_lines(outcomes, task)
    print("\n".join(lines))

if __name__ == "__main__":
    main()
    process.skip_final_collection()

"""Stage `evaluate@<arch>`: score the saved model on the held-out test split.

Writes metrics/<arch>.json (deterministic: scores and parameter count), timings/<arch>.json
(wall-clock figures, kept apart so reruns can be compared byte for byte) and
predictions/<arch>.csv.
"""
from __future__ import annotations

import json
from pathlib import Path

from pipeline import atomic, data, evaluation, stage
from pipeline.errors import ParamsError, user_errors_exit
from pipeline.model import load_model
from pipeline.train import fit_summary_path, model_path

METRICS_DIR = Path("metrics")
TIMINGS_DIR = Path("timings")
PREDICTIONS_DIR = Path("predictions")
CONFUSION_DIR = Path("plots")  # plots/<arch>/confusion.csv: dvc plots' confusion template


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    args = stage.parser(__doc__, with_arch=True).parse_args(argv)
    stage.quiet_tensorflow()
    ctx = stage.context(args.params)
    choice = ctx.architectures.get(args.arch)
    if choice is None:
        raise ParamsError(f"--arch {args.arch}: not in params.yaml architectures ({', '.join(ctx.architectures)})")
    prepared = data.load(stage.PREPARED_DIR, splits=("test",))
    x_test, y_test = prepared.xy("test")
    task_name = prepared.spec["task"]

    custom = choice.architecture.custom_objects() if choice.architecture.custom_objects else None
    model = load_model(str(model_path(args.arch)), custom_objects=custom)
    batch = ctx.params.train.batch_size
    raw_output = evaluation.predict(model, x_test, batch)
    metrics = {**evaluation.score(task_name, y_test, raw_output, prepared.spec), "params": int(model.count_params())}
    fit_summary = json.loads(fit_summary_path(args.arch).read_text(encoding="utf-8"))
    timings = {
        **fit_summary,
        "inference_ms_per_sample": evaluation.latency_ms_per_sample(model, x_test, batch),
    }
    predictions = evaluation.predictions_frame(task_name, y_test, raw_output)
    confusion = evaluation.confusion_rows(task_name, prepared.spec, y_test, raw_output)

    atomic.write_json(METRICS_DIR / f"{args.arch}.json", metrics)
    atomic.write_json(TIMINGS_DIR / f"{args.arch}.json", timings)
    with atomic.atomic_path(PREDICTIONS_DIR / f"{args.arch}.csv") as tmp:
        predictions.to_csv(tmp, index=False, float_format="%.6g")
    with atomic.atomic_path(CONFUSION_DIR / args.arch / "confusion.csv") as tmp:
        confusion.to_csv(tmp, index=False)
    shown = ", ".join(f"{k}={v}" for k, v in metrics.items())
    print(f"evaluated {args.arch}: {shown}")


if __name__ == "__main__":
    main()

"""Stage `evaluate@<arch>`: score the saved model on the held-out test split.

Writes metrics/<arch>.json (deterministic: scores and parameter count), timings/<arch>.json
(wall-clock figures, kept apart so reruns can be compared byte for byte) and
predictions/<arch>.csv. With `train.repeats: N`, every seed's model is scored: scores/<arch>.csv
holds one row per seed, and metrics/<arch>.json the mean (plus `<metric>_std` and `repeats`).
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pipeline import atomic, data, evaluation, stage
from pipeline.errors import ParamsError, user_errors_exit
from pipeline.model import load_model
from pipeline.train import fit_summary_path, model_path, seed_models

METRICS_DIR = Path("metrics")
TIMINGS_DIR = Path("timings")
PREDICTIONS_DIR = Path("predictions")
CONFUSION_DIR = Path("plots")  # plots/<arch>/confusion.csv: dvc plots' confusion template
SCORES_DIR = Path("scores")


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
    batch = ctx.params.train.batch_size
    per_seed = []
    for i, (seed, path) in enumerate(seed_models(args.arch)):
        seed_model = load_model(str(path), custom_objects=custom)
        output = evaluation.predict(seed_model, x_test, batch)
        per_seed.append({"seed": seed, **evaluation.score(task_name, y_test, output, prepared.spec)})
        if i == 0:
            model, raw_output = seed_model, output
    metrics = {**evaluation.summarize_seeds(per_seed), "params": int(model.count_params())}
    if len(per_seed) > 1:
        metrics["repeats"] = len(per_seed)
    fit_summary = json.loads(fit_summary_path(args.arch).read_text(encoding="utf-8"))
    timings = {
        **fit_summary,
        "inference_ms_per_sample": evaluation.latency_ms_per_sample(model, x_test, batch),
    }
    predictions = evaluation.predictions_frame(task_name, y_test, raw_output)
    confusion = evaluation.confusion_rows(task_name, prepared.spec, y_test, raw_output)

    atomic.write_json(METRICS_DIR / f"{args.arch}.json", metrics)
    atomic.write_json(TIMINGS_DIR / f"{args.arch}.json", timings)
    with atomic.atomic_path(SCORES_DIR / f"{args.arch}.csv") as tmp:
        pd.DataFrame(per_seed).to_csv(tmp, index=False)
    with atomic.atomic_path(PREDICTIONS_DIR / f"{args.arch}.csv") as tmp:
        predictions.to_csv(tmp, index=False, float_format="%.6g")
    with atomic.atomic_path(CONFUSION_DIR / args.arch / "confusion.csv") as tmp:
        confusion.to_csv(tmp, index=False)
    shown = ", ".join(f"{k}={v}" for k, v in metrics.items())
    print(f"evaluated {args.arch}: {shown}")


if __name__ == "__main__":
    main()
    stage.skip_final_collection()

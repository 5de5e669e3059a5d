"""Stage `evaluate@<arch>`: score the saved model on the held-out test split.

Writes metrics/<arch>.json (deterministic: scores and parameter count), timings/<arch>.json
(wall-clock and CPU seconds with the machine's load, `contended` when it exceeded the cores; kept
apart so reruns can be compared byte for byte) and
predictions/<arch>.csv. With `train.repeats: N`, every seed's model is scored: scores/<arch>.csv
holds one row per seed (with each class's precision, recall and F1 for labelled tasks), and
metrics/<arch>.json the mean (plus `<metric>_std` and `repeats`).
"""
from __future__ import annotations

import json

import pandas as pd

from seqpipe import atomic, layout, process
from seqpipe.config.context import context
from seqpipe.data.prepared import load as load_prepared
from seqpipe.errors import user_errors_exit
from seqpipe.evaluation import scoring
from seqpipe.training import backends
from seqpipe.training.fit import Load
from seqpipe.training.model import load_model

TIMING_KEYS = ("epochs_run", "best_epoch", "epochs_budget", "train_seconds", "seconds_per_epoch", "cpu_seconds",
               "load_avg")


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    args = process.parser(__doc__, with_arch=True).parse_args(argv)
    process.quiet_tensorflow()
    ctx = context(args.params)
    choice = ctx.architecture(args.arch)
    backends.activate_trained(layout.fit_summary_path(args.arch))  # the model's own backend, before keras loads
    prepared = load_prepared(layout.PREPARED_DIR, splits=("test",))
    x_test, y_test = prepared.xy("test")
    task_name = prepared.spec.task

    custom = choice.architecture.custom_objects() if choice.architecture.custom_objects else None
    batch = ctx.params.train.batch_size
    per_seed, per_class = [], []
    for i, (seed, path) in enumerate(layout.seed_models(args.arch)):
        seed_model = load_model(str(path), custom_objects=custom)
        output = scoring.predict(seed_model, x_test, batch)
        per_seed.append({"seed": seed, **scoring.score(task_name, y_test, output, prepared.spec)})
        per_class.append(scoring.per_class_scores(task_name, prepared.spec, y_test, output))
        if i == 0:
            model, raw_output = seed_model, output
    metrics = {**scoring.summarize_seeds(per_seed), "params": int(model.count_params())}
    if len(per_seed) > 1:
        metrics["repeats"] = len(per_seed)
    fit_summary = json.loads(layout.fit_summary_path(args.arch).read_text(encoding="utf-8"))
    load = Load()
    load.sample()
    latency = scoring.latency_ms_per_sample(model, x_test, batch)
    load.sample()
    # A few numbers (the budget's wording, tear-down and core count stay in models/<arch>.fit.json):
    # each key here is one column per architecture in `dvc exp show`.
    timings = {
        **{k: fit_summary[k] for k in TIMING_KEYS if k in fit_summary},
        "inference_ms_per_sample": latency,
        "contended": bool(fit_summary.get("contended")) or load.contended,  # training or latency under load
    }
    predictions = scoring.predictions_frame(task_name, y_test, raw_output)
    confusion = scoring.confusion_rows(task_name, prepared.spec, y_test, raw_output)

    outputs = [layout.metrics_path(args.arch), layout.timings_path(args.arch), layout.scores_path(args.arch),
               layout.predictions_path(args.arch), layout.confusion_path(args.arch)]
    with atomic.removed_on_failure(*outputs):  # a full disk half way: none of them is kept
        atomic.write_json(outputs[0], metrics)
        atomic.write_json(outputs[1], timings)
        with atomic.atomic_path(outputs[2]) as tmp:
            pd.DataFrame([{**run, **classes} for run, classes in zip(per_seed, per_class)]).to_csv(tmp, index=False)
        with atomic.atomic_path(outputs[3]) as tmp:
            predictions.to_csv(tmp, index=False, float_format="%.6g")
        with atomic.atomic_path(outputs[4]) as tmp:
            confusion.to_csv(tmp, index=False)
    shown = ", ".join(f"{k}={v}" for k, v in metrics.items())
    print(f"evaluated {args.arch}: {shown}")


if __name__ == "__main__":
    main()
    process.skip_final_collection()

"""One architecture's evaluation on the test split, as values: what the evaluate stage writes.

`evaluate` loads each seed's saved model from its file (never a model still in memory after
training), so the train stage's process, which runs it to fill the evaluation cache
(seqpipe.evaluation.cache), and the evaluate stage's compute the same bytes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from seqpipe import atomic
from seqpipe.config.experiment import ArchitectureChoice
from seqpipe.data.prepared import Prepared
from seqpipe.evaluation import scoring
from seqpipe.quantiles import CALIBRATION_KEY

TIMING_KEYS = ("epochs_run", "best_epoch", "epochs_budget", "train_seconds", "seconds_per_epoch", "cpu_seconds",
               "load_avg")


@dataclass
class Evaluation:
    metrics: dict[str, Any]
    timings: dict[str, Any]
    scores: pd.DataFrame  # one row per seed, with per-class scores for labelled tasks
    predictions: pd.DataFrame
    confusion: pd.DataFrame


def evaluate(choice: ArchitectureChoice, prepared: Prepared, seed_models: list[tuple[int, Path]], batch_size: int,
             fit_summary: dict[str, Any], ensemble: bool = False) -> Evaluation:
    """Score every seed's saved model on `prepared`'s test split; timings from `fit_summary`
    (models/<arch>.fit.json) and the first model's inference latency.

    With `ensemble` (`train.ensemble`) and several seeds, the architecture's metrics, predictions
    and confusion rows are the ensemble's (the mean of the seeds' outputs, seqpipe.training.ensemble),
    each `<metric>_std` is still the spread of the single seeds, scores/<arch>.csv gets an
    `ensemble` row after the seeds' rows, and the latency is the sum of the seeds' (it runs them all)."""
    from seqpipe.training import ensemble as seed_ensemble
    from seqpipe.training import quantile_head
    from seqpipe.training.fit import Load
    from seqpipe.training.model import load_model

    x_test, y_test = prepared.xy("test")
    task_name = prepared.spec.task
    custom = choice.architecture.custom_objects() if choice.architecture.custom_objects else None
    per_seed: list[dict[str, Any]] = []
    per_class, models, outputs = [], [], []
    for seed, path in seed_models:
        seed_model = load_model(str(path), custom_objects=custom)
        output = quantile_head.output(seed_model, scoring.predict(seed_model, x_test, batch_size))
        per_seed.append({"seed": seed, **scoring.score(task_name, y_test, output, prepared.spec)})
        per_class.append(scoring.per_class_scores(task_name, prepared.spec, y_test, output))
        models.append(seed_model)
        outputs.append(output)
    model, raw_output = models[0], outputs[0]
    seeds = list(per_seed)
    combined = ensemble and len(outputs) > 1
    ensemble_scores = None
    if combined:
        raw_output = seed_ensemble.mean_output(outputs)
        ensemble_scores = scoring.score(task_name, y_test, raw_output, prepared.spec)
        per_seed.append({"seed": seed_ensemble.KEY, **ensemble_scores})
        per_class.append(scoring.per_class_scores(task_name, prepared.spec, y_test, raw_output))
    metrics = {**scoring.summarize_seeds(seeds, ensemble_scores), "params": int(model.count_params())}
    if quantile_head.levels_of(model) is not None:  # 0: the intervals as trained (train.conformal: false)
        conformal = quantile_head.calibration_of(model)
        metrics[CALIBRATION_KEY] = conformal.windows if conformal else 0
    if len(seeds) > 1:
        metrics["repeats"] = len(seeds)
    if combined:
        metrics[seed_ensemble.KEY] = len(seeds)
    load = Load()
    load.sample()
    latency = sum(scoring.latency_ms_per_sample(m, x_test, batch_size) for m in (models if combined else [model]))
    load.sample()
    # A few numbers (the budget's wording, tear-down and core count stay in models/<arch>.fit.json):
    # each key here is one column per architecture in `seqpipe leaderboard` (not in `dvc exp show`:
    # timings/<arch>.json is a plain output, read from git per revision).
    timings = {
        **{k: fit_summary[k] for k in TIMING_KEYS if k in fit_summary},
        **({"least_squares": True} if fit_summary.get("least_squares") else {}),  # solved, not trained: no epochs
        **({"strategy": fit_summary["strategy"]} if fit_summary.get("strategy") else {}),  # a forecast's, as trained
        "inference_ms_per_sample": round(latency, 4),
        "contended": bool(fit_summary.get("contended")) or load.contended,  # training or latency under load
    }
    return Evaluation(
        metrics=metrics, timings=timings,
        scores=pd.DataFrame([{**run, **classes} for run, classes in zip(per_seed, per_class)]),
        predictions=scoring.predictions_frame(task_name, y_test, raw_output),
        confusion=scoring.confusion_rows(task_name, prepared.spec, y_test, raw_output),
    )


def write(evaluation: Evaluation, outputs: list[Path]) -> None:
    """The five files (metrics, timings, scores, predictions, confusion: layout.evaluation_outputs'
    order), each atomically; on a failure half way none is kept."""
    with atomic.removed_on_failure(*outputs):
        atomic.write_json(outputs[0], evaluation.metrics)
        atomic.write_json(outputs[1], evaluation.timings)
        with atomic.atomic_path(outputs[2]) as tmp:
            evaluation.scores.to_csv(tmp, index=False)
        with atomic.atomic_path(outputs[3]) as tmp:
            evaluation.predictions.to_csv(tmp, index=False, float_format="%.6g")
        with atomic.atomic_path(outputs[4]) as tmp:
            evaluation.confusion.to_csv(tmp, index=False)

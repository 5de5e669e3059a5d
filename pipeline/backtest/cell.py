"""One backtest cell: an architecture trained and scored at one origin, like train@ and evaluate@.

The models live in a temporary directory and are dropped once scored: the cell's product is its
scores (metrics/backtest/<arch>-o<k>.json), which DVC caches. Every seed of `train.repeats` is
trained, and the scores are their mean (and std), as in metrics/<arch>.json; with `train.ensemble`,
the scores of their ensemble (and the single seeds' std).
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from seqpipe import layout
from seqpipe.config.experiment import ArchitectureChoice
from seqpipe.config.params import TrainParams
from seqpipe.data.prepared import Prepared
from seqpipe.evaluation import scoring
from seqpipe.training.model import load_model
from seqpipe.training.run import train_seeds


def origin_record(prepared: Prepared, k: int) -> dict[str, Any]:
    """What every cell file of origin `k` starts with: the origin, where its test range begins, its window counts."""
    spec = prepared.spec
    assert spec.forecast is not None, "backtests are forecasts"
    return {"origin": k, "test_from": spec.forecast.test_from, "train_windows": spec.sizes.train,
            "test_windows": spec.sizes.test}


def train_and_score(choice: ArchitectureChoice, prepared: Prepared, train: TrainParams, seeds: list[int],
                    backup: Path) -> dict[str, float]:
    """Fit `choice` once per seed on the origin's train/val windows (checkpointed under `backup`),
    score each model on the origin's test windows; the seeds' mean (and `<metric>_std`) of each score.
    With `train.ensemble`, the scores are the ensemble's (the seeds' mean output), as in evaluate@."""
    from seqpipe.training import ensemble, quantile_head  # keras: after the stage chose the backend

    custom = choice.architecture.custom_objects() if choice.architecture.custom_objects else None
    x_test, y_test = prepared.xy("test")
    with tempfile.TemporaryDirectory(prefix="seqpipe-backtest-") as tmp:
        model_file, repeats = Path(tmp) / layout.model_path(choice.name).name, Path(tmp) / "repeats"
        train_seeds(choice, prepared, train, seeds, backup=backup, model_file=model_file, repeats_dir=repeats,
                    live_dir=Path(tmp) / "live")
        outputs = []
        for i, seed in enumerate(seeds):
            model = load_model(str(model_file if i == 0 else repeats / f"seed{seed}.keras"), custom_objects=custom)
            outputs.append(quantile_head.output(model, scoring.predict(model, x_test, train.batch_size)))
    per_seed = [scoring.score(prepared.spec.task, y_test, output, prepared.spec) for output in outputs]
    if not (train.ensemble and len(outputs) > 1):
        return scoring.summarize_seeds(per_seed)
    combined = scoring.score(prepared.spec.task, y_test, ensemble.mean_output(outputs), prepared.spec)
    return {**scoring.summarize_seeds(per_seed, combined), ensemble.KEY: len(outputs)}

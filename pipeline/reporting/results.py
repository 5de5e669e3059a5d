"""The evaluate stages' outputs for one experiment, read back for the report."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from seqpipe import layout
from seqpipe.errors import DataError
from seqpipe.training import ensemble


@dataclass
class ClassicalResult:
    """One classical baseline of the `baselines` stage: its row label, test scores, seconds, predictions."""

    name: str
    description: str
    scores: dict[str, float]
    seconds: float | None
    predictions: pd.DataFrame | None


@dataclass
class Results:
    """Per architecture: test metrics, timings, environment, per-seed scores and test predictions."""

    metrics: dict[str, dict[str, Any]]
    timings: dict[str, dict[str, Any]]
    environments: dict[str, dict[str, Any]]
    scores: dict[str, pd.DataFrame]
    predictions: dict[str, pd.DataFrame]
    classical: list[ClassicalResult] = field(default_factory=list)


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise DataError(f"{path}: not found; run `dvc repro` so every architecture is evaluated")
    return json.loads(path.read_text(encoding="utf-8"))


def _read_csv(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.is_file() else None


def seed_rows(scores: pd.DataFrame) -> pd.DataFrame:
    """scores/<arch>.csv's rows of single seeds (an ensemble's file ends with its `ensemble` row,
    which the tests across seeds must not count), with integer seeds."""
    if "seed" not in scores or scores["seed"].dtype != object:
        return scores
    seeds = scores[scores["seed"].astype(str) != ensemble.KEY].copy()
    seeds["seed"] = seeds["seed"].astype(int)
    return seeds.reset_index(drop=True)


def read_results(names: list[str]) -> Results:
    """What `dvc repro` left for architectures `names` (metrics and timings must exist)."""
    scores = {a: _read_csv(layout.scores_path(a)) for a in names}
    predictions = {a: _read_csv(layout.predictions_path(a)) for a in names}
    return Results(
        metrics={a: _read(layout.metrics_path(a)) for a in names},
        timings={a: _read(layout.timings_path(a)) for a in names},
        environments={a: _read(layout.environment_path(a)) for a in names if layout.environment_path(a).is_file()},
        scores={a: seed_rows(frame) for a, frame in scores.items() if frame is not None},
        predictions={a: frame for a, frame in predictions.items() if frame is not None},
        classical=read_classical(),
    )


def read_classical() -> list[ClassicalResult]:
    """What the baselines stage wrote (nothing when it has not run: the report then has no such rows)."""
    if not layout.BASELINES_METRICS.is_file():
        return []
    metrics = _read(layout.BASELINES_METRICS)
    timings = _read(layout.BASELINES_TIMINGS) if layout.BASELINES_TIMINGS.is_file() else {}
    return [ClassicalResult(name, str(scores.get("description", name)),
                            {k: v for k, v in scores.items() if k != "description"},
                            timings.get(name, {}).get("seconds"), _read_csv(layout.baseline_predictions_path(name)))
            for name, scores in metrics.items()]

"""Held-out scoring and inference latency: library functions behind the evaluate stage."""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from pipeline import tasks


def predict(model: Any, x: np.ndarray, batch_size: int) -> np.ndarray:
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0))


def score(task_name: str, y_true: np.ndarray, raw_output: np.ndarray) -> dict[str, float]:
    """The task's metrics on the test split, rounded so reruns compare byte for byte."""
    scores = tasks.get(task_name).score(y_true, raw_output)
    return {k: round(v, 6) for k, v in scores.items()}


def latency_ms_per_sample(model: Any, x: np.ndarray, batch_size: int, repeats: int = 3) -> float:
    """Median over `repeats` of batched inference time over `x`, per sample, after a warm-up."""
    sample = x[: max(batch_size, min(len(x), 1024))]
    model.predict(sample[:batch_size], batch_size=batch_size, verbose=0)  # trace/compile once
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(sample, batch_size=batch_size, verbose=0)
        runs.append((time.perf_counter() - start) / len(sample))
    return round(float(np.median(runs)) * 1000.0, 4)


def summarize_seeds(per_seed: list[dict[str, float]]) -> dict[str, float]:
    """One run: its scores. Several seeds: the mean of each score, then each score's std (ddof=1)."""
    names = [k for k in per_seed[0] if k != "seed"]
    if len(per_seed) == 1:
        return {k: per_seed[0][k] for k in names}
    values = {k: np.array([run[k] for run in per_seed], dtype=float) for k in names}
    means = {k: round(float(v.mean()), 6) for k, v in values.items()}
    stds = {f"{k}_std": round(float(v.std(ddof=1)), 6) for k, v in values.items()}
    return {**means, **stds}

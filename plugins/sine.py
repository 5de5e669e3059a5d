"""Noisy sines - forecast the next values of several periodic series (forecast).

Each of `n_series` series is a sine with its own amplitude, phase and a slow trend, plus
Gaussian noise; the period is shared. The last value (naive forecast) is a weak baseline and the
value one period earlier (seasonal naive, `data.window.season` = `period`) a stronger one; a
model that learns the shape of the wave beats both.
"""
from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from seqpipe import Dataset, RawData, hookimpl


class SineOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_series: int = Field(4, ge=1, le=100_000, description="number of series")
    length: int = Field(600, ge=8, le=10_000_000, description="steps per series")
    period: int = Field(24, ge=2, description="steps per cycle")
    noise: float = Field(0.1, ge=0.0, description="standard deviation of the Gaussian noise")


def load(options: SineOptions, seed: int) -> RawData:
    rng = np.random.default_rng(seed)
    t = np.arange(options.length, dtype=np.float64)
    series = []
    for _ in range(options.n_series):
        amplitude = rng.uniform(0.5, 2.0)
        phase = rng.uniform(0, 2 * np.pi)
        trend = rng.uniform(-1.0, 1.0) / options.length
        level = rng.uniform(-1.0, 1.0)
        wave = level + trend * t + amplitude * np.sin(2 * np.pi * t / options.period + phase)
        series.append((wave + rng.normal(0.0, options.noise, size=t.shape)).astype(np.float32)[:, None])
    return RawData(
        sequences=series,
        targets=np.zeros(0, dtype=np.float32),
        task="forecast",
        input_kind="numeric",
        ids=[f"series_{i}" for i in range(options.n_series)],
        feature_names=["value"],
        description={"dataset": "sine", "n_series": options.n_series, "length": options.length,
                     "period": options.period},
    )


@hookimpl
def register_datasets(register):
    register(Dataset("sine", load, SineOptions, description=__doc__, tasks=("forecast",),
                     size_for=lambda options: options.n_series))

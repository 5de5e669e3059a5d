"""Adding problem - sum the two marked values in a long sequence (regression).

Source: Hochreiter, S. and Schmidhuber, J. (1997). Long short-term memory; the benchmark used by
Le, Q. et al. (2015) and Arjovsky, M. et al. (2016) to show that plain RNNs fail on long ranges.
Each step has two features: a value drawn uniformly from [0, 1] and a marker that is 1 at exactly
two steps (one in each half of the sequence). The target is the sum of the two marked values.
Predicting the mean scores an MSE of about 0.167; solving it needs memory across `timesteps`.
"""
from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from seqpipe import Dataset, RawData, hookimpl


class AddingOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_samples: int = Field(6000, ge=10, le=50_000_000, description="number of sequences")
    timesteps: int = Field(100, ge=2, le=100_000, description="length of each sequence")


def load(options: AddingOptions, seed: int) -> RawData:
    rng = np.random.default_rng(seed)
    n, steps = options.n_samples, options.timesteps
    values = rng.random((n, steps), dtype=np.float32)
    half = steps // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, steps, size=n)
    markers = np.zeros((n, steps), dtype=np.float32)
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    targets = values[rows, first] + values[rows, second]
    return RawData(
        sequences=np.stack([values, markers], axis=-1),
        targets=targets.astype(np.float32),
        task="regression",
        input_kind="numeric",
        description={"dataset": "adding", "n_samples": n, "timesteps": steps},
    )


@hookimpl
def register_datasets(register):
    register(Dataset("adding", load, AddingOptions, description=__doc__, tasks=("regression",),
                     size_for=lambda options: options.n_samples, timesteps_for=lambda options: options.timesteps))

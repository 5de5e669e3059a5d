"""Seed ensembles (`train.ensemble`): one architecture's `train.repeats` models predicting as one.

The ensemble's output is the mean of its seeds' outputs, whatever the task: regression values and
point forecasts, class and next-token probabilities (a probability vector's mean is one), and a
quantile forecast's values level by level (each seed's levels increase, so their mean's do too).
Averaging the outputs of networks that differ only by their seed is the standard cure for the seed
variance of small data (N-BEATS and InceptionTime are such ensembles).

Everywhere a trained architecture predicts goes through `mean_output`: the evaluation
(seqpipe.evaluation.run), the backtest cells, the intervals' calibration (seqpipe.training.run)
and `seqpipe predict`. Numpy only.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from seqpipe.quantiles import QuantileForecast
from seqpipe.tasks import Output

# metrics/<arch>.json's key (how many seeds the scores' ensemble averages) and the `seed` of
# scores/<arch>.csv's row that scores the ensemble, after one row per seed
KEY = "ensemble"


def mean_output(outputs: Sequence[Output]) -> Output:
    """The mean of several models' outputs for the same inputs (at least one; all of one kind)."""
    if not outputs:
        raise ValueError("an ensemble needs at least one model's output")
    first = outputs[0]
    if isinstance(first, QuantileForecast):
        forecasts = [o for o in outputs if isinstance(o, QuantileForecast)]
        if len(forecasts) != len(outputs) or any(o.levels != first.levels for o in forecasts):
            raise ValueError("an ensemble's quantile forecasts must share their levels")
        values = np.mean([np.asarray(o.values, dtype=np.float64) for o in forecasts], axis=0)
        return QuantileForecast(first.levels, values.astype(first.values.dtype))
    arrays: list[np.ndarray] = [np.asarray(o) for o in outputs]
    return np.mean(np.stack([a.astype(np.float64) for a in arrays]), axis=0).astype(arrays[0].dtype)


def predict(models: Sequence[Any], predict_one: Callable[[Any], Output]) -> Output:
    """`predict_one(model)` for every model, averaged (one model: its own output)."""
    outputs = [predict_one(model) for model in models]
    return outputs[0] if len(outputs) == 1 else mean_output(outputs)


def line(name: str, seeds: Sequence[int]) -> str:
    """What the train log, `seqpipe predict` and the evaluation say about an ensemble."""
    return (f"{name}: ensemble of {len(seeds)} seeds ({', '.join(str(s) for s in seeds)}): its predictions are the "
            "mean of their outputs (train.ensemble)")

"""Differencing of the forecast column inside the model (`data.window.difference`).

`first` replaces each input window's forecast column by its steps' changes (x[t] - x[t-1]),
`seasonal` by its changes over one season (x[t] - x[t-season]); the window loses that many
leading steps (the other columns are trimmed alike). The model then forecasts changes, which
`Undifference` adds back onto the window's last values: a forecast of constant seasonal changes
is the seasonal naive forecast plus a steady growth per season, what ARIMA(0,1,1)(0,1,1)s gives
on a series such as log-airline. It runs after `data.window.log` and before the per-window
normalisation, whose level and spread are then those of the changes. The loss sees the
restored forecast, so quantile heads learn changes whose sums are the quantiles.
"""
from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from seqpipe.data.differencing import lag_of
from seqpipe.data.spec import ForecastSpec


def lag(f: ForecastSpec) -> int:
    """Steps between the values each change is taken over (0: no differencing)."""
    return lag_of(f.difference, f.season)


@keras.saving.register_keras_serializable(package="seqpipe")
class Difference(keras.layers.Layer):
    """(batch, steps, features) -> (batch, steps - lag, features): column `feature` as its changes
    over `lag` steps, the other columns' last steps - lag as they are."""

    def __init__(self, lag: int = 1, feature: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lag, self.feature = lag, feature

    def call(self, x: Any) -> Any:
        f, k = self.feature, self.lag
        changes = x[:, k:, f : f + 1] - x[:, :-k, f : f + 1]
        return ops.concatenate([x[:, k:, :f], changes, x[:, k:, f + 1 :]], axis=-1)

    def compute_output_shape(self, shape: Any) -> Any:
        return (shape[0], None if shape[1] is None else shape[1] - self.lag, shape[2])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "lag": self.lag, "feature": self.feature}


def _summing_matrix(horizon: int, lag: int) -> np.ndarray:
    """(horizon, horizon): entry [j, h] is 1 where change j adds to step h (j <= h, same phase)."""
    j, h = np.meshgrid(np.arange(horizon), np.arange(horizon), indexing="ij")
    return ((j <= h) & ((h - j) % lag == 0)).astype(np.float32)


@keras.saving.register_keras_serializable(package="seqpipe")
class Undifference(keras.layers.Layer):
    """[changes (batch, horizon) or (batch, horizon, levels), input window (batch, steps, features)]
    -> the forecast column's values: step h is the window's value `lag` steps before the first
    forecast step of h's phase, plus every forecast change of that phase up to h (exponentiated
    when the column was taken in logs)."""

    def __init__(self, lag: int = 1, feature: int = 0, log: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lag, self.feature, self.log = lag, feature, log

    def call(self, inputs: Any) -> Any:
        changes, x = inputs
        changes = ops.cast(changes, "float32")
        horizon = int(changes.shape[1])
        last = ops.cast(x[:, -self.lag :, self.feature], "float32")
        base = ops.tile(last, (1, -(-horizon // self.lag)))[:, :horizon]
        summing = ops.convert_to_tensor(_summing_matrix(horizon, self.lag))
        if len(changes.shape) == 3:  # quantile forecasts: every level alike
            y = base[:, :, None] + ops.einsum("bjq,jh->bhq", changes, summing)
        else:
            y = base + ops.matmul(changes, summing)
        return ops.exp(y) if self.log else y

    def compute_output_shape(self, shapes: Any) -> Any:
        return shapes[0]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "lag": self.lag, "feature": self.feature, "log": self.log}

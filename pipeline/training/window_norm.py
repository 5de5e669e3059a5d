"""Per-window normalisation of forecast inputs, inside the model (`data.window.normalize`).

Each input window is shifted by its own level (its last value, its mean, or for `seasonal` the
mean of its last season) and divided by its own spread (standard deviation over the window),
feature by feature, before the encoder; the head's forecast, in those normalised units, is taken
back with the forecast column's spread and level and then to the data's units. `seasonal` adds
the head's output to the seasonal naive forecast of the window instead of a constant level: the
model starts from the baseline and learns the correction (trend, changing amplitude). A model can so follow a trend or a level beyond the
training range (global scaling alone cannot). Being layers of the saved model, evaluate and
`seqpipe predict` need nothing extra. The layers are registered Keras serializables (package
`seqpipe`), so safe-mode loading accepts them once this module is imported. With
`data.window.log` the forecast column is taken in logs first and the forecast exponentiated last;
with `data.window.difference` the window is differenced before the normalisation and the
forecast changes summed back on (`seqpipe.training.differencing`).
"""
from __future__ import annotations

from typing import Any

import keras
from keras import ops

from seqpipe.data.spec import PreparedSpec
from seqpipe.training import differencing


@keras.saving.register_keras_serializable(package="seqpipe")
class WindowNormalization(keras.layers.Layer):
    """(batch, steps, features) -> (normalised window, level, spread), level and spread (batch, 1, features)."""

    def __init__(self, mode: str = "mean", season: int = 1, epsilon: float = 1e-6, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mode, self.season, self.epsilon = mode, season, epsilon

    def call(self, x: Any) -> Any:
        if self.mode == "last":
            level = x[:, -1:, :]
        else:
            level = ops.mean(x[:, -self.season :, :] if self.mode == "seasonal" else x, axis=1, keepdims=True)
        # a floor relative to the window's size: a flat window (a constant stretch of a series) is not
        # blown up into noise, whatever the series' units
        size = ops.mean(ops.square(x), axis=1, keepdims=True)
        spread = ops.sqrt(ops.var(x, axis=1, keepdims=True) + self.epsilon * size + 1e-12)
        return (x - level) / spread, level, spread

    def compute_output_shape(self, shape: Any) -> Any:
        stats = (shape[0], 1, shape[2])
        return shape, stats, stats

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mode": self.mode, "season": self.season, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="seqpipe")
class LogColumn(keras.layers.Layer):
    """(batch, steps, features) -> the same with the natural log of column `feature` (`data.window.log`)."""

    def __init__(self, feature: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.feature = feature

    def call(self, x: Any) -> Any:
        f = self.feature
        return ops.concatenate([x[..., :f], ops.log(x[..., f : f + 1]), x[..., f + 1 :]], axis=-1)

    def compute_output_shape(self, shape: Any) -> Any:
        return shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "feature": self.feature}


@keras.saving.register_keras_serializable(package="seqpipe")
class WindowRestore(keras.layers.Layer):
    """[forecast (batch, horizon) or quantile forecast (batch, horizon, levels) in normalised units,
    input window, level, spread] -> the forecast
    in the data's units: times the forecast column's spread, plus its level (`seasonal`: plus the
    window's seasonal naive forecast), then `* scale + offset` (the training-range
    standardisation of that column, when the inputs were standardised)."""

    def __init__(self, feature: int = 0, scale: float = 1.0, offset: float = 0.0, seasonal: int = 0,
                 log: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.feature, self.scale, self.offset, self.seasonal, self.log = feature, scale, offset, seasonal, log

    def call(self, inputs: Any) -> Any:
        y, x, level, spread = inputs
        f = self.feature
        y = ops.cast(y, "float32")
        horizon = int(y.shape[1])
        spread = ops.cast(spread[:, 0, f : f + 1], "float32")
        if self.seasonal:  # the values one season earlier, repeated over the horizon
            last = ops.cast(x[:, -self.seasonal :, f], "float32")
            reps = -(-horizon // self.seasonal)
            base = ops.tile(last, (1, reps))[:, :horizon]
        else:
            base = ops.cast(level[:, 0, f : f + 1], "float32")
        if len(y.shape) == 3:  # a quantile forecast (batch, horizon, levels): every level alike
            spread, base = spread[:, :, None], base[:, :, None]
        y = y * spread + base
        return (ops.exp(y) if self.log else y) * self.scale + self.offset

    def compute_output_shape(self, shapes: Any) -> Any:
        return shapes[0]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "feature": self.feature, "scale": self.scale, "offset": self.offset,
                "seasonal": self.seasonal, "log": self.log}


def normalize(x: Any, spec: PreparedSpec) -> tuple[Any, Any]:
    """The encoder's input and the statistics `restore` needs (None: no normalisation for this spec)."""
    f = spec.forecast
    if f is None or f.normalize == "none":
        return x, None
    if f.log:  # the forecast column in logs: a multiplicative level and season become additive
        x = LogColumn(f.feature, name="log_column")(x)
    undifferenced = x
    if f.difference != "none":  # the forecast column's changes (seqpipe.training.differencing)
        x = differencing.Difference(differencing.lag(f), f.feature, name="difference")(x)
    normed, level, spread = WindowNormalization(f.normalize, f.season, name="window_norm")(x)
    return normed, (x, level, spread, undifferenced)


def restore(y: Any, stats: Any, spec: PreparedSpec) -> Any:
    """The head's output back in the data's units (as it is when `stats` is None)."""
    if stats is None:
        return y
    f = spec.forecast
    assert f is not None, "a forecast spec"
    scale = spec.scaler.scale[f.feature] if spec.scaler else 1.0
    offset = spec.scaler.mean[f.feature] if spec.scaler else 0.0
    seasonal = f.season if f.normalize == "seasonal" else 0
    x, level, spread, undifferenced = stats
    if f.difference != "none":  # the head forecasts changes: back to their units, then summed onto the window
        changes = WindowRestore(f.feature, seasonal=seasonal, dtype="float32", name="to_changes")([y, x, level, spread])
        return differencing.Undifference(differencing.lag(f), f.feature, f.log, dtype="float32", name="to_units")(
            [changes, undifferenced])
    return WindowRestore(f.feature, float(scale), float(offset), seasonal, f.log, dtype="float32", name="to_units")(
        [y, x, level, spread])


def linear_skip(y: Any, normed: Any, spec: PreparedSpec) -> Any:
    """The head's output plus a linear map of the normalised input window (`data.window.linear_skip`,
    DLinear-style: Zeng et al. 2023), in the window's normalised units; `y` as it is otherwise. A
    separate step after the task head, so any head (point or quantiles) keeps its own layers."""
    f = spec.forecast
    if f is None or not f.linear_skip:
        return y
    from keras import layers

    flat = layers.Flatten(name="skip_flatten")(normed)
    linear = layers.Dense(f.horizon, dtype="float32", name="linear_skip")(flat)
    if len(y.shape) == 3:  # (batch, horizon, quantiles): the same linear forecast under every quantile
        linear = layers.Reshape((f.horizon, 1), name="skip_per_quantile")(linear)
    return layers.Add(name="head_plus_skip")([y, linear])

"""The quantile forecast head (`train.quantiles`) and its pinball loss, owned by the core.

Any architecture's encoder output goes through Dense(horizon x levels), reshaped to (batch,
horizon, levels) and sorted along the levels: quantiles never cross (the monotone rearrangement
of Chernozhukov, Fernandez-Val & Galichon 2010, which never raises the pinball loss; chosen over a
cumulative-softplus parametrisation because it needs no anchor level and keeps the head one Dense
layer like the point head). Then, like the point head, back to the data's units: the training-range
statistics of the forecast column, or the window's own level and spread (`window_norm`), applied
to every level (both maps are increasing, so the order survives). The levels are the sort
layer's configuration: evaluate and `seqpipe predict` read them from the saved model
(`levels_of`), so a model always scores with the levels it was trained with.

After training, `calibrated` appends a `Conformal` layer that corrects the intervals on the
validation windows (`seqpipe.conformal`; `train.conformal`): the saved model forecasts calibrated
intervals, so evaluate, the backtest and `seqpipe predict` apply the same correction.
"""
from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from seqpipe import conformal
from seqpipe.data.spec import PreparedSpec
from seqpipe.quantiles import QuantileForecast

LAYER = "quantiles"
CONFORMAL = "conformal"  # the layer that calibrates the intervals (`calibrated`), last in the model


@keras.saving.register_keras_serializable(package="seqpipe")
class SortedQuantiles(keras.layers.Layer):
    """(batch, horizon x levels) -> (batch, horizon, levels), increasing along the levels."""

    def __init__(self, horizon: int = 1, levels: tuple[float, ...] | list[float] = (0.5,), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.horizon, self.levels = int(horizon), tuple(float(q) for q in levels)

    def call(self, x: Any) -> Any:
        return ops.sort(ops.reshape(x, (-1, self.horizon, len(self.levels))), axis=-1)

    def compute_output_shape(self, shape: Any) -> Any:
        return (shape[0], self.horizon, len(self.levels))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "horizon": self.horizon, "levels": list(self.levels)}


@keras.saving.register_keras_serializable(package="seqpipe")
class PinballLoss(keras.losses.Loss):
    """Mean over levels of max(q (y - f_q), (q - 1) (y - f_q)); y (batch, horizon), f (batch, horizon, levels)."""

    def __init__(self, levels: tuple[float, ...] | list[float] = (0.5,), name: str = "pinball", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.levels = tuple(float(q) for q in levels)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        q = ops.convert_to_tensor(np.asarray(self.levels, dtype="float32"))
        y = ops.reshape(ops.cast(y_true, "float32"), (-1, y_pred.shape[1], 1))
        diff = y - ops.cast(y_pred, "float32")
        return ops.mean(ops.maximum(q * diff, (q - 1.0) * diff), axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "levels": list(self.levels)}


def head(encoded: Any, spec: PreparedSpec, levels: list[float]) -> Any:
    """The quantile head on the encoder's output: (batch, horizon, levels), in normalised units
    under per-window normalisation (`window_norm.restore` maps them), else in the data's units."""
    from keras import layers

    assert spec.forecast is not None, "a forecast spec"
    f = spec.forecast
    out = layers.Dense(f.horizon * len(levels), dtype="float32", name="head")(encoded)
    out = SortedQuantiles(f.horizon, levels, dtype="float32", name=LAYER)(out)
    if f.normalize != "none":
        return out
    return layers.Rescaling(scale=f.target_std, offset=f.target_mean, dtype="float32", name="to_units")(out)


def levels_of(model: Any) -> tuple[float, ...] | None:
    """The quantile levels a saved model forecasts; None for any other model."""
    try:
        layer = model.get_layer(LAYER)
    except ValueError:
        return None
    return layer.levels if isinstance(layer, SortedQuantiles) else None


def output(model: Any, raw: np.ndarray) -> np.ndarray | QuantileForecast:
    """`model.predict`'s raw output, as a QuantileForecast when the model forecasts quantiles."""
    levels = levels_of(model)
    return raw if levels is None else QuantileForecast(levels, np.asarray(raw))


@keras.saving.register_keras_serializable(package="seqpipe")
class Conformal(keras.layers.Layer):
    """(batch, horizon, levels) -> the same with each central interval widened (or narrowed) by its
    conformal correction per step (`seqpipe.conformal.apply`, in Keras ops); the calibration lives
    in the layer's config."""

    def __init__(self, levels: tuple[float, ...] | list[float] = (0.5,), factors: list[list[float]] | None = None,
                 windows: int = 0, per_step: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.levels = tuple(float(q) for q in levels)
        self.factors = [[float(v) for v in row] for row in factors or []]
        self.windows, self.per_step = int(windows), bool(per_step)

    def call(self, x: Any) -> Any:
        x = ops.cast(x, "float32")
        columns = [x[..., k] for k in range(len(self.levels))]
        for (i, j), q in zip(conformal.pairs(self.levels), self.factors):
            shift = ops.convert_to_tensor(np.asarray(q, dtype="float32"))[None, :]
            columns[i], columns[j] = x[..., i] - shift, x[..., j] + shift
        median = x[..., self.levels.index(conformal.MEDIAN)]
        columns = [ops.minimum(c, median) if q < conformal.MEDIAN else ops.maximum(c, median)
                   for c, q in zip(columns, self.levels)]
        return ops.sort(ops.stack(columns, axis=-1), axis=-1)

    def compute_output_shape(self, shape: Any) -> Any:
        return shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "levels": list(self.levels), "factors": self.factors,
                "windows": self.windows, "per_step": self.per_step}


def calibrated(model: Any, x_val: np.ndarray, y_val: np.ndarray, batch_size: int
               ) -> tuple[Any, conformal.Calibration | None]:
    """A quantile model with its intervals calibrated on the held-out windows (x_val, y_val)
    (`seqpipe.conformal`), and the calibration; the model itself and None when there is nothing
    to calibrate (a point model, no central interval, no windows)."""
    levels = levels_of(model)
    if levels is None or len(y_val) == 0:
        return model, None
    raw = QuantileForecast(levels, np.asarray(model.predict(x_val, batch_size=batch_size, verbose=0)))
    calibration = conformal.fit(y_val, raw)
    if calibration is None:
        return model, None
    return with_calibration(model, calibration), calibration


def with_calibration(model: Any, calibration: conformal.Calibration) -> Any:
    """The quantile model with a `Conformal` layer applying `calibration` after its output."""
    layer = Conformal(calibration.levels, calibration.factors.tolist(), calibration.windows, calibration.per_step,
                      dtype="float32", name=CONFORMAL)
    return keras.Model(model.inputs, layer(model.outputs[0]), name=model.name)


def calibration_of(model: Any) -> Conformal | None:
    """The conformal layer of a saved quantile model; None when its intervals are not calibrated."""
    try:
        layer = model.get_layer(CONFORMAL)
    except ValueError:
        return None
    return layer if isinstance(layer, Conformal) else None

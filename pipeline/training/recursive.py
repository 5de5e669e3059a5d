"""Recursive forecasting (`train.strategy: recursive`): a one-step model applied step by step.

The architecture's model is built and trained for a horizon of one on one-step windows
(seqpipe.data.one_step). `wrap` then makes it a model of the direct model's shape, (batch,
lookback, 1) -> (batch, horizon): `RecursiveForecast` calls the one-step model, appends its
forecast to the window (scaled as prepare scaled inputs), drops the oldest step and repeats. The
saved model is that wrapper, so the evaluation, the backtest, the seed ensemble and `seqpipe
predict` use it as they use a direct one. The layer is a registered Keras serializable (package
`seqpipe`) that stores the one-step model inside its config, so safe-mode loading rebuilds it.

Why both exist: a direct head learns each horizon step from the windows that hold the whole
horizon, few where the horizon is long against the series (Airline: 13 for 36 months); a recursive
model learns from every step but compounds its own errors. Which wins is measured per series
(bench/RESULTS.md, "Recursive forecasts" and "Recursive by default"): trained up to the test range,
recursive met the goal on more series, so `train.strategy: auto` uses it where it can run
(seqpipe.training.strategy).
"""
from __future__ import annotations

from typing import Any

import keras
from keras import ops

from seqpipe.data.spec import PreparedSpec


@keras.saving.register_keras_serializable(package="seqpipe")
class RecursiveForecast(keras.layers.Layer):
    """(batch, lookback, 1) -> (batch, horizon): `step_model` applied `horizon` times, each
    forecast (in the data's units) fed back as the window's newest step ((value - shift) / scale)."""

    def __init__(self, step_model: Any, horizon: int = 1, shift: float = 0.0, scale: float = 1.0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(step_model, dict):  # from a saved config
            step_model = keras.saving.deserialize_keras_object(step_model)
        self.step_model = step_model
        self.horizon, self.shift, self.scale = int(horizon), float(shift), float(scale)

    def call(self, window: Any) -> Any:
        forecasts = []
        for _ in range(self.horizon):
            value = ops.cast(self.step_model(window), window.dtype)  # (batch, 1), the data's units
            forecasts.append(value)
            newest = ops.expand_dims((value - self.shift) / self.scale, axis=-1)
            window = ops.concatenate([window[:, 1:, :], newest], axis=1)
        return ops.concatenate(forecasts, axis=-1)

    def compute_output_shape(self, shape: Any) -> Any:
        return (shape[0], self.horizon)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "step_model": keras.saving.serialize_keras_object(self.step_model),
                "horizon": self.horizon, "shift": self.shift, "scale": self.scale}


def wrap(step_model: Any, spec: PreparedSpec) -> Any:
    """The one-step `step_model` as a model forecasting `spec`'s whole horizon (spec: the direct data's)."""
    assert spec.forecast is not None, "recursive forecasts are forecasts"
    scaler = spec.scaler
    # the same layers and weights without the training's optimizer, which a forecaster never uses
    step_model = keras.Model(step_model.inputs, step_model.outputs, name=step_model.name)
    layer = RecursiveForecast(step_model, spec.forecast.horizon,
                              shift=scaler.mean[0] if scaler else 0.0, scale=scaler.scale[0] if scaler else 1.0,
                              name="recursive")
    inputs = keras.Input(shape=(spec.timesteps, 1), dtype="float32", name="series")
    return keras.Model(inputs, layer(inputs), name=step_model.name)

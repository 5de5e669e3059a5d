"""Forecast covariates inside the model, for every architecture (`seqpipe.data.covariates`).

The input (batch, lookback + horizon, channels) is taken apart by `SplitCovariates`: the
series' own channels over the lookback go through per-window normalisation (the target's level
and spread; covariates are already standardised with training statistics) and then, beside the
future covariates over the lookback, into the plugin's encoder as extra channels; the future
covariates over the horizon and the static values join the encoder's output before the head,
so each step of the forecast sees that step's covariates. The plugin's builder is unchanged: it
only sees more input channels. The layer is a registered Keras serializable (package `seqpipe`),
so safe-mode loading accepts it once this module is imported.
"""
from __future__ import annotations

from typing import Any

import keras
from keras import ops

from seqpipe.data.spec import PreparedSpec


@keras.saving.register_keras_serializable(package="seqpipe")
class SplitCovariates(keras.layers.Layer):
    """(batch, lookback + horizon, channels) -> series (batch, lookback, own), past covariates
    (batch, lookback, future) and the head's extra input (batch, horizon x future + static)."""

    def __init__(self, lookback: int = 1, own: int = 1, future: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lookback, self.own, self.future = int(lookback), int(own), int(future)

    def call(self, x: Any) -> Any:
        lookback, own, future = self.lookback, self.own, self.future
        series = x[:, :lookback, :own]
        past = x[:, :lookback, own : own + future]
        ahead = ops.reshape(x[:, lookback:, own : own + future], (-1, (x.shape[1] - lookback) * future))
        static = x[:, 0, own + future :]
        return series, past, ops.concatenate([ahead, static], axis=-1)

    def compute_output_shape(self, shape: Any) -> Any:
        batch, steps, channels = shape
        extra = (steps - self.lookback) * self.future + channels - self.own - self.future
        return (batch, self.lookback, self.own), (batch, self.lookback, self.future), (batch, extra)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "lookback": self.lookback, "own": self.own, "future": self.future}


def input_steps(spec: PreparedSpec) -> int:
    """Steps of the model's input: the lookback, and the horizon too when there are covariates."""
    f = spec.forecast
    return spec.timesteps + (f.horizon if f is not None and f.covariates is not None else 0)


def split(inputs: Any, spec: PreparedSpec) -> tuple[Any, Any, Any]:
    """(series channels, past covariates or None, the head's extra input or None)."""
    f = spec.forecast
    if f is None or f.covariates is None:
        return inputs, None, None
    c = f.covariates
    return SplitCovariates(spec.timesteps, c.series_features, c.future_channels, name="covariates")(inputs)


def encoder_input(normed: Any, past: Any) -> Any:
    """The encoder's input: the normalised series with the past covariates beside it. A differenced
    series (`data.window.difference`) is a season or a step shorter than the window: its steps are the
    window's last ones, so the covariates of those same steps go beside it."""
    if past is None or past.shape[-1] == 0:
        return normed
    if past.shape[1] != normed.shape[1]:
        past = keras.layers.Cropping1D((past.shape[1] - normed.shape[1], 0), name="covariates_of_changes")(past)
    return keras.layers.Concatenate(axis=-1, name="with_covariates")([normed, past])


def head_input(encoded: Any, extra: Any) -> Any:
    """The head's input: the encoder's output with the horizon's covariates and the static ones."""
    if extra is None or extra.shape[-1] == 0:
        return encoded
    return keras.layers.Concatenate(axis=-1, name="encoded_covariates")([encoded, extra])

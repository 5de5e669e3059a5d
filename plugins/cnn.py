"""1-D CNN - a stack of dilated Conv1D layers with global pooling over time.

Source: the temporal convolution baseline of Kim, Y. (2014). Convolutional neural networks for
sentence classification. EMNLP; and Wang, Z. et al. (2017). Time series classification from
scratch with deep neural networks. IJCNN. Layer `i` sees `kernel_size` steps spaced
`dilation_growth**i` apart, so the receptive field grows geometrically with depth (as in WaveNet
and the TCN of Bai et al. 2018, whose point is that the receptive field must span the history the
task needs). Padded steps are not masked (convolutions mix them in), so `supports_masking` is off.

`num_layers: auto` (the default) stacks as many layers as fit the input: the deepest stack, up to
MAX_AUTO_LAYERS, whose receptive field is at most the input's steps, and never fewer than
MIN_AUTO_LAYERS (shorter inputs are zero-padded at both ends: "same" convolutions). With the
defaults (kernel 5, dilation growth 2) that is 2 layers (13 steps) up to 28-step inputs (forecast
windows), 4 (61) on 100 steps and 5 (125) on 150-252 steps. The old fixed stack (2 layers, no dilation: 9 steps)
saw too little of long series to tell their classes apart: GunPoint 64 % and ArrowHead 47 %
(3 seeds' mean) against 99 % and 82 % with the auto depth (bench/RESULTS.md, "The cnn's receptive
field"). A fixed `num_layers` keeps its stack and needs inputs at least as long as its receptive field.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from seqpipe import Architecture, InputSpec, hookimpl

MAX_AUTO_LAYERS = 8  # 1021 steps with the defaults; longer inputs are pooled over time after it
MIN_AUTO_LAYERS = 2  # the old fixed default's depth: short inputs (forecast windows of 6-12 steps) keep it


class CNNParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: int = Field(32, ge=1, le=4096, description="channels of each convolution")
    kernel_size: int = Field(5, ge=1, le=256, description="steps seen by each convolution")
    num_layers: int | Literal["auto"] = Field(
        "auto", description="stacked convolutions, 1-16; auto: the deepest stack whose receptive field fits the input")
    dilation_growth: int = Field(2, ge=1, le=8, description="dilation of layer i is dilation_growth**i")
    pooling: Literal["avg", "max"] = Field("avg", description="global pooling over time")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout after each convolution")

    @field_validator("num_layers", mode="before")
    @classmethod
    def _auto_or_count(cls, value: Any) -> Any:
        """One message for every wrong value, instead of one per member of the union."""
        if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 16):
            return value
        raise PydanticCustomError("num_layers", "must be auto or a whole number of layers from 1 to 16")


def field_of(hp: CNNParams, layers: int) -> int:
    """Steps one output of a `layers`-deep stack sees: 1 + sum over layers of (kernel_size - 1) * dilation."""
    return 1 + sum((hp.kernel_size - 1) * hp.dilation_growth**i for i in range(layers))


def depth(hp: CNNParams, timesteps: int) -> int:
    """The layers built for `timesteps`-step inputs: num_layers, or auto's deepest stack that fits."""
    if hp.num_layers != "auto":
        return hp.num_layers
    layers = MIN_AUTO_LAYERS
    while layers < MAX_AUTO_LAYERS and field_of(hp, layers + 1) <= timesteps:
        layers += 1
    return layers


def receptive_field(hp: CNNParams) -> int:
    """The fewest input steps these settings need: a fixed stack's receptive field; auto pads short
    inputs, so it needs no more than one convolution's kernel."""
    return field_of(hp, 1 if hp.num_layers == "auto" else hp.num_layers)


def build(spec: InputSpec, hp: CNNParams):
    """(batch, steps, features) -> (batch, filters)."""
    from keras import layers

    def encoder(x):
        for i in range(depth(hp, spec.timesteps)):
            x = layers.Conv1D(
                hp.filters, hp.kernel_size, padding="same", activation="relu",
                dilation_rate=hp.dilation_growth**i,
            )(x)
            if hp.dropout:
                x = layers.Dropout(hp.dropout)(x)
        pool = layers.GlobalAveragePooling1D() if hp.pooling == "avg" else layers.GlobalMaxPooling1D()
        return pool(x)

    return encoder


@hookimpl
def register_architectures(register):
    # jit_compile: measured by bench/tuning_jit.py (figures in bench/RESULTS.md)
    register(Architecture("cnn", build, CNNParams, description=__doc__, min_timesteps=receptive_field,
                          jit_compile=True, backend="jax"))

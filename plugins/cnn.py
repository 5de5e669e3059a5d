"""1-D CNN - a stack of Conv1D layers with global pooling over time.

Source: the temporal convolution baseline of Kim, Y. (2014). Convolutional neural networks for
sentence classification. EMNLP; and Wang, Z. et al. (2017). Time series classification from
scratch with deep neural networks. IJCNN. Each layer sees `kernel_size` neighbouring steps;
`dilation_growth` > 1 widens the receptive field geometrically. Padded steps are not masked
(convolutions mix them in), so `supports_masking` is off.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from seqpipe import Architecture, InputSpec, hookimpl


class CNNParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: int = Field(32, ge=1, le=4096, description="channels of each convolution")
    kernel_size: int = Field(5, ge=1, le=256, description="steps seen by each convolution")
    num_layers: int = Field(2, ge=1, le=16, description="stacked convolutions")
    dilation_growth: int = Field(1, ge=1, le=8, description="dilation of layer i is dilation_growth**i")
    pooling: Literal["avg", "max"] = Field("avg", description="global pooling over time")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout after each convolution")


def build(spec: InputSpec, hp: CNNParams):
    """(batch, steps, features) -> (batch, filters)."""
    from keras import layers

    def encoder(x):
        for i in range(hp.num_layers):
            x = layers.Conv1D(
                hp.filters, hp.kernel_size, padding="same", activation="relu",
                dilation_rate=hp.dilation_growth**i,
            )(x)
            if hp.dropout:
                x = layers.Dropout(hp.dropout)(x)
        pool = layers.GlobalAveragePooling1D() if hp.pooling == "avg" else layers.GlobalMaxPooling1D()
        return pool(x)

    return encoder


def receptive_field(hp: CNNParams) -> int:
    """Steps one output of the stack sees: 1 + sum over layers of (kernel_size - 1) * dilation."""
    return 1 + sum((hp.kernel_size - 1) * hp.dilation_growth**i for i in range(hp.num_layers))


@hookimpl
def register_architectures(register):
    # jit_compile: measured by bench/tuning_jit.py (figures in bench/RESULTS.md)
    register(Architecture("cnn", build, CNNParams, description=__doc__, min_timesteps=receptive_field,
                          jit_compile=True, backend="jax"))

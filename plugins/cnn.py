"""1-D CNN - a stack of Conv1D layers, dilated on long inputs, with global pooling over time.

Source: the temporal convolution baseline of Kim, Y. (2014). Convolutional neural networks for
sentence classification. EMNLP; and Wang, Z. et al. (2017). Time series classification from
scratch with deep neural networks. IJCNN. Layer `i` sees `kernel_size` steps spaced
`dilation_growth**i` apart, so the receptive field grows geometrically with depth (as in WaveNet
and the TCN of Bai et al. 2018, whose point is that the receptive field must span the history the
task needs). Padded steps are not masked (convolutions mix them in), so `supports_masking` is off.

`num_layers: auto` and `dilation_growth: auto` (the defaults) fit the stack to the input. An input
of fewer than 29 steps (with kernel 5: what three layers dilated 1, 2, 4 would see), such as a
forecast window, gets the plain stack of MIN_AUTO_LAYERS undilated layers (9 steps), which
measured best there (lynx, nile). A longer one gets layers dilated 2**i, as many as fit: the
deepest stack, up to MAX_AUTO_LAYERS, whose receptive field is at most the input's steps (4 layers,
61 steps, on 100 steps; 5, 125 steps, on 150-252). The plain stack saw too little of long series
to tell their classes apart: through the defaults GunPoint 68 % and ArrowHead 48 % against 98.7 %
and 82.3 % (3-seed ensembles; bench/RESULTS.md, "The cnn's receptive field"). A written
`num_layers` keeps its stack (dilated from 3 layers on under `dilation_growth: auto`) and needs
inputs at least as long as its receptive field.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from seqpipe import Architecture, InputSpec, hookimpl

MAX_AUTO_LAYERS = 8  # 1021 steps dilated; longer inputs are pooled over time after it
MIN_AUTO_LAYERS = 2  # the plain stack of short inputs (the plugin's fixed default before auto)
DILATED_FROM = 3  # dilation_growth auto: 2 for stacks this deep or deeper, else 1


class CNNParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: int = Field(32, ge=1, le=4096, description="channels of each convolution")
    kernel_size: int = Field(5, ge=1, le=256, description="steps seen by each convolution")
    num_layers: int | Literal["auto"] = Field(
        "auto", description="stacked convolutions, 1-16; auto: the deepest stack whose receptive field fits the input")
    dilation_growth: int | Literal["auto"] = Field(
        "auto", description="dilation of layer i is dilation_growth**i, 1-8; auto: 2 for 3 or more layers, else 1")
    pooling: Literal["avg", "max"] = Field("avg", description="global pooling over time")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout after each convolution")

    @field_validator("num_layers", "dilation_growth", mode="before")
    @classmethod
    def _auto_or_count(cls, value: Any, info: ValidationInfo) -> Any:
        """One message for every wrong value, instead of one per member of the union."""
        top = 16 if info.field_name == "num_layers" else 8
        if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= top):
            return value
        what = " of layers" if info.field_name == "num_layers" else ""
        raise PydanticCustomError(str(info.field_name), f"must be auto or a whole number{what} from 1 to {top}")


def growth(hp: CNNParams, layers: int) -> int:
    """The dilation's growth per layer of a `layers`-deep stack."""
    if hp.dilation_growth != "auto":
        return hp.dilation_growth
    return 2 if layers >= DILATED_FROM else 1


def field_of(hp: CNNParams, layers: int) -> int:
    """Steps one output of a `layers`-deep stack sees: 1 + sum over layers of (kernel_size - 1) * dilation."""
    rate = growth(hp, layers)
    return 1 + sum((hp.kernel_size - 1) * rate**i for i in range(layers))


def depth(hp: CNNParams, timesteps: int) -> int:
    """The layers built for `timesteps`-step inputs: num_layers, or auto's deepest stack that fits."""
    if hp.num_layers != "auto":
        return hp.num_layers
    layers = MIN_AUTO_LAYERS
    while layers < MAX_AUTO_LAYERS and field_of(hp, layers + 1) <= timesteps:
        layers += 1
    return layers


def receptive_field(hp: CNNParams) -> int:
    """The fewest input steps these settings need: a fixed stack's receptive field; auto pads inputs
    shorter than its plain stack, so it needs no more than one convolution's kernel."""
    return hp.kernel_size if hp.num_layers == "auto" else field_of(hp, hp.num_layers)


def build(spec: InputSpec, hp: CNNParams):
    """(batch, steps, features) -> (batch, filters)."""
    from keras import layers

    def encoder(x):
        stack = depth(hp, spec.timesteps)
        for i in range(stack):
            x = layers.Conv1D(
                hp.filters, hp.kernel_size, padding="same", activation="relu",
                dilation_rate=growth(hp, stack)**i,
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

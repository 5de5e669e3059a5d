"""InceptionTime - inception modules (parallel convolutions of three widths) with residuals.

Source: Ismail Fawaz, H. et al. (2020). InceptionTime: finding AlexNet for time series
classification. Data Mining and Knowledge Discovery 34. Each module: a 1x1 bottleneck
convolution, three convolutions with kernel sizes `kernel_size`, `kernel_size // 2` and
`kernel_size // 4` in parallel with a max-pool + 1x1 branch, concatenated, batch norm and ReLU.
A residual shortcut joins every third module. The paper uses `filters: 32`, `bottleneck: 32`,
`kernel_size: 40`, `depth: 6` (and an ensemble of five networks); the defaults are smaller so
that tests and the zoo stay fast. Padded steps are not masked (convolutions mix them in).
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from seqpipe import Architecture, InputSpec, hookimpl


class InceptionTimeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: int = Field(8, ge=1, le=1024, description="filters of each branch; a module outputs 4 * filters (paper: 32)")
    bottleneck: int = Field(8, ge=1, le=1024, description="width of the 1x1 bottleneck (paper: 32)")
    kernel_size: int = Field(16, ge=4, le=256, description="longest kernel; the others are 1/2 and 1/4 of it (paper: 40)")
    depth: int = Field(3, ge=1, le=24, description="inception modules; a residual joins every third (paper: 6)")
    residual: bool = Field(True, description="residual shortcut around every three modules")


def build(spec: InputSpec, hp: InceptionTimeParams):
    """(batch, steps, features) -> (batch, 4 * filters)."""
    from keras import layers

    kernels = [max(1, hp.kernel_size // d) for d in (1, 2, 4)]

    def module(x):
        y = layers.Conv1D(hp.bottleneck, 1, padding="same", use_bias=False)(x) if x.shape[-1] > 1 else x
        branches = [layers.Conv1D(hp.filters, k, padding="same", use_bias=False)(y) for k in kernels]
        pooled = layers.MaxPooling1D(3, strides=1, padding="same")(x)
        branches.append(layers.Conv1D(hp.filters, 1, padding="same", use_bias=False)(pooled))
        x = layers.Concatenate(axis=-1)(branches)
        return layers.Activation("relu")(layers.BatchNormalization()(x))

    def shortcut(residual, x):
        residual = layers.BatchNormalization()(layers.Conv1D(x.shape[-1], 1, padding="same", use_bias=False)(residual))
        return layers.Activation("relu")(layers.Add()([residual, x]))

    def encoder(x):
        residual = x
        for i in range(hp.depth):
            x = module(x)
            if hp.residual and i % 3 == 2:
                x = shortcut(residual, x)
                residual = x
        return layers.GlobalAveragePooling1D()(x)

    return encoder


@hookimpl
def register_architectures(register):
    # jit_compile: measured by bench/tuning_jit.py (figures in bench/RESULTS.md)
    register(Architecture("inceptiontime", build, InceptionTimeParams, description=__doc__,
                         min_timesteps=lambda hp: hp.kernel_size, jit_compile=False))

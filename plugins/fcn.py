"""FCN - fully convolutional network: three Conv1D + batch-norm + ReLU blocks, global pooling.

Source: Wang, Z., Yan, W. and Oates, T. (2017). Time series classification from scratch with deep
neural networks: a strong baseline. IJCNN. The paper's blocks have 128, 256 and 128 filters with
kernel sizes 8, 5 and 3; here the widths are `filters`, `2 * filters` and `filters` (the paper's
setting is `filters: 128`; the default is smaller so that tests and the zoo stay fast). Padded
steps are not masked (convolutions mix them in).
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from seqpipe import Architecture, InputSpec, hookimpl

KERNEL_SIZES = (8, 5, 3)


class FCNParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: int = Field(16, ge=1, le=4096, description="filters of the first and last block (paper: 128)")


def build(spec: InputSpec, hp: FCNParams):
    """(batch, steps, features) -> (batch, filters)."""
    from keras import layers

    def encoder(x):
        for width, kernel in zip((hp.filters, 2 * hp.filters, hp.filters), KERNEL_SIZES):
            x = layers.Conv1D(width, kernel, padding="same")(x)
            x = layers.BatchNormalization()(x)
            x = layers.Activation("relu")(x)
        return layers.GlobalAveragePooling1D()(x)

    return encoder


@hookimpl
def register_architectures(register):
    # jit_compile: measured by bench/tuning_jit.py (figures in bench/RESULTS.md)
    register(Architecture("fcn", build, FCNParams, description=__doc__, min_timesteps=lambda hp: max(KERNEL_SIZES),
                          jit_compile=True))

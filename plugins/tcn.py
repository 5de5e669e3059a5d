"""TCN - temporal convolutional network: dilated causal convolutions in residual blocks.

Source: Bai, S., Kolter, J. Z. and Koltun, V. (2018). An empirical evaluation of generic
convolutional and recurrent networks for sequence modeling. arXiv:1803.01271. Block `i` holds two
causal Conv1D layers with dilation `2**i` (ReLU, dropout) and a residual connection (a 1x1
convolution when the widths differ), so the receptive field grows exponentially with depth:
1 + 2 * (kernel_size - 1) * (2**num_blocks - 1) steps. The encoding is the last step's output,
which has seen the whole receptive field. Padded steps are not masked (convolutions mix them in).

The paper sets depth, kernel size and width per task (its appendix lists them), so there is no one
reference configuration to default to (nor one optimiser setting: the learning rate and clipping
change from task to task too); the defaults are small, and the plugin declares no recipe: it
trains with params.yaml's `train:`.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from seqpipe import Architecture, InputSpec, hookimpl


class TCNParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: int = Field(16, ge=1, le=4096, description="channels of every convolution")
    kernel_size: int = Field(3, ge=2, le=64, description="taps of each causal convolution")
    num_blocks: int = Field(3, ge=1, le=12, description="residual blocks; block i has dilation 2**i")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout after each convolution")


def build(spec: InputSpec, hp: TCNParams):
    """(batch, steps, features) -> (batch, filters): the last step of the final block."""
    from keras import layers

    def block(x, dilation: int):
        y = x
        for _ in range(2):
            y = layers.Conv1D(hp.filters, hp.kernel_size, padding="causal", dilation_rate=dilation,
                              activation="relu")(y)
            if hp.dropout:
                y = layers.Dropout(hp.dropout)(y)
        if x.shape[-1] != hp.filters:
            x = layers.Conv1D(hp.filters, 1)(x)
        return layers.Activation("relu")(layers.Add()([x, y]))

    def encoder(x):
        for i in range(hp.num_blocks):
            x = block(x, 2**i)
        last = layers.Cropping1D((spec.timesteps - 1, 0))(x)  # (batch, 1, filters)
        return layers.Flatten()(last)

    return encoder


def widest_kernel(hp: TCNParams) -> int:
    """Span of the most dilated convolution. The receptive field may exceed the sequence (causal
    padding covers it), but a single kernel wider than the input sees only padding."""
    return 1 + (hp.kernel_size - 1) * 2 ** (hp.num_blocks - 1)


@hookimpl
def register_architectures(register):
    # jit_compile: measured by bench/tuning_jit.py (figures in bench/RESULTS.md)
    register(Architecture("tcn", build, TCNParams, description=__doc__, min_timesteps=widest_kernel,
                          jit_compile=True, backend="jax"))

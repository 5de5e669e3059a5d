"""Transformer encoder - multi-head self-attention blocks with positions, then average pooling.

Source: Vaswani, A. et al. (2017). Attention is all you need. NeurIPS. Pre-norm blocks
(`norm_first`, default) follow Xiong, R. et al. (2020). On layer normalization in the
Transformer architecture. ICML. Each block: self-attention and a position-wise feed-forward
network, each with a residual connection and layer normalisation. Positions are learned per
step, fixed sinusoids, or none (`positions`: attention and average pooling are then blind to
order, which suits order-free targets such as sums and counts; with `norm_first: false` this is
the Keras tutorial block). Supports masking: padded tokens are excluded from attention and from
the pooled average. The defaults are meant for any sequence: positions on (`learned`; the paper
adds positions to every token), two pre-norm blocks, no dropout (the paper's 0.1 regularises
millions of sentence pairs and costs a CPU run 2.6x its time under XLA).

`patch_size` > 1 makes each token a non-overlapping patch of that many steps (Nie, Y. et al.
(2023). A time series is worth 64 words: long-term forecasting with Transformers. ICLR): the
attention matrix shrinks by patch_size squared, which is where a Transformer spends its time
on long series (bench/scaling.py). A patch is padding only when all of its steps are.
"""
from __future__ import annotations

import functools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from seqpipe import Architecture, InputSpec, hookimpl


class TransformerParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    d_model: int = Field(32, ge=2, le=4096, description="width of the token representations")
    num_heads: int = Field(4, ge=1, le=64, description="attention heads; must divide d_model")
    ff_dim: int = Field(64, ge=1, le=16384, description="hidden width of the feed-forward network")
    num_blocks: int = Field(2, ge=1, le=24, description="stacked encoder blocks")
    # 0, as every other built-in plugin: the paper's 0.1 made a CPU run 2.6x slower under XLA (its random
    # numbers), bench/RESULTS.md "Neutral defaults"; set it where the data is large enough to overfit
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout on attention and feed-forward outputs (paper: 0.1)")
    positions: Literal["learned", "sinusoidal", "none"] = Field("learned", description="positional information")
    norm_first: bool = Field(True, description="pre-norm blocks (stabler) instead of post-norm")
    patch_size: int = Field(1, ge=1, le=512, description="steps per token (1: every step is a token)")

    @model_validator(mode="after")
    def _heads_divide_width(self) -> TransformerParams:
        if self.d_model % self.num_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by num_heads ({self.num_heads})")
        return self


@functools.cache
def custom_objects() -> dict:
    """The custom layer, defined on first use so that listing plugins does not import keras."""
    import keras
    from keras import layers, ops

    @keras.saving.register_keras_serializable(package="seqpipe.transformer")
    class PositionEmbedding(layers.Layer):
        """Adds a learned or sinusoidal vector per position to (batch, steps, width) inputs."""

        def __init__(self, max_length: int, kind: str = "learned", **kwargs):
            super().__init__(**kwargs)
            self.max_length = max_length
            self.kind = kind
            self.supports_masking = True

        def build(self, input_shape):
            if self.kind == "learned":
                self.table = self.add_weight(
                    shape=(self.max_length, input_shape[-1]), initializer="glorot_uniform", name="table"
                )

        def call(self, x):
            steps, width = ops.shape(x)[1], x.shape[-1]
            if self.kind == "learned":
                table = self.table[:steps]
            else:
                position = ops.cast(ops.arange(steps), "float32")[:, None]
                half = (width + 1) // 2
                rate = ops.exp(ops.cast(ops.arange(half), "float32") * (-ops.log(10000.0) / half))
                angles = position * rate[None, :]
                table = ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)[:, :width]
            return x + ops.cast(table, x.dtype)[None, :, :]

        def get_config(self):
            return {**super().get_config(), "max_length": self.max_length, "kind": self.kind}

    @keras.saving.register_keras_serializable(package="seqpipe.transformer")
    class Patches(layers.Layer):
        """(batch, steps, width) -> (batch, ceil(steps / size), size * width): consecutive steps
        side by side, the first patch zero-padded in front. The mask keeps a patch with any real step."""

        def __init__(self, size: int, **kwargs):
            super().__init__(**kwargs)
            self.size = size
            self.supports_masking = True

        def _front_pad(self, steps: int) -> int:
            return -steps % self.size

        def call(self, x):
            steps, width = x.shape[1], x.shape[-1]
            pad = self._front_pad(steps)
            if pad:
                x = ops.pad(x, [[0, 0], [pad, 0], [0, 0]])
            return ops.reshape(x, (-1, (steps + pad) // self.size, self.size * width))

        def compute_mask(self, inputs, mask=None):
            if mask is None:
                return None
            pad = self._front_pad(inputs.shape[1])
            if pad:
                mask = ops.pad(mask, [[0, 0], [pad, 0]], constant_values=False)
            return ops.any(ops.reshape(mask, (-1, ops.shape(mask)[1] // self.size, self.size)), axis=-1)

        def compute_output_shape(self, input_shape):
            steps = input_shape[1] + self._front_pad(input_shape[1])
            return (input_shape[0], steps // self.size, self.size * input_shape[-1])

        def get_config(self):
            return {**super().get_config(), "size": self.size}

    return {"PositionEmbedding": PositionEmbedding, "Patches": Patches}


def build(spec: InputSpec, hp: TransformerParams):
    """(batch, steps, features) -> (batch, d_model)."""
    from keras import layers

    position_embedding, patches = custom_objects()["PositionEmbedding"], custom_objects()["Patches"]
    tokens = -(-spec.timesteps // hp.patch_size)

    def sublayer(x, transform):
        """Residual connection around `transform`, normalised before (pre-norm) or after."""
        if hp.norm_first:
            return layers.Add()([x, transform(layers.LayerNormalization(epsilon=1e-6)(x))])
        return layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, transform(x)]))

    def attention(x):
        mha = layers.MultiHeadAttention(hp.num_heads, key_dim=hp.d_model // hp.num_heads, dropout=hp.dropout)
        return layers.Dropout(hp.dropout)(mha(x, x))

    def feed_forward(x):
        x = layers.Dense(hp.ff_dim, activation="gelu")(x)
        return layers.Dropout(hp.dropout)(layers.Dense(hp.d_model)(x))

    def encoder(x):
        if hp.patch_size > 1:
            x = patches(hp.patch_size)(x)
        x = layers.Dense(hp.d_model)(x)
        if hp.positions != "none":
            x = position_embedding(tokens, hp.positions)(x)
        x = layers.Dropout(hp.dropout)(x)
        for _ in range(hp.num_blocks):
            x = sublayer(x, attention)
            x = sublayer(x, feed_forward)
        if hp.norm_first:
            x = layers.LayerNormalization(epsilon=1e-6)(x)
        return layers.GlobalAveragePooling1D()(x)

    return encoder


@hookimpl
def register_architectures(register):
    # jit_compile: faster with XLA given steps per execution (bench/tuning_jit.py and
    # bench/tuning_defaults.py; figures in bench/RESULTS.md).
    register(
        Architecture(
            "transformer", build, TransformerParams, description=__doc__,
            supports_masking=True, custom_objects=custom_objects, jit_compile=True, backend="tensorflow",
        )
    )

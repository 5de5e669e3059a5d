"""Would a hand-written attention layer make the Transformer faster?

Keras' MultiHeadAttention ("mha") against one `keras.ops.dot_product_attention` call on a fused
QKV projection ("dpa") and a matmul/softmax version ("manual"), each in the tutorial block, on
random data shaped like the default experiment (4199 x 100 x 2), compiled as seqpipe trains the
Transformer (XLA, 16 steps per execution, batch 16). One process; the models alternate epoch by
epoch, so drift in the machine's load hits them alike. The first epoch (compiling) is not timed.

    .venv/bin/python bench/attention.py [mha dpa manual] [--rounds 6]

Prints one line per epoch (round, kind, seconds) and the median per kind.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def attention_layers():
    from keras import layers, ops

    class FusedSelfAttention(layers.Layer):
        """One Dense for Q, K and V, then keras.ops.dot_product_attention."""

        def __init__(self, num_heads: int, key_dim: int, **kwargs):
            super().__init__(**kwargs)
            self.num_heads, self.key_dim = num_heads, key_dim

        def build(self, shape):
            self.qkv = layers.Dense(3 * self.num_heads * self.key_dim)
            self.qkv.build(shape)
            self.out = layers.Dense(shape[-1])
            self.out.build(shape[:-1] + (self.num_heads * self.key_dim,))

        def heads(self, x):
            batch, steps = ops.shape(x)[0], ops.shape(x)[1]
            return ops.reshape(self.qkv(x), (batch, steps, 3, self.num_heads, self.key_dim)), batch, steps

        def call(self, x):
            qkv, batch, steps = self.heads(x)
            o = ops.dot_product_attention(qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2])
            return self.out(ops.reshape(o, (batch, steps, self.num_heads * self.key_dim)))

    class ManualSelfAttention(FusedSelfAttention):
        """The same projection, attention written out as matmul and softmax."""

        def call(self, x):
            qkv, batch, steps = self.heads(x)
            q, k, v = ops.unstack(ops.transpose(qkv, (2, 0, 3, 1, 4)), axis=0)  # (batch, heads, steps, dim)
            scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) / self.key_dim ** 0.5
            o = ops.transpose(ops.matmul(ops.softmax(scores, axis=-1), v), (0, 2, 1, 3))
            return self.out(ops.reshape(o, (batch, steps, self.num_heads * self.key_dim)))

    return {"dpa": FusedSelfAttention, "manual": ManualSelfAttention}


def tutorial_block(kind: str, steps: int = 100, features: int = 2, d_model: int = 32, heads: int = 4):
    import keras
    from keras import layers

    inputs = keras.Input((steps, features))
    x = layers.Dense(d_model)(inputs)
    if kind == "mha":
        attended = layers.MultiHeadAttention(heads, key_dim=d_model // heads)(x, x)
    else:
        attended = attention_layers()[kind](heads, d_model // heads)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x + attended)
    x = layers.LayerNormalization(epsilon=1e-6)(x + layers.Dense(d_model)(layers.Dense(64, activation="gelu")(x)))
    model = keras.Model(inputs, layers.Dense(1)(layers.GlobalAveragePooling1D()(x)))
    model.compile("adam", "mse", jit_compile=True, steps_per_execution=16)
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kinds", nargs="*", default=["mha", "dpa", "manual"], help="mha, dpa, manual")
    ap.add_argument("--rounds", type=int, default=6)
    args = ap.parse_args()
    if unknown := set(args.kinds) - {"mha", "dpa", "manual"}:
        ap.error(f"unknown kind(s) {', '.join(sorted(unknown))}; choose from mha, dpa, manual")
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(4199, 100, 2)).astype("float32")
    y = x[:, :, 0].sum(axis=1, keepdims=True)
    models = {kind: tutorial_block(kind) for kind in args.kinds}
    for model in models.values():
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # compile
    seconds: dict[str, list[float]] = {kind: [] for kind in models}
    for r in range(args.rounds):
        for kind, model in models.items():
            start = time.perf_counter()
            model.fit(x, y, batch_size=16, epochs=1, verbose=0)
            seconds[kind].append(time.perf_counter() - start)
            print(r, kind, round(seconds[kind][-1], 2), flush=True)
    for kind, values in seconds.items():
        print(f"{kind:<7} median {statistics.median(values):.2f} s per epoch  (min {min(values):.2f}, max {max(values):.2f})")


if __name__ == "__main__":
    main()

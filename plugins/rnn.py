"""SimpleRNN - the plain Elman recurrent layer; a baseline that forgets over long ranges.

Source: Elman, J. L. (1990). Finding structure in time. Cognitive Science 14(2).
Stacked (`num_layers`) and bidirectional variants are hyperparameters. Supports masking, so
padded steps are skipped. The defaults are Le, Q. V. et al. (2015). A simple way to initialize
recurrent networks of rectified linear units. arXiv:1504.00941 (the IRNN): relu, and an identity
recurrent kernel. On the adding problem (100 steps) the tanh layer never left the no-skill plateau
while the relu one learned it (bench/tuning_defaults.py; bench/RESULTS.md), and the identity kernel
beat Keras' orthogonal one on 5 of 6 seeds (test RMSE 0.0134 against 0.0221; bench/RESULTS.md,
"SimpleRNN and the standardised regression head"). Unlike LSTM and GRU, Keras has no cuDNN kernel for
SimpleRNN, so relu costs nothing on a GPU.

relu recurrences can blow up. The recipe clips every gradient to norm 0.05, so that clipping acts
on (nearly) every step: with the default `train.clipnorm` 1.0 it acted only while the loss's
gradients happened to be large, and where the model starts at the no-skill level (a regression head
that starts at the training mean) the relu layer sat on that plateau with small, unclipped
gradients, then grew its recurrent kernel (spectral radius 1.04 -> 1.6-2.7) and ended 1.4-7.6x
worse on 6 of 6 seeds of the adding problem (5 with loss spikes); with the recipe none did
(bench/rnn_divergence.py; bench/RESULTS.md, "SimpleRNN and the standardised regression head").
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from seqpipe import Architecture, InputSpec, Recipe, hookimpl

from ._recurrent import RecurrentParams, recurrent_encoder

RECIPE = Recipe(clipnorm=0.05, reference="measured on the adding problem: bench/rnn_divergence.py, bench/RESULTS.md "
                "\"SimpleRNN and the standardised regression head\"")


class SimpleRNNParams(RecurrentParams):
    # relu, not the shared tanh, and an identity recurrent kernel: see the docstring (Le et al. 2015)
    activation: Literal["tanh", "relu"] = Field("relu", description="cell activation")
    recurrent_initializer: Literal["orthogonal", "identity"] = Field(
        "identity", description="initial recurrent kernel (identity: Le et al. 2015's IRNN; orthogonal: Keras')")


def build(spec: InputSpec, hp: SimpleRNNParams):
    """(batch, steps, features) -> (batch, units), or (batch, 2*units) when bidirectional."""
    return recurrent_encoder("SimpleRNN", spec, hp, recurrent_initializer=hp.recurrent_initializer)


@hookimpl
def register_architectures(register):
    # jit_compile: measured by bench/tuning_jit.py (figures in bench/RESULTS.md)
    register(Architecture("rnn", build, SimpleRNNParams, description=__doc__, supports_masking=True, jit_compile=True,
                          backend="jax", recipe=RECIPE))

"""LSTM - long short-term memory; gates carry information across long ranges.

Source: Hochreiter, S. and Schmidhuber, J. (1997). Long short-term memory. Neural Computation 9(8).
Stacked (`num_layers`) and bidirectional variants are hyperparameters. Supports masking, so
padded steps are skipped. The default tanh activation and no recurrent dropout keep Keras on
its fused cuDNN kernel when a GPU is present.
"""
from __future__ import annotations

from seqpipe import Architecture, InputSpec, hookimpl

from ._recurrent import RecurrentParams, recurrent_encoder


class LSTMParams(RecurrentParams):
    """The shared recurrent hyperparameters with their defaults (units 32, tanh, one layer)."""


def build(spec: InputSpec, hp: LSTMParams):
    """(batch, steps, features) -> (batch, units), or (batch, 2*units) when bidirectional."""
    return recurrent_encoder("LSTM", spec, hp)


@hookimpl
def register_architectures(register):
    # jit_compile: measured by bench/tuning_jit.py (figures in bench/RESULTS.md)
    register(Architecture("lstm", build, LSTMParams, description=__doc__, supports_masking=True, jit_compile=True,
                          backend="jax"))

"""LSTM - long short-term memory; gates carry information across long ranges.

Source: Hochreiter, S. and Schmidhuber, J. (1997). Long short-term memory. Neural Computation 9(8).
Stacked (`num_layers`) and bidirectional variants are hyperparameters. Supports masking, so
padded steps are skipped. The default tanh activation and no recurrent dropout keep Keras on
its fused cuDNN kernel when a GPU is present.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from seqpipe import Architecture, InputSpec, hookimpl


class LSTMParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    units: int = Field(32, ge=1, le=4096, description="hidden size of each recurrent layer")
    num_layers: int = Field(1, ge=1, le=8, description="stacked recurrent layers")
    bidirectional: bool = Field(False, description="read the sequence in both directions")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout on each layer's inputs")
    activation: Literal["tanh", "relu"] = Field("tanh", description="cell activation")


def build(spec: InputSpec, hp: LSTMParams):
    """(batch, steps, features) -> (batch, units), or (batch, 2*units) when bidirectional."""
    from keras import layers

    def encoder(x):
        for i in range(hp.num_layers):
            last = i == hp.num_layers - 1
            cell = layers.LSTM(
                hp.units, activation=hp.activation, dropout=hp.dropout, return_sequences=not last
            )
            x = layers.Bidirectional(cell)(x) if hp.bidirectional else cell(x)
        return x

    return encoder


@hookimpl
def register_architectures(register):
    # XLA: 0.30x the epoch time on 2 CPU cores, ~12 s compiling (bench/tuning_jit.py)
    register(Architecture("lstm", build, LSTMParams, description=__doc__, supports_masking=True, jit_compile=True))

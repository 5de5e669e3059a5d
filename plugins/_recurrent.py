"""The recurrent encoder shared by the rnn, lstm and gru plugins (a private helper, not a plugin).

The three differ only in the Keras cell; their hyperparameters, defaults and citations stay in
their own modules. A plugin imports this relatively (`from ._recurrent import ...`), so it works
both as `seqpipe.plugins` and as a copy in a project's own `plugins/` folder, and the plugin's
fingerprint covers this file.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from seqpipe import InputSpec

Cell = Literal["SimpleRNN", "LSTM", "GRU"]


class RecurrentParams(BaseModel):
    """Hyperparameters common to the recurrent plugins; each subclass sets its own defaults."""

    model_config = ConfigDict(extra="forbid")

    units: int = Field(32, ge=1, le=4096, description="hidden size of each recurrent layer")
    num_layers: int = Field(1, ge=1, le=8, description="stacked recurrent layers")
    bidirectional: bool = Field(False, description="read the sequence in both directions")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout on each layer's inputs")
    activation: Literal["tanh", "relu"] = Field("tanh", description="cell activation")


def recurrent_encoder(cell: Cell, spec: InputSpec, hp: RecurrentParams, **layer_options: Any) -> Any:
    """(batch, steps, features) -> (batch, units), or (batch, 2*units) when bidirectional.

    `cell` names the keras.layers class; every layer but the last returns its whole sequence.
    `layer_options` go to every layer (a plugin's own settings, e.g. rnn's recurrent_initializer).
    """
    from keras import layers

    layer_class = getattr(layers, cell)

    def encoder(x):
        for i in range(hp.num_layers):
            last = i == hp.num_layers - 1
            rnn = layer_class(hp.units, activation=hp.activation, dropout=hp.dropout, return_sequences=not last,
                              **layer_options)
            x = layers.Bidirectional(rnn)(x) if hp.bidirectional else rnn(x)
        return x

    return encoder

"""ConvGRU - a Conv1D front end that extracts local patterns, then a GRU that reads them in order.

Source: the convolutional + recurrent pattern of Ordóñez, F. J. and Roggen, D. (2016). Deep
convolutional and LSTM recurrent neural networks for multimodal wearable activity recognition.
Sensors 16(1). Published as its own package to show seqpipe's entry-point plugins. The
convolution mixes padded steps in, so masking is off.

The contract (see `seqpipe.hookspecs`): the name is a lowercase Python identifier; the package
imports only `seqpipe` (and keras inside `build`); private helpers would be modules of this
package, which its fingerprint covers.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from seqpipe import Architecture, InputSpec, hookimpl


class ConvGRUParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: int = Field(16, ge=1, le=4096, description="channels of the convolution")
    kernel_size: int = Field(3, ge=1, le=64, description="steps seen by the convolution")
    units: int = Field(16, ge=1, le=4096, description="hidden size of the GRU")


def build(spec: InputSpec, hp: ConvGRUParams):
    """(batch, steps, features) -> (batch, units)."""
    from keras import layers

    def encoder(x):
        x = layers.Conv1D(hp.filters, hp.kernel_size, padding="causal", activation="relu")(x)
        return layers.GRU(hp.units)(x)

    return encoder


@hookimpl
def register_architectures(register):
    register(Architecture("convgru", build, ConvGRUParams, description=__doc__))

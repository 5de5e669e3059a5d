"""Linear - one linear map from the whole input window to the output (no hidden layer).

Source: Zeng, A. et al. (2023). Are Transformers Effective for Time Series Forecasting? AAAI
(NLinear: a single linear layer on the window less its last value). Here the core does the
normalisation (data.window.normalize, difference) and owns the output head, so this encoder only
flattens the window: the head's Dense layer is then the linear map. A strong, cheap reference
for forecasting, and a sanity check for any task. Padded steps are mixed in (no masking).
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from seqpipe import Architecture, InputSpec, hookimpl


class LinearParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


def build(spec: InputSpec, hp: LinearParams):
    """(batch, steps, features) -> (batch, steps * features)."""
    from keras import layers

    def encoder(x):
        return layers.Flatten()(x)

    return encoder


@hookimpl
def register_architectures(register):
    register(Architecture("linear", build, LinearParams, description=__doc__, jit_compile=True, backend="jax"))

"""Linear - one linear map from the whole input window to the output (no hidden layer).

Source: Zeng, A., Chen, M., Zhang, L. and Xu, Q. (2023). Are Transformers Effective for Time
Series Forecasting? AAAI 37 (NLinear: one linear layer from the window, less its last value, to
the horizon; github.com/cure-lab/LTSF-Linear). Here the core does the normalisation
(`data.window.normalize: last` subtracts the window's last value, as NLinear does, and also divides
by the window's spread) and owns the output head, so the encoder only flattens the window: the
head's Dense layer is then the linear map. No hyperparameters. Padded steps are mixed in (no
masking). For any task a strong, cheap reference; for forecasting a baseline the papers' deep
models often fail to beat.

Recipe (`seqpipe show linear`):
- `learning_rate: 0.01, min_steps: 5000` (Adam, the cosine decay to 0 of `train:`): trained to the
  minimum of its loss. The model is linear in its weights, so its mse is a convex quadratic, but an
  ill-conditioned one (a window's lags are strongly correlated), and the project's 1000 steps at
  2e-3 stopped far from the minimum, in directions the random initial weights set: on Mauna Loa
  co2 a training mse 40% above the closed-form least squares (test MASE 0.40-0.51 over three seeds
  against the minimum's 0.18), and the seed alone moved elnino's 0.70-0.92. With the recipe the
  training loss is within ~2% of least squares (bench/linear_optimum.py; bench/RESULTS.md,
  "linear trained to its minimum"). On a few dozen windows (one step per epoch) `max_epochs`
  still caps the run.
- Where the model is affine in its head with the mse loss (a point forecast without `data.window.log`,
  a regression), the core solves the head by least squares instead of training it
  (`train.least_squares`, seqpipe.training.least_squares): the exact minimum above, the same for
  every seed, in a fraction of a second. The budget applies where it is trained by steps: quantile
  forecasts, a forecast in logs, classification.
- `difference: none`. NLinear maps the window's values, not their changes, and so does this model
  whatever `data.window.difference` resolves to (the data's `auto` picks seasonal differences on
  most monthly series; the other architectures keep it). Measured on twelve offline series
  (bench/RESULTS.md, "linear, with its recipe, on twelve series"); set
  `models.linear.train.difference: data` to use the data's differencing.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from seqpipe import Architecture, InputSpec, Recipe, hookimpl

RECIPE = Recipe(learning_rate=1e-2, min_steps=5000, difference="none",
                reference="Zeng et al. 2023 (NLinear, LTSF-Linear): a linear map of the window's values, not of their "
                "changes; the budget: enough steps to reach its loss's minimum (bench/linear_optimum.py)")


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
    register(Architecture("linear", build, LinearParams, description=__doc__, jit_compile=True, backend="jax",
                          recipe=RECIPE))

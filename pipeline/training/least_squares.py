"""The exact minimum of an mse loss, solved instead of trained, for a model affine in its head.

When the only trainable weights of a model are its task head's (the core's Dense layer named
`head`) and what follows the head is affine in its output (the regression head's rescaling, a
forecast's window restore and undifferencing, but not `data.window.log`'s exponential), the
model's output for window i is A_i (W u_i + b) + c_i, with u_i the head's input and A_i, c_i fixed
by the window. Its mse is then a convex quadratic in (W, b) whose minimum least squares finds in
one step: no learning rate, no epochs, and the same answer for every seed. Gradient descent gets
near it only slowly, because a window's lags are strongly correlated (an ill-conditioned
quadratic: bench/linear_optimum.py, bench/RESULTS.md "linear trained to its minimum").

Nothing here names an architecture: the test is the model's own weights and a numeric check that
its output really is affine in the head (`solve` returns None otherwise, and the run trains as usual).
A_i and c_i are read off the model by probing the head (zero kernel, then each output unit alone),
a chunk of windows at a time, so memory stays bounded by the chunk.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from seqpipe import tasks
from seqpipe.config.params import TrainParams

HEAD = "head"  # the layer name every task head gives its Dense (seqpipe.tasks)
CHUNK = 1024  # windows probed at once, at most
DESIGN_VALUES = 2**24  # and at most this many float64 values in a chunk's design matrix (128 MB)
# the largest unknowns (head inputs + 1) x (head outputs) solved exactly; beyond, gradient training
MAX_UNKNOWNS = 4096
TOO_LARGE = "its head has"  # the start of why_not's reason for a head over MAX_UNKNOWNS
# the train.* settings of gradient training, which a solved head does not use (the report says so)
STEP_SETTINGS = frozenset({"optimizer", "learning_rate", "lr_schedule", "weight_decay", "clipnorm", "batch_size",
                           "max_batch_fraction", "epochs", "min_steps", "min_epochs", "max_epochs", "patience"})
# relative tolerance of the affinity check, in the outputs' own scale (float32 arithmetic in the model)
AFFINE_TOLERANCE = 1e-3


@dataclass(frozen=True)
class Solution:
    """The head's least-squares weights and the training loss they reach."""

    kernel: np.ndarray
    bias: np.ndarray
    train_loss: float
    windows: int

    def line(self, arch: str) -> str:
        return (f"solved {arch}'s head by least squares on {self.windows:,} training windows (its mse is "
                f"quadratic in the head: the exact minimum, the same for every seed, no epochs): "
                f"training loss {self.train_loss:.4g}")


def why_not(model: Any, task: str, train: TrainParams) -> str | None:
    """Why `model` must be trained by gradient steps (None: it qualifies for `solve`, unless the
    numeric affinity check there fails)."""
    if not train.least_squares:
        return "train.least_squares: false"
    if tasks.get(task).loss != "mse" or (task == "forecast" and train.quantiles):
        return "its loss is not the mse"
    if train.distribute == "multi_worker":  # the workers train in step with the chief (seqpipe.training.run)
        return "train.distribute: multi_worker trains in step across machines"
    try:
        head = model.get_layer(HEAD)
    except ValueError:
        return "it has no head layer"
    owned = {id(w) for w in head.trainable_weights}
    if len(head.trainable_weights) != 2 or any(id(w) not in owned for w in model.trainable_weights):
        return "it has trainable weights besides its head's kernel and bias"
    inputs, outputs = head.get_weights()[0].shape
    if (inputs + 1) * outputs > MAX_UNKNOWNS:
        return f"{TOO_LARGE} {(inputs + 1) * outputs:,} weights, more than {MAX_UNKNOWNS:,} to solve exactly"
    return None


def solve(model: Any, x: np.ndarray, y: np.ndarray) -> Solution | None:
    """Set the head of `model` to the minimum of its mse on (x, y) and return it; None (the model
    untouched) where its output is not affine in the head after all."""
    import keras

    head = model.get_layer(HEAD)
    start = head.get_weights()
    d, h = start[0].shape
    features = keras.Model(model.input, head.input)  # model.input: the structure the windows come in
    gram = np.zeros(((d + 1) * h, (d + 1) * h))
    moment = np.zeros((d + 1) * h)
    outputs = int(np.prod(model.output.shape[1:]))
    chunk = max(1, min(CHUNK, DESIGN_VALUES // (outputs * (d + 1) * h)))
    for lo in range(0, len(x), chunk):
        xs, ys = x[lo:lo + chunk], y[lo:lo + chunk]
        u = _with_ones(_predict(features, xs))
        a, c = _affine_map(model, head, xs, h)
        # out_i = A_i W~^T u_i + c_i, W~ = [W; b]: output o's design row is u_i kron A_i[o]
        design = np.einsum("nk,noh->nokh", u, a).reshape(-1, (d + 1) * h)
        gram += design.T @ design
        moment += design.T @ (ys.reshape(len(xs), -1) - c).reshape(-1)
    theta = np.linalg.lstsq(gram, moment, rcond=None)[0].reshape(d + 1, h)
    kernel, bias = theta[:-1].astype(np.float32), theta[-1].astype(np.float32)
    if not _affine(model, head, features, x[:CHUNK], kernel, bias):
        head.set_weights(start)
        return None
    head.set_weights([kernel, bias])
    return Solution(kernel, bias, _mse(model, x, y), len(x))


def _predict(model: Any, x: np.ndarray) -> np.ndarray:
    """The outputs as (windows, values), in float64: a direct call, since `predict` would trace a new
    function for every probe's batch size (x is at most CHUNK windows)."""
    from keras import ops

    out = ops.convert_to_numpy(model(x, training=False))
    return np.asarray(out, dtype=np.float64).reshape(len(x), -1)


def _with_ones(u: np.ndarray) -> np.ndarray:
    return np.concatenate([u, np.ones((len(u), 1))], axis=1)


def _mse(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    squares = sum(float(np.sum((_predict(model, x[lo:lo + CHUNK]) - y[lo:lo + CHUNK].reshape(
        len(x[lo:lo + CHUNK]), -1)) ** 2)) for lo in range(0, len(x), CHUNK))
    return squares / max(1, y.size)


def _affine_map(model: Any, head: Any, x: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
    """(A (n, outputs, h), c (n, outputs)): the model's output with a zero head is c; with the head
    emitting unit j alone it is c + A[:, :, j]."""
    kernel, bias = head.get_weights()
    zero_kernel = np.zeros_like(kernel)
    head.set_weights([zero_kernel, np.zeros_like(bias)])
    c = _predict(model, x)
    columns = []
    for j in range(h):
        unit = np.zeros_like(bias)
        unit[j] = 1.0
        head.set_weights([zero_kernel, unit])
        columns.append(_predict(model, x) - c)
    head.set_weights([kernel, bias])
    return np.stack(columns, axis=-1), c


def _affine(model: Any, head: Any, features: Any, x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> bool:
    """Whether the model's output at the solved head equals what the affine map predicts (a model
    with a nonlinearity after its head, such as `data.window.log`'s exponential, fails it)."""
    a, c = _affine_map(model, head, x, len(bias))
    expected = np.einsum("noh,nh->no", a, _predict(features, x) @ kernel + bias) + c
    head.set_weights([kernel, bias])
    actual = _predict(model, x)
    scale = max(float(np.max(np.abs(expected))), 1e-12) if expected.size else 1.0
    return bool(np.all(np.isfinite(actual)) and np.max(np.abs(actual - expected), initial=0.0) <= AFFINE_TOLERANCE * scale)

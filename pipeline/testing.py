"""The conformance kit: checks every architecture plugin must pass, like scikit-learn's
`check_estimator`. `seqpipe check NAME` runs it from the command line; the test suite runs it over
every built-in plugin.

Each check builds the plugin through the core (`seqpipe.training.model.build_model`, the same path
training takes) on tiny inputs, so a plugin that passes here trains in the pipeline.
"""
from __future__ import annotations

import tempfile
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ValidationError

from seqpipe.config.experiment import ArchitectureChoice
from seqpipe.config.params import TrainParams
from seqpipe.data.spec import ForecastSpec, PaddingSpec, PreparedSpec
from seqpipe.errors import PluginError, one_line
from seqpipe.specs import Architecture

BATCH, STEPS, FEATURES, VOCAB, CLASSES, SEED = 16, 8, 2, 12, 3, 1234
# Large enough that one Adam step makes a visible difference, small enough not to overshoot.
TRAIN = TrainParams(epochs=1, batch_size=BATCH, learning_rate=1e-3, patience=0, embedding_dim=4)
HORIZON = 2


@dataclass(frozen=True)
class CheckResult:
    """One check: its name, whether it passed, and a one-line reason."""

    name: str
    passed: bool
    reason: str


class CheckFailed(Exception):
    """Raised inside a check with the one-line reason it failed."""


def _out_of_range(field: Any) -> Iterator[tuple[str, Any]]:
    """(bound, value just outside it) for each numeric bound or Literal choice of a field."""
    for meta in field.metadata:  # annotated_types bounds on numbers: the arithmetic is on those
        if isinstance(meta, Ge):
            yield f">= {meta.ge}", meta.ge - 1  # type: ignore[operator]
        elif isinstance(meta, Gt):
            yield f"> {meta.gt}", meta.gt
        elif isinstance(meta, Le):
            yield f"<= {meta.le}", meta.le + 1  # type: ignore[operator]
        elif isinstance(meta, Lt):
            yield f"< {meta.lt}", meta.lt
    if typing.get_origin(field.annotation) is typing.Literal:
        yield f"one of {typing.get_args(field.annotation)}", "__not_a_choice__"


def check_hyperparameters(schema: type[BaseModel]) -> str:
    """Defaults validate; every bound and choice rejects a value just outside it; unknown keys fail."""
    try:
        schema()
    except ValidationError as exc:
        raise CheckFailed(f"the defaults do not validate: {one_line(str(exc.errors()[0]['msg']))}") from None
    try:
        schema(__surely_not_a_hyperparameter__=1)
    except ValidationError:
        pass
    else:
        raise CheckFailed("unknown keys are accepted; declare model_config = ConfigDict(extra='forbid')")
    tried = 0
    for name, field in schema.model_fields.items():
        for bound, value in _out_of_range(field):
            tried += 1
            try:
                schema(**{name: value})
            except ValidationError:
                continue
            raise CheckFailed(f"{name}={value!r} is accepted although the field declares {bound}")
    return f"unknown keys and {tried} out-of-range values rejected"


def toy_batch(task: str, input_kind: str, seed: int = SEED) -> tuple[np.ndarray, np.ndarray, PreparedSpec]:
    """A learnable batch (the target is a function of the inputs) and its prepared-data spec."""
    rng = np.random.default_rng(seed)
    if input_kind == "tokens":
        x = rng.integers(1, VOCAB, size=(BATCH, STEPS)).astype(np.int32)
        x[: BATCH // 2, :3] = 0  # pre-padding on half the batch
        signal = (x >= VOCAB // 2).mean(axis=1) + rng.normal(0, 0.01, BATCH)
        features = 1
    else:
        x = rng.normal(size=(BATCH, STEPS, FEATURES)).astype(np.float32)
        signal = x[:, :, 0].mean(axis=1)
        features = FEATURES
    if task == "regression":
        y = signal.astype(np.float32)
    elif task == "forecast":
        y = np.stack([signal * (h + 1) for h in range(HORIZON)], axis=1).astype(np.float32)
    elif task == "next_token":
        y = (x[:, -1] % (VOCAB - 1) + 1).astype(np.int32) if input_kind == "tokens" else np.digitize(
            signal, np.quantile(signal, np.linspace(0, 1, VOCAB + 1)[1:-1])
        ).astype(np.int32)
    elif task == "binary":
        y = (signal > np.median(signal)).astype(np.int32)
    else:
        y = np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3])).astype(np.int32)
    spec = PreparedSpec(
        task=task,  # type: ignore[arg-type]  # one of the task names, checked by the model
        input_kind="tokens" if input_kind == "tokens" else "numeric",
        timesteps=STEPS,
        features=features,
        vocab_size=VOCAB if input_kind == "tokens" else None,
        n_classes={"regression": None, "forecast": None, "binary": 2, "next_token": VOCAB}.get(task, CLASSES),
        forecast=ForecastSpec(horizon=HORIZON) if task == "forecast" else None,
        padding=PaddingSpec(padded=input_kind == "tokens"),
    )
    return x, y, spec


def width(task: str, spec: PreparedSpec) -> int:
    """The output width the task's head must give on the toy batch."""
    from seqpipe import tasks

    return tasks.get(task).output_width(spec)


def _build(arch: Architecture, hp: Any, spec: PreparedSpec) -> Any:
    from seqpipe.training.fit import seed_everything
    from seqpipe.training.model import build_model

    seed_everything(SEED)
    return build_model(ArchitectureChoice(arch.name, arch, hp), spec, TRAIN)


def check_task(arch: Architecture, hp: Any, task: str, input_kind: str) -> list[tuple[str, Callable[[], str]]]:
    """The checks for one task: output shape, one training step, save/load round trip."""
    x, y, spec = toy_batch(task, input_kind)
    state: dict[str, Any] = {}

    def shape() -> str:
        model = state["model"] = _build(arch, hp, spec)
        out = np.asarray(model(x, training=False))
        want = (BATCH, width(task, spec))
        if out.shape != want:
            raise CheckFailed(f"output shape {out.shape}, expected {want}")
        if not np.isfinite(out).all():
            raise CheckFailed("the output has NaN or infinite values")
        return f"{input_kind} input {x.shape} -> output {out.shape}"

    def training_step() -> str:
        import keras

        from seqpipe import tasks

        model = _model(state)
        loss = keras.losses.get(tasks.get(task).loss)

        target = y.reshape(-1, 1) if width(task, spec) == 1 else y
        # Inference mode (no dropout noise), except with batch norm: one step barely moves its
        # moving statistics, so the loss is measured with the batch statistics the step used.
        training = any(isinstance(layer, keras.layers.BatchNormalization) for layer in model._flatten_layers())

        def current() -> float:  # eager: no graph tracing for two forward passes
            return float(np.mean(np.asarray(loss(target, model(x, training=training)))))

        before = current()
        model.run_eagerly = True  # one step: tracing (and XLA) would cost more than it saves
        model.train_on_batch(x, y)
        after = current()
        if not after < before:
            raise CheckFailed(f"loss did not decrease after one step ({before:.6g} -> {after:.6g}); are the weights trainable?")
        return f"loss {before:.4g} -> {after:.4g}"

    def save_load() -> str:
        from seqpipe.training.model import load_model

        model = _model(state)
        expected = np.asarray(model(x, training=False))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{arch.name}.keras"
            model.save(path)
            custom = arch.custom_objects() if arch.custom_objects else None
            try:
                again = load_model(str(path), custom_objects=custom)
            except Exception as exc:
                raise CheckFailed(
                    f"loading the saved model failed ({type(exc).__name__}: {one_line(str(exc))[:200]}); "
                    "custom layers need register_keras_serializable and Architecture(custom_objects=...)"
                ) from None
            got = np.asarray(again(x, training=False))
        if not np.allclose(got, expected, rtol=1e-6, atol=1e-6):
            raise CheckFailed(f"predictions differ after reloading (max diff {np.abs(got - expected).max():.3g})")
        return "reloaded model predicts the same values"

    return [(f"shape[{task}]", shape), (f"training_step[{task}]", training_step), (f"save_load[{task}]", save_load)]


def _model(state: dict[str, Any]) -> Any:
    if "model" not in state:
        raise CheckFailed("skipped: the model did not build")
    return state["model"]


def check_determinism(arch: Architecture, hp: Any, task: str, input_kind: str) -> str:
    """Two builds under the same seed have identical weights and predictions."""
    x, _, spec = toy_batch(task, input_kind)
    a, b = _build(arch, hp, spec), _build(arch, hp, spec)
    same_weights = all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))
    if not same_weights:
        raise CheckFailed("two builds under the same seed have different initial weights")
    if not np.array_equal(np.asarray(a(x, training=False)), np.asarray(b(x, training=False))):
        raise CheckFailed("two builds under the same seed predict differently")
    return f"{len(a.get_weights())} weight tensors identical across two seeded builds"


def check_masking(arch: Architecture, hp: Any) -> str:
    """With a mask on padded steps, changing what those steps hold leaves the encoding unchanged."""
    import keras
    from keras import layers, ops

    from seqpipe.specs import InputSpec

    class GivenMask(layers.Layer):
        """Passes x through and attaches the given boolean mask, as Embedding/Masking would."""

        def call(self, inputs):
            return inputs[0]

        def compute_mask(self, inputs, previous_mask=None):
            return ops.cast(inputs[1], "bool")

    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(BATCH, STEPS, FEATURES)).astype(np.float32)
    mask = np.ones((BATCH, STEPS), dtype=bool)
    mask[: BATCH // 2, :3] = False  # pre-padding
    mask[BATCH // 2 :, -3:] = False  # post-padding
    noisy = x.copy()
    noisy[~mask] = rng.normal(0, 10, size=noisy[~mask].shape)

    from seqpipe.training.fit import seed_everything

    seed_everything(SEED)
    series = keras.Input(shape=(STEPS, FEATURES))
    given = keras.Input(shape=(STEPS,), dtype="bool")
    encoder = arch.build(InputSpec(timesteps=STEPS, features=FEATURES, masked=True), hp)
    model = keras.Model([series, given], encoder(GivenMask()([series, given])))
    clean = np.asarray(model([x, mask], training=False))
    changed = np.asarray(model([noisy, mask], training=False))
    diff = float(np.abs(clean - changed).max())
    if not diff <= 1e-5:
        raise CheckFailed(
            f"changing masked (padded) steps changed the encoding by up to {diff:.3g}; "
            "use mask-aware layers or set supports_masking=False"
        )
    return "padded steps (pre and post) do not affect the encoding"


def input_kind_for(arch: Architecture, task: str) -> str:
    """Regression and forecasting are checked on numeric series, classification and next-token
    prediction on tokens, as the datasets serve them."""
    preferred = "numeric" if task in ("regression", "forecast") else "tokens"
    return preferred if preferred in arch.input_kinds else next(iter(arch.input_kinds))


def plan(arch: Architecture, hp: BaseModel | None = None) -> list[tuple[str, Callable[[], str]]]:
    """The named checks for `arch`, in the order they run (cheap ones first)."""
    hp = hp if hp is not None else arch.params()
    checks: list[tuple[str, Callable[[], str]]] = [("hyperparameters", lambda: check_hyperparameters(arch.params))]
    for task in arch.tasks:
        checks += check_task(arch, hp, task, input_kind_for(arch, task))
    first = next(iter(arch.tasks))
    checks.append(("determinism", lambda: check_determinism(arch, hp, first, input_kind_for(arch, first))))
    if arch.supports_masking:
        checks.append(("masking", lambda: check_masking(arch, hp)))
    return checks


def run_checks(arch: Architecture, hp: BaseModel | None = None) -> Iterator[CheckResult]:
    """Run every check, yielding each result as soon as it is known; one failure does not stop the rest."""
    from seqpipe import process

    process.quiet_tensorflow()
    try:
        checks = plan(arch, hp)
    except ValidationError as exc:
        yield CheckResult("hyperparameters", False, f"the defaults do not validate: {one_line(str(exc))}")
        return
    for name, check in checks:
        try:
            reason = check()
            yield CheckResult(name, True, reason)
        except CheckFailed as exc:
            yield CheckResult(name, False, one_line(str(exc)))
        except Exception as exc:  # a plugin bug is a failed check, reported in one line
            message = one_line(f"{type(exc).__name__}: {exc}")
            yield CheckResult(name, False, message if len(message) <= 300 else message[:297] + "...")


def build_problem(arch: Architecture) -> str | None:
    """Why `arch` cannot be built with its default hyperparameters (the first task it claims, on
    a toy batch), or None when it builds and gives the expected output shape. What
    `seqpipe list --build` reports; much cheaper than the whole kit."""
    from seqpipe import process

    process.quiet_tensorflow()
    task = next(iter(arch.tasks))
    try:
        hp = arch.params()
        model = _build(arch, hp, toy_batch(task, input_kind_for(arch, task))[2])
    except ValidationError as exc:
        return f"the default hyperparameters do not validate: {one_line(str(exc))}"
    except Exception as exc:  # PluginError says which part of build failed; anything else is a plugin bug
        message = str(exc) if isinstance(exc, PluginError) else f"{type(exc).__name__}: {exc}"
        return one_line(message.split(": ", 1)[1] if message.startswith("plugin '") else message)
    spec = toy_batch(task, input_kind_for(arch, task))[2]
    if tuple(model.output_shape[1:]) != (width(task, spec),):
        return f"output shape {tuple(model.output_shape)} for task {task}, expected (None, {width(task, spec)})"
    return None


def all_passed(results: list[CheckResult]) -> bool:
    return bool(results) and all(r.passed for r in results)

"""Seeding and fitting: library functions the train stage and tests share."""
from __future__ import annotations

import functools
import gc
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from seqpipe.config import budget
from seqpipe.config.budget import Budget
from seqpipe.config.params import TrainParams


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and the backend, and ask TensorFlow for deterministic kernels.

    On another backend (KERAS_BACKEND=jax) TensorFlow stays unimported: keras.utils.set_random_seed
    would import it just to seed it whenever it is installed (seconds and hundreds of MB for nothing).
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        with _tensorflow_hidden():
            keras.utils.set_random_seed(seed)
        return
    keras.utils.set_random_seed(seed)
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()


@contextmanager
def _tensorflow_hidden() -> Iterator[None]:
    """Inside, `import tensorflow` fails as if it were not installed (unless it is imported already)."""
    if "tensorflow" in sys.modules:
        yield
        return
    sys.modules["tensorflow"] = None  # type: ignore[assignment]  # import raises ModuleNotFoundError
    try:
        yield
    finally:
        if sys.modules.get("tensorflow", 0) is None:
            del sys.modules["tensorflow"]


@dataclass
class FitSummary:
    epochs_run: int
    best_epoch: int
    train_seconds: float
    seconds_per_epoch: float
    # fit() time after the last callback's on_train_end: Keras' own tear-down (issue 6 lead)
    teardown_seconds: float = 0.0
    # the budget and the early-stopping rule the run followed, as the train log states them
    epochs_budget: int = 0
    budget: str = ""
    early_stopping: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _epoch_timer(epochs: int, print_lines: bool):
    import keras

    class EpochTimer(keras.callbacks.Callback):
        """Wall time of each epoch, measured inside fit so set-up and tear-down are excluded;
        with `print_lines`, one progress line per epoch (no per-batch work, unlike Keras' logger)."""

        def __init__(self) -> None:
            super().__init__()
            self.durations: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.durations.append(time.perf_counter() - self._start)
            if print_lines:
                scores = " - ".join(f"{k} {float(v):.4g}" for k, v in (logs or {}).items())
                print(f"epoch {epoch + 1}/{epochs} - {self.durations[-1]:.1f}s - {scores}", flush=True)

    return EpochTimer()


def _train_end_mark() -> Any:
    """A callback, put last, that notes when the last on_train_end ran (restoring the best
    weights and the loggers' final writes included), so fit() can say what came after it."""
    import keras

    class TrainEndMark(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.at = 0.0

        def on_train_end(self, logs=None):
            self.at = time.perf_counter()

    return TrainEndMark()


def fit(
    model: Any,
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    params: TrainParams,
    extra_callbacks: list[Any] | None = None,
    verbose: int = 1,
    plan: Budget | None = None,
) -> FitSummary:
    """Fit for the run's budget, with early stopping on validation loss restoring the best weights
    where the validation split is large enough (`seqpipe.config.budget`).

    `plan` is the budget the caller planned (the train stage, which runs early stopping beside its
    checkpoint and passes patience 0 here); without it `fit` plans from `params` and the arrays.
    `params.batch_size` is per replica: the global batch is that times the replicas of
    `params.distribute`. A model compiled with XLA that fails to compile is trained again without
    it, with a one-line warning. `verbose`: 0 silent, 1 one line per epoch, 2 Keras' own logger.
    """
    import keras

    from seqpipe.training import acceleration, schedules

    batch = params.batch_size * acceleration.replicas(params.distribute)
    plan = plan or budget.plan(params, len(train[1]), len(val[1]), batch)
    params = budget.resolved(params, plan)
    timer = _epoch_timer(plan.epochs, print_lines=verbose == 1)
    callbacks = [timer, *(extra_callbacks or [])]
    if not any(schedules.is_plateau(c) for c in callbacks) and (plateau := schedules.plateau(params)) is not None:
        callbacks.insert(1, plateau)  # lr_schedule: plateau; the train stage passes its own (checkpointed)
    if params.patience > 0:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=params.patience, restore_best_weights=True
        ))
    end_mark = _train_end_mark()
    callbacks.append(end_mark)
    run = functools.partial(
        model.fit,
        train[0],
        train[1],
        validation_data=val,
        epochs=plan.epochs,
        batch_size=batch,
        shuffle=True,
        callbacks=callbacks,
        verbose=2 if verbose == 2 else 0,
    )
    acceleration.prepare_fit(model, train[0], train[1])
    # Python's full collections rescanned the ~500k objects of TensorFlow, Keras and the model
    # (tenths of a second each, once or more per fit); frozen, they are left alone until training ends.
    gc.freeze()
    try:
        with acceleration.input_pipeline_without_autotune():
            history = _fit_with_jit_fallback(model, run, timer)
    finally:
        gc.unfreeze()
    teardown = time.perf_counter() - end_mark.at if end_mark.at else 0.0
    val_loss = history.history.get("val_loss", [])
    best = kept_epoch(val_loss, len(timer.durations), plan)
    return FitSummary(
        epochs_run=len(timer.durations),
        best_epoch=best,
        train_seconds=round(float(sum(timer.durations)), 3),
        seconds_per_epoch=round(float(np.median(timer.durations)), 3) if timer.durations else 0.0,
        teardown_seconds=round(teardown, 3),
        epochs_budget=plan.epochs,
        budget=plan.reason,
        early_stopping=plan.stopping,
    )


def kept_epoch(val_loss: list[float], epochs_run: int, plan: Budget) -> int:
    """`best_epoch` of the summary: the epoch of lowest validation loss, except where the validation
    split was too small to pick one (`budget.MIN_VALIDATION`): then the last epoch, whose weights are kept."""
    if not val_loss or plan.small_validation:
        return epochs_run
    return int(np.argmin(val_loss)) + 1


def _fit_with_jit_fallback(model: Any, run: Any, timer: Any) -> Any:
    """`run()`; if XLA cannot compile the model, warn and run again without it."""
    from seqpipe.training import acceleration

    if model.jit_compile is True:
        weights = model.get_weights()
        try:
            history = run()
        except Exception as exc:  # XLA refused an op: same run without it
            acceleration.warn(
                f"train.jit_compile: model '{model.name}' cannot be compiled with XLA "
                f"({type(exc).__name__}: {acceleration.error_reason(exc)}); "
                "training without XLA"
            )
            model.set_weights(weights)
            acceleration.without_jit(model)
            timer.durations.clear()
            history = run()
    else:
        history = run()
    return history

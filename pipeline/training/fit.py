"""Seeding and fitting: library functions the train stage and tests share."""
from __future__ import annotations

import functools
import gc
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from seqpipe.config import budget
from seqpipe.config.budget import KEEP_VAL_LOSS, Budget
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
    kept: str = ""  # which epoch's weights the run ended with, and why (`kept_line`)
    kept_by: str = KEEP_VAL_LOSS  # the Budget.keep rule that chose it: val_loss, loss (training) or last
    # CPU time of the process over the same epochs, and the machine's load meanwhile (`Load`):
    # a run that shared the cores with other work is slower for reasons that are not its own
    cpu_seconds: float = 0.0
    load_avg: float = 0.0
    cores: int = 0
    contended: bool = False
    least_squares: bool = False  # the head was solved, not trained (seqpipe.training.least_squares)
    # a forecast's train.strategy as trained, and why (seqpipe.training.strategy.Strategy.record); None elsewhere
    strategy: dict[str, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Load:
    """The machine's load while something was timed: the mean of the 1-minute load averages read
    (`os.getloadavg`) against the cores this process may use. Above the core count, other work was
    waiting for the same cores, and wall times measured then are not the model's own."""

    samples: list[float] = field(default_factory=list)
    cores: int = field(default_factory=lambda: usable_cores())

    def sample(self) -> None:
        self.samples.append(read_load())

    @property
    def mean(self) -> float:
        return round(float(np.mean(self.samples)), 2) if self.samples else 0.0

    @property
    def contended(self) -> bool:
        return self.mean > self.cores


def read_load() -> float:
    """The 1-minute load average (0 where the platform has none). SEQPIPE_TEST_LOADAVG replaces the
    reading, so that a test can show a contended run through real stage processes."""
    injected = os.environ.get("SEQPIPE_TEST_LOADAVG")
    if injected:
        return float(injected)
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform tells it)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)


def _epoch_timer() -> Any:
    import keras

    class EpochTimer(keras.callbacks.Callback):
        """Wall and CPU time of each epoch, measured inside fit so set-up and tear-down are
        excluded, and the machine's load at the start and after every epoch."""

        def __init__(self) -> None:
            super().__init__()
            self.durations: list[float] = []
            self.cpu: list[float] = []
            self.load = Load()

        def on_train_begin(self, logs=None):
            self.load.sample()

        def on_epoch_begin(self, epoch, logs=None):
            self._start, self._cpu = time.perf_counter(), _cpu_seconds()

        def on_epoch_end(self, epoch, logs=None):
            self.durations.append(time.perf_counter() - self._start)
            self.cpu.append(_cpu_seconds() - self._cpu)
            self.load.sample()

    return EpochTimer()


def _cpu_seconds() -> float:
    """User and system CPU time of this process, all its threads (getrusage's ru_utime + ru_stime
    on Unix; `time.process_time` is the portable spelling of the same)."""
    return time.process_time()


def epoch_line(epoch: int, epochs: int, seconds: float, logs: dict[str, Any] | None, notes: list[str]) -> str:
    """The train log's one line per epoch: `epoch 3/20 - 0.4s - loss 0.1 - val_loss 0.2 - checkpoint saved`."""
    scores = " - ".join(f"{k} {float(v):.4g}" for k, v in (logs or {}).items())
    return " - ".join(p for p in (f"epoch {epoch}/{epochs}", f"{seconds:.1f}s", scores, *notes) if p)


def _epoch_printer(epochs: int, timer: Any, others: list[Any]) -> Any:
    """A callback, put after the others, that prints `epoch_line`, with the `epoch_note` each other
    callback left for this epoch (the checkpoint's "checkpoint saved"): one line per epoch."""
    import keras

    class EpochPrinter(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            notes = [n for n in (getattr(c, "epoch_note", None) for c in others) if n]
            print(epoch_line(epoch + 1, epochs, timer.durations[-1], logs, notes), flush=True)

    return EpochPrinter()


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

    from seqpipe.training import acceleration, resilience, schedules

    batch = params.batch_size * acceleration.replicas(params.distribute)
    plan = plan or budget.plan(params, len(train[1]), len(val[1]), batch)
    params = budget.resolved(params, plan)
    timer = _epoch_timer()
    callbacks = [timer, *(extra_callbacks or [])]
    if not any(schedules.is_plateau(c) for c in callbacks) and (plateau := schedules.plateau(params)) is not None:
        callbacks.insert(1, plateau)  # lr_schedule: plateau; the train stage passes its own (checkpointed)
    if not any(isinstance(c, keras.callbacks.EarlyStopping) for c in callbacks) and (
            keeper := resilience.kept_weights(plan, params.patience)) is not None:
        callbacks.append(keeper)  # the train stage passes its own (checkpointed)
    if verbose == 1:
        callbacks.append(_epoch_printer(plan.epochs, timer, list(callbacks)))
    end_mark = _train_end_mark()
    callbacks.append(end_mark)
    run = functools.partial(
        model.fit,
        train[0],
        train[1],
        validation_data=val if len(val[1]) else None,  # none: the whole train split is trained on
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
    best = kept_epoch(history.history, len(timer.durations), plan)
    return FitSummary(
        epochs_run=len(timer.durations),
        best_epoch=best,
        train_seconds=round(float(sum(timer.durations)), 3),
        seconds_per_epoch=round(float(np.median(timer.durations)), 3) if timer.durations else 0.0,
        teardown_seconds=round(teardown, 3),
        epochs_budget=plan.epochs,
        budget=plan.reason,
        early_stopping=plan.stopping,
        kept=kept_line(history.history, best, len(timer.durations), plan),
        kept_by=plan.keep,
        cpu_seconds=round(float(sum(timer.cpu)), 3),
        load_avg=timer.load.mean,
        cores=timer.load.cores,
        contended=timer.load.contended,
    )


def kept_epoch(history: dict[str, list[float]], epochs_run: int, plan: Budget) -> int:
    """`best_epoch` of the summary: the epoch whose weights the run ended with (`budget.kept_index`)."""
    values = history.get(plan.keep, [])
    if plan.keep == budget.KEEP_LAST or not values:
        return epochs_run
    return epochs_run - len(values) + budget.kept_index(values, plan.keep, plan.watch_from) + 1


def kept_line(history: dict[str, list[float]], kept: int, epochs_run: int, plan: Budget) -> str:
    """The train log's line (and models/<arch>.fit.json's `kept`) on the weights kept and why, e.g.
    `kept the weights of epoch 226 of 250, the lowest training loss (0.00448): the last epoch's
    (0.4132) was a spike, over 1.5x the lowest`."""
    values = history.get(plan.keep, [])
    if plan.keep == budget.KEEP_LAST or not values:
        return f"kept the weights of the last epoch, {epochs_run}"
    offset = epochs_run - len(values)
    low = budget.kept_index(values, plan.keep, plan.watch_from) if plan.keep == budget.KEEP_VAL_LOSS else \
        min(range(len(values)), key=values.__getitem__)
    name = "training loss" if plan.keep == budget.KEEP_TRAIN_LOSS else "validation loss"
    if kept != epochs_run:
        spike = (f": the last epoch's ({values[-1]:.4g}) was a spike, over {budget.SPIKE:g}x the lowest"
                 if plan.keep == budget.KEEP_TRAIN_LOSS else f" (the last epoch's: {values[-1]:.4g})")
        return f"kept the weights of epoch {kept} of {epochs_run}, the lowest {name} ({values[kept - offset - 1]:.4g}){spike}"
    if low == len(values) - 1:
        return f"kept the weights of the last epoch, {epochs_run}, the lowest {name} ({values[-1]:.4g})"
    return (f"kept the weights of the last epoch, {epochs_run}: its {name} ({values[-1]:.4g}) is within "
            f"{budget.SPIKE:g}x the lowest ({values[low]:.4g}, epoch {offset + low + 1}), no spike")


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
            timer.cpu.clear()
            history = run()
    else:
        history = run()
    return history

"""Seeding and fitting: library functions the train stage and tests share."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from pipeline.params import TrainParams


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and the backend, and ask TensorFlow for deterministic kernels."""
    import keras

    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


@dataclass
class FitSummary:
    epochs_run: int
    best_epoch: int
    train_seconds: float
    seconds_per_epoch: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _epoch_timer():
    import keras

    class EpochTimer(keras.callbacks.Callback):
        """Wall time of each epoch, measured inside fit so set-up and tear-down are excluded."""

        def __init__(self) -> None:
            super().__init__()
            self.durations: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.durations.append(time.perf_counter() - self._start)

    return EpochTimer()


def fit(
    model: Any,
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    params: TrainParams,
    extra_callbacks: list[Any] | None = None,
    verbose: int = 2,
) -> FitSummary:
    """Fit with early stopping on validation loss, restoring the best weights."""
    import keras

    timer = _epoch_timer()
    callbacks = [timer, *(extra_callbacks or [])]
    stopper = None
    if params.patience > 0:
        stopper = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=params.patience, restore_best_weights=True
        )
        callbacks.append(stopper)
    history = model.fit(
        train[0],
        train[1],
        validation_data=val,
        epochs=params.epochs,
        batch_size=params.batch_size,
        shuffle=True,
        callbacks=callbacks,
        verbose=verbose,
    )
    val_loss = history.history.get("val_loss", [])
    best = int(np.argmin(val_loss)) + 1 if val_loss else len(timer.durations)
    return FitSummary(
        epochs_run=len(timer.durations),
        best_epoch=best,
        train_seconds=round(float(sum(timer.durations)), 3),
        seconds_per_epoch=round(float(np.median(timer.durations)), 3) if timer.durations else 0.0,
    )

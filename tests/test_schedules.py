"""The optimizer and learning-rate schedules of `train:` (and of recipes): adamw, and plateau on the
training loss, which a resumed run continues exactly."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from seqpipe.config.params import TrainParams
from seqpipe.training import resilience, schedules
from seqpipe.training.fit import fit, seed_everything

FLAT = TrainParams(epochs=4, batch_size=8, learning_rate=0.01, lr_schedule="plateau", patience=0,
                   steps_per_execution=1, clipnorm=None)


def _flat_model(train: TrainParams):
    """A model whose training loss is 0 from the start and never improves: every epoch is a plateau."""
    model = keras.Sequential([keras.Input((6, 2)), keras.layers.Flatten(),
                              keras.layers.Dense(1, kernel_initializer="zeros")])
    model.compile(schedules.optimizer(train, None), "mse")
    return model


def _data():
    return np.zeros((16, 6, 2), "float32"), np.zeros((16, 1), "float32")


def test_adamw_takes_its_weight_decay_and_adam_is_the_default():
    adamw = schedules.optimizer(TrainParams(optimizer="adamw", weight_decay=0.01), None)
    assert isinstance(adamw, keras.optimizers.AdamW) and adamw.weight_decay == 0.01
    adam = schedules.optimizer(TrainParams(clipnorm=0.5), None)
    assert type(adam) is keras.optimizers.Adam and adam.clipnorm == 0.5


def test_plateau_halves_the_rate_when_the_training_loss_stops_falling_down_to_its_floor(monkeypatch):
    monkeypatch.setattr(schedules, "PLATEAU_PATIENCE", 1)
    seed_everything(0)
    model = _flat_model(FLAT)
    x, y = _data()
    fit(model, (x, y), (x[:4], y[:4]), FLAT, verbose=0)  # fit adds the plateau callback itself
    # epoch 1 sets the best loss; epochs 2, 3 and 4 each wait 1 epoch and halve it
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01 / 8)
    longer = FLAT.model_copy(update={"epochs": 12})
    model = _flat_model(longer)
    fit(model, (x, y), (x[:4], y[:4]), longer, verbose=0)
    assert float(model.optimizer.learning_rate) == pytest.approx(schedules.PLATEAU_MIN_LR)
    assert schedules.plateau(FLAT.model_copy(update={"lr_schedule": "cosine"})) is None


def test_a_resumed_run_reduces_the_rate_at_the_same_epochs_as_an_uninterrupted_one(monkeypatch, tmp_path):
    monkeypatch.setattr(schedules, "PLATEAU_PATIENCE", 2)
    x, y = _data()

    def run(directory, epochs: int) -> float:
        model = _flat_model(FLAT)
        plateau = schedules.plateau(FLAT)
        ckpt = resilience.checkpoint(directory, log=lambda m: None, plateau=plateau)
        model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=[plateau, ckpt])
        return float(model.optimizer.learning_rate)

    whole = run(tmp_path / "whole", 6)
    assert whole == pytest.approx(0.01 / 4)  # reduced after epochs 3 and 5
    run(tmp_path / "split", 2)  # killed after epoch 2: one epoch waited, no reduction yet
    assert run(tmp_path / "split", 6) == pytest.approx(whole)

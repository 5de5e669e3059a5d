"""The optimizer and the learning rate over a run: `train.optimizer`, `train.lr_schedule`.

- `constant`: `train.learning_rate` throughout.
- `cosine`: a Keras CosineDecay from `train.learning_rate` to 0 over the run's optimizer steps. A
  function of the optimizer's step counter, which checkpoints already hold, so a resumed run
  continues on the same curve.
- `plateau`: Keras' ReduceLROnPlateau on the TRAINING loss, as dl-4-tsc trains FCN, ResNet and
  InceptionTime (Ismail Fawaz et al. 2019): halve the rate after PLATEAU_PATIENCE epochs without
  a lower training loss, down to PLATEAU_MIN_LR. It reads the training loss, not the validation
  loss, so it works with validation splits too small for early stopping (seqpipe.config.budget).
  The rate is an optimizer variable, which the checkpoint saves; the callback's counters go into
  the checkpoint too (seqpipe.training.resilience), so a resumed run reduces the rate at the same
  epochs as an uninterrupted one. The decisions depend only on the losses, which are
  deterministic, so reruns are bit-identical.
"""
from __future__ import annotations

from typing import Any

from seqpipe.config.params import TrainParams

PLATEAU_FACTOR = 0.5
PLATEAU_PATIENCE = 50
PLATEAU_MIN_LR = 1e-4


def learning_rate(train: TrainParams, steps: int | None) -> Any:
    """`train.learning_rate`, or its cosine decay to 0 over the run's `steps` optimizer steps."""
    if train.lr_schedule != "cosine" or not steps:
        return train.learning_rate
    import keras

    return keras.optimizers.schedules.CosineDecay(train.learning_rate, decay_steps=steps)


def optimizer(train: TrainParams, steps: int | None) -> Any:
    """Adam or AdamW at `learning_rate(train, steps)`, clipping gradients to `train.clipnorm`."""
    import keras

    rate = learning_rate(train, steps)
    if train.optimizer == "adamw":
        return keras.optimizers.AdamW(learning_rate=rate, weight_decay=train.weight_decay, clipnorm=train.clipnorm)
    return keras.optimizers.Adam(learning_rate=rate, clipnorm=train.clipnorm)


def plateau(train: TrainParams) -> Any:
    """The ReduceLROnPlateau callback of `lr_schedule: plateau` (None for the other schedules)."""
    if train.lr_schedule != "plateau":
        return None
    import keras

    return keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=PLATEAU_FACTOR, patience=PLATEAU_PATIENCE,
                                             min_lr=PLATEAU_MIN_LR)


def is_plateau(callback: Any) -> bool:
    import keras

    return isinstance(callback, keras.callbacks.ReduceLROnPlateau)

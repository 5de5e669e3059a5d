"""The training budget: how many epochs a run trains, and whether early stopping may end it sooner.

- `train.epochs: N` trains N epochs, as it always has.
- `train.epochs: auto` (the schema default) sizes the run by optimizer steps instead:
  epochs = clamp(ceil(train.min_steps / steps_per_epoch), train.min_epochs, train.max_epochs),
  where steps_per_epoch = ceil(training sequences / global batch). A small training split gets
  enough updates to learn; a large one stops at `min_epochs` (and early stopping may end it sooner).
- Early stopping (and the restoring of the best epoch's weights) needs a validation loss that
  means something: with fewer than MIN_VALIDATION validation sequences it is off, the run trains
  its whole budget and keeps the last epoch. With no validation split at all (prepare gives an
  official train split of fewer than MIN_VALIDATION / data.split.val sequences wholly to training)
  the same holds. Regression (a task with `small_validation_stops`) is the exception: a validation
  split of at least MIN_SMALL_VALIDATION sequences is made and early stopping watches it from the
  first epoch (no warm-up), keeping the epoch of lowest validation loss. On 74 or 140 training series a
  regression model memorises its targets (training RMSE ~0) and every architecture ended worse than
  the train mean; the standardised head starts at the train mean, so a noisy choice errs towards it
  (bench/RESULTS.md, "small data: regression early-stops on a small validation split").
  No learning-rate schedule reads the validation loss
  (`cosine` follows the step count, `plateau` the training loss), so nothing else changes.
- Which weights are kept (`Budget.keep`, `kept_index`): with early stopping, the epoch of lowest
  validation loss; with `train.patience: 0` set by the user, the last epoch, as asked; without a
  usable validation split, the last epoch unless its TRAINING loss is a spike, over SPIKE times the
  lowest of the run: then the epoch of lowest training loss (dl-4-tsc's ModelCheckpoint(monitor=
  'loss'), applied to spikes only). At small batches with batch norm the training loss spikes now
  and then and the last epoch can land on one (ArrowHead FCN: 5 of 12 runs, where the lowest
  training loss's weights scored 2.9-21 points more); where the last epoch is within a few percent
  of the lowest, an earlier near-tie is no better a choice (PickupGestureWiimoteZ FCN, 3 seeds: 58.7
  against 63.3 for the last epoch); bench/RESULTS.md, "small data: which weights are kept".
- Early stopping watches the validation loss only after a warm-up of half of `train.min_steps`
  (in whole epochs, at most half the budget): before it, neither the patience counts nor an epoch
  can be chosen. Batch normalisation's moving statistics (Keras' momentum 0.99: a time constant of
  100 steps) make the first few hundred steps' validation loss meaningless, and on a small set an
  epoch is a few steps, so a patience in epochs ended runs there (OSULeaf's FCN: 11 epochs of 11
  steps, validation loss rising while training accuracy rose, best epoch 1, test accuracy 18%;
  bench/RESULTS.md, "realdata: CardanoSentiment, a text set and OSULeaf"); on a small text set the
  validation loss rises from epoch 2 by overconfidence while accuracy holds, and epoch 1 was kept.
  A large set, whose epoch is hundreds of steps, waits an epoch or two (the adding problem: 2).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from seqpipe import tasks
from seqpipe.config.params import TrainParams

# Below 30 validation sequences one sequence moves the validation loss by more than 3% of itself
# and the best epoch follows noise: on a UCR set with 8 validation series early stopping kept
# epoch 1 or 2 and every architecture ended at chance (issue 19; bench/RESULTS.md, "budget").
# The report's diagnostics flag the same size (seqpipe.reporting.diagnostics.MIN_VALIDATION).
MIN_VALIDATION = 30
# Regression's floor (tasks.Task.small_validation_stops): measured with 12 and 21 validation series
# (CardanoSentiment, Covid3Month); below 10 the split would take most of what little there is to train on.
MIN_SMALL_VALIDATION = 10
# Early stopping watches from the epoch where this share of train.min_steps has been trained.
WARMUP_SHARE = 0.5

# Budget.keep: whose weights the run ends with, and the Keras log key that picks the epoch
KEEP_LAST, KEEP_VAL_LOSS, KEEP_TRAIN_LOSS = "last", "val_loss", "loss"
# A last epoch whose training loss is over SPIKE x the run's lowest ended on a spike. Measured last/lowest
# ratios: 1.00-1.06 where the run ended smoothly, 2.05-92 where it ended on a spike (bench/RESULTS.md).
SPIKE = 1.5
_LOWEST_TRAIN_LOSS = (f"every epoch is trained, and the last one kept unless its training loss is a spike (over {SPIKE:g}x "
                      "the lowest): then the weights of the epoch of lowest training loss")


@dataclass(frozen=True)
class Budget:
    """What a run will train: `epochs` of `steps_per_epoch` optimizer steps, and why."""

    epochs: int
    steps_per_epoch: int
    reason: str  # how `epochs` was chosen, for the train log and models/<arch>.fit.json
    early_stopping: bool
    stopping: str  # whether early stopping may end the run, and which weights are kept
    small_validation: bool = False  # the validation split is under MIN_VALIDATION (early stopping off, or regression's rule)
    keep: str = KEEP_LAST  # the epoch whose weights are kept: last, lowest val_loss or lowest (training) loss
    watch_from: int = 0  # epochs trained before early stopping watches the validation loss (its warm-up)

    @property
    def steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    def line(self) -> str:
        """The train log's one line about the budget."""
        return f"budget: {self.epochs} epochs x {self.steps_per_epoch} steps = {self.steps} steps ({self.reason})"


def steps_per_epoch(n_train: int, global_batch: int) -> int:
    """Optimizer steps of one epoch (at least 1: an empty split still runs its loop once)."""
    return max(1, math.ceil(n_train / max(1, global_batch)))


def auto_epochs(per_epoch: int, min_steps: int, min_epochs: int, max_epochs: int) -> int:
    """clamp(ceil(min_steps / per_epoch), min_epochs, max_epochs)."""
    return min(max(math.ceil(min_steps / max(1, per_epoch)), min_epochs), max_epochs)


def warmup_epochs(per_epoch: int, min_steps: int, epochs: int) -> int:
    """Epochs before early stopping watches: ceil(WARMUP_SHARE * min_steps / per_epoch), at most half of `epochs`."""
    return min(math.ceil(WARMUP_SHARE * min_steps / max(1, per_epoch)), epochs // 2)


def min_validation(task: str | None) -> int:
    """The fewest validation sequences that early stopping watches for `task` (None: any task but regression's)."""
    return MIN_SMALL_VALIDATION if task is not None and tasks.get(task).small_validation_stops else MIN_VALIDATION


def plan(train: TrainParams, n_train: int, n_val: int, global_batch: int, task: str | None = None) -> Budget:
    """The budget of a run on `n_train` training and `n_val` validation sequences, at
    `global_batch` sequences per step (train.batch_size times the replicas), for `task` (None: the
    rule of every task but regression's)."""
    per_epoch = steps_per_epoch(n_train, global_batch)
    small, watch_from = False, 0
    if train.epochs == "auto":
        epochs = auto_epochs(per_epoch, train.min_steps, train.min_epochs, train.max_epochs)
        wanted = math.ceil(train.min_steps / per_epoch)
        bound = (f", raised to train.min_epochs {train.min_epochs}" if wanted < train.min_epochs
                 else f", capped at train.max_epochs {train.max_epochs}" if wanted > train.max_epochs else "")
        reason = (f"train.epochs auto: at least train.min_steps {train.min_steps} steps at {per_epoch} per epoch "
                  f"({n_train} training sequences, batch {global_batch}){bound}")
    else:
        epochs, reason = int(train.epochs), f"train.epochs {train.epochs}"
    keep = KEEP_TRAIN_LOSS
    if train.patience <= 0:
        on, keep = False, KEEP_LAST
        stopping = "early stopping off (train.patience 0): every epoch is trained, the last one kept"
    elif n_val == 0:
        on, small = False, True
        stopping = ("early stopping off: no validation split (prepare trains on the whole train split when a "
                    f"validation split would hold fewer than {min_validation(task)}); {_LOWEST_TRAIN_LOSS}")
    elif n_val < MIN_VALIDATION and n_val >= min_validation(task):
        on, small, keep = True, True, KEEP_VAL_LOSS
        stopping = (f"early stopping on val_loss from epoch 1 (patience {train.patience}, {n_val} validation "
                    f"sequences: fewer than {MIN_VALIDATION}, but {task} watches any split of at least "
                    f"{MIN_SMALL_VALIDATION}, as memorising a few targets shows in even a small split's loss), "
                    "keeping the best epoch's weights")
    elif n_val < MIN_VALIDATION:
        on, small = False, True
        stopping = (f"early stopping off: the validation split has {n_val} sequences, fewer than {MIN_VALIDATION}, "
                    f"too few for its loss to pick an epoch; {_LOWEST_TRAIN_LOSS}")
    else:
        on, keep, watch_from = True, KEEP_VAL_LOSS, warmup_epochs(per_epoch, train.min_steps, epochs)
        warmup = (f", watching from epoch {watch_from + 1} after a warm-up of {watch_from * per_epoch} steps (half of "
                  f"train.min_steps {train.min_steps} in whole epochs, at most half the budget)" if watch_from else "")
        stopping = (f"early stopping on val_loss (patience {train.patience}, {n_val} validation sequences){warmup}, "
                    "keeping the best epoch's weights")
    return Budget(epochs, per_epoch, reason, on, stopping, small, keep, watch_from)



def resolved(train: TrainParams, budget: Budget) -> TrainParams:
    """`train` with the budget's epochs and, where early stopping is off, patience 0."""
    return train.model_copy(update={"epochs": budget.epochs, "patience": train.patience if budget.early_stopping else 0})


def kept_index(values: list[float], keep: str, watch_from: int = 0) -> int:
    """0-based index, into one run's per-epoch `values` of the `keep` key, of the epoch whose weights
    are kept: the lowest validation loss after the warm-up's `watch_from` epochs; for the training
    loss, the last epoch unless it is a spike (over SPIKE x the lowest), then the lowest; the last otherwise."""
    last = len(values) - 1
    first = watch_from if keep == KEEP_VAL_LOSS else 0
    if keep == KEEP_LAST or len(values) <= first:
        return last
    lowest = min(range(first, len(values)), key=values.__getitem__)  # the first of equal lows, as Keras' EarlyStopping
    if keep == KEEP_TRAIN_LOSS and not is_spike(values[-1], values[lowest]):
        return last
    return lowest


def is_spike(last: float, lowest: float) -> bool:
    return last > SPIKE * lowest

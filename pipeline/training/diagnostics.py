"""The rules that make a run's result doubtful, each with its fix: one source for the train log (at
the end of each run, on the validation split) and the report (seqpipe.reporting.diagnostics, on the
test split).

Plain values in, a `Finding` (or None) out: no files, no TensorFlow.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqpipe.config.budget import MIN_VALIDATION, min_validation

EARLY_EPOCHS = 2  # a best epoch this early in a longer run: training hardly started
# Share of the whole run's drop in training loss that came in its last fifth of epochs: a run that
# converged (or whose learning rate decayed to 0) gains little there; an under-trained one a lot.
STILL_FALLING = 0.10

# Each check by a short id, with what it means and its usual fix in general terms: the report and
# the train log name the figures; `seqpipe leaderboard` (which reads only the ids, from
# `layout.DIAGNOSTICS_FILE`) prints these lines as its footnotes.
CHECKS: dict[str, tuple[str, str]] = {
    "small_val": ("the validation split was too small to choose an epoch by reliably (early stopping off; "
                  "regression: on from epoch 1, a noisy choice)",
                  "use more data or a larger data.split.val"),
    "no_better": ("the test score is no better than the baseline that ignores the sequence",
                  "train longer (train.epochs), check the learning rate, or check that the targets follow from the inputs"),
    "early_best": ("the best validation loss came in the first epochs, so the model kept is barely trained",
                   "raise data.split.val or set train.patience: 0 if validation is small; otherwise lower "
                   "train.learning_rate"),
    "still_falling": ("the training loss was still falling when training stopped", "raise train.epochs"),
    "runaway": ("a recursive forecast ran away: each fed-back step compounded the last, far outside the "
                "training range", "set models.<arch>.train.strategy: direct"),
}
# A recursive forecast this many spans of the training range beyond it has run away: a trend leaves
# the range by a fraction of its span over a horizon (at most 0.79 spans, airline's, over 24 offline
# series), a compounding error by far more (lynx, sliding protocol: a one-step cnn fed back 14 times
# reached -7e6 on counts of 39-6,991; solar, lookback 48: first differences fed back 48 times drifted
# 2.6 and 2.8 spans below a series in [0, 0.55] on the validation windows, MASE 15 and 14 on the test,
# 2.4 and 1.5 when direct). bench/RESULTS.md, "Solar" and "A recursive forecast that runs away".
RUNAWAY_SPANS = 2.0


@dataclass(frozen=True)
class Finding:
    """One thing that makes a result doubtful: who, what looks wrong, and what would fix it."""

    architecture: str | None  # None: the whole experiment
    problem: str
    fix: str
    check: str = "other"  # its id in CHECKS (a new check adds its line there)

    def line(self) -> str:
        who = f"{self.architecture}: " if self.architecture else ""
        return f"{who}{self.problem}; {self.fix}"


def small_validation(n_val: int, task: str | None = None) -> Finding | None:
    """A validation split under MIN_VALIDATION: early stopping was off, or (regression, seqpipe.config.budget)
    on from epoch 1 with a noisy choice of epoch."""
    if n_val >= MIN_VALIDATION:
        return None
    fewest = min_validation(task)
    if n_val >= fewest:
        return Finding(
            None, f"the validation split has {n_val} sequences (fewer than {MIN_VALIDATION}): early stopping watched "
                  "it from epoch 1 so that the model would not memorise the few training targets, but the epoch it "
                  "chose is a noisy choice (between memorising and the train mean)",
            "use more data or a larger data.split.val", "small_val")
    if n_val == 0:
        return Finding(
            None, f"there is no validation split (one would have held fewer than {fewest} sequences, so "
                  "every training sequence was trained on): no epoch could be chosen, every run kept its last epoch",
            "use more data to let validation choose", "small_val")
    return Finding(
        None, f"the validation split has {n_val} sequences (fewer than {MIN_VALIDATION}): too few to "
              "choose an epoch by, so early stopping was off and every run kept its last epoch",
        "use more data or a larger data.split.val to let validation choose", "small_val")


def no_skill(arch: str, metric: str, score: float, baseline_name: str, baseline: float | None,
             greater_is_better: bool, split: str = "test", solved: bool = False) -> Finding | None:
    """At or below the no-skill baseline on `split`'s primary metric (`solved`: the model's head was
    solved by least squares, so more training is not the fix)."""
    if baseline is None or not np.isfinite(score) or better(score, baseline, greater_is_better):
        return None
    fix = ("its head is the exact least-squares fit (train.least_squares), so no training helps: this model cannot "
           "do better on these inputs; compare architectures with trainable layers" if solved else
           "train longer (train.epochs), check the learning rate, or check that the targets follow from the inputs")
    return Finding(
        arch, f"{split} {metric} {score:.4g} is no better than the baseline ({baseline_name}: {baseline:.4g}): "
              "it learned nothing the baseline does not know", fix, "no_better")


def early_best(arch: str, best: object, run: object, n_val: int | None = None, task: str | None = None) -> Finding | None:
    """The epoch kept came among the first few of a longer run (with `n_val` and `task`: a regression
    run that early-stopped on a small validation split says what that means, see seqpipe.config.budget)."""
    if not (isinstance(best, int) and isinstance(run, int) and best <= EARLY_EPOCHS and run >= best + 3):
        return None
    if n_val is not None and min_validation(task) <= n_val < MIN_VALIDATION:
        return Finding(
            arch, f"the best validation loss came at epoch {best} of {run}: nothing learned after it held up on the "
                  f"{n_val} validation sequences, so the model kept stays near the train mean it starts from",
            "use more data or a larger data.split.val (train.patience: 0 would memorise the training targets)",
            "early_best")
    return Finding(
        arch, f"the best validation loss came at epoch {best} of {run}, so the model kept is barely trained",
        "if the validation split is small, raise data.split.val or set train.patience: 0; "
        "otherwise lower train.learning_rate", "early_best")


def still_falling(arch: str, train_loss: np.ndarray | None, run: object, budget: object) -> Finding | None:
    """The run trained its whole budget and its training loss was still falling at the end."""
    falling = falling_share(train_loss)
    if falling is None or run is None or run != budget:
        return None
    return Finding(
        arch, f"the training loss was still falling when training stopped ({falling:.0%} of its whole drop came "
              "in the last fifth of the epochs)",
        "raise train.epochs: it is under-trained", "still_falling")


def runaway(arch: str, forecast: np.ndarray | None, low: float, high: float, split: str = "test",
            seed: int | None = None) -> Finding | None:
    """A recursive forecast (train.strategy) that left the training range [`low`, `high`] by more than
    RUNAWAY_SPANS of its span, or is not finite: its fed-back steps compounded. `seed`: the model's,
    where the line names it."""
    if forecast is None or not np.size(forecast):
        return None
    values = np.asarray(forecast, dtype=float)
    span = high - low if high > low else max(abs(high), 1.0)
    if not np.isfinite(values).all():
        reached = "values that are not finite"
    else:
        beyond = max(low - float(values.min()), float(values.max()) - high) / span
        if beyond <= RUNAWAY_SPANS:
            return None
        worst = float(values.min()) if low - values.min() > values.max() - high else float(values.max())
        times = f"{beyond:.1f}" if beyond < 10 else f"{beyond:.0f}"  # near the rule's 2 spans, one decimal
        reached = f"{worst:.4g}, {times} times the span of the training range ({low:.4g} to {high:.4g}) beyond it"
    whose = "its" if seed is None else f"seed {seed}'s"
    return Finding(
        arch, f"{whose} recursive forecast runs away on the {split} windows: it reaches {reached}; each forecast fed "
              "back as an input compounded the error of the last",
        f"set models.{arch}.train.strategy: direct (one output per horizon step), or rank another architecture",
        "runaway")


def better(score: float, baseline: float, greater_is_better: bool) -> bool:
    return score > baseline if greater_is_better else score < baseline


def falling_share(loss: np.ndarray | None) -> float | None:
    """The share of the training loss's whole drop made in the last fifth of the epochs, when it is
    above STILL_FALLING and the last epoch is the best so far (None otherwise)."""
    if loss is None or len(loss) < 5:
        return None
    loss = np.asarray(loss, dtype=float)
    if not np.isfinite(loss).all():
        return None
    tail = max(2, len(loss) // 5)
    whole = loss[0] - loss[-1]
    if whole <= 0 or loss[-1] > loss.min():
        return None
    share = (loss[-tail - 1] - loss[-1]) / whole
    return float(share) if share > STILL_FALLING else None

"""Results that look wrong, each with its likely fix, and the headline the numbers support.

A comparison on a small real dataset fails quietly: a model at chance, early stopping that kept
epoch 1 of a noisy validation split, a loss still falling when training stopped. The report names
every such finding in one line instead of crowning a winner the numbers do not support.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from seqpipe import tasks
from seqpipe.config.budget import MIN_VALIDATION
from seqpipe.data.spec import PreparedSpec

EARLY_EPOCHS = 2  # a best epoch this early in a longer run: training hardly started
# Share of the whole run's drop in training loss that came in its last fifth of epochs: a run that
# converged (or whose learning rate decayed to 0) gains little there; an under-trained one a lot.
STILL_FALLING = 0.10

# Each check by a short id, with what it means and its usual fix in general terms: the report
# names the figures, `seqpipe leaderboard` (which reads only the ids, from `layout.DIAGNOSTICS`)
# prints these lines as its footnotes.
CHECKS: dict[str, tuple[str, str]] = {
    "small_val": ("the validation split was too small to choose an epoch by (early stopping off)",
                  "use more data or a larger data.split.val"),
    "no_better": ("the test score is no better than the baseline that ignores the sequence",
                  "train longer (train.epochs), check the learning rate, or check that the targets follow from the inputs"),
    "early_best": ("the best validation loss came in the first epochs, so the model kept is barely trained",
                   "raise data.split.val or set train.patience: 0 if validation is small; otherwise lower "
                   "train.learning_rate"),
    "still_falling": ("the training loss was still falling when training stopped", "raise train.epochs"),
}


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


def diagnose(table: pd.DataFrame, base: tasks.Baseline, spec: PreparedSpec, curves: dict[str, pd.DataFrame],
             timings: dict[str, dict]) -> list[Finding]:
    """Every finding for one experiment, experiment-wide first, then per architecture in rank order.

    `timings` are the fit summaries: epochs run, best epoch, and the epochs the run was budgeted."""
    task = tasks.get(spec.task)
    metric = task.primary_metric
    findings = []
    if spec.sizes.val < MIN_VALIDATION:
        findings.append(Finding(
            None, f"the validation split has {spec.sizes.val} sequences (fewer than {MIN_VALIDATION}): too few to "
                  "choose an epoch by, so early stopping was off and every run kept its last epoch",
            "use more data or a larger data.split.val to let validation choose", "small_val"))
    baseline = base.scores.get(metric)
    for _, row in table.iterrows():
        arch = str(row["architecture"])
        score = float(row[metric])
        if baseline is not None and np.isfinite(score) and not _better(score, baseline, task.greater_is_better):
            findings.append(Finding(
                arch, f"test {metric} {score:.4g} is no better than the baseline ({base.name}: {baseline:.4g}): "
                      "it learned nothing the baseline does not know",
                "train longer (train.epochs), check the learning rate, or check that the targets follow from the inputs",
                "no_better"))
        timing = timings.get(arch, {})
        best, run = timing.get("best_epoch"), timing.get("epochs_run")
        if isinstance(best, int) and isinstance(run, int) and best <= EARLY_EPOCHS and run >= best + 3:
            findings.append(Finding(
                arch, f"the best validation loss came at epoch {best} of {run}, so the model kept is barely trained",
                "if the validation split is small, raise data.split.val or set train.patience: 0; "
                "otherwise lower train.learning_rate", "early_best"))
        falling = _still_falling(curves.get(arch))
        if falling is not None and run is not None and run == timing.get("epochs_budget", run):
            findings.append(Finding(
                arch, f"the training loss was still falling when training stopped ({falling:.0%} of its whole drop came "
                      "in the last fifth of the epochs)",
                "raise train.epochs: it is under-trained", "still_falling"))
    return findings


def flags(findings: list[Finding], names: list[str]) -> dict[str, dict[str, int]]:
    """The checks that apply to each architecture, as a small flat metrics file DVC shows in `dvc exp show`:
    `{arch: {check id: 1}}`, experiment-wide findings under every architecture, only the ones that apply."""
    out: dict[str, dict[str, int]] = {}
    for arch in names:
        ids = [f.check for f in findings if f.architecture in (None, arch)]
        if ids:
            out[arch] = {check: 1 for check in dict.fromkeys(ids)}
    return out


def _better(score: float, baseline: float, greater_is_better: bool) -> bool:
    return score > baseline if greater_is_better else score < baseline


def _still_falling(curve: pd.DataFrame | None) -> float | None:
    """The share of the training loss's whole drop made in the last fifth of the epochs, when it is
    above STILL_FALLING and the last epoch is the best so far (None otherwise)."""
    if curve is None or "train_loss" not in curve or len(curve) < 5:
        return None
    loss = curve["train_loss"].to_numpy(dtype=float)
    if not np.isfinite(loss).all():
        return None
    tail = max(2, len(loss) // 5)
    whole = loss[0] - loss[-1]
    if whole <= 0 or loss[-1] > loss.min():
        return None
    share = (loss[-tail - 1] - loss[-1]) / whole
    return float(share) if share > STILL_FALLING else None


def headline(table: pd.DataFrame, tests: pd.DataFrame, base: tasks.Baseline, metric: str) -> str:
    """"Best: X" only when X is significantly better than the runner-up; otherwise say so plainly."""
    best = table.iloc[0]
    versus = f"the baseline ({base.name}) scores {base.scores[metric]:.4g}"
    if len(table) == 1:
        return f"Only **{best['architecture']}** was trained: {metric} = {best[metric]:.4g}; {versus}."
    runner_up = table.iloc[1]["architecture"]
    row = tests[tests["architecture"] == runner_up] if "architecture" in tests else tests
    verdict = row["significant"].iloc[0] if len(row) and "significant" in row else "unknown"
    if verdict == "yes":
        return f"Best: **{best['architecture']}** with {metric} = {best[metric]:.4g}; {versus}."
    reason = "not significantly" if verdict == "no" else "not shown to be"
    return (f"No architecture is significantly better than **{runner_up}**: **{best['architecture']}** ranks first "
            f"with {metric} = {best[metric]:.4g} but is {reason} better (see below); {versus}.")

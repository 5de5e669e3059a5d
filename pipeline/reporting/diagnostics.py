"""Results that look wrong, each with its likely fix, and the headline the numbers support.

A comparison on a small real dataset fails quietly: a model at chance, early stopping that kept
epoch 1 of a noisy validation split, a loss still falling when training stopped. The report names
every such finding in one line instead of crowning a winner the numbers do not support. The rules
live in seqpipe.training.diagnostics, which the train log applies too (one source of truth).
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from seqpipe import tasks
from seqpipe.data.spec import PreparedSpec
from seqpipe.training import diagnostics as rules
from seqpipe.training.diagnostics import CHECKS, EARLY_EPOCHS, STILL_FALLING, Finding  # noqa: F401  (this module's API)


def diagnose(table: pd.DataFrame, base: tasks.Baseline, spec: PreparedSpec, curves: dict[str, pd.DataFrame],
             timings: dict[str, dict], recursive: Mapping[str, np.ndarray] | None = None,
             training_range: tuple[float, float] = (0.0, 0.0)) -> list[Finding]:
    """Every finding for one experiment, experiment-wide first, then per architecture in rank order.

    `timings` are the fit summaries: epochs run, best epoch, and the epochs the run was budgeted;
    `recursive`: the test forecasts of the architectures that forecast recursively, checked against
    the `training_range` of the targets (a fed-back forecast can run away)."""
    task = tasks.get(spec.task)
    metric = task.primary_metric
    findings = [f for f in [rules.small_validation(spec.sizes.val, spec.task)] if f]
    baseline = base.scores.get(metric)
    for _, row in table.iterrows():
        arch = str(row["architecture"])
        timing = timings.get(arch, {})
        curve = curves.get(arch)
        loss = curve["train_loss"].to_numpy(dtype=float) if curve is not None and "train_loss" in curve else None
        run = timing.get("epochs_run")
        for finding in (
            rules.no_skill(arch, metric, float(row[metric]), base.name, baseline, task.greater_is_better,
                           solved=bool(timing.get("least_squares"))),
            # only an epoch chosen by the validation loss (older fit summaries have no kept_by) can be "early"
            rules.early_best(arch, timing.get("best_epoch") if timing.get("kept_by", "val_loss") == "val_loss" else None,
                             run, spec.sizes.val, spec.task),
            rules.still_falling(arch, loss, run, timing.get("epochs_budget", run)),
            rules.runaway(arch, (recursive or {}).get(arch), *training_range),
        ):
            if finding:
                findings.append(finding)
    return findings


def flags(findings: list[Finding], names: list[str]) -> dict[str, dict[str, int]]:
    """The checks that apply to each architecture, as the small flat file `seqpipe leaderboard` reads per revision:
    `{arch: {check id: 1}}`, experiment-wide findings under every architecture, only the ones that apply."""
    out: dict[str, dict[str, int]] = {}
    for arch in names:
        ids = [f.check for f in findings if f.architecture in (None, arch)]
        if ids:
            out[arch] = {check: 1 for check in dict.fromkeys(ids)}
    return out


def headline(table: pd.DataFrame, tests: pd.DataFrame, base: tasks.Baseline, metric: str) -> str:
    """"Best: X" only when X beats the no-skill baseline and is significantly better than the
    runner-up; otherwise say plainly which of the two fails."""
    best = table.iloc[0]
    versus = f"the baseline ({base.name}) scores {base.scores[metric]:.4g}"
    first = f"**{best['architecture']}** ranks first with {metric} = {best[metric]:.4g}"
    if base.scores.get(metric) is not None and not _beats(float(best[metric]), float(base.scores[metric]), metric):
        return (f"No architecture beats the baseline ({base.name}, {metric} = {base.scores[metric]:.4g}): {first}; "
                "no model here earns its cost over it (see the checks below).")
    if len(table) == 1:
        return f"Only **{best['architecture']}** was trained: {metric} = {best[metric]:.4g}; {versus}."
    runner_up = table.iloc[1]["architecture"]
    row = tests[tests["architecture"] == runner_up] if "architecture" in tests else tests
    verdict = row["significant"].iloc[0] if len(row) and "significant" in row else "unknown"
    if verdict == "yes":
        return f"Best: **{best['architecture']}** with {metric} = {best[metric]:.4g}; {versus}."
    reason = "not significantly" if verdict == "no" else "not shown to be"
    return (f"No architecture is significantly better than the others: {first} but is {reason} better than "
            f"the runner-up **{runner_up}** (see below); {versus}.")


def _beats(score: float, baseline: float, metric: str) -> bool:
    return score > baseline if tasks.greater_is_better(metric) else score < baseline

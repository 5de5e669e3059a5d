"""This run's test scores beside those of the baseline commit (git HEAD), per architecture and metric.

The metrics files are kept in git (`cache: false` in dvc.yaml), so `git show HEAD:metrics/<arch>.json`
reads them in milliseconds without opening a second DVC repository inside the running `dvc repro`.
HEAD is an input DVC does not track: a report that DVC skips (no dependency changed) or restores
from its run cache keeps the comparison of the run that wrote it. The section therefore names the
commit it compared with, so it is never wrong about what it shows.
"""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from seqpipe import layout, tasks
from seqpipe.reporting.document import Block, fmt


@dataclass(frozen=True)
class CommitMetrics:
    """The architectures' metrics as committed at `rev` (short hash); `missing`: this run's
    architectures without a metrics file there. `reason` says why there is nothing to compare."""

    rev: str = ""
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    reason: str = ""
    data: dict | None = None  # the `data` section of params.yaml at `rev` (None: unreadable)


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def _json(text: str | None) -> dict[str, float] | None:
    try:
        value = json.loads(text) if text is not None else None
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def read_commit_metrics(names: list[str], rev: str = "HEAD", cwd: Path = Path(".")) -> CommitMetrics:
    """The metrics files of architectures `names` at git revision `rev`, read with `git show`."""
    if _git(["rev-parse", "--is-inside-work-tree"], cwd) is None:
        return CommitMetrics(reason="the project is not in a git repository (or git is not installed)")
    short = _git(["rev-parse", "--short", f"{rev}^{{commit}}"], cwd)
    if short is None:
        return CommitMetrics(reason=f"git has no commit {rev} yet")
    short = short.strip()
    found: dict[str, dict[str, float]] = {}
    missing = []
    for arch in names:
        scores = _json(_git(["show", f"{rev}:./{layout.metrics_path(arch).as_posix()}"], cwd))
        if scores is None:
            missing.append(arch)
        else:
            found[arch] = scores
    if not found:
        return CommitMetrics(short, reason=f"commit {short} has no committed metrics for "
                                            f"{', '.join(names)} (a first run, or results not committed)")
    return CommitMetrics(short, found, tuple(missing), data=_data_params(_git(["show", f"{rev}:./{layout.PARAMS_FILE}"], cwd)))


def _data_params(text: str | None) -> dict | None:
    import yaml

    try:
        params = yaml.safe_load(text) if text is not None else None
    except yaml.YAMLError:
        return None
    return params.get("data") if isinstance(params, dict) and isinstance(params.get("data"), dict) else None


def _flat(tree: dict, prefix: str = "data") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}.{key}"))
        else:
            out[f"{prefix}.{key}"] = value
    return out


def _with_defaults(before: dict, now: dict) -> tuple[dict, dict]:
    """Both sides with the defaults filled in, so a key that only one side writes out but both mean
    the same (`data.lengths` unset before it existed, `resample` now) is no change; raw when either
    side is not valid under today's schema (an older commit's renamed key)."""
    from pydantic import ValidationError

    from ..config.params import DataParams

    try:
        return (DataParams.model_validate(before).model_dump(mode="json"),
                DataParams.model_validate(now).model_dump(mode="json"))
    except ValidationError:
        return before, now


def data_changes(before: dict | None, now: dict | None) -> list[str]:
    """`data.options.n_samples: 6000 -> 240` for each data setting that differs between the commit
    and this run: their test sets then differ, and so do their scores' meaning."""
    if before is None or now is None:
        return []
    before, now = _with_defaults(before, now)
    old, new = _flat(before), _flat(now)
    return [f"{k}: {old.get(k, '(unset)')} -> {new.get(k, '(unset)')}" for k in sorted(set(old) | set(new))
            if old.get(k) != new.get(k)]


def _verdict(metric: str, change: float) -> str:
    if not np.isfinite(change):
        return ""
    if abs(change) < 1e-9:
        return "same"
    better = change > 0 if tasks.greater_is_better(metric) else change < 0
    return "better" if better else "worse"


def comparison_table(current: dict[str, dict], committed: CommitMetrics, task_name: str,
                     order: list[str] | None = None) -> pd.DataFrame:
    """One row per architecture (in `order`, the ranking) and metric of the task present in both:
    the committed value, this run's, the change (this run minus committed) and whether it is
    better or worse by the metric's direction in the task table."""
    task = tasks.get(task_name)
    rows = []
    for arch in order or list(current):
        before = committed.metrics.get(arch)
        if before is None or arch not in current:
            continue
        for metric in task.metrics:
            if metric not in before or metric not in current[arch]:
                continue
            old, new = float(before[metric]), float(current[arch][metric])
            rows.append({"architecture": arch, "metric": metric, f"at {committed.rev}": old, "this run": new,
                         "change": new - old, "verdict": _verdict(metric, new - old)})
        if rows and rows[-1]["architecture"] == arch and before.get("params") != current[arch].get("params"):
            # not a score: what changed in the model, listed beside the scores it moved
            old, new = float(before.get("params", np.nan)), float(current[arch].get("params", np.nan))
            rows.append({"architecture": arch, "metric": "params", f"at {committed.rev}": old, "this run": new,
                         "change": new - old, "verdict": "model changed"})
    return pd.DataFrame(rows, columns=["architecture", "metric", f"at {committed.rev}", "this run", "change", "verdict"])


def comparison_blocks(current: dict[str, dict], committed: CommitMetrics, task_name: str,
                      order: list[str] | None = None, data_now: dict | None = None) -> list[Block]:
    """The report section: a heading and the table, or one line saying why there is none.
    `data_now`: this run's `data` params, to warn when the commit's test set was another."""
    if committed.reason:
        return [Block("h2", "Compared with the baseline commit"), Block("p", f"No comparison: {committed.reason}.")]
    other = {tasks.task_of_metrics(list(m)) for m in committed.metrics.values()}
    table = comparison_table(current, committed, task_name, order)
    blocks = [Block("h2", f"Compared with the baseline commit {committed.rev}")]
    if table.empty or other != {tasks.get(task_name)}:
        names = ", ".join(sorted(t.name for t in other if t is not None)) or "unknown"
        return [*blocks, Block("p", f"No comparison: the metrics committed at {committed.rev} are of task "
                                    f"{names}, this run's of {task_name}.")]
    changes = data_changes(committed.data, data_now)
    if changes:
        blocks.append(Block("warn", f"the data settings differ from those at {committed.rev} "
                                    f"({'; '.join(changes[:4])}{'; ...' if len(changes) > 4 else ''}): "
                                    "the test sets differ, so the scores compare different things."))
    changed = table[table["verdict"].isin(["better", "worse", "model changed"])]
    if changed.empty:
        blocks.append(Block("p", f"No test score changed since {committed.rev}."))
    else:
        shown = changed.copy()
        shown["change"] = [f"{c:+.3g}" for c in shown["change"]]
        blocks.append(Block("table", shown.map(fmt)))
        better, worse = (int((changed["verdict"] == v).sum()) for v in ("better", "worse"))
        same = int((table["verdict"] == "same").sum())
        untouched = [a for a in dict.fromkeys(table["architecture"]) if a not in set(changed["architecture"])]
        blocks.append(Block("p", f"{better} better, {worse} worse"
                                 + (f", {same} unchanged (not listed)" if same else "")
                                 + (f"; every score the same for {', '.join(untouched)}" if untouched else "") + "."))
    if committed.missing:
        blocks.append(Block("p", f"New since {committed.rev} (no committed metrics): {', '.join(committed.missing)}."))
    blocks.append(Block("p", f"This run's test scores (means over seeds where there are repeats) beside those "
                             f"committed at {committed.rev}, the commit checked out (git HEAD) when the report "
                             "ran; `change`: this run minus the commit, `verdict` by each metric's direction. "
                             "A change is not a significance test: repeats (`train.repeats`) show the seed-to-seed "
                             "spread."))
    return blocks

"""Rank across experiments: architecture × experiment × metric from DVC's own `dvc exp show --json`.

`dvc exp show` gives one column per metrics file, which is unreadable with a matrix of
architectures. This reads the same JSON and turns it into one row per (experiment, architecture),
ranked by the task's primary metric. No TensorFlow import.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqpipe import layout, tasks
from seqpipe.errors import DataError, SeqpipeError


def _per_architecture(folder: Path) -> re.Pattern[str]:
    """`<folder>/<arch>.json` as `dvc exp show` names it, capturing the architecture."""
    return re.compile(rf"^{re.escape(folder.as_posix())}/(?P<arch>[^/]+)\.json$")


METRICS_FILE = _per_architecture(layout.METRICS_DIR)
TIMINGS_FILE = _per_architecture(layout.TIMINGS_DIR)
ENV_FILE = _per_architecture(layout.ENV_DIR)
if TYPE_CHECKING:
    import pandas as pd



def exp_show_json(extra_args: list[str] | None = None) -> list[dict]:
    """Run `dvc exp show --json` in the current directory and parse its output."""
    cmd = [sys.executable, "-m", "dvc", "exp", "show", "--json", *(extra_args or [])]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise SeqpipeError(f"`dvc exp show --json` failed: {message[-1] if message else result.returncode}")
    return parse_json_text(result.stdout)


def parse_json_text(text: str) -> list[dict]:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"not the JSON of `dvc exp show --json`: {exc}") from None
    if not isinstance(payload, list):
        raise DataError("not the JSON of `dvc exp show --json`: expected a list of revisions")
    return payload


def _states(payload: list[dict]) -> Iterator[tuple[dict, str, str]]:
    """(state, experiment label, kind) for the workspace, each baseline commit and its experiments."""
    for entry in payload:
        rev = entry.get("rev", "")
        if rev == "workspace":
            yield entry, "workspace", "workspace"
            continue
        label = entry.get("name") or rev[:7]
        yield entry, f"{label} ({rev[:7]})" if entry.get("name") else label, "baseline"
        for exp_range in entry.get("experiments") or []:
            for state in exp_range.get("revs") or []:
                name = state.get("name") or exp_range.get("name") or state.get("rev", "")[:7]
                yield state, name, "experiment"


def _file_data(files: dict[str, Any] | None, pattern: re.Pattern) -> dict[str, dict]:
    out = {}
    for path, result in (files or {}).items():
        match = pattern.match(path.replace("\\", "/"))
        # metrics/baselines.json holds the classical baselines, which are not architectures
        if match and match["arch"] == layout.BASELINES:
            continue
        if match and isinstance(result, dict) and isinstance(result.get("data"), dict):
            out[match["arch"]] = result["data"]
    return out


def rows(payload: list[dict]) -> list[dict[str, Any]]:
    """One row per (experiment, architecture) that has a metrics/<arch>.json."""
    out = []
    for state, label, kind in _states(payload):
        data = state.get("data") or {}
        if state.get("error") or not data:
            continue
        metrics = _file_data(data.get("metrics"), METRICS_FILE)
        timings = _file_data(data.get("metrics"), TIMINGS_FILE)
        envs = {}
        for path, output in (data.get("outs") or {}).items():
            match = ENV_FILE.match(path.replace("\\", "/"))
            if match and isinstance(output, dict) and output.get("hash"):
                envs[match["arch"]] = output["hash"][:8]
        for arch, scores in metrics.items():
            timing = timings.get(arch, {})
            task = tasks.task_of_metrics([k for k in scores if not k.endswith("_std")])
            out.append({
                "task": task.name if task else "unknown",
                "architecture": arch,
                "experiment": label,
                "kind": kind,
                "rev": state.get("rev", "")[:7] if kind != "workspace" else "workspace",
                **{k: v for k, v in scores.items() if isinstance(v, (int, float)) and not isinstance(v, bool)},
                "train_s": timing.get("train_seconds"),
                "latency_ms": timing.get("inference_ms_per_sample"),
                "env": envs.get(arch),
            })
    return out


def _metric_columns(table: pd.DataFrame) -> list[str]:
    fixed = {"rank", "task", "architecture", "experiment", "kind", "rev", "train_s", "latency_ms", "params",
             "repeats", "env"}
    return [c for c in table.columns if c not in fixed]


@dataclass(frozen=True)
class Ranking:
    """One task's rows, best first, and the metric that ranks them."""

    task: str
    metric: str
    greater_is_better: bool
    table: pd.DataFrame


def build(payload: list[dict], metric: str | None = None) -> tuple[list[Ranking], list[str]]:
    """One ranking per task found in the experiments (rows are ranked within their task), and a
    line for each group of rows left out because they lack the `--metric` asked for."""
    import pandas as pd

    found = rows(payload)
    if not found:
        raise DataError("no experiment has metrics/<arch>.json yet; run `dvc repro` or `dvc exp run` first")
    table = pd.DataFrame(found)
    if metric and metric not in table:
        raise DataError(f"--metric {metric}: not in the experiments' metrics ({', '.join(_metric_columns(table))}); "
                        "allowed: any of those")
    rankings, left_out = [], []
    for task_name, group in table.groupby("task", sort=False):
        task = tasks.TABLE.get(str(task_name))
        name = metric or (task.primary_metric if task else None)
        if name is None or name not in group or group[name].isna().all():
            what = f"--metric {metric}" if metric else "a known primary metric"
            left_out.append(f"{len(group)} rows of task {task_name} have no {what}; "
                            f"rank them with --metric (one of: {', '.join(_metric_columns(group.dropna(axis=1, how='all')))})")
            continue
        greater = tasks.greater_is_better(name) if name in tasks.METRICS else True
        order = [name, *([task.tie_breaker] if task and task.tie_breaker in group and task.tie_breaker != name else [])]
        ascending = [not (tasks.greater_is_better(m) if m in tasks.METRICS else True) for m in order]
        group = group.dropna(subset=[name]).sort_values(
            [*order, "architecture", "experiment"], ascending=[*ascending, True, True], kind="stable"
        ).reset_index(drop=True)
        group.insert(0, "rank", range(1, len(group) + 1))
        # Columns: identity, ranking metric (and its std), other scores, cost.
        first = ["rank", "task", "architecture", "experiment", "kind", "rev", name]
        if f"{name}_std" in group:
            first.append(f"{name}_std")
        own = set(task.metrics) if task else set(_metric_columns(group))
        rest = [c for c in _metric_columns(group) if c not in first and not c.endswith("_std") and c in own]
        cost = [c for c in ("params", "train_s", "latency_ms", "env") if c in group]
        rankings.append(Ranking(str(task_name), name, greater, group[first + rest + cost]))
    return rankings, left_out


def environments(rankings: list[Ranking]) -> set[str]:
    """Distinct environments (hash of environment/<arch>.json) among the rows."""
    return {env for r in rankings if "env" in r.table for env in r.table["env"].dropna()}


def render(rankings: list[Ranking], fmt: str) -> str:
    """`text` and `md`: one table per task under a line saying what ranks it; `csv` and `json`:
    every row once, with its task and its rank within the task."""
    import pandas as pd

    if fmt in ("csv", "json"):
        table = pd.concat([r.table for r in rankings], ignore_index=True)
        if fmt == "csv":
            return table.to_csv(index=False)
        return table.to_json(orient="records", indent=2) + "\n"
    several_envs = len(environments(rankings)) > 1
    parts = []
    for r in rankings:
        shown = r.table.drop(columns=["rev", "task"])
        if "env" in shown and not several_envs:
            shown = shown.drop(columns=["env"])
        title = f"{r.task}: ranked by {r.metric} ({'higher' if r.greater_is_better else 'lower'} is better)"
        if fmt == "md":
            parts.append(f"### {title}\n\n" + shown.to_markdown(index=False, floatfmt=".4g", missingval="") + "\n")
        else:
            parts.append(f"{title}\n" + shown.to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep="") + "\n")
    return "\n".join(parts)

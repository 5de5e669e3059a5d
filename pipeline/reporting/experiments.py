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
from typing import TYPE_CHECKING, Any

from seqpipe.errors import DataError, SeqpipeError

METRICS_FILE = re.compile(r"^metrics/(?P<arch>[^/]+)\.json$")
TIMINGS_FILE = re.compile(r"^timings/(?P<arch>[^/]+)\.json$")
ENV_FILE = re.compile(r"^environment/(?P<arch>[^/]+)\.json$")
if TYPE_CHECKING:
    import pandas as pd

# Primary metric and direction per task, as in seqpipe.tasks (kept here: no sklearn import).
PRIMARY = (("mse", False), ("accuracy", True))


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
            out.append({
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


def primary_metric(table: pd.DataFrame, metric: str | None = None) -> tuple[str, bool]:
    """(metric, greater_is_better): the one asked for, or the first known primary metric present."""
    known = dict(PRIMARY)
    if metric:
        if metric not in table:
            raise DataError(f"--metric {metric}: not in the experiments' metrics ({', '.join(_metric_columns(table))})")
        return metric, known.get(metric, metric in ("r2", "f1", "macro_f1", "roc_auc"))
    for name, greater in PRIMARY:
        if name in table:
            return name, greater
    raise DataError("no primary metric (mse, accuracy) found; pass --metric")


def _metric_columns(table: pd.DataFrame) -> list[str]:
    fixed = {"rank", "architecture", "experiment", "kind", "rev", "train_s", "latency_ms", "params", "repeats", "env"}
    return [c for c in table.columns if c not in fixed]


def build(payload: list[dict], metric: str | None = None) -> tuple[pd.DataFrame, str]:
    """The ranked table (best first) and the metric that ranks it."""
    import pandas as pd

    found = rows(payload)
    if not found:
        raise DataError("no experiment has metrics/<arch>.json yet; run `dvc repro` or `dvc exp run` first")
    table = pd.DataFrame(found)
    name, greater = primary_metric(table, metric)
    table = table.dropna(subset=[name]).sort_values(
        [name, "architecture", "experiment"], ascending=[not greater, True, True], kind="stable"
    ).reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
    # Columns: identity, ranking metric (and its std), other scores, cost.
    first = ["rank", "architecture", "experiment", "kind", "rev", name]
    if f"{name}_std" in table:
        first.append(f"{name}_std")
    rest = [c for c in _metric_columns(table) if c not in first and not c.endswith("_std")]
    cost = [c for c in ("params", "train_s", "latency_ms", "env") if c in table]
    return table[first + rest + cost], name


def environments(table: "pd.DataFrame") -> set[str]:
    """Distinct environments (hash of environment/<arch>.json) among the rows."""
    return set(table["env"].dropna()) if "env" in table else set()


def render(table: pd.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        return table.to_csv(index=False)
    shown = table.drop(columns=["rev"])
    if "env" in shown and len(environments(table)) <= 1:
        shown = shown.drop(columns=["env"])
    if fmt == "md":
        return shown.to_markdown(index=False, floatfmt=".4g") + "\n"
    return shown.to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep="") + "\n"

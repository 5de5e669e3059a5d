"""Rank across experiments: architecture × experiment × metric from DVC's own `dvc exp show --json`.

`dvc exp show` gives one column per metrics file, which is unreadable with a matrix of
architectures. This reads the same JSON and turns it into one row per distinct trained model
(`exp_rows`: shared models once, the changed params as columns, the report's diagnostics as
`checks`), ranked within each task by its primary metric, ties by its declared secondary one.
No TensorFlow import.
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seqpipe import tasks
from seqpipe.errors import DataError, SeqpipeError
from seqpipe.reporting.diagnostics import CHECKS
from seqpipe.reporting.exp_rows import applies, failed, rows

__all__ = ["Ranking", "build", "environments", "exp_show_json", "parse_json_text", "render", "rows"]


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


IDENTITY = ["rank", "task", "architecture", "experiment", "kind", "rev"]
COST = ["params", "train_s", "cpu_s", "latency_ms", "env"]
MARKS = ["checks", "contended", "shared"]
CONTENDED_NOTE = ("contended: timed while the machine's load average exceeded its cores (other work was running); "
                  "train_s, cpu_s and latency_ms of these rows are slower than the model alone and not comparable: "
                  "rerun them on an idle machine")


def _param_columns(table: pd.DataFrame) -> list[str]:
    """Params keys are dotted (`models.lstm.units`); metric names never are."""
    return [c for c in table.columns if "." in c]


def _metric_columns(table: pd.DataFrame) -> list[str]:
    fixed = {*IDENTITY, *COST, *MARKS, "repeats", *_param_columns(table)}
    return [c for c in table.columns if c not in fixed]


def _integers(table: pd.DataFrame) -> pd.DataFrame:
    """Whole-number params columns and parameter counts stay integers where some rows lack them (3, not 3.0)."""
    for column in [*_param_columns(table), "params", "repeats"]:
        values = table[column].dropna() if column in table else None
        if values is not None and len(values) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer() for v in values):
            table[column] = table[column].astype("Int64")
    return table


def _changed(group: pd.DataFrame) -> list[str]:
    """The params columns whose value differs between this table's rows of the architectures they apply to."""
    out = []
    for key in _param_columns(group):
        mine = group[[applies(key, str(a)) for a in group["architecture"]]][key]
        if len({repr(v) for v in mine.astype(object).where(mine.notna(), None)}) > 1:
            out.append(key)
    return out


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
    table = _integers(pd.DataFrame(found))
    if metric and metric not in _metric_columns(table):
        raise DataError(f"--metric {metric}: not in the experiments' metrics ({', '.join(_metric_columns(table))}); "
                        "allowed: any of those")
    rankings, left_out = [], failed(payload)
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
        # Columns: identity, ranking metric (and its std), what changed, other scores, cost, flags.
        first = [*IDENTITY, name]
        if f"{name}_std" in group:
            first.append(f"{name}_std")
        own = set(task.metrics) if task else set(_metric_columns(group))
        rest = [c for c in _metric_columns(group) if c not in first and not c.endswith("_std") and c in own]
        cost = [c for c in COST if c in group]
        rankings.append(Ranking(str(task_name), name, greater, group[first + _changed(group) + rest + cost + MARKS]))
    return rankings, left_out


def environments(rankings: list[Ranking]) -> dict[str, set[str]]:
    """The architectures whose rows were trained in more than one environment (hash of
    environment/<arch>.json), each with those environments. Only rows of the same architecture are
    compared: within one experiment architectures may differ by design (`train.backend: auto` picks
    a backend per architecture), which the experiment's report says."""
    seen: dict[str, set[str]] = {}
    for r in rankings:
        if "env" in r.table:
            for arch, env in zip(r.table["architecture"], r.table["env"]):
                if isinstance(env, str):
                    seen.setdefault(str(arch), set()).add(env)
    return {arch: envs for arch, envs in seen.items() if len(envs) > 1}


def _shown(rankings: list[Ranking]) -> list[Ranking]:
    """The same columns in every format: `env` only when the rows differ in it, `checks` and `shared`
    only when some row has them."""
    drop = [] if environments(rankings) else ["env"]
    drop += [c for c in MARKS if all(r.table[c].isna().all() for r in rankings)]
    return [Ranking(r.task, r.metric, r.greater_is_better, r.table.drop(columns=drop)) for r in rankings]


def footnotes(table: pd.DataFrame) -> list[str]:
    """One line per diagnostic check flagged in `table`: what it means and its usual fix; and one
    line when some row's timings were taken under contention."""
    timed = [f"! {CONTENDED_NOTE}"] if "contended" in table and table["contended"].notna().any() else []
    if "checks" not in table:
        return timed
    flagged = {c for cell in table["checks"].dropna() for c in str(cell).split(", ")}
    return timed + [f"! {c}: {CHECKS[c][0]}; {CHECKS[c][1]}" if c in CHECKS
            else f"! {c}: see the checks in reports/report.md of that experiment"
            for c in [*[c for c in CHECKS if c in flagged], *sorted(flagged - set(CHECKS))]]


def _cell(value: object) -> str:
    if value is None:
        return ""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def render(rankings: list[Ranking], fmt: str) -> str:
    """`text` and `md`: one table per task under a line saying what ranks it, then a footnote per
    flagged check; `csv` and `json`: every row once, with its task and its rank within the task.
    All four carry the same rows and columns."""
    import pandas as pd

    rankings = _shown(rankings)
    if fmt in ("csv", "json"):
        table = pd.concat([r.table for r in rankings], ignore_index=True)
        if fmt == "csv":
            return table.to_csv(index=False)
        return table.to_json(orient="records", indent=2) + "\n"
    parts = []
    for r in rankings:
        shown = r.table.drop(columns=["task"]).astype(object)  # the title names the task
        shown = shown.where(shown.notna(), None)  # blank, never `nan`, in both
        title = f"{r.task}: ranked by {r.metric} ({'higher' if r.greater_is_better else 'lower'} is better)"
        notes = footnotes(r.table)
        if fmt == "md":
            table = shown.to_markdown(index=False, floatfmt=".4g", missingval="")
            parts.append(f"### {title}\n\n{table}\n" + "".join(f"\n{line}  " for line in notes) + ("\n" if notes else ""))
        else:
            table = shown.map(_cell).to_string(index=False)
            parts.append(f"{title}\n{table}\n" + "".join(f"{line}\n" for line in notes))
    return "\n".join(parts)

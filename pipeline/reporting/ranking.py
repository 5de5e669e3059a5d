"""The leaderboard of one experiment: architectures ranked by the task's primary metric, and the baseline row."""
from __future__ import annotations

import numpy as np
import pandas as pd

from seqpipe import tasks
from seqpipe.training import ensemble


def leaderboard(metrics: dict[str, dict], timings: dict[str, dict], task_name: str) -> pd.DataFrame:
    """One row per architecture, ranked by the task's primary metric (ties by its tie-breaking
    metric, then by fewer parameters).

    With repeats, scores are means over seeds and each `<metric>_std` (the std over seeds) follows
    its metric; an ensemble's (`train.ensemble`, column `ensemble`: its seeds) are the scores of
    the seeds' mean output, still followed by the single seeds' std.
    """
    task = tasks.get(task_name)
    rows = []
    for arch, scores in metrics.items():
        timing = timings.get(arch, {})
        means = [k for k in scores if k not in ("params", "repeats", ensemble.KEY) and not k.endswith("_std")]
        means.sort(key=lambda k: k != task.primary_metric)  # the primary metric first, the others in file order
        shown = {}
        for k in means:
            shown[k] = scores[k]
            if f"{k}_std" in scores:
                shown[f"{k}_std"] = scores[f"{k}_std"]
        rows.append(
            {
                "architecture": arch,
                **shown,
                "params": scores.get("params"),
                "train_s": timing.get("train_seconds"),
                "cpu_s": timing.get("cpu_seconds"),
                "s_per_epoch": timing.get("seconds_per_epoch"),
                "epochs": timing.get("epochs_run"),
                "latency_ms": timing.get("inference_ms_per_sample"),
                "repeats": scores.get("repeats", 1),
                # train.ensemble: the scores are those of this many seeds' mean output (a column only where one is)
                **({ensemble.KEY: scores[ensemble.KEY]} if ensemble.KEY in scores else {}),
                # timed while the machine's load exceeded its cores (seqpipe.training.fit.Load)
                "contended": bool(timing.get("contended", False)),
            }
        )
    table = pd.DataFrame(rows)
    order = [task.primary_metric, *([task.tie_breaker] if task.tie_breaker in table else []), "params"]
    ascending = [not tasks.greater_is_better(m) for m in order[:-1]] + [True]
    table = table.sort_values(order, ascending=ascending, kind="stable").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def with_baseline_row(table: pd.DataFrame, base: tasks.Baseline,
                      classical: list[tuple[str, dict[str, float], float | None]] | None = None) -> pd.DataFrame:
    """The leaderboard plus unranked rows: each classical baseline's (label, scores, seconds to
    fit), then the no-skill baseline's scores. They are not architectures and get no rank."""
    rows: list[dict[str, object]] = []
    for label, scores, seconds in classical or []:
        row: dict[str, object] = {"rank": "-", "architecture": f"classical: {label}"}
        row.update({k: v for k, v in scores.items() if k in table.columns and k not in row})
        rows.append({**row, "train_s": seconds})
    row = {"rank": "-", "architecture": f"baseline: {base.name}"}
    row.update({k: v for k, v in base.scores.items() if k in table.columns and k not in row})
    rows.append(row)
    # one frame from all the records, not a concat: pandas deprecates concatenating the all-NA columns
    # these rows have (FutureWarning), and the dtypes come out the same
    columns = dict.fromkeys([*table.columns, *(k for r in rows for k in r)])
    return pd.DataFrame.from_records(table.astype({"rank": object}).to_dict("records") + rows, columns=list(columns))

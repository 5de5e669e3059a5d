"""The leaderboard of one experiment: architectures ranked by the task's primary metric, and baselines."""
from __future__ import annotations

import numpy as np
import pandas as pd

from seqpipe import tasks


def leaderboard(metrics: dict[str, dict], timings: dict[str, dict], task_name: str) -> pd.DataFrame:
    """One row per architecture, ranked by the task's primary metric (ties by fewer parameters).

    With repeats, scores are means over seeds and `<primary>_std` follows the primary metric.
    """
    task = tasks.get(task_name)
    primary_std = f"{task.primary_metric}_std"
    rows = []
    for arch, scores in metrics.items():
        timing = timings.get(arch, {})
        shown = {k: v for k, v in scores.items() if k not in ("params", "repeats") and not k.endswith("_std")}
        if primary_std in scores:
            shown = {task.primary_metric: shown.pop(task.primary_metric), primary_std: scores[primary_std], **shown}
        rows.append(
            {
                "architecture": arch,
                **shown,
                "params": scores.get("params"),
                "train_s": timing.get("train_seconds"),
                "s_per_epoch": timing.get("seconds_per_epoch"),
                "epochs": timing.get("epochs_run"),
                "latency_ms": timing.get("inference_ms_per_sample"),
                "repeats": scores.get("repeats", 1),
            }
        )
    table = pd.DataFrame(rows)
    table = table.sort_values(
        [task.primary_metric, "params"], ascending=[not task.greater_is_better, True], kind="stable"
    ).reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def baseline(task_name: str, y_train: np.ndarray, y_test: np.ndarray) -> dict[str, float]:
    """The score of a model that ignores the sequence: the train mean, or the majority class."""
    if task_name == "regression":
        out = np.full((len(y_test), 1), float(np.mean(y_train)))
        name = "mean of train targets"
    else:
        classes = int(max(y_train.max(), y_test.max())) + 1
        freq = np.bincount(y_train.astype(int), minlength=classes) / len(y_train)
        out = np.tile(freq, (len(y_test), 1))
        if task_name == "binary":
            out = out[:, 1:2]
        name = "class frequencies of train"
    scores = tasks.get(task_name).score(y_test, out)
    return {"baseline": name, **{k: round(v, 6) for k, v in scores.items()}}


def forecast_baseline(spec: dict, x_test: np.ndarray, y_test: np.ndarray) -> dict[str, float]:
    """The seasonal naive forecast on the test windows (season 1: repeat the last value), scored
    like the models; MASE is 1 for it on the training range by construction."""
    from seqpipe.data.forecast import forecast_history, seasonal_naive

    f = spec["forecast"]
    naive = seasonal_naive(forecast_history(spec, x_test), f["horizon"], f["season"])
    scores = tasks.forecast_scores(y_test, naive, f["mase_scale"])
    name = f"seasonal naive (season {f['season']})" if f["season"] > 1 else "naive (last value)"
    return {"baseline": name, **{k: round(v, 6) for k, v in scores.items()}}


def with_baseline_row(table: pd.DataFrame, base: dict) -> pd.DataFrame:
    """The leaderboard plus one unranked row for the baseline's scores."""
    row = {"rank": "-", "architecture": f"baseline: {base['baseline']}"}
    row.update({k: v for k, v in base.items() if k in table.columns and k not in row})
    return pd.concat([table.astype({"rank": object}), pd.DataFrame([row])], ignore_index=True)

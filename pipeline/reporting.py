"""Leaderboard and figures from the evaluate stage's outputs: pandas for tables, matplotlib for PNGs."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import tasks


def leaderboard(metrics: dict[str, dict], timings: dict[str, dict], task_name: str) -> pd.DataFrame:
    """One row per architecture, ranked by the task's primary metric (ties by fewer parameters)."""
    task = tasks.get(task_name)
    rows = []
    for arch, scores in metrics.items():
        timing = timings.get(arch, {})
        rows.append(
            {
                "architecture": arch,
                **{k: v for k, v in scores.items() if k != "params"},
                "params": scores.get("params"),
                "train_s": timing.get("train_seconds"),
                "s_per_epoch": timing.get("seconds_per_epoch"),
                "epochs": timing.get("epochs_run"),
                "latency_ms": timing.get("inference_ms_per_sample"),
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
    from pipeline.data import forecast_history, seasonal_naive

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


def read_curves(live_dir: Path, arch: str) -> pd.DataFrame:
    """Per-epoch train/validation loss that dvclive logged for one architecture."""
    frames = {}
    for split, label in (("train", "train_loss"), ("eval", "val_loss")):
        tsv = live_dir / arch / "plots" / "metrics" / split / "loss.tsv"
        if tsv.is_file():
            frame = pd.read_csv(tsv, sep="\t")
            frames[label] = frame.set_index("step")["loss"]
    curves = pd.DataFrame(frames)
    curves.index = curves.index + 1  # epochs count from 1 in the report
    return curves


def plot_learning_curves(curves: dict[str, pd.DataFrame], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, column, title in zip(axes, ("train_loss", "val_loss"), ("training loss", "validation loss")):
        for arch, frame in curves.items():
            if column in frame:
                ax.plot(frame.index, frame[column], marker="o", markersize=3, label=arch)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("loss (log scale)")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_score_vs_cost(table: pd.DataFrame, metric: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, column, label in zip(axes, ("params", "train_s"), ("parameters", "training time (s)")):
        ax.scatter(table[column], table[metric])
        for _, row in table.iterrows():
            ax.annotate(row["architecture"], (row[column], row[metric]), textcoords="offset points", xytext=(4, 4))
        ax.set_xscale("log")
        ax.set_xlabel(f"{label} (log scale)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"test {metric}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(
    table: pd.DataFrame,
    base: dict,
    spec: dict,
    params: dict,
    figures: list[str],
) -> str:
    task = tasks.get(spec["task"])
    direction = "higher" if task.greater_is_better else "lower"
    best = table.iloc[0]
    lines = [
        "# seqpipe report",
        "",
        f"Task **{spec['task']}** on `{params['data']['source']}`: "
        f"{spec['sizes']['train']} train / {spec['sizes']['val']} validation / {spec['sizes']['test']} test "
        f"sequences of {spec['timesteps']} steps. Ranked by test **{task.primary_metric}** ({direction} is better).",
        "",
        f"Best: **{best['architecture']}** with {task.primary_metric} = {best[task.primary_metric]:.4g}; "
        f"a model that ignores the sequence ({base['baseline']}) scores {base[task.primary_metric]:.4g}.",
        "",
        "## Leaderboard",
        "",
        table.to_markdown(index=False, floatfmt=".4g"),
        "",
        "`train_s` sums the epoch times inside `fit`; `latency_ms` is batched inference time per test sequence.",
        "",
    ]
    for fig in figures:
        lines += [f"![{fig}]({fig})", ""]
    lines += [
        "## Data",
        "",
        f"- padding: maxlen {spec['padding']['maxlen']}, {spec['padding']['padding']}-padding, "
        f"{spec['padding']['truncating']}-truncation; truncated sequences per split: {spec['truncated']}",
        coverage_line(spec),
    ]
    if spec.get("class_balance"):
        lines.append(f"- class balance (train/val/test): {spec['class_balance']}")
    lines += ["", "## Params", "", "```json", json.dumps(params, indent=2), "```", ""]
    return "\n".join(lines)


def coverage_line(spec: dict) -> str:
    """How many sequences fit in maxlen without truncation, and where maxlen came from."""
    sizes, cut = spec["sizes"], spec["truncated"]
    total, n_cut = sum(sizes.values()), sum(cut.values())
    coverage = spec.get("coverage", 1.0 - n_cut / total if total else 1.0)
    source = spec["padding"].get("maxlen_from", "")
    return (
        f"- coverage: {total - n_cut} of {total} sequences ({coverage:.1%}) fit in {spec['padding']['maxlen']} "
        f"steps without truncation" + (f" (maxlen from {source})" if source else "")
    )

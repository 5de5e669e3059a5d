"""The report's figures (matplotlib, PNG): learning curves, score against cost, and per-task figures."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from seqpipe import tasks
from seqpipe.data.spec import PreparedSpec
from seqpipe.reporting.document import CONTENDED_MARK, contended_rows
from seqpipe.reporting.probability import calibration_figure, roc_pr_figure


def _scale(ax, which: str, values) -> bool:
    """Log scale only when the values span more than a decade; plain-number ticks either way."""
    v = np.asarray([x for x in np.ravel(values) if x is not None and np.isfinite(x) and x > 0], float)
    use_log = len(v) > 0 and v.max() / v.min() > 10
    if use_log:
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
        _plain_log_ticks(ax.xaxis if which == "x" else ax.yaxis)
    return use_log


def _plain_log_ticks(axis) -> None:
    """Log-scale ticks as plain numbers (0.2, 0.5, 1) instead of 2x10^-1."""
    from matplotlib.ticker import FuncFormatter

    def minor(value, _):
        return f"{value:g}" if f"{value:.0e}"[0] in "25" else ""

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(FuncFormatter(minor))


def plot_learning_curves(curves: dict[str, pd.DataFrame], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    losses = [f[c].to_numpy() for f in curves.values() for c in ("train_loss", "val_loss") if c in f]
    log_y = _scale(axes[0], "y", np.concatenate(losses) if losses else [])
    for ax, column, title in zip(axes, ("train_loss", "val_loss"), ("training loss", "validation loss")):
        for arch, frame in curves.items():
            if column in frame:
                ax.plot(frame.index, frame[column], marker="o", markersize=3, label=arch)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        epochs = max((len(f) for f in curves.values()), default=1)
        if epochs <= 12:
            ax.set_xticks(range(1, epochs + 1))
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("loss (log scale)" if log_y else "loss")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_score_vs_cost(table: pd.DataFrame, metric: str, path: Path, greater_is_better: bool | None = None) -> None:
    """Primary metric against parameters and training time; error bars are the std over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    std = table.get(f"{metric}_std")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    contended = contended_rows(table) if "contended" in table else pd.Series(False, table.index)
    for ax, column, label in zip(axes, ("params", "train_s"), ("parameters", "training time (s)")):
        ax.errorbar(table[column], table[metric], yerr=std, fmt="o", capsize=3)
        timed = column == "train_s"
        if timed and contended.any():  # hollow red rings: these times were taken on a busy machine
            ax.scatter(table.loc[contended, column], table.loc[contended, metric], s=160, facecolors="none",
                       edgecolors="tab:red", linewidths=1.5, zorder=3, label=f"{CONTENDED_MARK} timed under load")
            ax.legend(loc="best", fontsize=8)
        for i, row in table.iterrows():
            name = f"{row['architecture']} {CONTENDED_MARK}" if timed and contended[i] else row["architecture"]
            ax.annotate(name, (row[column], row[metric]), textcoords="offset points", xytext=(5, 5))
        log_x = _scale(ax, "x", table[column].to_numpy(dtype=float))
        ax.margins(x=0.15, y=0.12)
        ax.set_xlabel(f"{label} (log scale)" if log_x else label)
        ax.grid(alpha=0.3)
    better = "" if greater_is_better is None else (" (higher is better)" if greater_is_better else " (lower is better)")
    # Scores spanning more than a decade (a baseline-level architecture next to good ones) would
    # squash the good ones into one point on a linear axis.
    log_y = _scale(axes[0], "y", table[metric].to_numpy(dtype=float))
    axes[0].set_ylabel(f"test {metric}{better}" + (" (log scale)" if log_y else ""))
    notes = ["error bars: standard deviation over seeds"] if std is not None else []
    if contended.any():
        notes.append(f"{CONTENDED_MARK}: trained while the machine's load exceeded its cores; its time is not its own")
    if notes:
        fig.suptitle("\n".join(notes), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confusion_matrices(predictions: dict[str, pd.DataFrame], spec: PreparedSpec, path: Path) -> None:
    """One row-normalised confusion matrix per architecture on the test split."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    names = [spec.label(c) for c in range(spec.n_classes or len(spec.class_names or []))]
    labels = list(range(len(names)))
    n = len(predictions)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.9 * rows), squeeze=False)
    for ax, (arch, frame) in zip(axes.flat, predictions.items()):
        counts = confusion_matrix(frame["y_true"].astype(int), frame["y_pred"].astype(int), labels=labels)
        share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
        for i in labels:
            for j in labels:
                ax.text(j, i, f"{counts[i, j]}", ha="center", va="center",
                        color="white" if share[i, j] > 0.6 else "black", fontsize=9)
        ax.set_xticks(labels, names, rotation=45 if max(len(x) for x in names) > 3 else 0)
        ax.set_yticks(labels, names)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(arch)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle("Confusion matrices on the test split (counts; colour = share of the true class)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _confusion_figure(predictions: dict[str, pd.DataFrame], spec: PreparedSpec, out_dir: Path) -> list[tuple[str, str]]:
    plot_confusion_matrices(predictions, spec, out_dir / "confusion_matrices.png")
    return [("Confusion matrices on the test split, best architecture first", "confusion_matrices.png")]


def plot_predicted_vs_true(predictions: dict[str, pd.DataFrame], path: Path, max_points: int = 2000) -> None:
    """Regression: one panel per architecture (best first) of predicted against true, and the
    residuals (predicted - true) against true, so a biased or a flat predictor shows at once."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(predictions)
    fig, axes = plt.subplots(2, n, figsize=(3.6 * n, 6.4), squeeze=False, sharex="col")
    for col, (arch, frame) in enumerate(predictions.items()):
        shown = frame.head(max_points)
        true, pred = shown["y_true"].to_numpy(float), shown["y_pred"].to_numpy(float)
        lo, hi = float(min(true.min(), pred.min())), float(max(true.max(), pred.max()))
        top, bottom = axes[0][col], axes[1][col]
        top.scatter(true, pred, s=5, alpha=0.4)
        top.plot([lo, hi], [lo, hi], color="grey", linestyle="--", linewidth=1)
        top.set_title(arch)
        top.set_ylabel("predicted" if col == 0 else "")
        bottom.scatter(true, pred - true, s=5, alpha=0.4)
        bottom.axhline(0.0, color="grey", linestyle="--", linewidth=1)
        bottom.set_xlabel("true")
        bottom.set_ylabel("residual (predicted - true)" if col == 0 else "")
        for ax in (top, bottom):
            ax.grid(alpha=0.3)
    part = f" (first {max_points} test sequences)" if any(len(f) > max_points for f in predictions.values()) else ""
    fig.suptitle(f"Predicted against true, and residuals, on the test split{part}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _predicted_vs_true_figure(predictions: dict[str, pd.DataFrame], spec: PreparedSpec,
                              out_dir: Path) -> list[tuple[str, str]]:
    plot_predicted_vs_true(predictions, out_dir / "predicted_vs_true.png")
    return [("Predicted against true and residuals on the test split, best architecture first", "predicted_vs_true.png")]


def plot_forecasts(predictions: dict[str, pd.DataFrame], path: Path, max_windows: int = 300) -> None:
    """Forecast against truth over the test windows (first horizon step, in time order), and
    predicted against true for every horizon step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (line_ax, scatter_ax) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [2, 1]})
    first = next(iter(predictions.values()))
    truth_column = "y_true_h1" if "y_true_h1" in first else "y_true"
    shown = first.head(max_windows)
    line_ax.plot(shown.index, shown[truth_column], color="black", linewidth=2.2, label="truth")
    lows, highs = [], []
    for i, (arch, frame) in enumerate(predictions.items()):
        pred_columns = [c for c in frame if c.startswith("y_pred")]
        true_columns = [c for c in frame if c.startswith("y_true")]
        line, = line_ax.plot(frame.head(max_windows).index, frame.head(max_windows)[pred_columns[0]],
                             linewidth=1.1, alpha=0.85, label=arch)
        band = interval_columns(frame, "1")
        if i == 0 and band:  # the best architecture's interval of the first step
            part = frame.head(max_windows)
            line_ax.fill_between(part.index, part[band[0]].to_numpy(float), part[band[1]].to_numpy(float),
                                 color=line.get_color(), alpha=0.2, linewidth=0, label=f"{arch} {band[2]} interval")
        y_true = frame[true_columns].to_numpy(float).ravel()
        y_pred = frame[pred_columns].to_numpy(float).ravel()
        scatter_ax.scatter(y_true, y_pred, s=6, alpha=0.4, label=arch)
        lows += [y_true.min(), y_pred.min()]
        highs += [y_true.max(), y_pred.max()]
    part = f" (first {max_windows} of {len(first)})" if len(first) > max_windows else ""
    line_ax.set_title(f"next-step forecast on the test windows{part}")
    line_ax.set_xlabel("test window (time order)")
    line_ax.set_ylabel("value")
    line_ax.legend(fontsize=8, ncol=2)
    line_ax.grid(alpha=0.3)
    lo, hi = min(lows), max(highs)
    scatter_ax.plot([lo, hi], [lo, hi], color="grey", linestyle="--", linewidth=1)
    scatter_ax.set_title("predicted against true, every horizon step")
    scatter_ax.set_xlabel("true")
    scatter_ax.set_ylabel("predicted")
    scatter_ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# Up to this many test windows (the cutoff protocol: one per series, or a few blocks), each gets its
# own panel over its whole horizon; more under the cutoff protocol: the first this many, each on its
# own panel; more sliding windows are drawn as one line of first steps.
MAX_WINDOW_PANELS = 12


def interval_columns(frame: pd.DataFrame, step: str) -> tuple[str, str, str] | None:
    """(low, high, label) columns of a quantile forecast's outer levels at horizon step `step`
    (`q0.1_h3`, `q0.9_h3`, "0.1-0.9"); None for point forecasts."""
    levels = sorted(float(c[1:].rsplit("_h", 1)[0]) for c in frame if c.startswith("q") and c.endswith(f"_h{step}"))
    if len(levels) < 2:
        return None
    lo, hi = levels[0], levels[-1]
    return f"q{lo:g}_h{step}", f"q{hi:g}_h{step}", f"{lo:g}-{hi:g}"


def plot_forecast_windows(predictions: dict[str, pd.DataFrame], path: Path, titles: list[str] | None = None) -> None:
    """One panel per test window (at most MAX_WINDOW_PANELS): the truth and every architecture's
    forecast over the whole horizon; a quantile forecast also shades its outer interval (the best
    architecture's, the first in `predictions`, so the panel stays readable)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    first = next(iter(predictions.values()))
    horizon = sum(c.startswith("y_true") for c in first)
    n = min(len(first), MAX_WINDOW_PANELS)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.2 * rows), squeeze=False)
    steps = range(1, horizon + 1)
    truth_columns = [f"y_true_h{h}" for h in steps] if horizon > 1 else ["y_true"]
    suffixes = [c.rpartition("_h")[2] if "_h" in c else "1" for c in truth_columns]
    for window, ax in enumerate(axes.ravel()):
        if window >= n:
            ax.axis("off")
            continue
        ax.plot(steps, first[truth_columns].iloc[window].to_numpy(float), color="black", linewidth=2.2, label="truth")
        for i, (arch, frame) in enumerate(predictions.items()):
            columns = [c.replace("y_true", "y_pred") for c in truth_columns]
            line, = ax.plot(steps, frame[columns].iloc[window].to_numpy(float), linewidth=1.2, alpha=0.9, label=arch)
            bands = [interval_columns(frame, s) for s in suffixes]
            if i == 0 and all(bands):
                low = [frame[b[0]].iloc[window] for b in bands if b]
                high = [frame[b[1]].iloc[window] for b in bands if b]
                ax.fill_between(steps, np.asarray(low, float), np.asarray(high, float), color=line.get_color(),
                                alpha=0.2, linewidth=0, label=f"{arch} {bands[0][2] if bands[0] else ''} interval")
        ax.set_title(titles[window] if titles else f"test window {window + 1} of {len(first)}", fontsize=9)
        ax.set_xlabel("steps after the forecast origin")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole steps: no tick at 1.5
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("value")
    axes[0][0].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _forecast_figure(predictions: dict[str, pd.DataFrame], spec: PreparedSpec, out_dir: Path) -> list[tuple[str, str]]:
    windows = len(next(iter(predictions.values())))
    cutoff = spec.forecast is not None and spec.forecast.protocol == "cutoff"
    if windows <= MAX_WINDOW_PANELS or cutoff:
        per_series = cutoff and spec.forecast is not None and windows == spec.forecast.series
        titles = [f"series {i + 1} of {windows}" for i in range(windows)] if per_series else None
        plot_forecast_windows(predictions, out_dir / "forecasts.png", titles)
        what = "one panel per series (its test range from the cutoff)" if per_series else (
            "one panel per test window (each series' test range under the cutoff protocol)")
        part = f", the first {MAX_WINDOW_PANELS} of {windows}" if windows > MAX_WINDOW_PANELS else ""
        band = " and the best architecture's central interval shaded (train.quantiles)" if any(
            c.startswith("q") for c in next(iter(predictions.values()))) else ""
        return [(f"Forecasts against truth over the whole horizon, {what}{part}{band}, best architecture first",
                 "forecasts.png")]
    plot_forecasts(predictions, out_dir / "forecasts.png")
    return [("Forecasts against truth on the test windows, best architecture first", "forecasts.png")]


# The figures a task names in its `figures` (seqpipe.tasks): (predictions per architecture, spec,
# report dir) -> [(caption, png file name)].
FIGURES: dict[str, Callable[[dict[str, pd.DataFrame], PreparedSpec, Path], list[tuple[str, str]]]] = {
    "confusion": _confusion_figure,
    "forecasts": _forecast_figure,
    "predicted_vs_true": _predicted_vs_true_figure,
    "roc_pr": roc_pr_figure,
    "calibration": calibration_figure,
}


def task_figures(task: tasks.Task, predictions: dict[str, pd.DataFrame], spec: PreparedSpec,
                 out_dir: Path) -> list[tuple[str, str]]:
    """Draw the task's own figures; returns (caption, file name) per figure."""
    if not predictions:
        return []
    return [shown for name in task.figures for shown in FIGURES[name](predictions, spec, out_dir)]

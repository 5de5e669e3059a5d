"""Leaderboard and figures from the evaluate stage's outputs: pandas for tables, matplotlib for PNGs."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline import tasks
from pipeline.environment import differences


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

    std = table[f"{metric}_std"] if f"{metric}_std" in table else None
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, column, label in zip(axes, ("params", "train_s"), ("parameters", "training time (s)")):
        ax.errorbar(table[column], table[metric], yerr=std, fmt="o", capsize=3)
        for _, row in table.iterrows():
            ax.annotate(row["architecture"], (row[column], row[metric]), textcoords="offset points", xytext=(5, 5))
        log_x = _scale(ax, "x", table[column].to_numpy(dtype=float))
        ax.margins(x=0.15, y=0.12)
        ax.set_xlabel(f"{label} (log scale)" if log_x else label)
        ax.grid(alpha=0.3)
    better = "" if greater_is_better is None else (" (higher is better)" if greater_is_better else " (lower is better)")
    # Scores spanning more than a decade (a baseline-level architecture next to good ones) would
    # squash the good ones into one point on a linear axis.
    log_y = _scale(axes[0], "y", table[metric].to_numpy(dtype=float))
    axes[0].set_ylabel(f"test {metric}{better}" + (" (log scale)" if log_y else ""))
    if std is not None:
        fig.suptitle("error bars: standard deviation over seeds", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- learning curves for `dvc plots` -------------------------------------------------------------


def curves_wide(curves: dict[str, pd.DataFrame], column: str) -> pd.DataFrame:
    """One row per epoch, one column per architecture: what dvc.yaml's top-level plots overlay."""
    wide = pd.DataFrame({arch: frame[column] for arch, frame in curves.items() if column in frame})
    wide = wide.reindex(columns=[a for a in curves if a in wide.columns])
    wide.index.name = "epoch"
    return wide.sort_index()


# --- statistics ----------------------------------------------------------------------------------

# Per-sample versions of the primary metrics whose value is a mean over test samples; they let a
# paired bootstrap compare two architectures on the same test sequences.
PER_SAMPLE = {
    "mse": lambda y, p: (y - p) ** 2,
    "mae": lambda y, p: np.abs(y - p),
    "accuracy": lambda y, p: (y == p).astype(float),
}


def paired_t_test(best: np.ndarray, other: np.ndarray) -> float:
    """Two-sided p-value of a paired t-test across seeds (nan when undefined)."""
    from scipy import stats

    diff = np.asarray(other, float) - np.asarray(best, float)
    if len(diff) < 2 or np.allclose(diff, diff[0]):
        return float("nan") if len(diff) < 2 or diff[0] == 0 else 0.0
    return float(stats.ttest_rel(other, best).pvalue)


def bootstrap_diff_ci(per_sample_best: np.ndarray, per_sample_other: np.ndarray,
                      n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Paired bootstrap over test samples of mean(other) - mean(best): (low, high) interval."""
    rng = np.random.default_rng(seed)
    diff = np.asarray(per_sample_other, float) - np.asarray(per_sample_best, float)
    idx = rng.integers(0, len(diff), size=(n_boot, len(diff)))
    means = diff[idx].mean(axis=1)
    alpha = (1.0 - level) / 2.0
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1.0 - alpha))


def significance(
    table: pd.DataFrame,
    task_name: str,
    scores: dict[str, pd.DataFrame],
    predictions: dict[str, pd.DataFrame],
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Is each architecture's gap to the best real?

    With two or more seeds per architecture (same seeds for all): a paired t-test on the primary
    metric across seeds. With one seed: a 95% paired bootstrap interval of the gap over the test
    sequences (primary metrics that are means over samples: mse, mae, accuracy).
    """
    task = tasks.get(task_name)
    metric = task.primary_metric
    best = table.iloc[0]["architecture"]
    rows = []
    seeds_best = scores.get(best)
    for arch in table["architecture"].iloc[1:]:
        gap = float(table.loc[table["architecture"] == arch, metric].iloc[0] - table.iloc[0][metric])
        row = {"architecture": arch, "gap_to_best": round(gap, 6)}
        other = scores.get(arch)
        if (seeds_best is not None and other is not None and len(seeds_best) > 1
                and list(seeds_best["seed"]) == list(other["seed"])):
            p = paired_t_test(seeds_best[metric].to_numpy(), other[metric].to_numpy())
            row.update(test=f"paired t-test over {len(other)} seeds", p_value=round(p, 4),
                       significant="yes" if p < alpha else "no")
        elif metric in PER_SAMPLE and best in predictions and arch in predictions:
            b, o = predictions[best], predictions[arch]
            loss_b = PER_SAMPLE[metric](b["y_true"].to_numpy(), b["y_pred"].to_numpy())
            loss_o = PER_SAMPLE[metric](o["y_true"].to_numpy(), o["y_pred"].to_numpy())
            low, high = bootstrap_diff_ci(loss_b, loss_o)
            row.update(test="paired bootstrap over test sequences", ci95=f"[{low:.4g}, {high:.4g}]",
                       significant="yes" if (low > 0 or high < 0) else "no")
        else:
            row.update(test="none available", significant="unknown")
        rows.append(row)
    return pd.DataFrame(rows)


# --- per-task figures ----------------------------------------------------------------------------


def plot_confusion_matrices(predictions: dict[str, pd.DataFrame], spec: dict, path: Path) -> None:
    """One row-normalised confusion matrix per architecture on the test split."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    names = spec.get("class_names") or [str(c) for c in range(spec["n_classes"])]
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


def _classification_figures(predictions: dict[str, pd.DataFrame], spec: dict, out_dir: Path) -> list[tuple[str, str]]:
    plot_confusion_matrices(predictions, spec, out_dir / "confusion_matrices.png")
    return [("Confusion matrices on the test split, best architecture first", "confusion_matrices.png")]


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
    for arch, frame in predictions.items():
        pred_columns = [c for c in frame if c.startswith("y_pred")]
        true_columns = [c for c in frame if c.startswith("y_true")]
        line_ax.plot(frame.head(max_windows).index, frame.head(max_windows)[pred_columns[0]],
                     linewidth=1.1, alpha=0.85, label=arch)
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


def _forecast_figures(predictions: dict[str, pd.DataFrame], spec: dict, out_dir: Path) -> list[tuple[str, str]]:
    plot_forecasts(predictions, out_dir / "forecasts.png")
    return [("Forecasts against truth on the test windows, best architecture first", "forecasts.png")]


# task name -> (predictions per architecture, spec, report dir) -> [(caption, png file name)].
# A task adds its own figures here.
TASK_FIGURES: dict[str, Callable[[dict[str, pd.DataFrame], dict, Path], list[tuple[str, str]]]] = {
    "binary": _classification_figures,
    "multiclass": _classification_figures,
    "forecast": _forecast_figures,
}


def task_figures(task_name: str, predictions: dict[str, pd.DataFrame], spec: dict, out_dir: Path) -> list[tuple[str, str]]:
    figure = TASK_FIGURES.get(task_name)
    return figure(predictions, spec, out_dir) if figure and predictions else []


# --- data summary --------------------------------------------------------------------------------


def data_summary(spec: dict, x_train: np.ndarray) -> pd.DataFrame:
    """Sizes, padding coverage and class balance per split, as one small table."""
    pad = spec["padding"]
    if spec["input_kind"] == "tokens":
        padded = x_train == 0
    else:
        padded = np.all(x_train == 0.0, axis=-1)
    rows = [
        ("task", spec["task"]),
        ("input", f"{spec['input_kind']}, {spec['timesteps']} steps"
                  + (f", {spec['features']} features" if spec["input_kind"] != "tokens" else f", vocabulary {spec['vocab_size']}")),
        ("sequences train / val / test", " / ".join(str(spec["sizes"][s]) for s in ("train", "val", "test"))),
        ("padding", f"maxlen {pad['maxlen']}, {pad['padding']}-padding, {pad['truncating']}-truncation"),
        ("padded steps in train", f"{padded.mean():.1%}" if pad.get("padded") else "0% (all sequences have maxlen steps)"),
        ("truncated sequences train / val / test", " / ".join(str(spec["truncated"].get(s, 0)) for s in ("train", "val", "test"))),
        ("scaling", "standardised with train statistics" if spec.get("scaler") else "none"),
        ("coverage", coverage_line(spec).removeprefix("- coverage: ")),
    ]
    balance = spec.get("class_balance")
    if balance:
        names = spec.get("class_names") or [str(i) for i in range(len(balance["train"]))]
        for split in ("train", "val", "test"):
            counts = balance[split]
            total = max(sum(counts), 1)
            rows.append((f"class balance {split}", ", ".join(f"{n}: {c} ({c / total:.0%})" for n, c in zip(names, counts))))
    return pd.DataFrame(rows, columns=["item", "value"])


# --- the document --------------------------------------------------------------------------------
# A report is a list of blocks rendered twice: Markdown (report.md, PNGs next to it) and a
# self-contained HTML page (report.html, PNGs embedded as data URIs).


@dataclass
class Block:
    kind: str  # "h1", "h2", "p", "warn", "table", "img", "pre", "ul"
    content: Any
    caption: str = ""


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return ""
        return f"{value:.4g}"
    return str(value)


def display_table(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The leaderboard as strings: `mean ± std` when there are repeats."""
    shown = table.copy()
    std = f"{metric}_std"
    if std in shown:
        shown[metric] = [f"{m:.4g} ± {s:.2g}" for m, s in zip(table[metric], table[std])]
        shown = shown.drop(columns=[std])
        shown = shown.rename(columns={metric: f"{metric} (mean ± std)"})
    if "repeats" in shown and (shown["repeats"] == 1).all():
        shown = shown.drop(columns=["repeats"])
    return shown.map(_fmt)


def render_markdown(blocks: list[Block]) -> str:
    lines: list[str] = []
    for b in blocks:
        if b.kind == "h1":
            lines += [f"# {b.content}", ""]
        elif b.kind == "h2":
            lines += [f"## {b.content}", ""]
        elif b.kind == "p":
            lines += [b.content, ""]
        elif b.kind == "warn":
            lines += [f"> **Warning:** {b.content}", ""]
        elif b.kind == "table":
            lines += [b.content.to_markdown(index=False), ""]
        elif b.kind == "img":
            lines += [f"![{b.caption}]({b.content})", ""]
        elif b.kind == "pre":
            lines += ["```", b.content.rstrip(), "```", ""]
        elif b.kind == "ul":
            lines += [f"- {item}" for item in b.content] + [""]
    return "\n".join(lines)


_CSS = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #ddd; padding-bottom: .3em; }
h2 { margin-top: 1.8em; border-bottom: 1px solid #eee; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .92em; }
th, td { border: 1px solid #ddd; padding: .3em .6em; text-align: left; }
th { background: #f4f6f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafafa; }
img { max-width: 100%; border: 1px solid #eee; }
figure { margin: 1em 0; }
figcaption { color: #555; font-size: .9em; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; font-size: .85em; }
.warn { background: #fff4e5; border-left: 4px solid #f0a020; padding: .5em .8em; }
code { background: #f3f3f3; padding: 0 .2em; }
"""


def _inline(text: str) -> str:
    """Escape, then the little Markdown the report uses inline: **bold** and `code`."""
    import html
    import re

    out = html.escape(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


def _is_number(text: str) -> bool:
    try:
        float(str(text).split(" ± ")[0])
        return True
    except ValueError:
        return False


def _html_table(frame: pd.DataFrame) -> str:
    """A table whose numeric cells are right-aligned and text cells left-aligned."""
    import html

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = "".join(
            f"<td class='{'num' if _is_number(v) else 'txt'}'>{html.escape(str(v))}</td>" for v in row
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(blocks: list[Block], figures_dir: Path, title: str = "seqpipe report") -> str:
    import base64
    import html

    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{_CSS}</style></head><body>"]
    for b in blocks:
        if b.kind in ("h1", "h2"):
            parts.append(f"<{b.kind}>{_inline(b.content)}</{b.kind}>")
        elif b.kind == "p":
            parts.append(f"<p>{_inline(b.content)}</p>")
        elif b.kind == "warn":
            parts.append(f"<p class='warn'><strong>Warning:</strong> {_inline(b.content)}</p>")
        elif b.kind == "table":
            parts.append(_html_table(b.content))
        elif b.kind == "img":
            data = base64.b64encode((figures_dir / b.content).read_bytes()).decode("ascii")
            parts.append(f"<figure><img alt='{html.escape(b.caption)}' src='data:image/png;base64,{data}'>"
                         f"<figcaption>{_inline(b.caption)}</figcaption></figure>")
        elif b.kind == "pre":
            parts.append(f"<pre>{html.escape(b.content)}</pre>")
        elif b.kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in b.content) + "</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def report_blocks(
    table: pd.DataFrame,
    base: dict,
    spec: dict,
    params: dict,
    figures: list[tuple[str, str]],
    data_table: pd.DataFrame,
    tests: pd.DataFrame,
    environments: dict[str, dict],
    plugin_sources: dict[str, str],
) -> list[Block]:
    task = tasks.get(spec["task"])
    metric = task.primary_metric
    direction = "higher" if task.greater_is_better else "lower"
    best = table.iloc[0]
    repeats = int(table["repeats"].max()) if "repeats" in table else 1
    seeds = f", mean over {repeats} seeds" if repeats > 1 else ""
    blocks = [
        Block("h1", "seqpipe report"),
        Block("p", f"Task **{spec['task']}** on `{params['data']['source']}`: "
                   f"{spec['sizes']['train']} train / {spec['sizes']['val']} validation / {spec['sizes']['test']} test "
                   f"sequences of {spec['timesteps']} steps. Ranked by test **{metric}** ({direction} is better{seeds})."),
        Block("p", f"Best: **{best['architecture']}** with {metric} = {best[metric]:.4g}; "
                   + (f"the {base['baseline']} baseline scores {base[metric]:.4g}." if spec["task"] == "forecast" else
                      f"a model that ignores the sequence ({base['baseline']}) scores {base[metric]:.4g}.")),
    ]
    for key, values in differences(environments).items():
        shown = ", ".join(f"{a}: {v}" for a, v in values.items())
        blocks.append(Block("warn", f"the architectures were trained in different environments ({key}: {shown}); "
                                    "scores and timings may not be comparable."))
    blocks += [
        Block("h2", "Leaderboard"),
        Block("table", display_table(with_baseline_row(table, base) if spec["task"] == "forecast" else table, metric)),
        Block("p", "`params`: trainable and non-trainable weights; `train_s`: sum of epoch times inside `fit` "
                   "(first seed); `s_per_epoch`: median epoch time; `latency_ms`: batched inference time per "
                   "test sequence."),
    ]
    if not tests.empty:
        blocks += [
            Block("h2", f"Is the gap to {best['architecture']} real?"),
            Block("table", tests.map(_fmt)),
            Block("p", "`gap_to_best`: the architecture's test " + metric + " minus the best one's. "
                       + ("A paired t-test across seeds (same seeds for every architecture), significant at p < 0.05."
                          if repeats > 1 else
                          "One seed per architecture: a 95% paired bootstrap interval of the gap over the test "
                          "sequences; significant when it excludes 0. It covers test-set noise, not training "
                          "noise: set `train.repeats` to 3 or more for a test across seeds.")),
        ]
    blocks.append(Block("h2", "Figures"))
    for caption, name in figures:
        blocks.append(Block("img", name, caption))
    blocks += [Block("h2", "Data"), Block("table", data_table)]
    env_rows = _environment_table(environments, plugin_sources)
    blocks += [Block("h2", "Versions and environment"), Block("table", env_rows)]
    blocks += [Block("h2", "Params"), Block("pre", json.dumps(params, indent=2))]
    return blocks


def _environment_table(environments: dict[str, dict], plugin_sources: dict[str, str]) -> pd.DataFrame:
    """One row per fingerprint key; a single column when every architecture ran in the same environment."""
    keys = [k for k in (next(iter(environments.values()), {}) or {}) if k != "executable"]
    rows = [{"item": f"plugin source: {a}", "value": s} for a, s in plugin_sources.items()]
    same = not differences(environments, tuple(keys))
    for key in keys:
        if same:
            value = str(next(iter(environments.values())).get(key))
            if key.startswith("tf_threads") and value == "0":
                value = "0 (TensorFlow default: all cores)"
        else:
            value = "; ".join(f"{a}: {fp.get(key)}" for a, fp in environments.items())
        rows.append({"item": key, "value": value})
    return pd.DataFrame(rows, columns=["item", "value"])


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

"""The report's figures of predicted class probabilities (labelled tasks): ROC and precision-recall
curves, and the reliability diagram, one line per architecture in each.

They read the `p_*` columns of predictions/<arch>.csv (the first seed's test predictions); the
areas and the ECE in their legends are those of the same predictions, while the leaderboard's
`roc_auc`, `average_precision` and `ece` are the means over seeds.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from seqpipe import probabilities as prob_scores
from seqpipe.data.spec import PreparedSpec

GRID = np.linspace(0.0, 1.0, 201)


def probability_matrix(frame: pd.DataFrame) -> np.ndarray | None:
    """The probability columns of a predictions table: P(1) alone for binary (`p_1`), one column
    per class otherwise (`p_0`, `p_1`, ...); None when the table has none (an older evaluate)."""
    columns = sorted((c for c in frame.columns if c.startswith("p_") and c[2:].isdigit()), key=lambda c: int(c[2:]))
    if not columns:
        return None
    if columns == ["p_1"]:
        return frame["p_1"].to_numpy(float)
    return frame[columns].to_numpy(float)


def _with_probabilities(predictions: dict[str, pd.DataFrame]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for arch, frame in predictions.items():
        matrix = probability_matrix(frame)
        if matrix is not None:
            out[arch] = (frame["y_true"].to_numpy().astype(int), matrix)
    return out


def roc_curve_points(y: np.ndarray, prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate): the positive class's ROC curve for binary; for
    several classes the macro average of the one-vs-rest curves on a common FPR grid."""
    from sklearn.metrics import roc_curve

    pairs = prob_scores.one_vs_rest(y, prob)
    if len(pairs) == 1:
        fpr, tpr, _ = roc_curve(pairs[0][1], pairs[0][2])
        return fpr, tpr
    tprs = []
    for _, member, score in pairs:
        fpr, tpr, _ = roc_curve(member, score)
        tprs.append(np.interp(GRID, fpr, tpr))
    mean = np.mean(tprs, axis=0)
    mean[0] = 0.0
    return GRID, mean


def pr_curve_points(y: np.ndarray, prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(recall, precision): the positive class's curve for binary; for several classes the macro
    average over classes of the interpolated precision (the best precision at that recall or more)."""
    from sklearn.metrics import precision_recall_curve

    pairs = prob_scores.one_vs_rest(y, prob)
    if len(pairs) == 1:
        precision, recall, _ = precision_recall_curve(pairs[0][1], pairs[0][2])
        return recall, precision
    curves = []
    for _, member, score in pairs:
        precision, recall, _ = precision_recall_curve(member, score)  # recall reaches 1 at index 0
        curves.append([precision[recall >= r].max() for r in GRID])
    return GRID, np.mean(curves, axis=0)


def _chance_precision(y: np.ndarray, prob: np.ndarray) -> float:
    """A model without skill: precision = the share of the positive class (mean over classes)."""
    return float(np.mean([member.mean() for _, member, _ in prob_scores.one_vs_rest(y, prob)]))


def plot_roc_pr(predictions: dict[str, pd.DataFrame], path: Path, several: bool) -> bool:
    """ROC curves (left) and precision-recall curves (right), one line per architecture in rank
    order, the area in the legend. False (and no file) when no architecture has a defined curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = {a: v for a, v in _with_probabilities(predictions).items() if prob_scores.one_vs_rest(*v)}
    if not data:
        return False
    fig, (roc_ax, pr_ax) = plt.subplots(1, 2, figsize=(11, 4.6))
    chance = []
    for arch, (y, prob) in data.items():
        fpr, tpr = roc_curve_points(y, prob)
        roc_ax.plot(fpr, tpr, linewidth=1.6, label=f"{arch} (AUC {prob_scores.roc_auc(y, prob):.3f})",
                    drawstyle="steps-post" if not several else "default")
        recall, precision = pr_curve_points(y, prob)
        pr_ax.plot(recall, precision, linewidth=1.6, label=f"{arch} (AP {prob_scores.average_precision(y, prob):.3f})",
                   drawstyle="steps-post" if not several else "default")
        chance.append(_chance_precision(y, prob))
    roc_ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="chance (AUC 0.5)")
    pr_ax.axhline(chance[0], color="grey", linestyle="--", linewidth=1, label=f"chance (precision {chance[0]:.2f})")
    which = "macro average of one-vs-rest curves" if several else "positive class"
    roc_ax.set(title=f"ROC ({which})", xlabel="false positive rate", ylabel="true positive rate")
    pr_ax.set(title=f"Precision-recall ({which})", xlabel="recall", ylabel="precision")
    for ax in (roc_ax, pr_ax):
        ax.set_xlim(-0.01, 1.01)
        ax.set_ylim(-0.01, 1.02)
        ax.set_aspect("equal")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right" if ax is roc_ax else "lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_reliability(predictions: dict[str, pd.DataFrame], path: Path, n_classes: int,
                     n_bins: int = prob_scores.ECE_BINS) -> bool:
    """Reliability diagram: accuracy against mean confidence per confidence bin, one line per
    architecture, ECE in the legend; below, the share of test sequences in each bin."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = _with_probabilities(predictions)
    if not data:
        return False
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 7.2), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    low = 1.0 / max(n_classes, 2)  # the predicted class is at least this likely
    top.plot([low, 1], [low, 1], color="grey", linestyle="--", linewidth=1, label="perfectly calibrated")
    width = (1.0 / n_bins) / (len(data) + 1)
    for i, (arch, (y, prob)) in enumerate(data.items()):
        bins = prob_scores.reliability(y, prob, n_bins)
        used = bins.count > 0
        line = top.plot(bins.confidence[used], bins.accuracy[used], marker="o", markersize=4, linewidth=1.5,
                        label=f"{arch} (ECE {bins.ece:.3f})")[0]
        left = bins.edges[:-1] + (i + 0.5) * width
        bottom.bar(left, bins.count / max(bins.count.sum(), 1), width=width, align="edge",
                   color=line.get_color(), alpha=0.8)
    top.set(ylabel="accuracy in the bin", title=f"Reliability ({n_bins} equal-width confidence bins)",
            ylim=(-0.02, 1.02))
    top.legend(fontsize=8, loc="best")
    bottom.set(xlabel="confidence: predicted probability of the predicted class", ylabel="share of test",
               xlim=(max(low - 0.5 / n_bins, 0.0), 1.0))
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def roc_pr_figure(predictions: dict[str, pd.DataFrame], spec: PreparedSpec, out_dir: Path) -> list[tuple[str, str]]:
    several = spec.task != "binary"
    if not plot_roc_pr(predictions, out_dir / "roc_pr.png", several):
        return []
    which = "macro average over classes, one class against the rest" if several else "the positive class"
    return [(f"ROC and precision-recall curves on the test split ({which}), best architecture first; "
             "legend: area under each curve", "roc_pr.png")]


def calibration_figure(predictions: dict[str, pd.DataFrame], spec: PreparedSpec,
                       out_dir: Path) -> list[tuple[str, str]]:
    n_classes = 2 if spec.task == "binary" else int(spec.n_classes or 2)
    if not plot_reliability(predictions, out_dir / "reliability.png", n_classes):
        return []
    return [(f"Reliability diagram on the test split: accuracy against confidence in "
             f"{prob_scores.ECE_BINS} equal-width bins; on the diagonal a model is as sure as it is right, "
             "below it overconfident. Legend: expected calibration error (ECE)", "reliability.png")]


def metric_notes(metrics: list[str]) -> str:
    """One sentence on the probability scores among `metrics` (empty when there are none)."""
    notes = []
    if "roc_auc" in metrics:
        notes.append("`roc_auc` and `average_precision`: areas under the ROC and precision-recall curves "
                     "(several classes: one class against the rest, averaged over classes)")
    if "ece" in metrics:
        notes.append(f"`ece`: expected calibration error, |accuracy - confidence| in {prob_scores.ECE_BINS} "
                     "equal-width bins of the predicted class's probability, weighted by the bins' shares "
                     "(0 is perfectly calibrated)")
    return "; ".join(notes) + "." if notes else ""

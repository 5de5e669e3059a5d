"""Scores of predicted class probabilities: ranking quality (ROC AUC and average precision, one
class against the rest and macro-averaged when there are several) and calibration (the expected
calibration error and the reliability bins behind it).

scikit-learn computes the curves and their areas. It has no expected calibration error, and its
`calibration_curve` drops the bin counts that the error weighs by, so the binning is here (numpy).
Every function takes the test labels and the probabilities as the model outputs them: one column
P(class 1) for binary tasks, one column per class otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Equal-width bins of the top-label confidence over [0, 1] (Guo et al. 2017, "On calibration of
# modern neural networks"): the report states the count beside every ECE it shows.
ECE_BINS = 10


def class_matrix(prob: np.ndarray) -> np.ndarray:
    """(n, classes) probabilities; a binary model's single column P(1) becomes [1 - P(1), P(1)]."""
    prob = np.asarray(prob, dtype=np.float64)
    if prob.ndim == 1 or prob.shape[1] == 1:
        p1 = prob.reshape(-1)
        return np.column_stack([1.0 - p1, p1])
    return prob


def one_vs_rest(y: np.ndarray, prob: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(class, is this class, its probability) for every class with test sequences both in and out
    of it: the only classes whose ROC and precision-recall curves are defined. A binary task
    yields class 1 only (the positive class), as scikit-learn's binary scores do."""
    matrix = class_matrix(prob)
    y = np.asarray(y).astype(int)
    binary = np.ndim(prob) == 1 or np.shape(prob)[1] == 1
    classes = [1] if binary else range(matrix.shape[1])
    out = []
    for c in classes:
        member = y == c
        if member.any() and not member.all():
            out.append((c, member, matrix[:, c]))
    return out


def roc_auc(y: np.ndarray, prob: np.ndarray) -> float:
    """Area under the ROC curve; several classes: the mean over classes of one-vs-rest areas
    (nan when no class has both members and non-members in `y`)."""
    from sklearn.metrics import roc_auc_score

    areas = [roc_auc_score(member, score) for _, member, score in one_vs_rest(y, prob)]
    return float(np.mean(areas)) if areas else float("nan")


def average_precision(y: np.ndarray, prob: np.ndarray) -> float:
    """Area under the precision-recall curve (scikit-learn's step-wise average precision); several
    classes: the mean over classes of one-vs-rest values."""
    from sklearn.metrics import average_precision_score

    values = [average_precision_score(member, score) for _, member, score in one_vs_rest(y, prob)]
    return float(np.mean(values)) if values else float("nan")


@dataclass(frozen=True)
class Reliability:
    """Per equal-width bin of the top-label confidence: test sequences, their mean confidence and
    the share predicted correctly (nan for empty bins)."""

    edges: np.ndarray  # n_bins + 1 bin edges over [0, 1]
    count: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray

    @property
    def ece(self) -> float:
        """Expected calibration error: |accuracy - confidence| per bin, weighted by its share."""
        total = self.count.sum()
        if total == 0:
            return float("nan")
        used = self.count > 0
        gaps = np.abs(self.accuracy[used] - self.confidence[used])
        return float(np.sum(self.count[used] / total * gaps))


def reliability(y: np.ndarray, prob: np.ndarray, n_bins: int = ECE_BINS) -> Reliability:
    """Bin the test sequences by the probability of the predicted class (bins (0, 0.1], ...,
    (0.9, 1.0] for ten bins; a binary model predicts class 1 from P(1) >= 0.5, like its decoder)."""
    matrix = class_matrix(prob)
    y = np.asarray(y).astype(int)
    if matrix.shape[1] == 2:
        predicted = (matrix[:, 1] >= 0.5).astype(int)
    else:
        predicted = matrix.argmax(axis=1)
    confidence = matrix[np.arange(len(matrix)), predicted]
    correct = (predicted == y).astype(float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)
    count = np.bincount(which, minlength=n_bins).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(which, weights=confidence, minlength=n_bins) / count
        accuracy = np.bincount(which, weights=correct, minlength=n_bins) / count
    return Reliability(edges, count, mean_conf, accuracy)


def expected_calibration_error(y: np.ndarray, prob: np.ndarray, n_bins: int = ECE_BINS) -> float:
    """Top-label ECE over `n_bins` equal-width confidence bins: 0 for a calibrated model; an
    overconfident one (99% sure, right 60% of the time) scores about 0.39."""
    return reliability(y, prob, n_bins).ece


def probability_scores(y: np.ndarray, prob: np.ndarray) -> dict[str, float]:
    """The task table's probability scores, in its order: roc_auc, average_precision, ece."""
    return {"roc_auc": roc_auc(y, prob), "average_precision": average_precision(y, prob),
            "ece": expected_calibration_error(y, prob)}

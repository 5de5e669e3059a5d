"""Is a gap between two architectures real? Paired tests across seeds or over test sequences."""
from __future__ import annotations

import numpy as np
import pandas as pd

from seqpipe import tasks


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

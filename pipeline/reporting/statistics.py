"""Is a gap between two architectures real? Paired tests across seeds or over test sequences."""
from __future__ import annotations

import numpy as np
import pandas as pd

from seqpipe import tasks


def per_sample(metric: str, predictions: pd.DataFrame) -> np.ndarray | None:
    """One value per test sequence whose mean is `metric` (up to a constant factor), or None.

    Multi-step forecasts are averaged over their horizon steps; MASE is the MAE over a constant
    scale, so its paired differences have the MAE's sign and significance.
    """
    base = "mae" if metric == "mase" else metric
    loss = tasks.METRICS[base].per_sample if base in tasks.METRICS else None
    if loss is None:
        return None
    true = [c for c in predictions if c.startswith("y_true")]
    pred = [c for c in predictions if c.startswith("y_pred")]
    values = loss(predictions[true].to_numpy(float), predictions[pred].to_numpy(float))
    return values.mean(axis=1)


def paired_t_test(best: np.ndarray, other: np.ndarray) -> float:
    """Two-sided p-value of a paired t-test across seeds (nan when undefined)."""
    from scipy import stats

    diff = np.asarray(other, float) - np.asarray(best, float)
    if len(diff) < 2 or np.allclose(diff, diff[0]):
        return float("nan") if len(diff) < 2 or diff[0] == 0 else 0.0
    return float(stats.ttest_rel(other, best).pvalue)


def _bootstrap_means(per_sample_best: np.ndarray, per_sample_other: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    diff = np.asarray(per_sample_other, float) - np.asarray(per_sample_best, float)
    idx = rng.integers(0, len(diff), size=(n_boot, len(diff)))
    return diff[idx].mean(axis=1)


def bootstrap_diff_ci(per_sample_best: np.ndarray, per_sample_other: np.ndarray,
                      n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Paired bootstrap over test samples of mean(other) - mean(best): (low, high) interval."""
    means = _bootstrap_means(per_sample_best, per_sample_other, n_boot, seed)
    alpha = (1.0 - level) / 2.0
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1.0 - alpha))


def bootstrap_p_value(per_sample_best: np.ndarray, per_sample_other: np.ndarray,
                      n_boot: int = 2000, seed: int = 0) -> float:
    """Two-sided p-value of "no gap" from the same paired bootstrap (at least 1 / n_boot); nan for
    a single test sample (one forecast window), where every resample is the same and says nothing."""
    if len(per_sample_best) < 2:
        return float("nan")
    means = _bootstrap_means(per_sample_best, per_sample_other, n_boot, seed)
    tail = min(float((means <= 0).mean()), float((means >= 0).mean()))
    return min(1.0, max(2.0 * tail, 1.0 / n_boot))


def holm(p_values: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order (nan stays nan and is not counted)."""
    order = [i for i in np.argsort(p_values, kind="stable") if np.isfinite(p_values[i])]
    adjusted = [float("nan")] * len(p_values)
    running, m = 0.0, len(order)
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


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
    sequences (primary metrics that are means over sequences: mse, mae, accuracy; MASE through
    the MAE of the same forecasts, so its interval is in the data's units).
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
            row.update(test=f"paired t-test over {len(other)} seeds", p_value=round(p, 4))
        elif (best in predictions and arch in predictions
              and (loss_b := per_sample(metric, predictions[best])) is not None
              and (loss_o := per_sample(metric, predictions[arch])) is not None):
            low, high = bootstrap_diff_ci(loss_b, loss_o)
            over = "test windows, on MAE" if metric == "mase" else "test sequences"
            p = bootstrap_p_value(loss_b, loss_o)
            row.update(test=f"paired bootstrap over {over}", ci95=f"[{low:.4g}, {high:.4g}]",
                       p_value=round(p, 4) if np.isfinite(p) else p)
        else:
            row.update(test="none available", p_value=float("nan"))
        rows.append(row)
    # Several architectures are compared with the best at once: Holm's correction keeps the chance
    # of calling any equal pair different at alpha, however many architectures there are.
    adjusted = holm([float(r["p_value"]) for r in rows])
    for row, p in zip(rows, adjusted):
        row["p_holm"] = round(p, 4) if np.isfinite(p) else p
        row["significant"] = "unknown" if not np.isfinite(p) else ("yes" if p < alpha else "no")
    return pd.DataFrame(rows)


def versus_classical(table: pd.DataFrame, task_name: str, predictions: dict[str, pd.DataFrame],
                     classical: list, alpha: float = 0.05) -> list[dict]:
    """Does the best architecture beat each classical baseline (`results.ClassicalResult`s)?

    One dict per baseline: its name and description, the best architecture's gap to it on the
    primary metric, whether the best is better, and a paired bootstrap p-value over the test
    sequences when both predictions are at hand and the metric is a mean over sequences (with
    repeats, the best's first seed: the baselines are deterministic)."""
    task = tasks.get(task_name)
    metric = task.primary_metric
    best = table.iloc[0]
    rows = []
    for c in classical:
        if metric not in c.scores:
            continue
        gap = float(best[metric]) - float(c.scores[metric])
        row = {"baseline": c.name, "description": c.description, "architecture": best["architecture"],
               "score": float(c.scores[metric]), "gap": round(gap, 6),
               "better": gap > 0 if task.greater_is_better else gap < 0, "p_value": float("nan")}
        mine = predictions.get(str(best["architecture"]))
        if mine is not None and c.predictions is not None and len(mine) == len(c.predictions):
            a, b = per_sample(metric, mine), per_sample(metric, c.predictions)
            if a is not None and b is not None:
                p = bootstrap_p_value(a, b)
                row["p_value"] = round(p, 4) if np.isfinite(p) else p
        p = row["p_value"]
        row["significant"] = "unknown" if not np.isfinite(p) else ("yes" if p < alpha else "no")
        rows.append(row)
    return rows


def classical_line(rows: list[dict], metric: str) -> str:
    """One sentence per classical baseline: does the best architecture beat it, and is that real?
    First, when some baseline is not beaten, a plain sentence saying that no architecture beats it
    (the best one does not, so none does)."""
    unbeaten = [r for r in rows if not r["better"]]
    parts = []
    if unbeaten:
        each = [f"{r['description']} ({metric} {r['score']:.4g})" for r in unbeaten]
        named = " or ".join([", ".join(each[:-1]), each[-1]]) if len(each) > 1 else each[0]
        parts.append(f"No architecture beats {named} on this data.")
    for r in rows:
        verdict = "beats" if r["better"] else "does not beat"
        if r["significant"] == "yes":
            how = f" (significantly: paired bootstrap p = {r['p_value']:.3g})"
        elif r["significant"] == "no":
            how = f" (not significantly: paired bootstrap p = {r['p_value']:.3g})"
        else:
            how = ""
        parts.append(f"**{r['architecture']}** {verdict} the classical baseline ({r['description']}) on {metric}, "
                     f"by {abs(r['gap']):.4g}{how}.")
    return " ".join(parts)

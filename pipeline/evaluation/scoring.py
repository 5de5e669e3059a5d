"""Held-out scoring and inference latency: library functions behind the evaluate stage."""
from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from seqpipe import tasks
from seqpipe.data.spec import PreparedSpec
from seqpipe.quantiles import QuantileForecast


def predict(model: Any, x: np.ndarray, batch_size: int) -> np.ndarray:
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0))


def score(task_name: str, y_true: np.ndarray, raw_output: tasks.Output, spec: PreparedSpec | None = None
          ) -> dict[str, float]:
    """The task's metrics on the test split, rounded so reruns compare byte for byte (to six
    significant digits, not decimals: an mse of 2.1345e-05 keeps its digits); a quantile forecast
    adds pinball, coverage and MSIS (`seqpipe.quantiles`)."""
    scores = tasks.get(task_name).scores(y_true, raw_output, spec)
    return {k: significant(v) for k, v in scores.items()}


def significant(value: float, digits: int = 6) -> float:
    return float(f"{float(value):.{digits}g}")


def per_class_scores(task_name: str, spec: PreparedSpec, y_true: np.ndarray, raw_output: tasks.Output
                     ) -> dict[str, float]:
    """Labelled tasks: precision, recall and F1 of each class (`precision_c<class id>`, ...), kept
    per seed in scores/<arch>.csv so the report's per-class table has a std over seeds; empty for
    other tasks."""
    from sklearn.metrics import precision_recall_fscore_support

    task = tasks.get(task_name)
    if not task.labels:
        return {}
    labels = list(range(spec.n_classes or len(spec.class_names or [])))
    p, r, f, _ = precision_recall_fscore_support(np.asarray(y_true).astype(int), task.predicted(raw_output).astype(int),
                                                 labels=labels, zero_division=0)
    return {f"{name}_c{c}": round(float(v[c]), 6) for c in labels for name, v in (("precision", p), ("recall", r), ("f1", f))}


def predictions_frame(task_name: str, y_true: np.ndarray, raw_output: tasks.Output) -> pd.DataFrame:
    """Test predictions as a flat table; multi-step forecasts get one column per horizon step (a
    quantile forecast: its median as y_pred, then `q<level>_h<step>` per level), and labelled tasks
    the class probabilities (`p_1` for binary, `p_<class>` each otherwise) that the report's ROC,
    precision-recall and calibration figures read."""
    task = tasks.get(task_name)
    pred = task.predicted(raw_output)
    if np.ndim(y_true) == 2:
        columns = {}
        for h in range(y_true.shape[1]):
            columns[f"y_true_h{h + 1}"] = y_true[:, h]
            columns[f"y_pred_h{h + 1}"] = pred[:, h]
        if isinstance(raw_output, QuantileForecast):
            columns.update(raw_output.columns())
        return pd.DataFrame(columns)
    assert isinstance(raw_output, np.ndarray), "quantile forecasts have (windows, horizon) targets"
    return pd.DataFrame({"y_true": y_true, "y_pred": pred, **task.probabilities(raw_output)})


def confusion_rows(task_name: str, spec: PreparedSpec, y_true: np.ndarray, raw_output: tasks.Output) -> pd.DataFrame:
    """(actual, predicted) class names per test sequence for `dvc plots`' confusion template;
    empty (header only) for tasks without classes."""
    task = tasks.get(task_name)
    if not task.labels:
        return pd.DataFrame({"actual": [], "predicted": []})
    pred = task.predicted(raw_output)
    return pd.DataFrame({"actual": [spec.label(int(i)) for i in y_true], "predicted": [spec.label(int(i)) for i in pred]})


def latency_ms_per_sample(model: Any, x: np.ndarray, batch_size: int, repeats: int = 3) -> float:
    """Median over `repeats` of batched inference time over `x`, per sample, after a warm-up."""
    sample = x[: max(batch_size, min(len(x), 1024))]
    model.predict(sample[:batch_size], batch_size=batch_size, verbose=0)  # trace/compile once
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(sample, batch_size=batch_size, verbose=0)
        runs.append((time.perf_counter() - start) / len(sample))
    return round(float(np.median(runs)) * 1000.0, 4)


def summarize_seeds(per_seed: list[dict[str, float]]) -> dict[str, float]:
    """One run: its scores. Several seeds: the mean of each score, then each score's std (ddof=1)."""
    names = [k for k in per_seed[0] if k != "seed"]
    if len(per_seed) == 1:
        return {k: per_seed[0][k] for k in names}
    values = {k: np.array([run[k] for run in per_seed], dtype=float) for k in names}
    means = {k: significant(v.mean()) for k, v in values.items()}
    stds = {f"{k}_std": significant(v.std(ddof=1)) for k, v in values.items()}
    return {**means, **stds}

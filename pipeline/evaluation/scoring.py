"""Held-out scoring and inference latency: library functions behind the evaluate stage."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from seqpipe import tasks
from seqpipe.data.spec import PreparedSpec
from seqpipe.quantiles import QuantileForecast

if TYPE_CHECKING:  # pandas is imported where a frame is made: the stages that only copy cached files skip it
    import pandas as pd

# sequences timed per latency pass: enough whole batches for a stable median, few enough that the
# measurement stays a fraction of a second on a CPU
LATENCY_SAMPLES = 256


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
    import pandas as pd

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
    import pandas as pd

    task = tasks.get(task_name)
    if not task.labels:
        return pd.DataFrame({"actual": [], "predicted": []})
    pred = task.predicted(raw_output)
    return pd.DataFrame({"actual": [spec.label(int(i)) for i in y_true], "predicted": [spec.label(int(i)) for i in pred]})


def latency_ms_per_sample(model: Any, x: np.ndarray, batch_size: int, repeats: int = 3,
                          max_samples: int = LATENCY_SAMPLES) -> float:
    """Median over `repeats` passes of batched inference per sample, in ms: whole batches of at most
    `max_samples` sequences, each through `predict_on_batch` after one warm-up batch.

    `predict_on_batch` times the model, not Keras' input pipeline: `model.predict` builds one per
    call (~0.1 s on TensorFlow), which was most of a small test set's measured time and, with its
    own warm-up and 1,024 samples, ~1 s of every train stage (bench/RESULTS.md, "Fixed costs, round 4").
    Only whole batches are timed, so no pass traces a second, partial-batch shape."""
    whole = max(1, min(len(x), max_samples) // batch_size) * batch_size
    batches = [x[i:i + batch_size] for i in range(0, min(whole, len(x)), batch_size)]
    model.predict_on_batch(batches[0])  # trace/compile once
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for batch in batches:
            model.predict_on_batch(batch)
        runs.append((time.perf_counter() - start) / sum(len(b) for b in batches))
    return round(float(np.median(runs)) * 1000.0, 4)


def summarize_seeds(per_seed: list[dict[str, float]], ensemble: dict[str, float] | None = None) -> dict[str, float]:
    """One run: its scores. Several seeds: the mean of each score, then each score's std (ddof=1).
    With `ensemble` (the scores of the seeds' mean output, `train.ensemble`), those replace the
    means; the stds still say how far single seeds spread."""
    names = [k for k in per_seed[0] if k != "seed"]
    if len(per_seed) == 1:
        return {k: per_seed[0][k] for k in names}
    values = {k: np.array([run[k] for run in per_seed], dtype=float) for k in names}
    means = {k: significant(v.mean()) for k, v in values.items()}
    if ensemble is not None:
        means = {k: ensemble[k] for k in names}
    stds = {f"{k}_std": significant(v.std(ddof=1)) for k, v in values.items()}
    return {**means, **stds}

"""What the core owns per task: the output head, the loss, Keras training metrics, the held-out
scores (scikit-learn) and which score ranks architectures. Plugins never see any of it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn import metrics as skm


@dataclass(frozen=True)
class Task:
    name: str
    primary_metric: str
    greater_is_better: bool
    # (encoded tensor, spec) -> output tensor; keras imported inside.
    head: Callable[[Any, dict], Any]
    loss: str
    keras_metrics: tuple[str, ...]
    # (y_true, raw model output, spec) -> ordered metrics; spec carries task statistics (MASE scale)
    score: Callable[..., dict[str, float]]
    # raw model output -> the prediction written to CSV
    predict: Callable[[np.ndarray], np.ndarray]


def _dense(units: int, activation: str | None) -> Callable[[Any, dict], Any]:
    def head(encoded: Any, spec: dict) -> Any:
        from keras import layers

        n = spec["n_classes"] if units == -1 else units
        # float32 output keeps the loss numerically safe under mixed precision.
        return layers.Dense(n, activation=activation, dtype="float32", name="head")(encoded)

    return head


def _regression_scores(y: np.ndarray, out: np.ndarray, spec: dict | None = None) -> dict[str, float]:
    pred = out.reshape(-1)
    mse = skm.mean_squared_error(y, pred)
    return {
        "mse": float(mse),
        "rmse": float(np.sqrt(mse)),
        "mae": float(skm.mean_absolute_error(y, pred)),
        "r2": float(skm.r2_score(y, pred)),
    }


def _binary_scores(y: np.ndarray, out: np.ndarray, spec: dict | None = None) -> dict[str, float]:
    prob = out.reshape(-1)
    pred = (prob >= 0.5).astype(int)
    scores = {
        "accuracy": float(skm.accuracy_score(y, pred)),
        "f1": float(skm.f1_score(y, pred, zero_division=0)),
        "macro_f1": float(skm.f1_score(y, pred, average="macro", labels=[0, 1], zero_division=0)),
        "log_loss": float(skm.log_loss(y, np.clip(prob, 1e-7, 1 - 1e-7), labels=[0, 1])),
    }
    scores["roc_auc"] = float(skm.roc_auc_score(y, prob)) if len(np.unique(y)) == 2 else float("nan")
    return scores


def _multiclass_scores(y: np.ndarray, out: np.ndarray, spec: dict | None = None) -> dict[str, float]:
    pred = out.argmax(axis=-1)
    return {
        "accuracy": float(skm.accuracy_score(y, pred)),
        "macro_f1": float(skm.f1_score(y, pred, average="macro", zero_division=0)),
        "log_loss": float(skm.log_loss(y, np.clip(out, 1e-7, 1.0), labels=list(range(out.shape[-1])))),
    }


def _forecast_head(encoded: Any, spec: dict) -> Any:
    """Dense(horizon), then back to the data's units with the train-range statistics of the
    forecast column, so predictions, loss and metrics read in the units of the file."""
    from keras import layers

    f = spec["forecast"]
    out = layers.Dense(f["horizon"], dtype="float32", name="head")(encoded)
    return layers.Rescaling(scale=f["target_std"], offset=f["target_mean"], dtype="float32", name="to_units")(out)


def forecast_scores(y: np.ndarray, pred: np.ndarray, mase_scale: float) -> dict[str, float]:
    """MAE, RMSE, sMAPE (percent, 0..200) and MASE over every forecast step."""
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    pred = np.asarray(pred, dtype=np.float64).reshape(y.shape)
    err = np.abs(y - pred)
    denom = np.abs(y) + np.abs(pred)
    smape = np.divide(2.0 * err, denom, out=np.zeros_like(err), where=denom > 0)
    mae = float(err.mean())
    return {
        "mae": mae,
        "rmse": float(np.sqrt(np.mean(err**2))),
        "smape": float(100.0 * smape.mean()),
        "mase": mae / mase_scale,
    }


def _forecast_scores(y: np.ndarray, out: np.ndarray, spec: dict | None = None) -> dict[str, float]:
    scale = (spec or {}).get("forecast", {}).get("mase_scale", 1.0)
    return forecast_scores(y, out, scale)


def _next_token_scores(y: np.ndarray, out: np.ndarray, spec: dict | None = None) -> dict[str, float]:
    y = np.asarray(y, dtype=np.int64)
    prob = np.clip(out[np.arange(len(y)), y], 1e-12, 1.0)
    top5 = np.argsort(-out, axis=-1, kind="stable")[:, :5]
    return {
        "accuracy": float((out.argmax(axis=-1) == y).mean()),
        "top5_accuracy": float((top5 == y[:, None]).any(axis=1).mean()),
        "perplexity": float(np.exp(-np.mean(np.log(prob)))),
    }


TASKS: dict[str, Task] = {
    "regression": Task(
        "regression", "mse", False, _dense(1, None), "mse", ("mae",),
        _regression_scores, lambda out: out.reshape(-1),
    ),
    "binary": Task(
        "binary", "accuracy", True, _dense(1, "sigmoid"), "binary_crossentropy", ("accuracy",),
        _binary_scores, lambda out: (out.reshape(-1) >= 0.5).astype(int),
    ),
    "multiclass": Task(
        "multiclass", "accuracy", True, _dense(-1, "softmax"), "sparse_categorical_crossentropy",
        ("accuracy",), _multiclass_scores, lambda out: out.argmax(axis=-1),
    ),
    "forecast": Task(
        "forecast", "mase", False, _forecast_head, "mse", ("mae",), _forecast_scores, lambda out: out,
    ),
    "next_token": Task(
        "next_token", "accuracy", True, _dense(-1, "softmax"), "sparse_categorical_crossentropy",
        ("accuracy", "sparse_top_k_categorical_accuracy"), _next_token_scores, lambda out: out.argmax(axis=-1),
    ),
}

CLASSIFICATION = ("binary", "multiclass", "next_token")


def get(name: str) -> Task:
    if name not in TASKS:
        raise KeyError(f"unknown task '{name}'; known: {', '.join(TASKS)}")
    return TASKS[name]

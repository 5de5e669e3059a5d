"""The one task table: everything the core knows per task, and nothing task-specific elsewhere.

Each task owns its output head, loss, Keras training metrics, held-out scores (scikit-learn,
imported when scoring), the metric that ranks architectures and every metric's direction, how a
raw model output decodes to a prediction, the no-skill baseline, the classical baselines the
report sets beside the architectures (by name; `seqpipe.baselines` implements them), and which
report figures it gets. Plugins never see any of it. Importing this module loads numpy only, so the leaderboard and
the CLI can ask for a metric's direction without scikit-learn or Keras.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from seqpipe import quantiles
from seqpipe.quantiles import QuantileForecast
from seqpipe.specs import TASKS

if TYPE_CHECKING:
    from seqpipe.data.spec import PreparedSpec


# What a model outputs for the test split: an array, or for a forecast trained with
# `train.quantiles` the forecast at each level.
Output = np.ndarray | QuantileForecast


@dataclass(frozen=True)
class Metric:
    """A held-out score: its direction and, for means over test sequences, the per-sequence value
    a paired test compares (true, predicted) -> one value per sequence."""

    name: str
    greater_is_better: bool
    description: str
    per_sample: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("mse", False, "mean squared error", lambda y, p: (y - p) ** 2),
    Metric("rmse", False, "root mean squared error"),
    Metric("mae", False, "mean absolute error", lambda y, p: np.abs(y - p)),
    Metric("r2", True, "coefficient of determination"),
    Metric("accuracy", True, "share of correct predictions", lambda y, p: (y == p).astype(float)),
    Metric("f1", True, "F1 of the positive class"),
    Metric("macro_f1", True, "F1 averaged over classes"),
    Metric("log_loss", False, "cross-entropy of the predicted probabilities"),
    Metric("roc_auc", True, "area under the ROC curve (several classes: one-vs-rest, macro average)"),
    Metric("average_precision", True, "area under the precision-recall curve (several classes: one-vs-rest, "
                                      "macro average)"),
    Metric("ece", False, "expected calibration error: top-label confidence against accuracy in 10 "
                         "equal-width bins"),
    Metric("smape", False, "symmetric mean absolute percentage error (0-200)"),
    Metric("mase", False, "MAE over the seasonal naive forecast's MAE on the training range"),
    Metric("mape", False, "mean absolute percentage error, as a fraction (0.05 = 5 %; steps whose truth is 0 left out)"),
    Metric("pinball", False, "pinball (quantile) loss, mean over the quantile levels of train.quantiles"),
    Metric("coverage", True, "share of true values inside the central interval of the quantile forecast "
                             "(`coverage_<lo>_<hi>`: nominal hi - lo; closest to nominal is best)"),
    Metric("msis", False, "mean scaled interval score of that interval (M4), on MASE's scale"),
    Metric("top5_accuracy", True, "share of next tokens among the five most likely"),
    Metric("perplexity", False, "exp of the mean negative log-likelihood of the next token"),
)}


def greater_is_better(metric: str) -> bool:
    """Whether a larger value of `metric` (or of `<metric>_std`'s base metric) is better."""
    if metric.startswith("coverage_"):
        metric = "coverage"
    if metric not in METRICS:
        raise KeyError(f"unknown metric '{metric}'; known: {', '.join(METRICS)}")
    return METRICS[metric].greater_is_better


@dataclass(frozen=True)
class Baseline:
    """A model that does not look at the sequence (or only repeats its end): what to beat."""

    name: str
    scores: dict[str, float]


@dataclass(frozen=True)
class Task:
    name: str
    metrics: tuple[str, ...]  # the held-out scores, in report order; the first ranks architectures
    tie_breaker: str  # ranks architectures whose primary metric is equal
    loss: str
    keras_metrics: tuple[str, ...]
    # (encoded tensor, spec) -> output tensor; keras imported inside.
    head: Callable[[Any, PreparedSpec], Any]
    # (y_true, raw model output, spec) -> the scores named in `metrics`, in that order
    score: Callable[[np.ndarray, np.ndarray, PreparedSpec | None], dict[str, float]]
    # raw model output -> the prediction written to CSV
    decode: Callable[[np.ndarray], np.ndarray]
    # (y_train, y_test, x_test, spec) -> the no-skill baseline scored like the models
    baseline: Callable[[np.ndarray, np.ndarray, np.ndarray, PreparedSpec], Baseline]
    labels: bool = False  # targets are named classes: stratified splits, class balance, confusion
    continues_sequence: bool = False  # predicts what follows a series or document (forecast, next token)
    token_output: bool = False  # the prediction is a token id of the vocabulary (next token)
    figures: tuple[str, ...] = field(default=())  # report figures beyond the common ones
    # (input kind, name) pairs: the classical baselines the `baselines` stage fits (seqpipe.baselines)
    classical: tuple[tuple[str, str], ...] = field(default=())
    classical_fit: str = "scikit-learn models fitted on the training split"  # how the report says they were fitted
    # A validation split under budget.MIN_VALIDATION still early-stops (from epoch 1) when it holds at least
    # budget.MIN_SMALL_VALIDATION: a few scalar targets are memorised, and even a small split's loss shows it
    small_validation_stops: bool = False

    @property
    def primary_metric(self) -> str:
        return self.metrics[0]

    @property
    def greater_is_better(self) -> bool:
        return greater_is_better(self.primary_metric)

    def scores(self, y: np.ndarray, output: Output, spec: PreparedSpec | None) -> dict[str, float]:
        """`score` on a raw output; a quantile forecast (`train.quantiles`) is scored on its median,
        then by its pinball loss, interval coverage and MSIS (`seqpipe.quantiles`)."""
        if not isinstance(output, QuantileForecast):
            return self.score(y, output, spec)
        scale = spec.forecast.mase_scale if spec is not None and spec.forecast is not None else 1.0
        return {**self.score(y, output.median, spec), **quantiles.scores(y, output, scale)}

    def predicted(self, output: Output) -> np.ndarray:
        """The prediction written to CSV (a quantile forecast's median)."""
        return self.decode(output.median if isinstance(output, QuantileForecast) else output)

    def classical_for(self, input_kind: str) -> list[str]:
        """The names of the classical baselines for prepared inputs of `input_kind` (numeric or tokens)."""
        return [name for kind, name in self.classical if kind == input_kind]

    def output_width(self, spec: PreparedSpec) -> int:
        """Units of the head's output for this spec (a shape check of the conformance kit)."""
        if self.name in ("regression", "binary"):
            return 1
        if spec.forecast is not None and self.name == "forecast":
            return spec.forecast.horizon
        return int(spec.n_classes or 0)

    def probabilities(self, raw_output: np.ndarray) -> dict[str, np.ndarray]:
        """Class probability columns of the predictions CSV (`p_<class id>`), for labelled tasks."""
        if not self.labels:
            return {}
        if self.name == "binary":
            return {"p_1": raw_output.reshape(-1)}
        return {f"p_{c}": raw_output[:, c] for c in range(raw_output.shape[-1])}


# --- heads ------------------------------------------------------------------------------------


def _dense(units: int | None, activation: str | None) -> Callable[[Any, PreparedSpec], Any]:
    def head(encoded: Any, spec: PreparedSpec) -> Any:
        from keras import layers

        n = spec.n_classes if units is None else units
        # float32 output keeps the loss numerically safe under mixed precision.
        return layers.Dense(n, activation=activation, dtype="float32", name="head")(encoded)

    return head


def _regression_head(encoded: Any, spec: PreparedSpec) -> Any:
    """Dense(1) in standard units, then back to the targets' units with their train mean and std
    (`spec.target`): every architecture starts at the train mean and learns deviations of unit scale,
    whatever the targets' units (bench/RESULTS.md, "regression and text on small real data")."""
    from keras import layers

    out = layers.Dense(1, dtype="float32", name="head")(encoded)
    if spec.target is None:  # a spec.json written before targets were standardised
        return out
    return layers.Rescaling(scale=spec.target.std, offset=spec.target.mean, dtype="float32", name="to_units")(out)


def _forecast_head(encoded: Any, spec: PreparedSpec) -> Any:
    """Dense(horizon): every step of the horizon at once (a direct multi-horizon forecast), then
    back to the data's units with the train-range statistics of the forecast column, so
    predictions, loss and metrics read in the units of the file. With per-window normalisation
    (`data.window.normalize`) the Dense output is in the window's normalised units and the model
    assembly (`seqpipe.training.window_norm`) takes it back to the data's units."""
    from keras import layers

    assert spec.forecast is not None, "a forecast spec"
    f = spec.forecast
    out = layers.Dense(f.horizon, dtype="float32", name="head")(encoded)
    if f.normalize != "none":
        return out
    return layers.Rescaling(scale=f.target_std, offset=f.target_mean, dtype="float32", name="to_units")(out)


# --- scores -----------------------------------------------------------------------------------


def _regression_scores(y: np.ndarray, out: np.ndarray, spec: PreparedSpec | None = None) -> dict[str, float]:
    from sklearn import metrics as skm

    pred = out.reshape(-1)
    mse = skm.mean_squared_error(y, pred)
    return {
        "mse": float(mse),
        "rmse": float(np.sqrt(mse)),
        "mae": float(skm.mean_absolute_error(y, pred)),
        "r2": float(skm.r2_score(y, pred)),
    }


def _binary_scores(y: np.ndarray, out: np.ndarray, spec: PreparedSpec | None = None) -> dict[str, float]:
    from sklearn import metrics as skm

    from seqpipe.probabilities import probability_scores

    prob = out.reshape(-1)
    pred = (prob >= 0.5).astype(int)
    scores = {
        "accuracy": float(skm.accuracy_score(y, pred)),
        "f1": float(skm.f1_score(y, pred, zero_division=0)),
        "macro_f1": float(skm.f1_score(y, pred, average="macro", labels=[0, 1], zero_division=0)),
        "log_loss": float(skm.log_loss(y, np.clip(prob, 1e-7, 1 - 1e-7), labels=[0, 1])),
    }
    return {**scores, **probability_scores(y, prob)}


def _multiclass_scores(y: np.ndarray, out: np.ndarray, spec: PreparedSpec | None = None) -> dict[str, float]:
    from sklearn import metrics as skm

    from seqpipe.probabilities import probability_scores

    pred = out.argmax(axis=-1)
    return {
        "accuracy": float(skm.accuracy_score(y, pred)),
        "macro_f1": float(skm.f1_score(y, pred, average="macro", zero_division=0)),
        "log_loss": float(skm.log_loss(y, np.clip(out, 1e-7, 1.0), labels=list(range(out.shape[-1])))),
        **probability_scores(y, out),
    }


def forecast_scores(y: np.ndarray, pred: np.ndarray, mase_scale: float) -> dict[str, float]:
    """MASE, sMAPE (percent, 0..200), MAPE (a fraction), MAE and RMSE over every forecast step of
    every window (under the cutoff protocol: the whole test range of every series)."""
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    pred = np.asarray(pred, dtype=np.float64).reshape(y.shape)
    err = np.abs(y - pred)
    denom = np.abs(y) + np.abs(pred)
    smape = np.divide(2.0 * err, denom, out=np.zeros_like(err), where=denom > 0)
    nonzero = y != 0
    mape = float(np.mean(err[nonzero] / np.abs(y[nonzero]))) if nonzero.any() else float("nan")
    mae = float(err.mean())
    return {
        "mase": mae / mase_scale,
        "smape": float(100.0 * smape.mean()),
        "mape": mape,
        "mae": mae,
        "rmse": float(np.sqrt(np.mean(err**2))),
    }


def _forecast_scores(y: np.ndarray, out: np.ndarray, spec: PreparedSpec | None = None) -> dict[str, float]:
    scale = spec.forecast.mase_scale if spec is not None and spec.forecast is not None else 1.0
    return forecast_scores(y, out, scale)


def _next_token_scores(y: np.ndarray, out: np.ndarray, spec: PreparedSpec | None = None) -> dict[str, float]:
    y = np.asarray(y, dtype=np.int64)
    prob = np.clip(out[np.arange(len(y)), y], 1e-12, 1.0)
    top5 = np.argsort(-out, axis=-1, kind="stable")[:, :5]
    return {
        "accuracy": float((out.argmax(axis=-1) == y).mean()),
        "top5_accuracy": float((top5 == y[:, None]).any(axis=1).mean()),
        "perplexity": float(np.exp(-np.mean(np.log(prob)))),
    }


# --- baselines --------------------------------------------------------------------------------


def _rounded(scores: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 6) for k, v in scores.items()}


def _mean_baseline(y_train: np.ndarray, y_test: np.ndarray, x_test: np.ndarray, spec: PreparedSpec) -> Baseline:
    out = np.full((len(y_test), 1), float(np.mean(y_train)))
    return Baseline("mean of train targets", _rounded(_regression_scores(y_test, out)))


def _frequency_baseline(score: Callable[..., dict[str, float]], binary: bool = False) -> Callable[..., Baseline]:
    def baseline(y_train: np.ndarray, y_test: np.ndarray, x_test: np.ndarray, spec: PreparedSpec) -> Baseline:
        classes = max(int(max(y_train.max(), y_test.max())) + 1, int(spec.n_classes or 0))
        freq = np.bincount(y_train.astype(int), minlength=classes) / len(y_train)
        out = np.tile(freq, (len(y_test), 1))
        return Baseline("class frequencies of train", _rounded(score(y_test, out[:, 1:2] if binary else out)))

    return baseline


def _seasonal_naive_baseline(y_train: np.ndarray, y_test: np.ndarray, x_test: np.ndarray,
                             spec: PreparedSpec) -> Baseline:
    """The seasonal naive forecast on the test windows (season 1: repeat the last value), scored
    like the models; MASE is 1 for it on the training range by construction."""
    from seqpipe.data.forecast import forecast_history, seasonal_naive

    assert spec.forecast is not None, "a forecast spec"
    f = spec.forecast
    naive = seasonal_naive(forecast_history(spec, x_test), f.horizon, f.season)
    name = f"seasonal naive (season {f.season})" if f.season > 1 else "naive (last value)"
    return Baseline(name, _rounded(forecast_scores(y_test, naive, f.mase_scale)))


_CLASSIFIERS = (("numeric", "summary_logistic"), ("tokens", "tfidf_logistic"))

TABLE: dict[str, Task] = {
    "regression": Task(
        "regression", ("mse", "rmse", "mae", "r2"), "mae", "mse", ("mae",), _regression_head,
        _regression_scores, lambda out: out.reshape(-1), _mean_baseline, figures=("predicted_vs_true",),
        classical=(("numeric", "summary_ridge"), ("tokens", "tfidf_ridge")), small_validation_stops=True,
        classical_fit="scikit-learn ridge regressions fitted on the training and validation splits together "
        "(RidgeCV picks the strength by leave-one-out)",
    ),
    "binary": Task(
        "binary", ("accuracy", "f1", "macro_f1", "log_loss", "roc_auc", "average_precision", "ece"), "log_loss",
        "binary_crossentropy", ("accuracy",), _dense(1, "sigmoid"), _binary_scores,
        lambda out: (out.reshape(-1) >= 0.5).astype(int), _frequency_baseline(_binary_scores, binary=True),
        labels=True, figures=("confusion", "roc_pr", "calibration"),
        classical=_CLASSIFIERS,
    ),
    "multiclass": Task(
        "multiclass", ("accuracy", "macro_f1", "log_loss", "roc_auc", "average_precision", "ece"), "log_loss",
        "sparse_categorical_crossentropy", ("accuracy",), _dense(None, "softmax"), _multiclass_scores,
        lambda out: out.argmax(axis=-1), _frequency_baseline(_multiclass_scores), labels=True,
        figures=("confusion", "roc_pr", "calibration"),
        classical=_CLASSIFIERS,
    ),
    "forecast": Task(
        "forecast", ("mase", "smape", "mape", "mae", "rmse"), "mae", "mse", ("mae",), _forecast_head,
        _forecast_scores, lambda out: out, _seasonal_naive_baseline, continues_sequence=True,
        figures=("forecasts",),
        # statsforecast, on each series' whole history before each test window (seqpipe.baselines.forecast)
        classical=(("numeric", "seasonal_naive"), ("numeric", "auto_ets"), ("numeric", "auto_arima")),
        classical_fit="statistical models (statsforecast) chosen and fitted on each series' whole history "
                      "before its first test window, then run on every test window's history, with the same "
                      "horizon and season",
    ),
    "next_token": Task(
        "next_token", ("accuracy", "top5_accuracy", "perplexity"), "perplexity", "sparse_categorical_crossentropy",
        ("accuracy", "sparse_top_k_categorical_accuracy"), _dense(None, "softmax"), _next_token_scores,
        lambda out: out.argmax(axis=-1), _frequency_baseline(_next_token_scores), continues_sequence=True, token_output=True,
        classical=(("tokens", "bigram"),),
    ),
}
assert set(TABLE) == set(TASKS), "every task name of the plugin contract has a row"


def get(name: str) -> Task:
    if name not in TABLE:
        raise KeyError(f"unknown task '{name}'; known: {', '.join(TABLE)}")
    return TABLE[name]


def task_of_metrics(names: set[str] | list[str]) -> Task | None:
    """The task whose held-out scores these are: how the leaderboard tells tasks apart in metrics
    files that do not name their task. Among the tasks whose primary metric is present, the one
    sharing the most of its metrics, then missing the fewest (a file of an older commit may lack a
    metric added since: it still goes to its own task, not to one that shares less of it)."""
    present = set(names)
    fitting = [t for t in TABLE.values() if t.primary_metric in present]
    if not fitting:
        return None
    return min(fitting, key=lambda t: (-len(set(t.metrics) & present), len(set(t.metrics) - present)))

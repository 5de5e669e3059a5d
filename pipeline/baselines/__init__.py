"""Step baselines: classical models that every report sets beside the architectures.

The task table (`seqpipe.tasks`, field `classical`) names which one a task gets per input kind;
this package implements them. Each is deterministic and scored like the architectures. The
classifiers are fitted on the training split, and the validation split picks their regularisation
strength. The ridge regressions choose theirs themselves (RidgeCV's leave-one-out), so they are
fitted on the training and validation splits together: the labelled data the networks learn from
(the validation split chooses their epoch). On small data that matters (bench/RESULTS.md, "The
ridge baselines fit on train + validation").

- `tfidf_logistic` / `tfidf_ridge` (text classification / regression): TF-IDF of token-id
  unigrams and bigrams, then logistic regression (C from 0.1, 1, 10 on validation log-loss) or
  RidgeCV. The standard text baseline (Wang & Manning 2012); deep text models often fail to beat it.
- `summary_logistic` / `summary_ridge` (numeric classification / regression): a linear model on
  per-feature summary statistics and cross-feature second moments (`summary.summary_features`).
  Chosen over MiniRocket (aeon) to keep the core on scikit-learn alone, and over 1-NN DTW, which
  is quadratic in the sequences (minutes, not seconds, at 6000 x 100). Measured in
  bench/RESULTS.md ("Classical baselines"): on the default adding data (6000 x 100 x 2) RidgeCV on
  these features reaches test R^2 1.0 in well under a second, because the target is a
  second moment (the sum of values times markers); without the products it stays at R^2 ~0,
  like the mean. That is what a user should learn: a linear model on the right statistics solves it.
- `bigram` (next token): P(next | previous token) from the training pairs, smoothed towards the
  next-token frequencies; what a sequence model must beat to show it uses more than one token.
- `seasonal_naive`, `auto_ets`, `auto_arima` (forecasting): statsforecast's models fitted on each
  series' whole history before every test window (`forecast`); the standard statistical
  baselines a forecaster must beat.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqpipe import tasks
from seqpipe.baselines import forecast, summary, tokens
from seqpipe.data.history import has_history, histories
from seqpipe.data.prepared import Prepared
from seqpipe.errors import DataError
from seqpipe.evaluation.scoring import significant


@dataclass(frozen=True)
class Classical:
    name: str
    description: str  # the report's row label
    # (prepared data) -> raw test output shaped like a model's (probabilities or values), or the
    # statistical forecasts with their notes for the log; those also take the quantile levels
    fit_predict: Callable[..., np.ndarray | forecast.Forecasts]
    intervals: bool = False  # forecasts quantile levels (train.quantiles) from its prediction intervals


@dataclass(frozen=True)
class Outcome:
    """One classical baseline on the test split."""

    name: str
    description: str
    scores: dict[str, float]  # rounded like the architectures' metrics
    raw_output: tasks.Output
    seconds: float  # features, fit and prediction, wall clock
    notes: tuple[str, ...] = ()  # what the log should say (forecasting: the chosen models, fallbacks)


def _pad_value(prepared: Prepared) -> float | None:
    return prepared.spec.padding.value if prepared.spec.padding.padded else None


def _features(prepared: Prepared, split: str) -> np.ndarray:
    return summary.summary_features(prepared.arrays[f"X_{split}"], _pad_value(prepared))


def _labels(prepared: Prepared, probabilities: np.ndarray) -> np.ndarray:
    """Binary models output P(class 1) as one column, like the sigmoid head."""
    return probabilities[:, 1:2] if prepared.spec.task == "binary" else probabilities


def _n_classes(prepared: Prepared) -> int:
    a = prepared.arrays
    return max(int(prepared.spec.n_classes or 0), int(max(a["y_train"].max(), a["y_test"].max())) + 1)


def _labelled(prepared: Prepared, x_train: Any, x_val: Any) -> tuple[Any, np.ndarray]:
    """The training and validation rows (dense or, for TF-IDF, sparse) and their targets together,
    for a model that needs no validation split."""
    from scipy import sparse

    a = prepared.arrays
    rows = sparse.vstack([x_train, x_val]) if sparse.issparse(x_train) else np.concatenate([x_train, x_val])
    return rows, np.concatenate([a["y_train"], a["y_val"]]).astype(np.float64)


def _summary_ridge(prepared: Prepared) -> np.ndarray:
    x, y = _labelled(prepared, _features(prepared, "train"), _features(prepared, "val"))
    return summary.ridge(x, y, _features(prepared, "test"))


def _summary_logistic(prepared: Prepared) -> np.ndarray:
    a = prepared.arrays
    out = summary.logistic(_features(prepared, "train"), a["y_train"].astype(int), _features(prepared, "val"),
                           a["y_val"].astype(int), _features(prepared, "test"), _n_classes(prepared))
    return _labels(prepared, out)


def _tfidf_logistic(prepared: Prepared) -> np.ndarray:
    a = prepared.arrays
    train, val, test = tokens.tfidf(a["X_train"], a["X_val"], a["X_test"])
    # TF-IDF rows are already unit length; standardising would destroy the sparsity
    out = summary.logistic(train, a["y_train"].astype(int), val, a["y_val"].astype(int), test,  # type: ignore[arg-type]
                           _n_classes(prepared), scale=False)
    return _labels(prepared, out)


def _tfidf_ridge(prepared: Prepared) -> np.ndarray:
    from sklearn.linear_model import RidgeCV

    a = prepared.arrays
    train, val, test = tokens.tfidf(a["X_train"], a["X_val"], a["X_test"])
    x, y = _labelled(prepared, train, val)
    model = RidgeCV(alphas=summary.ALPHAS).fit(x, y)
    return np.asarray(model.predict(test)).reshape(-1, 1)


def _bigram(prepared: Prepared) -> np.ndarray:
    a = prepared.arrays
    return tokens.bigram_probabilities(a["X_train"], a["y_train"], a["X_test"], _n_classes(prepared))


def _statistical(model: str) -> Callable[[Prepared, tuple[float, ...] | None], forecast.Forecasts]:
    def fit_predict(prepared: Prepared, levels: tuple[float, ...] | None = None) -> forecast.Forecasts:
        f = prepared.spec.forecast
        assert f is not None, "a forecast spec"
        if not has_history(prepared.arrays, "test"):
            raise DataError("data/prepared has no series histories (series_values, origin_test): it was prepared "
                            "by an older seqpipe; run `dvc repro -f prepare`")
        origins = np.asarray(prepared.arrays["origin_test"])
        return forecast.forecast_windows(model, histories(prepared.arrays, "test"), origins[:, 0], f.horizon, f.season,
                                         levels)

    return fit_predict


CLASSICAL: dict[str, Classical] = {c.name: c for c in (
    Classical("tfidf_logistic", "TF-IDF + logistic regression", _tfidf_logistic),
    Classical("tfidf_ridge", "TF-IDF + ridge regression", _tfidf_ridge),
    Classical("summary_logistic", "summary features + logistic regression", _summary_logistic),
    Classical("summary_ridge", "summary features + ridge regression", _summary_ridge),
    Classical("bigram", "bigram (previous token) frequencies", _bigram),
    Classical("seasonal_naive", "SeasonalNaive", _statistical("seasonal_naive"), intervals=True),
    Classical("auto_ets", "AutoETS", _statistical("auto_ets"), intervals=True),
    Classical("auto_arima", "AutoARIMA", _statistical("auto_arima"), intervals=True),
)}


def for_task(prepared: Prepared) -> list[Classical]:
    """The classical baselines the task table gives this task and input kind (possibly none)."""
    names = tasks.get(prepared.spec.task).classical_for(prepared.spec.input_kind)
    unknown = [n for n in names if n not in CLASSICAL]
    assert not unknown, f"the task table names classical baselines that do not exist: {unknown}"
    return [CLASSICAL[n] for n in names]


def run(prepared: Prepared, levels: tuple[float, ...] | None = None) -> list[Outcome]:
    """Fit and score every classical baseline of the prepared data's task on its test split; with
    quantile `levels` (train.quantiles), those with prediction intervals forecast each level."""
    task = tasks.get(prepared.spec.task)
    outcomes = []
    for baseline in for_task(prepared):
        start = time.perf_counter()
        result = baseline.fit_predict(prepared, levels) if baseline.intervals else baseline.fit_predict(prepared)
        seconds = time.perf_counter() - start
        raw: tasks.Output = result if isinstance(result, np.ndarray) else (
            result.values if result.quantiles is None else result.quantiles)
        notes = forecast.summarise(result.notes) if isinstance(result, forecast.Forecasts) else []
        scores = task.scores(prepared.arrays["y_test"], raw, prepared.spec)
        outcomes.append(Outcome(baseline.name, baseline.description, {k: significant(v) for k, v in scores.items()},
                                raw, round(seconds, 3), tuple(notes)))
    return outcomes

"""Numeric series: summary features of each sequence, then a linear model on them.

Per feature: mean, standard deviation, minimum, maximum, first and last value, the slope of a
least-squares line and the mean absolute step; across features (up to MAX_PAIRED of them) the mean
of every pairwise product, the sequence's second moments, which is how a linear model sees how
channels move together. Padded steps (every feature equal to the pad value, in padded data only)
are left out of every statistic.
"""
from __future__ import annotations

import warnings

import numpy as np

# F features give F (F - 1) / 2 products; beyond 16 features (120 products) they would outnumber
# the per-feature statistics and slow the fit for little gain.
MAX_PAIRED = 16
C_GRID = (0.1, 1.0, 10.0)  # inverse regularisation of the logistic models, chosen on validation log-loss
ALPHAS = np.logspace(-3, 3, 13)  # ridge penalties, chosen by efficient leave-one-out


def summary_features(x: np.ndarray, pad_value: float | None = None) -> np.ndarray:
    """(n, steps, features) -> (n, k) statistics; `pad_value` given: steps all equal to it are padding."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        x = x[:, :, None]
    n, steps, f = x.shape
    real = np.ones((n, steps), dtype=bool) if pad_value is None else ~np.all(x == pad_value, axis=-1)
    real[~real.any(axis=1), -1] = True  # an all-padding sequence still has one (padding) step to describe
    m = real[:, :, None]
    count = m.sum(axis=1)  # (n, 1)
    mean = np.where(m, x, 0.0).sum(axis=1) / count
    centred = np.where(m, x - mean[:, None, :], 0.0)
    std = np.sqrt((centred**2).sum(axis=1) / count)
    low = np.where(m, x, np.inf).min(axis=1)
    high = np.where(m, x, -np.inf).max(axis=1)
    first_i = real.argmax(axis=1)
    last_i = steps - 1 - real[:, ::-1].argmax(axis=1)
    rows = np.arange(n)
    first, last = x[rows, first_i], x[rows, last_i]
    t = np.where(real, np.arange(steps)[None, :], 0).astype(np.float64)
    t_c = np.where(real, t - t.sum(axis=1, keepdims=True) / count, 0.0)
    slope = (t_c[:, :, None] * centred).sum(axis=1) / np.maximum((t_c**2).sum(axis=1), 1e-12)[:, None]
    both = real[:, 1:] & real[:, :-1]
    step = np.where(both[:, :, None], np.abs(np.diff(x, axis=1)), 0.0).sum(axis=1) / np.maximum(both.sum(axis=1), 1)[:, None]
    parts = [mean, std, low, high, first, last, slope, step]
    if 1 < f <= MAX_PAIRED:
        i, j = np.triu_indices(f, k=1)
        parts.append(np.where(m, x[:, :, i] * x[:, :, j], 0.0).sum(axis=1) / count)
    return np.concatenate(parts, axis=1)


def ridge(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    """RidgeCV on standardised features: predictions for `x_test`, (n, 1)."""
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), RidgeCV(alphas=ALPHAS))
    model.fit(x_train, y_train.astype(np.float64))
    return model.predict(x_test).reshape(-1, 1)


def logistic(x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, x_test: np.ndarray,
             n_classes: int, scale: bool = True) -> np.ndarray:
    """Logistic regression, C chosen on the validation split's log-loss: test class probabilities
    (n, n_classes), every class a column even when the training split lacks it."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    best, best_loss = None, np.inf
    for c in C_GRID:
        steps = [StandardScaler()] if scale else []
        model = make_pipeline(*steps, LogisticRegression(C=c, max_iter=2000, random_state=0))
        with warnings.catch_warnings():  # an unconverged fit is still a fair baseline
            warnings.simplefilter("ignore")
            model.fit(x_train, y_train)
        if len(y_val) == 0:
            best = model
            break
        loss = log_loss(y_val, _columns(model, x_val, n_classes), labels=list(range(n_classes)))
        if loss < best_loss:
            best, best_loss = model, loss
    assert best is not None
    return _columns(best, x_test, n_classes)


def _columns(model: object, x: np.ndarray, n_classes: int) -> np.ndarray:
    out = np.zeros((x.shape[0], n_classes))
    out[:, model.classes_.astype(int)] = model.predict_proba(x)  # type: ignore[attr-defined]
    return out

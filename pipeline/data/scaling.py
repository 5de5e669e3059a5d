"""Per-feature standardisation with training-split statistics, chunked so large arrays are never copied."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from seqpipe.errors import DataError

if TYPE_CHECKING:  # imported where a scaler is fitted: `seqpipe predict` and `validate` start without scikit-learn
    from sklearn.preprocessing import StandardScaler

CHUNK = 16384  # rows per chunk for in-place work on large arrays


def fit_scaler(x_train: np.ndarray, real: np.ndarray | None = None) -> StandardScaler:
    """Per-feature standardisation fitted on the training split only (chunked, so a large array
    is never copied whole); `real` (n, steps) excludes padded steps from the statistics."""
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler()
    features = x_train.shape[-1]
    for start in range(0, len(x_train), CHUNK):
        chunk = x_train[start : start + CHUNK]
        rows = chunk[real[start : start + CHUNK]] if real is not None else chunk.reshape(-1, features)
        if len(rows):
            scaler.partial_fit(rows.reshape(-1, features))
    if not hasattr(scaler, "mean_"):
        raise DataError("the training split has no data to fit the scaler on")
    return scaler


def znorm_series(sequences: np.ndarray | list[np.ndarray]) -> np.ndarray | list[np.ndarray]:
    """`data.znorm`: each (steps, features) series minus its own mean, over its own standard deviation
    (population, as the UCR archive and dl-4-tsc's reader do), feature by feature; a constant feature
    is only centred. An (n, steps, features) array stays one array; a list of series stays a list."""
    def one(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        std = x.std(axis=0, keepdims=True)
        return ((x - x.mean(axis=0, keepdims=True)) / np.where(std == 0, 1.0, std)).astype(np.float32)

    if isinstance(sequences, np.ndarray) and sequences.ndim == 3:
        x = sequences.astype(np.float64)
        std = x.std(axis=1, keepdims=True)
        return ((x - x.mean(axis=1, keepdims=True)) / np.where(std == 0, 1.0, std)).astype(np.float32)
    return [one(x) for x in sequences]


def apply_scaler(scaler: StandardScaler, x: np.ndarray, padded: np.ndarray | None = None, value: float = 0.0) -> np.ndarray:
    """Standardise `x` in place (float32, chunked); padded steps are set back to `value`."""
    mean = scaler.mean_.astype(np.float32)
    scale = scaler.scale_.astype(np.float32)
    for start in range(0, len(x), CHUNK):
        chunk = x[start : start + CHUNK]
        with np.errstate(over="ignore"):  # values near the float32 limit: prepare names them after scaling
            chunk -= mean
            chunk /= scale
        if padded is not None:
            chunk[padded[start : start + CHUNK]] = value
    return x

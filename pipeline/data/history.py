"""Forecasting: each series' whole history and where every window starts in it.

The statistical baselines (`seqpipe.baselines.forecast`) fit on a series' full history up to a
window's origin, not only on the window's lookback steps, so prepare stores beside the windows:

- `series_values` (n_series, max_len) float64: the forecast column in the data's units (never
  scaled), NaN after each series' end;
- `series_lengths` (n_series,) int64: the real steps of each row;
- `origin_<split>` (n_windows, 2) int64: per window of the split, (series index, first forecast
  step), in the split's row order. The window's inputs are the `lookback` steps before that step.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

HISTORY_ARRAYS = ("series_values", "series_lengths")
ORIGIN_PREFIX = "origin_"


def history_arrays(series: Sequence[np.ndarray], feature: int,
                   origins: Mapping[str, Sequence[tuple[int, int]]]) -> dict[str, np.ndarray]:
    """`series`: each (steps, features) in the data's units; `origins[split]`: (series index,
    first forecast step) per window, in row order -> the arrays named in the module docstring."""
    lengths = np.array([len(s) for s in series], dtype=np.int64)
    values = np.full((len(series), int(lengths.max(initial=0))), np.nan, dtype=np.float64)
    for i, s in enumerate(series):
        column = np.asarray(s, dtype=np.float64)
        values[i, : len(s)] = column[:, feature] if column.ndim == 2 else column
    arrays = {"series_values": values, "series_lengths": lengths}
    for split, pairs in origins.items():
        arrays[f"{ORIGIN_PREFIX}{split}"] = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return arrays


def histories(arrays: Mapping[str, np.ndarray], split: str) -> list[np.ndarray]:
    """The history before each window of `split`: the forecast column up to its first forecast step."""
    values = arrays["series_values"]
    return [values[i, :start] for i, start in arrays[f"{ORIGIN_PREFIX}{split}"]]


def has_history(arrays: Mapping[str, np.ndarray], split: str) -> bool:
    """Whether prepare stored the series' histories (data prepared before they existed has none)."""
    return all(k in arrays for k in (*HISTORY_ARRAYS, f"{ORIGIN_PREFIX}{split}"))

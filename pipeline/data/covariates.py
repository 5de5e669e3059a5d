"""Forecast covariates as model inputs: future ones (columns and calendar features) and static ones.

The data source reads the declared columns (`seqpipe.table_covariates`, RawData.covariates); here
the core turns them into input channels the same way for prepare and `seqpipe predict`:

- future covariates (with the calendar features of `seqpipe.data.calendar`) and static ones are
  standardised with training statistics (future: the training range of every series; static:
  over the series); a static column of labels is one-hot encoded with the categories of the
  training series (a label unseen in training gets no category: all zeros before standardising);
- a window's input is `lookback + horizon` steps: over the lookback the series' own channels
  (target and input features, scaled as before), then the future covariates over the lookback
  and the horizon, then the static values on every step; the series' channels are zero over
  the horizon. `seqpipe.training.covariate_inputs` takes the input apart inside the model.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from seqpipe.data import calendar
from seqpipe.data.naming import origin_prefix, sequence_name
from seqpipe.data.spec import CovariateSpec, PreparedSpec
from seqpipe.errors import DataError
from seqpipe.specs import Covariates, RawData


@dataclass
class Encoded:
    """Covariate channels of every series, standardised, and how they were made."""

    spec: CovariateSpec
    future: list[np.ndarray]  # per series (T_i, future channels), over its steps
    static: np.ndarray  # (series, static channels)


def _stats(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if values.shape[1] == 0:
        return np.zeros(0), np.ones(0)
    mean, std = values.mean(axis=0, dtype=np.float64), values.std(axis=0, dtype=np.float64)
    return mean, np.where(std > 0, std, 1.0)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, bool, np.integer, np.floating, np.bool_))


def _static_columns(cov: Covariates, categories: dict[str, list[str]] | None) -> tuple[np.ndarray, dict[str, list[str]]]:
    """(series, channels) raw static channels: a number as it is, labels one-hot (categories
    taken from these series when `categories` is None, i.e. in training)."""
    known: dict[str, list[str]] = {} if categories is None else categories
    blocks = []
    for j, col in enumerate(cov.static):
        column = [row[j] for row in cov.static_values]
        if categories is None and all(_is_number(v) for v in column):
            blocks.append(np.asarray(column, dtype=np.float64)[:, None])
            continue
        if categories is None:
            known[col] = sorted({str(v) for v in column})
        elif col not in known:  # trained as a number
            try:
                blocks.append(np.asarray(column, dtype=np.float64)[:, None])
            except (TypeError, ValueError):
                raise DataError(f"data.options.static_covariates: column '{col}' held numbers in training, "
                                f"here {next(v for v in column if not _is_number(v))!r}") from None
            continue
        labels = known[col]
        blocks.append(np.asarray([[str(v) == label for label in labels] for v in column], dtype=np.float64))
    matrix = np.concatenate(blocks, axis=1) if blocks else np.zeros((len(cov.static_values), 0))
    return matrix, known


def _future_of(raw: RawData, i: int, cov: Covariates, features: list[str], steps: slice) -> np.ndarray:
    """Raw future channels of series i over `steps` of its own steps."""
    values = cov.values[i][steps]
    if features:
        assert raw.times is not None, "the source checked that calendar features have dates"
        values = np.concatenate([values, calendar.values(raw.times[i][steps], features)], axis=1)
    return values


def encode(raw: RawData, train_end: list[int], freq: str | None, series_features: int) -> Encoded | None:
    """The covariate channels of prepare, standardised with statistics of the training ranges
    (`train_end`: each series' end of training, exclusive), after the series' own
    `series_features` channels; None when none were declared."""
    cov = raw.covariates
    if cov is None:
        return None
    features = calendar.features_for(cov.calendar, freq)
    future = [_future_of(raw, i, cov, features, slice(None)).astype(np.float64) for i in range(len(cov.values))]
    mean, scale = _stats(np.concatenate([f[:b] for f, b in zip(future, train_end)]))
    static, categories = _static_columns(cov, None)
    static_mean, static_scale = _stats(static)
    spec = CovariateSpec(
        series_features=series_features,
        future=cov.future, calendar=features, static=cov.static, categories=categories,
        mean=[round(float(v), 8) for v in mean], scale=[round(float(v), 8) for v in scale],
        static_mean=[round(float(v), 8) for v in static_mean], static_scale=[round(float(v), 8) for v in static_scale],
    )
    return Encoded(spec, [_standardise(f, spec.mean, spec.scale) for f in future],
                   _standardise(static, spec.static_mean, spec.static_scale))


def _standardise(values: np.ndarray, mean: list[float], scale: list[float]) -> np.ndarray:
    with np.errstate(over="ignore"):
        return ((values - np.asarray(mean)) / np.asarray(scale)).astype(np.float32)


def pack(x: np.ndarray, enc: Encoded, origins: list[tuple[int, int]], horizon: int) -> np.ndarray:
    """Series windows (n, lookback, series channels) -> the model's input (n, lookback + horizon,
    all channels) for windows at `origins` (series index, first forecast step)."""
    n, lookback, own = x.shape
    k, s = enc.spec.future_channels, enc.spec.static_channels
    out = np.zeros((n, lookback + horizon, own + k + s), np.float32)
    out[:, :lookback, :own] = x
    for row, (i, t) in enumerate(origins):
        out[row, :, own : own + k] = enc.future[i][t - lookback : t + horizon]
    if s:
        out[:, :, own + k :] = enc.static[[i for i, _ in origins]][:, None, :]
    return out


def new_inputs(raw: RawData, spec: PreparedSpec, x: np.ndarray,
               continued: list[np.ndarray] | None) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """`seqpipe predict`: the last windows `x` (n, lookback, series channels, preprocessed) with the
    covariates of the `horizon` steps after each series' end (its rows after the last target,
    calendar features of their dates or of `continued`, the timestamps continued at the training
    frequency), standardised as in training. Returns the inputs and the forecast's timestamps."""
    f = spec.forecast
    assert f is not None and f.covariates is not None, "a forecast spec with covariates"
    c, horizon, lookback = f.covariates, f.horizon, spec.timesteps
    cov = raw.covariates
    if cov is None:
        raise DataError(f"{origin_prefix(raw)}the model was trained with covariates; give a file in the training "
                        "data's format with the same data.options")
    rows, stamps = [], []
    for i in range(len(cov.values)):
        after = cov.after[i][:horizon]
        if c.future and (len(after) < horizon or not np.isfinite(after).all()):
            have = int(np.isfinite(after).all(axis=1).cumprod().sum()) if len(after) else 0
            raise DataError(f"{origin_prefix(raw)}{sequence_name(raw, i)}: data.options.future_covariates "
                            f"{', '.join(c.future)}: {have} of the {horizon} steps after its last target have them; the "
                            f"forecast needs all {horizon} (data.window.horizon): add those rows with the covariates "
                            "and an empty target")
        known = cov.after_times[i][:horizon] if cov.after_times is not None else np.zeros(0)
        times = known if len(known) == horizon else (continued[i] if continued is not None else None)
        if times is not None:
            stamps.append(times)
        past = _future_of(raw, i, cov, c.calendar, slice(len(cov.values[i]) - lookback, None))
        ahead = after if c.future else np.zeros((horizon, 0))
        if c.calendar:
            assert times is not None, "calendar features come with dates"
            ahead = np.concatenate([ahead, calendar.values(times, c.calendar)], axis=1)
        rows.append(np.concatenate([past, ahead]).astype(np.float64))
    future = [_standardise(r, c.mean, c.scale) for r in rows]
    static, _ = _static_columns(cov, c.categories)
    enc = Encoded(c, future, _standardise(static, c.static_mean, c.static_scale))
    origins = [(i, lookback) for i in range(len(future))]
    return pack(x, enc, origins, horizon), (stamps if len(stamps) == len(future) else continued)


def summary(spec: PreparedSpec) -> str | None:
    """One line for prepare's log: the covariates and the channels they gave."""
    f = spec.forecast
    if f is None or f.covariates is None:
        return None
    c = f.covariates
    parts = [f"future {', '.join(c.future)}" if c.future else "",
             f"calendar {', '.join(c.calendar)} (sin and cos)" if c.calendar else "",
             f"static {', '.join(c.static)} ({c.static_channels} channels)" if c.static else ""]
    return (f"prepare: covariates: {'; '.join(p for p in parts if p)}; inputs of {spec.timesteps} + {f.horizon} "
            f"steps x {spec.features} channels (series {c.series_features}, future {c.future_channels}, static "
            f"{c.static_channels})")

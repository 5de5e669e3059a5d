"""Forecasting data: sliding windows over whole series, split by time, and the seasonal naive forecast."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.preprocessing import StandardScaler

from seqpipe import progress as progress_module
from seqpipe.config.params import WindowParams
from seqpipe.data.cleaning import check_finite_outputs
from seqpipe.data.history import history_arrays
from seqpipe.data.naming import origin_prefix, sequence_name
from seqpipe.data.prepared import Prepared
from seqpipe.data.scaling import apply_scaler
from seqpipe.data.spec import ForecastSpec, PaddingSpec, PreparedSpec, ScalerSpec, SplitCounts
from seqpipe.data.splits import SPLITS
from seqpipe.errors import DataError
from seqpipe.specs import RawData


def window_starts(length: int, lookback: int, horizon: int, stride: int) -> np.ndarray:
    """First forecast step of every window of one series (inputs are the `lookback` steps before)."""
    return np.arange(lookback, length - horizon + 1, stride)


def seasonal_naive(history: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """(n, lookback) history of the forecast column -> (n, horizon) seasonal naive forecast:
    each future step repeats the value one season earlier (season 1 = the last value)."""
    last = history[:, history.shape[1] - season :]
    reps = int(np.ceil(horizon / season))
    return np.tile(last, (1, reps))[:, :horizon]


def prepare_forecast(
    raw: RawData, *, window: WindowParams, val: float, test: float, scale: bool,
    progress: Callable[[str], None] = progress_module.nothing,
) -> Prepared:
    """Sliding windows over each series, split by time: in every series the first
    `1 - val - test` of the steps give training windows, the next `val` validation and the last
    `test` test windows. A window belongs to a split only if its forecast steps all lie inside
    that split's time range, so no target leaks into an earlier split; the scaler and the MASE
    scale use the training range only. Targets stay in the data's units."""
    lookback, horizon, stride, season = window.lookback, window.horizon, window.stride, window.season
    if season > lookback:
        raise DataError(f"data.window.season ({season}) must not exceed data.window.lookback ({lookback})")
    series = []
    for i, s in enumerate(raw.sequences):
        s = np.asarray(s, dtype=np.float32)
        s = s[:, None] if s.ndim == 1 else s
        if len(s) < lookback + horizon:
            raise DataError(
                f"{origin_prefix(raw)}{sequence_name(raw, i)} has {len(s)} steps, shorter than lookback + horizon = "
                f"{lookback + horizon}; lower data.window.lookback or drop the series"
            )
        series.append(s)
    if not series:
        raise DataError(f"{origin_prefix(raw)}no series to forecast")
    f = raw.forecast_feature
    features = series[0].shape[1]
    if any(s.shape[1] != features for s in series):
        raise DataError(f"{origin_prefix(raw)}series have different numbers of features")

    progress("splitting")  # windows, split by time
    bounds = []
    xs: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    ys: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    origins: dict[str, list[int]] = {s: [] for s in SPLITS}  # the series each window comes from, for messages
    starts: dict[str, list[tuple[int, int]]] = {s: [] for s in SPLITS}  # (series, first forecast step)
    for i, s in enumerate(series):
        t = len(s)
        t_train, t_val = int(t * (1.0 - val - test)), int(t * (1.0 - test))
        bounds.append(t_train)
        ranges = {"train": (0, t_train), "val": (t_train, t_val), "test": (t_val, t)}
        for split, (lo, hi) in ranges.items():
            for start in window_starts(t, lookback, horizon, stride):
                if start >= lo and start + horizon <= hi:
                    xs[split].append(s[start - lookback : start])
                    ys[split].append(s[start : start + horizon, f])
                    origins[split].append(i)
                    starts[split].append((i, int(start)))
    for split in SPLITS:
        if not xs[split]:
            raise DataError(
                f"{origin_prefix(raw)}no complete {split} windows (lookback {lookback}, horizon {horizon}); "
                "the series are too short for this split; use longer series or a smaller window"
            )
    arrays = {}
    for split in SPLITS:
        arrays[f"X_{split}"] = np.stack(xs[split]).astype(np.float32)
        arrays[f"y_{split}"] = np.stack(ys[split]).astype(np.float32)

    train_steps = np.concatenate([s[:b] for s, b in zip(series, bounds)])
    target_train = train_steps[:, f]
    diffs = np.concatenate([np.abs(s[season:b, f] - s[: b - season, f]) for s, b in zip(series, bounds) if b > season])
    mase_scale = float(diffs.mean()) if len(diffs) and diffs.mean() > 0 else 1.0
    scaler_stats = None
    if scale:
        progress("scaling")
        scaler = StandardScaler().fit(train_steps)
        for split in SPLITS:
            arrays[f"X_{split}"] = apply_scaler(scaler, arrays[f"X_{split}"])
        scaler_stats = ScalerSpec(mean=scaler.mean_.tolist(), scale=scaler.scale_.tolist())
    names = {split: (lambda row, at=origins[split]: f"a window of {sequence_name(raw, at[row])}") for split in SPLITS}
    check_finite_outputs(raw, arrays, names, scaled=scale)
    arrays.update(history_arrays(series, f, starts))  # whole series for the statistical baselines (NaN-padded)
    sizes = {s: int(len(arrays[f"y_{s}"])) for s in SPLITS}
    spec = PreparedSpec(
        task="forecast",
        input_kind="numeric",
        timesteps=int(lookback),
        features=int(features),
        sizes=SplitCounts(**sizes),
        padding=PaddingSpec(maxlen_from="data.window.lookback"),
        scaler=scaler_stats,
        forecast=ForecastSpec(
            horizon=horizon, stride=stride, season=season,
            feature=int(f),
            feature_name=raw.feature_names[f] if raw.feature_names else str(f),
            series=len(series),
            mase_scale=round(mase_scale, 8),
            target_mean=round(float(target_train.mean()), 8),
            target_std=round(float(target_train.std()) or 1.0, 8),
        ),
        source=raw.description,
    )
    return Prepared(arrays, spec)


def forecast_history(spec: PreparedSpec, x: np.ndarray) -> np.ndarray:
    """The forecast column of input windows, back in the data's units: (n, lookback)."""
    assert spec.forecast is not None, "a forecast spec"
    f = spec.forecast.feature
    history = x[:, :, f].astype(np.float64)
    if spec.scaler:
        history = history * spec.scaler.scale[f] + spec.scaler.mean[f]
    return history

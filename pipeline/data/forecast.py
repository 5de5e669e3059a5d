"""Forecasting data: windows over whole series, split by time, and the seasonal naive forecast."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.preprocessing import StandardScaler

from seqpipe import progress as progress_module
from seqpipe.config.params import WindowParams
from seqpipe.data import covariates, differencing, forecast_windows, log_choice
from seqpipe.data.cleaning import check_finite_outputs
from seqpipe.data.history import history_arrays
from seqpipe.data.naming import origin_prefix, sequence_name
from seqpipe.data.prepared import Prepared
from seqpipe.data.scaling import apply_scaler
from seqpipe.data.season import infer_season
from seqpipe.data.spec import ForecastSpec, PaddingSpec, PreparedSpec, ScalerSpec, SplitCounts
from seqpipe.data.splits import SPLITS
from seqpipe.errors import DataError
from seqpipe.specs import RawData


def seasonal_naive(history: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """(n, lookback) history of the forecast column -> (n, horizon) seasonal naive forecast:
    each future step repeats the value one season earlier (season 1 = the last value)."""
    last = history[:, history.shape[1] - season :]
    reps = int(np.ceil(horizon / season))
    return np.tile(last, (1, reps))[:, :horizon]


def _season(raw: RawData, window: WindowParams) -> tuple[int, str]:
    if window.season != "auto":
        return int(window.season), "data.window.season"
    season, how = infer_season(raw.times)
    if season > window.lookback:
        raise DataError(f"{origin_prefix(raw)}data.window.season auto: season {season} {how}, longer than "
                        f"data.window.lookback {window.lookback}; set data.window.lookback to {season} or more, "
                        "or data.window.season to a number")
    return season, f"auto, {how}"


def _freq(raw: RawData) -> str | None:
    """pandas' frequency of dated timestamps (continued by `seqpipe predict`), None otherwise."""
    import pandas as pd

    if not raw.times or not np.issubdtype(raw.times[0].dtype, np.datetime64):
        return None
    stamps = max(raw.times, key=len)
    return pd.infer_freq(pd.DatetimeIndex(stamps)) if len(stamps) >= 3 else None


def prepare_forecast(
    raw: RawData, *, window: WindowParams, val: float, test: float, scale: bool,
    progress: Callable[[str], None] = progress_module.nothing,
) -> Prepared:
    """Windows over each series, split by time as `data.window.protocol` says
    (`seqpipe.data.forecast_windows`): no target leaks into an earlier split, and the scaler, the
    MASE scale and the target statistics use each series' training range only. Targets stay in
    the data's units. Besides X_/y_<split>, writes for the classical baselines `series_values`
    (n_series, max_len; the forecast column, NaN after each series' end), `series_lengths` and
    `origin_<split>` (n_windows, 2): (series index, first forecast step) of every window."""
    lookback, horizon = window.lookback, window.horizon
    season, season_from = _season(raw, window)
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
    if window.protocol == "sliding" and raw.test_start is not None:
        raise DataError(f"{origin_prefix(raw)}the data has an official split (split column), which "
                        "data.window.protocol sliding cannot respect; use protocol cutoff or drop split_column")
    lengths = [len(s) for s in series]
    plan = (forecast_windows.cutoff(raw, lengths, window) if window.protocol == "cutoff"
            else forecast_windows.sliding(lengths, window, val, test))
    for split in SPLITS:
        if not plan.origins[split]:
            raise DataError(
                f"{origin_prefix(raw)}no complete {split} windows (lookback {lookback}, horizon {horizon}); "
                "the series are too short for this split; use longer series or a smaller window"
            )
    arrays: dict[str, np.ndarray] = {}
    for split in SPLITS:
        at = plan.origins[split]
        arrays[f"X_{split}"] = np.stack([series[i][t - lookback : t] for i, t in at]).astype(np.float32)
        arrays[f"y_{split}"] = np.stack([series[i][t : t + horizon, f] for i, t in at]).astype(np.float32)

    bounds = plan.train_end
    try:
        log, log_from = log_choice.choose(window, [s[:, f] for s in series], bounds, season,
                                          [sequence_name(raw, i) for i in range(len(series))])
    except DataError as error:
        raise DataError(f"{origin_prefix(raw)}{error}") from None
    difference, difference_from = differencing.choose(window, season, [s[:b, f] for s, b in zip(series, bounds)], log)
    train_steps = np.concatenate([s[:b] for s, b in zip(series, bounds)])
    target_train = train_steps[:, f]
    diffs = np.concatenate([np.abs(s[season:b, f] - s[: b - season, f]) for s, b in zip(series, bounds) if b > season])
    mase_scale = float(diffs.mean()) if len(diffs) and diffs.mean() > 0 else 1.0
    scaler_stats = None
    # per-window normalisation makes the model blind to a global affine scaling, which only costs
    # precision on many series of different sizes (a small one becomes a near-constant): skipped then
    if scale and window.normalize == "none":
        progress("scaling")
        scaler = StandardScaler().fit(train_steps)
        for split in SPLITS:
            arrays[f"X_{split}"] = apply_scaler(scaler, arrays[f"X_{split}"])
        scaler_stats = ScalerSpec(mean=scaler.mean_.tolist(), scale=scaler.scale_.tolist())
    freq = _freq(raw)
    encoded = covariates.encode(raw, bounds, freq, features)  # future and static covariates: more input channels
    if encoded is not None:
        for split in SPLITS:
            arrays[f"X_{split}"] = covariates.pack(arrays[f"X_{split}"], encoded, plan.origins[split], horizon)
    names = {split: (lambda row, at=plan.origins[split]: f"a window of {sequence_name(raw, at[row][0])}")
             for split in SPLITS}
    check_finite_outputs(raw, arrays, names, scaled=scaler_stats is not None)
    arrays.update(history_arrays(series, f, plan.origins))  # whole series for the statistical baselines
    sizes = {s: len(plan.origins[s]) for s in SPLITS}
    spec = PreparedSpec(
        task="forecast",
        input_kind="numeric",
        timesteps=int(lookback),
        features=int(arrays["X_train"].shape[-1]),
        sizes=SplitCounts(**sizes),
        official_split=window.protocol == "cutoff" and (window.cutoff is not None or raw.test_start is not None),
        padding=PaddingSpec(maxlen_from="data.window.lookback"),
        scaler=scaler_stats,
        forecast=ForecastSpec(
            horizon=horizon, stride=window.stride, season=season, season_from=season_from,
            protocol=window.protocol, test_from=plan.test_from, val_from=plan.val_from,
            until_from=plan.until_from,
            normalize=window.normalize,
            linear_skip=window.linear_skip, log=log, log_from=log_from, difference=difference,
            difference_from=difference_from, freq=freq,
            feature=int(f),
            feature_name=raw.feature_names[f] if raw.feature_names else str(f),
            series=len(series),
            mase_scale=round(mase_scale, 8),
            target_mean=round(float(target_train.mean()), 8),
            target_std=round(float(target_train.std()) or 1.0, 8),
            covariates=None if encoded is None else encoded.spec,
        ),
        source=raw.description,
    )
    return Prepared(arrays, spec)


def log_lines(spec: PreparedSpec) -> list[str]:
    """What prepare says about a forecast: the season and where it came from, the validation windows, the protocol."""
    f = spec.forecast
    if f is None:
        return []
    test = f"test = {f.test_from}" if f.protocol == "cutoff" else f"test = {f.test_from}, sliding windows"
    return [f"prepare: forecast season {f.season} ({f.season_from})",
            *([f"prepare: validation windows: {f.val_from}"] if f.val_from else []),
            *([f"prepare: {f.until_from}"] if f.until_from else []),
            f"prepare: protocol {f.protocol}: {test}; {spec.sizes.test} test, {spec.sizes.val} validation and "
            f"{spec.sizes.train} training windows of {spec.timesteps} -> {f.horizon} steps; per-window "
            f"normalisation {f.normalize}; differences {f.difference} ({f.difference_from}); "
            f"logs {'on' if f.log else 'off'} ({f.log_from})",
            *filter(None, [covariates.summary(spec)])]


def forecast_history(spec: PreparedSpec, x: np.ndarray) -> np.ndarray:
    """The forecast column of input windows, back in the data's units: (n, lookback)."""
    assert spec.forecast is not None, "a forecast spec"
    f = spec.forecast.feature
    history = x[:, : spec.timesteps, f].astype(np.float64)  # with covariates the inputs go on over the horizon
    if spec.scaler:
        history = history * spec.scaler.scale[f] + spec.scaler.mean[f]
    return history

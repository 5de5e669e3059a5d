"""Forecasting: seasonal naive, ETS and ARIMA from statsforecast, on each series' whole history.

Every test window is forecast from its own origin, like the architectures: the model sees the
series' forecast column up to the window's first forecast step (its full history, not only the
lookback window; `seqpipe.data.history`) and forecasts the window's `horizon` steps, with the
prepared season (`data.window.season`).

- `seasonal_naive`: statsforecast's SeasonalNaive (season 1: the last value). With a season no
  longer than the lookback it equals the report's no-skill row, which it cross-checks.
- `auto_ets`: AutoETS, the ETS state-space models of Hyndman et al. (2008), error, trend
  (none, additive, damped) and season chosen by AICc.
- `auto_arima`: AutoARIMA, the stepwise Hyndman-Khandakar search (differencing by KPSS and a
  seasonal-strength test, orders by AICc), with R's `approximation` rule (CSS during the search
  for long or long-season series).

The model is chosen and estimated on the history before each series' first test origin (with a
single cutoff, the only one); at every later origin of the series, that model with those
parameters is applied to the longer history (statsforecast's `forward`: its state follows the
newer observations; R's `Arima(y, model = fit)`). Re-estimating per window costs seconds per
window for a seasonal ARIMA (2.4 s at season 24, 232 windows: ten minutes on this machine), the
forward pass milliseconds. A fit that fails or forecasts non-finite values falls back to a simpler model (the
same search without season, then the last value) and says so in `notes`. statsforecast over
statsmodels: measured in bench/RESULTS.md ("Statistical forecasting baselines"), its AutoETS
and AutoARIMA are one to two orders of magnitude faster at the same accuracy, and statsmodels
has no automatic ARIMA order search.
"""
from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqpipe.quantiles import MEDIAN, QuantileForecast, from_intervals, interval_percent

MODELS = ("seasonal_naive", "auto_ets", "auto_arima")
SHOWN_NOTES = 5  # fallbacks listed one by one; beyond that a count


@dataclass
class Forecasts:
    """One model's test forecasts (n_windows, horizon) and what happened on the way, for the log;
    with quantile levels (`train.quantiles`), also the forecast at each level from the model's
    prediction intervals (statsforecast's `level`)."""

    values: np.ndarray
    notes: list[str] = field(default_factory=list)
    quantiles: QuantileForecast | None = None


# (history, horizon) -> statsforecast's forecast: "mean", and "lo-<p>"/"hi-<p>" for each interval percent
Fit = Callable[[np.ndarray, int], dict[str, Any]]


def _seasonal_naive(season: int, percents: list[Any]) -> Fit:
    from statsforecast.models import SeasonalNaive

    return lambda y, h: SeasonalNaive(season_length=season).forecast(y=y, h=h, **_level(percents))


def _level(percents: list[Any]) -> dict[str, Any]:
    return {"level": percents} if percents else {}


def _last_value(percents: list[Any]) -> Fit:
    """The last value; its intervals those of the naive forecast (statsforecast's, from the
    one-step residuals), or none (a single point) when even that fails."""

    def fit(y: np.ndarray, h: int) -> dict[str, Any]:
        if percents and len(y) > 2:
            with contextlib.suppress(Exception):  # any failure: a point interval below
                return _checked(_seasonal_naive(1, percents)(y, h), h, percents)
        last = np.full(h, float(y[-1]))
        return {"mean": last, **{f"{side}-{p}": last for p in percents for side in ("lo", "hi")}}

    return fit


def _search(model: str, season: int, percents: list[Any]) -> Callable[[np.ndarray, int], tuple[dict[str, Any], Fit, str]]:
    """AutoETS or AutoARIMA on one history: (its forecast, the chosen model applied to a longer
    history with the same parameters, the chosen model's name)."""
    from statsforecast.models import AutoARIMA, AutoETS

    def search(y: np.ndarray, h: int) -> tuple[dict[str, Any], Fit, str]:
        if model == "auto_ets":
            fitted: Any = AutoETS(season_length=season).fit(y)
            name = str(fitted.model_["method"])
        else:
            fitted = AutoARIMA(season_length=season, approximation=None).fit(y)
            name = _arima_name(fitted.model_)
        forecast = fitted.predict(h=h, **_level(percents))
        return forecast, lambda z, k: fitted.forward(y=z, h=k, **_level(percents)), name

    return search


def _arima_name(fit: dict[str, Any]) -> str:
    """R's notation: ARIMA(p,d,q)(P,D,Q)[m], with drift or non-zero mean."""
    p, q, big_p, big_q, m, d, big_d = (int(v) for v in fit["arma"])
    name = f"ARIMA({p},{d},{q})" + (f"({big_p},{big_d},{big_q})[{m}]" if m > 1 else "")
    return name + (" with drift" if "drift" in fit["coef"] else " with non-zero mean" if "intercept" in fit["coef"] else "")


def _checked(forecast: dict[str, Any], h: int, percents: list[Any]) -> dict[str, Any]:
    """The mean and the interval bounds as float arrays of `h` finite values, or ValueError."""
    keys = ["mean", *(f"{side}-{p}" for p in percents for side in ("lo", "hi"))]
    out = {}
    for key in keys:
        values = np.asarray(forecast[key], dtype=np.float64).reshape(-1)
        if values.shape != (h,) or not np.all(np.isfinite(values)):
            raise ValueError("non-finite or misshapen forecast")
        out[key] = values
    return out


def _why(error: Exception) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0][:120] if str(error) else 'no message'}"


def forecast_windows(model: str, histories: list[np.ndarray], series_of: np.ndarray, horizon: int,
                     season: int, levels: tuple[float, ...] | None = None) -> Forecasts:
    """Forecast `horizon` steps after each history with `model` (one of MODELS); `series_of[i]`
    is the series of history i. Histories of one series are taken in the order of their length.
    With quantile `levels`, each model's central prediction intervals give the forecast at each
    level (the 0.1 and 0.9 quantiles: the 80 % interval; the median: the mean, which the Gaussian
    intervals of these models are centred on)."""
    if model not in MODELS:
        raise KeyError(f"unknown statistical model '{model}'; known: {', '.join(MODELS)}")
    percents = sorted({interval_percent(q) for q in levels or () if q != MEDIAN})
    rows: list[dict[str, Any]] = [{} for _ in histories]
    notes: list[str] = []
    with warnings.catch_warnings():  # statsforecast warns on near-singular fits; the fallbacks handle them
        warnings.simplefilter("ignore")
        if model == "seasonal_naive":
            fit = _seasonal_naive(season, percents)
            for i, y in enumerate(histories):
                rows[i] = _checked(fit(y, horizon) if len(y) >= season else _last_value(percents)(y, horizon), horizon,
                                   percents)
            return _gathered(rows, notes, levels, percents)
        label = "AutoETS" if model == "auto_ets" else "AutoARIMA"
        for series in np.unique(series_of):
            order = sorted(np.flatnonzero(series_of == series), key=lambda r: len(histories[r]))
            apply: Fit | None = None
            for r in order:
                y = np.asarray(histories[r], dtype=np.float64)
                if apply is not None:
                    try:
                        rows[r] = _checked(apply(y, horizon), horizon, percents)
                        continue
                    except Exception as error:  # any failure of the fit falls back
                        notes.append(f"series {series} at step {len(y)}: applying the chosen model failed "
                                     f"({_why(error)}); searched again")
                rows[r], apply, chosen = _with_fallbacks(model, label, y, horizon, season, notes, series, percents)
                if r == order[0]:
                    notes.append(f"series {series}: {chosen} chosen at step {len(y)}")
    return _gathered(rows, notes, levels, percents)


def _gathered(rows: list[dict[str, Any]], notes: list[str], levels: tuple[float, ...] | None,
              percents: list[Any]) -> Forecasts:
    means = np.stack([r["mean"] for r in rows]) if rows else np.empty((0, 0))
    if not levels:
        return Forecasts(means, notes)
    bounds = {p: (np.stack([r[f"lo-{p}"] for r in rows]), np.stack([r[f"hi-{p}"] for r in rows])) for p in percents}
    return Forecasts(means, notes, from_intervals(levels, means, bounds))


def _with_fallbacks(model: str, label: str, y: np.ndarray, h: int, season: int, notes: list[str],
                    series: int, percents: list[Any]) -> tuple[dict[str, Any], Fit | None, str]:
    """The search with the season, then without, then the last value; each failure noted."""
    seasons = [season, 1] if season > 1 else [1]
    for m in seasons:
        try:
            forecast, apply, chosen = _search(model, m, percents)(y, h)
            return _checked(forecast, h, percents), apply, chosen
        except Exception as error:  # any failure of the library falls back
            notes.append(f"series {series} at step {len(y)}: {label} (season {m}) failed ({_why(error)}); "
                         + ("tried without season" if m > 1 else "used the last value"))
    return _last_value(percents)(y, h), None, "the last value"


def summarise(notes: list[str]) -> list[str]:
    """The log lines of a model's notes: the first few, then how many more."""
    shown = notes[:SHOWN_NOTES]
    if len(notes) > SHOWN_NOTES:
        shown.append(f"... and {len(notes) - SHOWN_NOTES} more")
    return shown

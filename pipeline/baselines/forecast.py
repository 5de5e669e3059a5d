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

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MODELS = ("seasonal_naive", "auto_ets", "auto_arima")
SHOWN_NOTES = 5  # fallbacks listed one by one; beyond that a count


@dataclass
class Forecasts:
    """One model's test forecasts (n_windows, horizon) and what happened on the way, for the log."""

    values: np.ndarray
    notes: list[str] = field(default_factory=list)


Fit = Callable[[np.ndarray, int], np.ndarray]  # (history, horizon) -> forecast


def _mean(model: Any, history: np.ndarray, horizon: int) -> np.ndarray:
    return np.asarray(model.forecast(y=history, h=horizon)["mean"], dtype=np.float64)


def _seasonal_naive(season: int) -> Fit:
    from statsforecast.models import SeasonalNaive

    return lambda y, h: _mean(SeasonalNaive(season_length=season), y, h)


def _last_value(y: np.ndarray, h: int) -> np.ndarray:
    return np.full(h, float(y[-1]))


def _search(model: str, season: int) -> Callable[[np.ndarray, int], tuple[np.ndarray, Fit, str]]:
    """AutoETS or AutoARIMA on one history: (its forecast, the chosen model applied to a longer
    history with the same parameters, the chosen model's name)."""
    from statsforecast.models import AutoARIMA, AutoETS

    def search(y: np.ndarray, h: int) -> tuple[np.ndarray, Fit, str]:
        if model == "auto_ets":
            fitted: Any = AutoETS(season_length=season).fit(y)
            name = str(fitted.model_["method"])
        else:
            fitted = AutoARIMA(season_length=season, approximation=None).fit(y)
            name = _arima_name(fitted.model_)
        forecast = np.asarray(fitted.predict(h=h)["mean"], dtype=np.float64)
        return forecast, lambda z, k: np.asarray(fitted.forward(y=z, h=k)["mean"], dtype=np.float64), name

    return search


def _arima_name(fit: dict[str, Any]) -> str:
    """R's notation: ARIMA(p,d,q)(P,D,Q)[m], with drift or non-zero mean."""
    p, q, big_p, big_q, m, d, big_d = (int(v) for v in fit["arma"])
    name = f"ARIMA({p},{d},{q})" + (f"({big_p},{big_d},{big_q})[{m}]" if m > 1 else "")
    return name + (" with drift" if "drift" in fit["coef"] else " with non-zero mean" if "intercept" in fit["coef"] else "")


def _finite(values: np.ndarray, h: int) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.shape != (h,) or not np.all(np.isfinite(values)):
        raise ValueError("non-finite or misshapen forecast")
    return values


def _why(error: Exception) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0][:120] if str(error) else 'no message'}"


def forecast_windows(model: str, histories: list[np.ndarray], series_of: np.ndarray, horizon: int,
                     season: int) -> Forecasts:
    """Forecast `horizon` steps after each history with `model` (one of MODELS); `series_of[i]`
    is the series of history i. Histories of one series are taken in the order of their length."""
    if model not in MODELS:
        raise KeyError(f"unknown statistical model '{model}'; known: {', '.join(MODELS)}")
    out = np.empty((len(histories), horizon), dtype=np.float64)
    notes: list[str] = []
    with warnings.catch_warnings():  # statsforecast warns on near-singular fits; the fallbacks handle them
        warnings.simplefilter("ignore")
        if model == "seasonal_naive":
            fit = _seasonal_naive(season)
            for i, y in enumerate(histories):
                out[i] = _finite(fit(y, horizon) if len(y) >= season else _last_value(y, horizon), horizon)
            return Forecasts(out, notes)
        label = "AutoETS" if model == "auto_ets" else "AutoARIMA"
        for series in np.unique(series_of):
            rows = sorted(np.flatnonzero(series_of == series), key=lambda r: len(histories[r]))
            apply: Fit | None = None
            for r in rows:
                y = np.asarray(histories[r], dtype=np.float64)
                if apply is not None:
                    try:
                        out[r] = _finite(apply(y, horizon), horizon)
                        continue
                    except Exception as error:  # any failure of the fit falls back
                        notes.append(f"series {series} at step {len(y)}: applying the chosen model failed "
                                     f"({_why(error)}); searched again")
                out[r], apply, chosen = _with_fallbacks(model, label, y, horizon, season, notes, series)
                if r == rows[0]:
                    notes.append(f"series {series}: {chosen} chosen at step {len(y)}")
    return Forecasts(out, notes)


def _with_fallbacks(model: str, label: str, y: np.ndarray, h: int, season: int, notes: list[str],
                    series: int) -> tuple[np.ndarray, Fit | None, str]:
    """The search with the season, then without, then the last value; each failure noted."""
    seasons = [season, 1] if season > 1 else [1]
    for m in seasons:
        try:
            forecast, apply, chosen = _search(model, m)(y, h)
            return _finite(forecast, h), apply, chosen
        except Exception as error:  # any failure of the library falls back
            notes.append(f"series {series} at step {len(y)}: {label} (season {m}) failed ({_why(error)}); "
                         + ("tried without season" if m > 1 else "used the last value"))
    return _last_value(y, h), None, "the last value"


def summarise(notes: list[str]) -> list[str]:
    """The log lines of a model's notes: the first few, then how many more."""
    shown = notes[:SHOWN_NOTES]
    if len(notes) > SHOWN_NOTES:
        shown.append(f"... and {len(notes) - SHOWN_NOTES} more")
    return shown

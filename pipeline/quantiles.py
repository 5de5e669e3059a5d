"""Probabilistic forecasts (`train.quantiles`): the quantile forecast value and its scores.

A model trained with quantile levels (for example 0.1, 0.5, 0.9) outputs, for every window and
horizon step, one value per level (`QuantileForecast`); the median (0.5, required) is the point
forecast that MASE, sMAPE and the others score. Its probabilistic scores:

- `pinball`: the quantile (pinball) loss, averaged over levels, steps and windows, in the data's
  units (Koenker & Bassett 1978; the loss the quantile heads train with).
- `coverage_<lo>_<hi>`: the share of true values inside the central interval between the lowest
  and the highest level (nominal coverage hi - lo: 0.8 for 0.1..0.9).
- `msis`: the mean scaled interval score of that interval (Gneiting & Raftery 2007; the M4
  competition's MSIS), divided by the seasonal naive scale that MASE uses:
  ``(U - L) + (L - y)^+ / lo + (y - U)^+ / (1 - hi)``, which is the M4 form
  ``(U - L) + 2/a (L - y)^+ + 2/a (y - U)^+`` for a symmetric interval (lo = a/2, hi = 1 - a/2).

Numpy only, like `seqpipe.tasks`, which imports it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MEDIAN = 0.5
# metrics/<arch>.json of a quantile model: the validation windows its intervals were calibrated on
# (seqpipe.conformal; 0: as trained, `train.conformal: false`)
CALIBRATION_KEY = "calibration_windows"


def level_label(q: float) -> str:
    """0.1 -> '10', 0.025 -> '2p5' (percent, no dot: metric names stay plain keys)."""
    return f"{100 * q:g}".replace(".", "p")


@dataclass(frozen=True)
class QuantileForecast:
    """Forecasts at several quantile levels: values (windows, horizon, levels), increasing along levels."""

    levels: tuple[float, ...]
    values: np.ndarray

    def __post_init__(self) -> None:
        if self.values.ndim != 3 or self.values.shape[-1] != len(self.levels):
            raise ValueError(f"quantile forecast of shape {self.values.shape} for {len(self.levels)} levels")

    def __len__(self) -> int:
        return len(self.values)

    def at(self, q: float) -> np.ndarray:
        """(windows, horizon) forecasts at level q."""
        return self.values[..., self.levels.index(q)]

    @property
    def median(self) -> np.ndarray:
        return self.at(MEDIAN)

    @property
    def interval(self) -> tuple[float, float] | None:
        """The levels (lo, hi) of the central interval scored; None with the median alone."""
        return (self.levels[0], self.levels[-1]) if len(self.levels) > 1 else None

    def columns(self) -> dict[str, np.ndarray]:
        """Predictions CSV columns `q<level>_h<step>` (q0.1_h1, q0.5_h1, ...), step by step."""
        steps = self.values.shape[1]
        return {f"q{q:g}_h{h + 1}": self.values[:, h, i] for h in range(steps) for i, q in enumerate(self.levels)}


def pinball(y: np.ndarray, forecast: QuantileForecast) -> float:
    """Mean pinball loss over levels, steps and windows."""
    y = np.asarray(y, dtype=np.float64).reshape(forecast.values.shape[:2])[..., None]
    q = np.asarray(forecast.levels, dtype=np.float64)
    diff = y - forecast.values.astype(np.float64)
    return float(np.mean(np.maximum(q * diff, (q - 1.0) * diff)))


def coverage(y: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    """Share of true values within [low, high]."""
    y = np.asarray(y, dtype=np.float64).reshape(np.shape(low))
    return float(np.mean((y >= low) & (y <= high)))


def msis(y: np.ndarray, low: np.ndarray, high: np.ndarray, lo: float, hi: float, scale: float) -> float:
    """Mean interval score of [low, high] (the lo and hi quantiles), divided by `scale`."""
    y = np.asarray(y, dtype=np.float64).reshape(np.shape(low))
    low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    score = (high - low) + np.maximum(low - y, 0.0) / lo + np.maximum(y - high, 0.0) / (1.0 - hi)
    return float(np.mean(score)) / scale


def scores(y: np.ndarray, forecast: QuantileForecast, scale: float) -> dict[str, float]:
    """pinball, and with an interval coverage_<lo>_<hi> and msis (the module docstring)."""
    out = {"pinball": pinball(y, forecast)}
    if forecast.interval is not None:
        lo, hi = forecast.interval
        low, high = forecast.at(lo), forecast.at(hi)
        out[f"coverage_{level_label(lo)}_{level_label(hi)}"] = coverage(y, low, high)
        out["msis"] = msis(y, low, high, lo, hi, scale)
    return out


def from_intervals(levels: Sequence[float], median: np.ndarray, bounds: dict[float, tuple[np.ndarray, np.ndarray]]
                   ) -> QuantileForecast:
    """A QuantileForecast from a point forecast and central prediction intervals by coverage percent
    (statsforecast's `level=[80]` gives lo-80 and hi-80: the 0.1 and 0.9 quantiles)."""
    columns = []
    for q in levels:
        if q == MEDIAN:
            columns.append(median)
        else:
            low, high = bounds[interval_percent(q)]
            columns.append(low if q < MEDIAN else high)
    return QuantileForecast(tuple(levels), np.sort(np.stack(columns, axis=-1), axis=-1))


def interval_percent(q: float) -> int | float:
    """The central interval (in percent) whose bound is quantile q: 0.1 and 0.9 -> 80."""
    percent = round(abs(1.0 - 2.0 * q) * 100.0, 6)
    return int(percent) if percent == int(percent) else percent


def coverage_key_levels(key: str) -> tuple[float, float] | None:
    """`coverage_10_90` -> (0.1, 0.9); None for any other key."""
    parts = key.split("_")
    if len(parts) != 3 or parts[0] != "coverage":
        return None
    try:
        return float(parts[1].replace("p", ".")) / 100.0, float(parts[2].replace("p", ".")) / 100.0
    except ValueError:
        return None


def interval_note(rows: dict[str, dict[str, float]]) -> str | None:
    """The report's sentence on quantile forecasts: what pinball, coverage and MSIS mean, and each
    row's coverage against the nominal one; None when no row has a coverage. `rows`: label -> scores."""
    keys = sorted({k for scores in rows.values() for k in scores if coverage_key_levels(k)})
    if not keys:
        return None
    key = keys[0]
    levels = coverage_key_levels(key)
    assert levels is not None
    lo, hi = levels
    nominal = hi - lo
    shown = ", ".join(f"{label} {scores[key]:.2f}" for label, scores in rows.items() if key in scores)
    return (f"Quantile forecasts (`train.quantiles`): `{key}` is the share of test values inside the {lo:g}-{hi:g} "
            f"interval, nominal {nominal:.2f} (below it the intervals are too narrow, above it too wide): {shown}. "
            "`pinball` is the pinball loss averaged over the levels, in the data's units, and `msis` the interval's "
            "mean scaled interval score (M4) on MASE's scale; lower is better for both. The point scores (MASE and "
            f"the others) are the median's.{_calibration_note(rows)}")


def _calibration_note(rows: dict[str, dict[str, float]]) -> str:
    """Which rows' intervals were calibrated, and on how many validation windows."""
    counts = {label: float(n) for label, scores in rows.items()
              if isinstance(n := scores.get(CALIBRATION_KEY), (int, float)) and np.isfinite(n)}  # NaN: a baseline row
    if not counts:
        return ""
    calibrated = {label: int(n) for label, n in counts.items() if n > 0}
    raw = [label for label, n in counts.items() if n <= 0]
    text = ""
    if calibrated:
        shown = ", ".join(f"{label} {n} window{'s' if n != 1 else ''}" for label, n in calibrated.items())
        text += (f" seqpipe's intervals are calibrated on the validation windows (conformalised quantile regression, "
                 f"`train.conformal`; `{CALIBRATION_KEY}`): {shown}; with few windows the nominal coverage is an "
                 "approximation, not a guarantee.")
    if raw:
        text += f" As trained, not calibrated (`train.conformal: false`): {', '.join(raw)}."
    return text

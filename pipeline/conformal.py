"""Conformal calibration of quantile forecasts (`train.quantiles`, on by default: `train.conformal`).

A quantile head trained with the pinball loss on a few dozen windows gives intervals that cover
far less often than their levels claim (Airline: 0.25 of the test months inside the 10-90 %
band). Conformalised quantile regression (CQR; Romano, Patterson & Candes 2019) corrects each
central interval (lo, hi) of the levels on windows the model was not fitted on:

- the score of a held-out value y against its band [L, U] is how far y lies outside it (negative
  inside), in the data's units: ``s = max(L - y, y - U)``, the forecast restored (differences
  summed, logs exponentiated, normalisation reversed);
- the correction ``Q`` is the ceil((n + 1)(1 - a))-th smallest of the n scores, a = 1 - (hi - lo);
- every later band becomes ``[L - Q, U + Q]`` when the scores say the intervals were too narrow
  (Q > 0); the median never moves. A band the scores find too wide (Q < 0) is kept as trained,
  not narrowed: a narrowing measured at the validation origin can wipe out a test band that is
  narrower there (elec_equip: coverage 0.40 -> 0.00), and a band never narrower than CQR's keeps
  CQR's guarantee below.

The score is Romano et al.'s, in the data's units, not the band-width-normalised variant: the
heads' band widths follow each input window's spread and vary several-fold between the
validation and the test origin (Airline, elec_equip: 8-10 times narrower at the test origin), so
a correction in units of the width transfers badly (bench/RESULTS.md, "Conformal calibration of
the forecast intervals"). Its limit: series of very different sizes share one correction per step.

Finite-sample guarantee: if the calibration windows and a test window are exchangeable, the
corrected interval covers the test value with probability >= 1 - a (and, where it was widened,
< 1 - a + 1/(n + 1) for continuous scores). Forecast windows of one series are ordered in time, not exchangeable, so
this is an approximation that holds as far as the errors near the cutoff resemble those just
before it.

Where the scores come from: the validation windows (the `horizon` steps just before the test
range under the cutoff protocol), which the weights are never fitted on. With at least
`PER_STEP_WINDOWS` of them each horizon step gets its own Q from its n windows' scores; with
fewer (one series: one validation window) the scores of all steps are pooled into one Q, n =
windows x horizon scores (dependent along the horizon, so the guarantee above is looser still).
Training windows are not used: the pinball loss fits them (Airline's 13 cover 0.77-0.78 in
sample while the validation window's coverage is 0.06-0.19), so their scores say little about new
data.

Numpy only: the Keras layer that applies a calibration inside the saved model is
`seqpipe.training.quantile_head.Conformal`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seqpipe.quantiles import MEDIAN, QuantileForecast, coverage

PER_STEP_WINDOWS = 20  # per-step corrections from this many calibration windows on: 1 - a + 1/21 at most


def pairs(levels: tuple[float, ...]) -> list[tuple[int, int]]:
    """Indices (i, j) of the central intervals, outermost first: levels[i] < 0.5 < levels[j]."""
    n = len(levels)
    return [(i, n - 1 - i) for i in range(n // 2) if levels[i] < MEDIAN < levels[n - 1 - i]]


def conformal_quantile(scores: np.ndarray, nominal: float, axis: int | None = None) -> np.ndarray:
    """The ceil((n + 1) nominal)-th smallest score along `axis` (all scores: axis None); the
    largest when n is too small for that rank (no guarantee then)."""
    scores = np.sort(np.asarray(scores, dtype=np.float64), axis=axis)  # axis None: flattened
    n = scores.shape[0 if axis is None else axis]
    rank = min(math.ceil(round((n + 1) * nominal, 9)), n)  # round: 5 x 0.8 is 4, not 4.000...1
    return np.take(scores, rank - 1, axis=0 if axis is None else axis)


@dataclass(frozen=True)
class Calibration:
    """A fitted calibration: `factors[p, h]` >= 0 widens central interval p (`pairs` order) at step h
    on each side, in the data's units."""

    levels: tuple[float, ...]
    factors: np.ndarray
    windows: int
    per_step: bool
    before: float  # the outermost interval's coverage of the calibration values, before and after
    after: float

    def line(self) -> str:
        """The train log's sentence."""
        lo, hi = self.levels[pairs(self.levels)[0][0]], self.levels[pairs(self.levels)[0][1]]
        how = "per horizon step" if self.per_step else "pooled over the horizon steps"
        q = float(np.mean(self.factors[0]))
        change = (f"widened by {q:.4g} on each side ({'mean over the steps, ' if self.per_step else ''}data units)"
                  if q > 0 else "kept as trained (wide enough on these windows)")
        return (f"intervals calibrated on {self.windows} validation window{'s' if self.windows != 1 else ''} "
                f"(conformal, {how}; train.conformal): the {lo:g}-{hi:g} interval {change}; validation coverage "
                f"{self.before:.2f} -> {self.after:.2f}, nominal {hi - lo:.2f}")


def fit(y: np.ndarray, forecast: QuantileForecast) -> Calibration | None:
    """The calibration from held-out values `y` (windows, horizon) and their quantile forecast;
    None without a central interval or without windows."""
    levels, values = forecast.levels, forecast.values.astype(np.float64)
    found = pairs(levels)
    if not found or len(values) == 0:
        return None
    y = np.asarray(y, dtype=np.float64).reshape(values.shape[:2])
    per_step = len(values) >= PER_STEP_WINDOWS
    factors = []
    for i, j in found:
        low, high = values[..., i], values[..., j]
        scores = np.maximum(low - y, y - high)
        nominal = levels[j] - levels[i]
        q = conformal_quantile(scores, nominal, axis=0) if per_step else conformal_quantile(scores, nominal)
        factors.append(np.maximum(np.broadcast_to(q, values.shape[1]), 0.0))  # widen only (the docstring)
    calibration = Calibration(levels, np.asarray(factors), len(values), per_step, 0.0, 0.0)
    i, j = found[0]
    after = apply(values, levels, calibration.factors)
    return Calibration(levels, calibration.factors, len(values), per_step,
                       before=coverage(y, values[..., i], values[..., j]),
                       after=coverage(y, after[..., i], after[..., j]))


def apply(values: np.ndarray, levels: tuple[float, ...], factors: np.ndarray) -> np.ndarray:
    """Quantile forecasts (windows, horizon, levels) with each central interval corrected, the
    median untouched and the levels still increasing."""
    values = np.asarray(values, dtype=np.float64)
    out = values.copy()
    for (i, j), q in zip(pairs(levels), np.asarray(factors, dtype=np.float64)):
        out[..., i] = values[..., i] - q
        out[..., j] = values[..., j] + q
    median = values[..., levels.index(MEDIAN)][..., None]
    below = np.asarray(levels) < MEDIAN
    out = np.where(below, np.minimum(out, median), np.maximum(out, median))
    return np.sort(out, axis=-1)

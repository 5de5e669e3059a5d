"""Conformal calibration of quantile forecasts (`train.conformal`): intervals that cover as often
as their levels claim, the median untouched."""
from __future__ import annotations

import numpy as np
import pytest

from seqpipe import conformal, quantiles
from seqpipe.quantiles import QuantileForecast

LEVELS = (0.1, 0.5, 0.9)
Z90 = 1.2815515655446004  # the standard normal's 0.9 quantile


def _forecasts(rng: np.random.Generator, windows: int, horizon: int, half_width: float,
               levels: tuple[float, ...] = LEVELS) -> tuple[np.ndarray, QuantileForecast]:
    """Truth ~ N(level, 1 + step) around each window's level, and a band of +-half_width x the true
    10-90 % half-width: too narrow below 1, too wide above."""
    level = rng.uniform(-100, 100, size=(windows, 1)) * np.ones((1, horizon))
    spread = 1.0 + np.arange(horizon)[None, :]
    y = level + spread * rng.standard_normal((windows, horizon))
    offsets = {q: np.sign(q - 0.5) * half_width * Z90 * abs(q - 0.5) / 0.4 for q in levels}
    values = np.stack([level + offsets[q] * spread for q in levels], axis=-1)
    return y, QuantileForecast(levels, values)


def _coverage(y: np.ndarray, values: np.ndarray) -> float:
    return quantiles.coverage(y, values[..., 0], values[..., -1])


def test_too_narrow_intervals_cover_about_as_claimed_after_calibration():
    rng = np.random.default_rng(0)
    y_val, val = _forecasts(rng, 400, 4, 0.3)
    y_test, test = _forecasts(rng, 4000, 4, 0.3)
    calibration = conformal.fit(y_val, val)
    assert calibration is not None and calibration.per_step and calibration.windows == 400
    assert calibration.factors.shape == (1, 4) and (np.diff(calibration.factors[0]) > 0).all()  # wider with the step
    after = conformal.apply(test.values, LEVELS, calibration.factors)
    assert _coverage(y_test, test.values) < 0.3  # the premise: far too narrow
    assert _coverage(y_test, after) == pytest.approx(0.8, abs=0.03)
    np.testing.assert_array_equal(after[..., 1], test.median)  # the point forecast (MASE) does not move
    assert (np.diff(after, axis=-1) >= 0).all()
    assert calibration.before == pytest.approx(_coverage(y_val, val.values))
    assert calibration.after >= 0.8
    assert "widened by" in calibration.line() and "(mean over the steps, data units)" in calibration.line()


def test_too_wide_intervals_are_kept_as_trained_not_narrowed():
    rng = np.random.default_rng(4)
    y, forecast = _forecasts(rng, 400, 4, 2.5)
    calibration = conformal.fit(y, forecast)
    assert calibration is not None and (calibration.factors == 0).all()
    np.testing.assert_array_equal(conformal.apply(forecast.values, LEVELS, calibration.factors), forecast.values)
    assert calibration.before == calibration.after > 0.95
    assert "the 0.1-0.9 interval kept as trained (wide enough on these windows)" in calibration.line()


def test_few_windows_pool_the_horizon_steps_into_one_correction():
    rng = np.random.default_rng(1)
    y, forecast = _forecasts(rng, 1, 36, 0.3)
    calibration = conformal.fit(y, forecast)
    assert calibration is not None and not calibration.per_step and calibration.windows == 1
    assert calibration.factors.shape == (1, 36) and np.unique(calibration.factors).size == 1
    assert calibration.factors[0, 0] > 0  # too narrow: widened
    assert calibration.after >= 0.8 > calibration.before
    assert "calibrated on 1 validation window (conformal, pooled over the horizon steps" in calibration.line()
    assert "nominal 0.80" in calibration.line()


def test_the_correction_is_the_finite_sample_conformal_rank():
    scores = np.array([0.4, -0.1, 0.3, 0.2])
    assert conformal.conformal_quantile(scores, 0.8) == pytest.approx(0.4)  # ceil(5 x 0.8) = 4th of 4
    assert conformal.conformal_quantile(scores, 0.6) == pytest.approx(0.3)  # ceil(3.0) = 3rd
    assert conformal.conformal_quantile(scores[:3], 0.8) == pytest.approx(0.4)  # rank 4 of 3: the largest
    per_step = conformal.conformal_quantile(np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]), 0.5, axis=0)
    np.testing.assert_allclose(per_step, [2.0, 3.0])  # ceil(4 x 0.5) = 2nd of each step


def test_every_central_interval_is_corrected_and_the_levels_never_cross():
    levels = (0.05, 0.1, 0.5, 0.9, 0.95)
    rng = np.random.default_rng(2)
    y, forecast = _forecasts(rng, 50, 3, 0.5, levels)  # too narrow: both intervals widen
    assert conformal.pairs(levels) == [(0, 4), (1, 3)]
    calibration = conformal.fit(y, forecast)
    assert calibration is not None and calibration.factors.shape == (2, 3) and (calibration.factors > 0).all()
    after = conformal.apply(forecast.values, levels, calibration.factors)
    assert (np.diff(after, axis=-1) >= 0).all()
    np.testing.assert_array_equal(after[..., 2], forecast.median)
    # a correction narrower than the whole band stops at the median, never crosses it
    squeezed = conformal.apply(forecast.values, levels, np.full((2, 3), -1e3))
    np.testing.assert_allclose(squeezed, np.repeat(forecast.median[..., None], 5, axis=-1))


def test_a_median_only_forecast_or_no_windows_has_nothing_to_calibrate():
    rng = np.random.default_rng(3)
    y, forecast = _forecasts(rng, 5, 2, 1.0, (0.5,))
    assert conformal.pairs((0.5,)) == [] and conformal.fit(y, forecast) is None
    y, forecast = _forecasts(rng, 5, 2, 1.0)
    assert conformal.fit(y[:0], QuantileForecast(LEVELS, forecast.values[:0])) is None
    assert conformal.pairs((0.1, 0.2, 0.5, 0.9)) == [(0, 3)]  # (0.2, 0.5) holds the median: not an interval


def test_the_report_says_on_how_many_windows_the_intervals_were_calibrated():
    note = quantiles.interval_note({
        "gru": {"coverage_10_90": 0.78, quantiles.CALIBRATION_KEY: 1},
        "cnn": {"coverage_10_90": 0.5, quantiles.CALIBRATION_KEY: 0},
        "classical: AutoETS": {"coverage_10_90": 0.83, quantiles.CALIBRATION_KEY: float("nan")}})
    assert note is not None
    assert "calibrated on the validation windows (conformalised quantile regression, `train.conformal`" in note
    assert "gru 1 window;" in note
    assert "As trained, not calibrated (`train.conformal: false`): cnn." in note
    assert "AutoETS" not in note.split("calibrated on", 1)[1]  # a baseline row has no calibration

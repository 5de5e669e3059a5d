"""Statistical forecasting baselines: a user prepares a seasonal series, the `baselines` stage fits
seasonal naive, ETS and ARIMA (statsforecast) on each series' whole history before every test
window, and the report says plainly when no architecture beats them."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from seqpipe import baselines, layout, tasks
from seqpipe.baselines import forecast as stat
from seqpipe.config.params import WindowParams
from seqpipe.data import api as data
from seqpipe.data.forecast import forecast_history
from seqpipe.data.history import histories
from seqpipe.data.prepared import Prepared, load, save
from seqpipe.reporting import ranking, statistics
from seqpipe.reporting.results import ClassicalResult
from seqpipe.specs import RawData
from seqpipe.stages import baselines as stage

SEASON, HORIZON = 6, 3


def _seasonal(lengths: tuple[int, ...] = (72, 60), scale: bool = True) -> Prepared:
    """Series with a season of 6 steps, a slow trend and a little noise: ETS and ARIMA can learn it."""
    rng = np.random.default_rng(0)
    series = []
    for k, n in enumerate(lengths):
        t = np.arange(n, dtype=np.float64)
        series.append((20 + 5 * k + 4 * np.sin(2 * np.pi * t / SEASON + k) + 0.05 * t
                       + 0.2 * rng.normal(size=n)).astype(np.float32))
    raw = RawData(series, np.zeros(0, np.float32), "forecast", "numeric")
    window = WindowParams(lookback=12, horizon=HORIZON, stride=1, season=SEASON)
    return data.prepare(raw, val=0.2, test=0.2, seed=0, scale=scale, window=window)


@pytest.fixture(scope="module")
def prepared() -> Prepared:
    return _seasonal()


@pytest.fixture(scope="module")
def outcomes(prepared: Prepared) -> dict[str, baselines.Outcome]:
    return {o.name: o for o in baselines.run(prepared)}


def test_prepare_keeps_each_series_whole_history_and_every_window_origin(prepared):
    a = prepared.arrays
    assert a["series_values"].shape == (2, 72) and a["series_values"].dtype == np.float64
    assert a["series_lengths"].tolist() == [72, 60]
    assert np.isnan(a["series_values"][1, 60:]).all() and not np.isnan(a["series_values"][1, :60]).any()
    for split in ("train", "val", "test"):
        origins = a[f"origin_{split}"]
        assert origins.shape == (len(a[f"y_{split}"]), 2)
        for row, (i, start) in enumerate(origins):  # the history is in the data's units, the inputs scaled
            assert np.allclose(a["series_values"][i, start:start + HORIZON], a[f"y_{split}"][row], atol=1e-5)
            assert np.allclose(a["series_values"][i, start - 12:start],
                               forecast_history(prepared.spec, a[f"X_{split}"][row:row + 1])[0], atol=1e-4)


def test_the_arrays_survive_saving_and_loading(prepared, tmp_path):
    save(prepared, tmp_path / "prepared")
    back = load(tmp_path / "prepared")
    for name in ("series_values", "series_lengths", "origin_test"):
        assert np.array_equal(back.arrays[name], prepared.arrays[name], equal_nan=True)


def test_ets_and_arima_beat_a_wrong_model_and_seasonal_naive_is_the_no_skill_row(prepared, outcomes):
    assert list(outcomes) == ["seasonal_naive", "auto_ets", "auto_arima"]
    task = tasks.get("forecast")
    a = prepared.arrays
    # a wrong model for seasonal data: the last value, scored through the task table like the rows
    wrong = np.repeat(forecast_history(prepared.spec, a["X_test"])[:, -1:], HORIZON, axis=1)
    wrong_mase = task.score(a["y_test"], wrong, prepared.spec)["mase"]
    for name in ("auto_ets", "auto_arima"):
        assert set(outcomes[name].scores) == set(task.metrics)
        assert outcomes[name].scores["mase"] < 0.7 * wrong_mase, (name, outcomes[name].scores, wrong_mase)
    no_skill = task.baseline(a["y_train"], a["y_test"], a["X_test"], prepared.spec)
    assert outcomes["seasonal_naive"].scores == pytest.approx(no_skill.scores, abs=1e-5)


def test_the_first_test_window_is_the_libraries_own_forecast_on_the_full_history(prepared, outcomes):
    from statsforecast.models import AutoARIMA, AutoETS

    first = histories(prepared.arrays, "test")[0]
    assert len(first) > prepared.spec.timesteps  # the whole history, not just the lookback window
    ets = AutoETS(season_length=SEASON).forecast(y=first.astype(np.float64), h=HORIZON)["mean"]
    arima = AutoARIMA(season_length=SEASON, approximation=None).forecast(y=first.astype(np.float64), h=HORIZON)["mean"]
    assert np.allclose(outcomes["auto_ets"].raw_output[0], ets)
    assert np.allclose(outcomes["auto_arima"].raw_output[0], arima)
    assert any("chosen at step" in n for n in outcomes["auto_ets"].notes)


def test_the_forecasts_are_deterministic(prepared, outcomes):
    again = {o.name: o for o in baselines.run(prepared)}
    for name, o in outcomes.items():
        assert np.array_equal(o.raw_output, again[name].raw_output) and o.scores == again[name].scores


def test_a_failing_fit_falls_back_to_a_simpler_model_and_says_so(prepared, monkeypatch):
    from statsforecast import models

    real = models.AutoARIMA.fit

    def seasonal_fails(self, y, *args, **kwargs):
        if self.season_length > 1:
            raise ValueError("did not converge")
        return real(self, y, *args, **kwargs)

    monkeypatch.setattr(models.AutoARIMA, "fit", seasonal_fails)
    got = stat.forecast_windows("auto_arima", histories(prepared.arrays, "test"),
                                prepared.arrays["origin_test"][:, 0], HORIZON, SEASON)
    assert np.isfinite(got.values).all()
    assert any("AutoARIMA (season 6) failed (ValueError: did not converge); tried without season" in n
               for n in got.notes)


def test_the_stage_writes_a_row_per_model_and_logs_the_chosen_models(prepared, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    save(prepared, layout.PREPARED_DIR)
    stage.main([])
    rows = json.loads(layout.BASELINES_METRICS.read_text())
    assert list(rows) == ["seasonal_naive", "auto_ets", "auto_arima"]
    assert rows["auto_ets"]["description"] == "AutoETS" and "mase" in rows["auto_ets"]
    frame = pd.read_csv(layout.baseline_predictions_path("auto_arima"))
    assert len(frame) == prepared.spec.sizes.test
    out = capsys.readouterr().out
    assert "baseline auto_ets: mase=" in out and "  auto_arima: series 0: ARIMA(" in out


def test_data_prepared_without_histories_is_refused_in_one_line(prepared, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    old = {k: v for k, v in prepared.arrays.items() if k.startswith(("X_", "y_"))}
    save(Prepared(old, prepared.spec), layout.PREPARED_DIR)
    with pytest.raises(SystemExit) as exit_:
        stage.main([])
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("seqpipe: error: data/prepared has no series histories")


def test_an_unknown_statistical_model_is_named_with_the_known_ones():
    with pytest.raises(KeyError, match="known: seasonal_naive, auto_ets, auto_arima"):
        stat.forecast_windows("prophet", [np.ones(10)], np.zeros(1, int), 1, 1)


def test_the_report_says_plainly_when_no_architecture_beats_a_statistical_baseline():
    metrics = {"lstm": {"mase": 1.2, "mae": 12.0, "rmse": 15.0, "smape": 9.0, "params": 10},
               "gru": {"mase": 1.4, "mae": 14.0, "rmse": 17.0, "smape": 10.0, "params": 10}}
    table = ranking.leaderboard(metrics, {}, "forecast")
    rng = np.random.default_rng(0)
    y = rng.normal(size=(60, 3))
    frame = {f"y_true_{h}": y[:, h] for h in range(3)}
    lstm = pd.DataFrame({**frame, **{f"y_pred_{h}": y[:, h] + rng.normal(size=60) for h in range(3)}})
    ets = pd.DataFrame({**frame, **{f"y_pred_{h}": y[:, h] + 0.1 * rng.normal(size=60) for h in range(3)}})
    classical = [ClassicalResult("auto_ets", "AutoETS", {"mase": 0.81, "mae": 8.1, "rmse": 9.0, "smape": 5.0}, 0.3, ets),
                 ClassicalResult("seasonal_naive", "SeasonalNaive", {"mase": 1.5, "mae": 15.0, "rmse": 18.0,
                                                                    "smape": 11.0}, 0.0, None)]
    versus = statistics.versus_classical(table, "forecast", {"lstm": lstm}, classical)
    line = statistics.classical_line(versus, "mase")
    assert line.startswith("No architecture beats AutoETS (mase 0.81) on this data. "), line
    assert "**lstm** does not beat the classical baseline (AutoETS) on mase, by 0.39 (significantly" in line
    assert "**lstm** beats the classical baseline (SeasonalNaive)" in line
    assert "SeasonalNaive (mase" not in line.split(". ")[0]
    three = [{**versus[0], "description": name, "better": False} for name in ("A", "B", "C")]
    assert statistics.classical_line(three, "mase").startswith(
        "No architecture beats A (mase 0.81), B (mase 0.81) or C (mase 0.81) on this data.")


def test_one_test_window_gives_no_significance_claim():
    """The cutoff protocol forecasts one window per series: a bootstrap over one sample proves nothing."""
    one = np.array([3.0])
    assert np.isnan(statistics.bootstrap_p_value(one, np.array([5.0])))
    frame = pd.DataFrame({"y_true_0": [1.0], "y_pred_0": [1.5]})
    table = ranking.leaderboard({"lstm": {"mase": 2.0, "mae": 0.5, "rmse": 0.5, "smape": 1.0}}, {}, "forecast")
    classical = [ClassicalResult("auto_ets", "AutoETS", {"mase": 1.0, "mae": 0.25, "rmse": 0.25, "smape": 0.5}, 0.1,
                                 pd.DataFrame({"y_true_0": [1.0], "y_pred_0": [1.25]}))]
    versus = statistics.versus_classical(table, "forecast", {"lstm": frame}, classical)
    assert versus[0]["significant"] == "unknown"
    assert "significantly" not in statistics.classical_line(versus, "mase")

"""Probabilistic forecasts: `train.quantiles` trains a quantile head with the pinball loss, and
evaluate, the report and `seqpipe predict` show the levels, their coverage and MSIS."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from seqpipe import conformal, quantiles, tasks
from seqpipe.data.spec import ForecastSpec, PreparedSpec
from seqpipe.evaluation import scoring
from seqpipe.quantiles import QuantileForecast
from tests.conftest import ROOT, env

LEVELS = (0.1, 0.5, 0.9)


def _seqpipe(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seqpipe.cli", *args], cwd=cwd, env=env(), capture_output=True, text=True)


def _spec(mase_scale: float = 2.0, horizon: int = 2) -> PreparedSpec:
    return PreparedSpec(task="forecast", input_kind="numeric", timesteps=4,
                        forecast=ForecastSpec(horizon=horizon, mase_scale=mase_scale))


# --- params --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("levels", "problem"), [
    ("[0.9, 0.5, 0.1]", "levels must be unique and in increasing order, got [0.9, 0.5, 0.1]"),
    ("[0.1, 0.5, 1.0]", "levels must lie strictly between 0 and 1, got [0.1, 0.5, 1.0]"),
    ("[0.1, 0.9]", "must include 0.5, the median that is the point forecast, got [0.1, 0.9]"),
    ("[]", "must list at least the median, e.g. [0.1, 0.5, 0.9], or be null, got []"),
])
def test_bad_quantile_levels_stop_validate_with_one_line(tmp_path, levels, problem):
    params = (ROOT / "params.yaml").read_text().replace("quantiles: null", f"quantiles: {levels}", 1)
    (tmp_path / "params.yaml").write_text(params)
    result = _seqpipe("validate", "--params", str(tmp_path / "params.yaml"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"seqpipe: error: {tmp_path / 'params.yaml'}: train.quantiles: {problem}"]


def test_quantiles_on_a_task_other_than_forecast_are_refused_not_ignored(tmp_path):
    # the default experiment is the adding problem, a regression
    params = (ROOT / "params.yaml").read_text().replace("quantiles: null", "quantiles: [0.1, 0.5, 0.9]", 1)
    (tmp_path / "params.yaml").write_text(params)
    result = _seqpipe("validate", "--params", str(tmp_path / "params.yaml"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"seqpipe: error: {tmp_path / 'params.yaml'}: train.quantiles: quantile forecasts need task forecast, but "
        "data.source 'adding' gives task regression; set train.quantiles: null"]


def test_one_architecture_cannot_forecast_other_levels(tmp_path):
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["models"]["lstm"] = {"train": {"quantiles": [0.2, 0.5, 0.8]}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    result = _seqpipe("validate", "--params", str(tmp_path / "params.yaml"))
    assert result.returncode == 1
    assert "models.lstm.train.quantiles: set train.quantiles instead" in result.stderr


# --- scores, by hand -----------------------------------------------------------------------------


def _forecast() -> tuple[np.ndarray, QuantileForecast]:
    # one window, two steps; truth 10 then 20; the 0.1..0.9 interval holds the first, misses the second by 1
    y = np.array([[10.0, 20.0]])
    values = np.array([[[8.0, 10.0, 12.0], [21.0, 22.0, 25.0]]])
    return y, QuantileForecast(LEVELS, values)


def test_pinball_coverage_and_msis_match_hand_computed_values():
    y, forecast = _forecast()
    # pinball per level and step: (0.2, 0, 0.2) at step 1, (0.9, 1.0, 0.5) at step 2 -> 2.8 / 6
    assert quantiles.pinball(y, forecast) == pytest.approx(2.8 / 6)
    # interval score: width 4 at both steps, plus 2/alpha * 1 = 10 for the miss; over the scale 2
    scores = quantiles.scores(y, forecast, scale=2.0)
    assert scores == pytest.approx({"pinball": 2.8 / 6, "coverage_10_90": 0.5, "msis": (4 + 14) / 2 / 2.0})
    assert list(scores) == ["pinball", "coverage_10_90", "msis"]


def test_the_point_scores_are_the_medians_and_the_interval_scores_follow():
    y, forecast = _forecast()
    scores = tasks.get("forecast").scores(y, forecast, _spec(mase_scale=2.0))
    # median (10, 22): MAE 1, MASE 1 / 2
    assert scores["mae"] == pytest.approx(1.0) and scores["mase"] == pytest.approx(0.5)
    assert scores["coverage_10_90"] == 0.5 and scores["msis"] == pytest.approx(4.5)
    assert not tasks.greater_is_better("pinball") and not tasks.greater_is_better("msis")


def test_a_median_only_forecast_has_a_pinball_loss_and_no_interval():
    y = np.array([[10.0, 20.0]])
    forecast = QuantileForecast((0.5,), np.array([[[12.0], [20.0]]]))
    assert quantiles.scores(y, forecast, 1.0) == {"pinball": pytest.approx(0.5)}  # half the MAE


def test_predictions_have_the_median_as_y_pred_and_one_column_per_level_and_step():
    y, forecast = _forecast()
    frame = scoring.predictions_frame("forecast", y, forecast)
    assert list(frame.columns) == ["y_true_h1", "y_pred_h1", "y_true_h2", "y_pred_h2", "q0.1_h1", "q0.5_h1", "q0.9_h1",
                                   "q0.1_h2", "q0.5_h2", "q0.9_h2"]
    assert frame[["y_pred_h1", "y_pred_h2"]].iloc[0].tolist() == [10.0, 22.0]


def test_statistical_intervals_become_quantiles():
    median = np.array([[5.0, 6.0]])
    bounds = {80: (median - 2, median + 2), 50: (median - 1, median + 1)}
    forecast = quantiles.from_intervals((0.1, 0.25, 0.5, 0.75, 0.9), median, bounds)
    assert forecast.values[0, 0].tolist() == [3.0, 4.0, 5.0, 6.0, 7.0]
    assert [quantiles.interval_percent(q) for q in (0.1, 0.025, 0.75)] == [80, 95, 50]


# --- a trained model -----------------------------------------------------------------------------


@pytest.mark.keras
@pytest.mark.parametrize("window", [{"normalize": "last"}, {"normalize": "none"},
                                    {"normalize": "last", "linear_skip": True}])
def test_a_trained_quantile_head_never_crosses_and_reloads_with_its_levels(tmp_path, window, capsys):
    from seqpipe.config.params import TrainParams, WindowParams
    from seqpipe.data import api as data
    from seqpipe.registry import build_registry
    from seqpipe.training import quantile_head
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model, load_model
    from tests.test_model import _choice

    registry = build_registry()
    ds = registry.dataset("sine")
    raw = ds.load(ds.params(n_series=2, length=120, period=12), 0)
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=0,
                            window=WindowParams(lookback=12, horizon=3, stride=2, **window))
    train = TrainParams(epochs=2, batch_size=16, patience=0, quantiles=list(LEVELS))
    seed_everything(0)
    model = build_model(_choice("gru"), prepared.spec, train)
    summary = fit(model, prepared.xy("train"), prepared.xy("val"), train, verbose=0)
    assert summary.epochs_run == 2
    x, y = prepared.xy("test")
    out = quantile_head.output(model, model.predict(x, verbose=0))
    assert isinstance(out, QuantileForecast) and out.levels == LEVELS
    assert out.values.shape == (len(x), 3, 3) and np.isfinite(out.values).all()
    assert (np.diff(out.values, axis=-1) >= 0).all()  # no crossing, whatever the weights learned
    scores = tasks.get("forecast").scores(y, out, prepared.spec)
    assert scores["mae"] == pytest.approx(tasks.forecast_scores(y, out.median, prepared.spec.forecast.mase_scale)["mae"])
    assert {"pinball", "coverage_10_90", "msis"} <= set(scores)
    model.save(tmp_path / "m.keras")
    again = load_model(str(tmp_path / "m.keras"))
    assert quantile_head.levels_of(again) == LEVELS
    np.testing.assert_allclose(again.predict(x, verbose=0), out.values, rtol=1e-5, atol=1e-5)

    # train.conformal: the saved model carries its intervals' calibration on the validation windows
    calibrated, calibration = quantile_head.calibrated(model, *prepared.xy("val"), batch_size=16)
    assert calibration is not None and calibration.windows == len(prepared.xy("val")[1])
    calibrated.save(tmp_path / "c.keras")
    again = load_model(str(tmp_path / "c.keras"))
    assert quantile_head.levels_of(again) == LEVELS and quantile_head.calibration_of(again).windows == calibration.windows
    np.testing.assert_allclose(again.predict(x, verbose=0), conformal.apply(out.values, LEVELS, calibration.factors),
                               rtol=1e-4, atol=1e-4)

    # what the train stage calls for every seed: on by default, `train.conformal: false` keeps the model
    from seqpipe.training.run import calibrate_intervals

    assert quantile_head.calibration_of(calibrate_intervals(model, prepared, train, "")) is not None
    assert "intervals calibrated on" in capsys.readouterr().out
    off = train.model_copy(update={"conformal": False})
    assert calibrate_intervals(model, prepared, off, "") is model
    assert "intervals as trained: not calibrated (train.conformal: false)" in capsys.readouterr().out


@pytest.mark.keras
def test_predict_writes_the_levels_after_each_series_end(tmp_path):
    from seqpipe.config.experiment import choose_architecture, choose_dataset
    from seqpipe.config.params import Params
    from seqpipe.data import api as data
    from seqpipe.registry import build_registry
    from seqpipe.stages.prepare import load_raw
    from seqpipe.training.model import build_model

    registry = build_registry()
    months = pd.date_range("1949-01-01", periods=60, freq="MS").strftime("%Y-%m")
    pd.DataFrame({"month": months, "v": 100.0 + np.arange(60)}).to_csv(tmp_path / "monthly.csv", index=False)
    raw_params = {
        "architectures": ["cnn"], "models": {"cnn": {"filters": 4, "num_layers": 1}},
        "train": {"quantiles": [0.1, 0.5, 0.9], "repeats": 1},  # the one model saved below
        "data": {"source": "csv", "path": "monthly.csv", "window": {"lookback": 12, "horizon": 4},
                 "options": {"task": "forecast", "id_column": None, "time_column": "month", "target_column": "v"}},
    }
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw_params))
    params = Params.model_validate({**raw_params, "data": {**raw_params["data"], "path": str(tmp_path / "monthly.csv")}})
    prepared = data.prepare(load_raw(choose_dataset(params, registry), 0), val=0.15, test=0.15, seed=0,
                            window=params.data.window)
    data.save(prepared, tmp_path / "data" / "prepared")
    (tmp_path / "models").mkdir()
    build_model(choose_architecture(params, registry, "cnn"), prepared.spec, params.train).save(
        tmp_path / "models" / "cnn.keras")

    result = _seqpipe("predict", "--arch", "cnn", "--input", "monthly.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(tmp_path / "inference" / "cnn.monthly.csv")
    assert list(frame.columns) == ["id", "step", "time", "y_pred", "q0.1", "q0.5", "q0.9"]
    assert frame["step"].tolist() == [1, 2, 3, 4]
    assert np.allclose(frame["y_pred"], frame["q0.5"], rtol=1e-5)
    assert ((frame["q0.1"] <= frame["q0.5"]) & (frame["q0.5"] <= frame["q0.9"])).all()

    result = _seqpipe("predict", "--arch", "cnn", "--split", "test", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(tmp_path / "inference" / "cnn.test.csv")
    assert {"y_true_h1", "y_pred_h4", "q0.1_h1", "q0.9_h4"} <= set(frame.columns)

    # a model saved with calibrated intervals (train.conformal) forecasts them: here widened by
    # 0.5 on each side around the same median
    import keras

    from seqpipe.training import quantile_head
    from seqpipe.training.model import load_model

    raw = pd.read_csv(tmp_path / "inference" / "cnn.monthly.csv")
    model = load_model(str(tmp_path / "models" / "cnn.keras"))
    layer = quantile_head.Conformal(LEVELS, [[0.5] * 4], windows=1, name=quantile_head.CONFORMAL)
    keras.Model(model.inputs, layer(model.outputs[0])).save(tmp_path / "models" / "cnn.keras")
    result = _seqpipe("predict", "--arch", "cnn", "--input", "monthly.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(tmp_path / "inference" / "cnn.monthly.csv")
    np.testing.assert_allclose(frame["y_pred"], raw["y_pred"], rtol=1e-5)
    np.testing.assert_allclose(frame["q0.9"] - frame["q0.1"], raw["q0.9"] - raw["q0.1"] + 1.0, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("model", ["seasonal_naive", "auto_ets", "auto_arima"])
def test_the_statistical_baselines_forecast_the_levels_from_their_intervals(model):
    from statsforecast.models import SeasonalNaive

    from seqpipe.baselines import forecast as stat

    t = np.arange(72, dtype=np.float64)
    series = 50 + 0.5 * t + 8 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).normal(0, 1, 72)
    histories = [series[:60], series[:64]]
    got = stat.forecast_windows(model, histories, np.zeros(2, int), 4, 12, levels=(0.05, 0.1, 0.5, 0.9, 0.95))
    q = got.quantiles
    assert q is not None and q.values.shape == (2, 4, 5)
    assert (np.diff(q.values, axis=-1) >= 0).all() and np.allclose(q.median, got.values)
    assert (q.at(0.05) < q.at(0.1)).all()  # the 90 % interval is wider than the 80 % one
    if model == "seasonal_naive":
        own = SeasonalNaive(season_length=12).forecast(y=histories[0], h=4, level=[80])
        np.testing.assert_allclose(q.at(0.1)[0], own["lo-80"])
        np.testing.assert_allclose(q.at(0.9)[0], own["hi-80"])
    assert stat.forecast_windows(model, histories, np.zeros(2, int), 4, 12).quantiles is None


# --- the report ----------------------------------------------------------------------------------


def test_the_forecast_figure_gives_each_series_a_panel_with_the_interval_shaded(tmp_path):
    from seqpipe.reporting import figures

    y, forecast = _forecast()
    frame = scoring.predictions_frame("forecast", np.repeat(y, 3, axis=0),
                                      QuantileForecast(LEVELS, np.repeat(forecast.values, 3, axis=0)))
    spec = PreparedSpec(task="forecast", input_kind="numeric", timesteps=4,
                        forecast=ForecastSpec(horizon=2, protocol="cutoff", series=3))
    (caption, name), = figures.task_figures(tasks.get("forecast"), {"gru": frame, "cnn": frame}, spec, tmp_path)
    assert "one panel per series" in caption and "interval shaded" in caption
    assert figures.interval_columns(frame, "2") == ("q0.1_h2", "q0.9_h2", "0.1-0.9")
    assert (tmp_path / name).stat().st_size > 10_000


def test_the_report_sets_each_coverage_beside_the_nominal_one():
    note = quantiles.interval_note({"gru": {"mase": 1.0, "coverage_10_90": 0.72},
                                    "classical: AutoETS": {"coverage_10_90": 0.83}})
    assert note is not None
    assert "`coverage_10_90` is the share of test values inside the 0.1-0.9 interval, nominal 0.80" in note
    assert "gru 0.72, classical: AutoETS 0.83" in note
    assert quantiles.interval_note({"gru": {"mase": 1.0}}) is None


@pytest.mark.keras
def test_the_stages_carry_the_levels_from_training_to_the_report(tmp_path, monkeypatch, capsys):
    """prepare, train, evaluate, baselines and report of the sine example with quantiles, tiny."""
    import json
    import shutil

    from seqpipe.stages import baselines, evaluate, prepare, report, train
    from tests.test_examples import tiny

    (tmp_path / "plugins").mkdir()
    shutil.copy(ROOT / "plugins" / "sine.py", tmp_path / "plugins" / "sine.py")
    params = tiny(yaml.safe_load((ROOT / "examples" / "sine-forecast" / "params.yaml").read_text()), ["cnn"])
    params["train"]["quantiles"] = [0.1, 0.5, 0.9]
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    monkeypatch.chdir(tmp_path)

    prepare.main([])
    train.main(["--arch", "cnn"])
    log = capsys.readouterr().out
    assert "intervals calibrated on 2 validation windows (conformal, pooled over the horizon steps" in log, log
    # the defaults' recursive forecast and training up to the test range both step aside for quantiles
    assert "prepare: data.window.train_until auto: val, training windows end before the validation windows" in log
    assert ("cnn: direct forecast, one output per horizon step (train.strategy auto: direct, because "
            "train.quantiles is set, and a fed-back forecast is a point forecast)") in log
    evaluate.main(["--arch", "cnn"])
    baselines.main([])
    report.main([])

    metrics = json.loads((tmp_path / "metrics" / "cnn.json").read_text())
    assert {"mase", "pinball", "coverage_10_90", "msis"} <= set(metrics)
    assert metrics["calibration_windows"] == 2
    frame = pd.read_csv(tmp_path / "predictions" / "cnn.csv")
    assert {"y_pred_h1", "q0.1_h1", "q0.9_h4"} <= set(frame.columns)
    assert (frame["q0.1_h1"] <= frame["q0.9_h1"]).all()
    classical = json.loads((tmp_path / "metrics" / "baselines.json").read_text())
    assert all({"coverage_10_90", "msis", "pinball"} <= set(scores) for scores in classical.values())
    text = (tmp_path / "reports" / "report.md").read_text()
    leaderboard = text.split("## Leaderboard", 1)[1].split("\n\n")[1]
    assert "coverage_10_90" in leaderboard.splitlines()[0] and "classical: AutoARIMA" in leaderboard
    assert "inside the 0.1-0.9 interval, nominal 0.80" in text and "interval shaded" in text
    assert "intervals are calibrated on the validation windows" in text and "cnn 2 windows" in text

"""`train.strategy: recursive`: a one-step model trained on every step of the training range and
applied step by step over the horizon, saved as a model of the direct one's shape, so evaluation,
the backtest and `seqpipe predict` use it unchanged; changing it reruns that architecture only;
data it cannot forecast is one line naming the key. `auto`, the default, forecasts recursively
where it can and directly where it cannot, and says which; `data.window.train_until: auto` trains
up to the test range, except for quantile forecasts, whose intervals are calibrated on held-out
windows."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from seqpipe.config import recipes
from seqpipe.config.params import TrainParams, WindowParams
from seqpipe.registry import build_registry
from tests.conftest import Project
from tests.test_linear_recipe import _noisy_season

REGISTRY = build_registry()


def _prepared(steps: int = 120, horizon: int = 12, scale: bool = False, **window):
    from seqpipe.data import api as data

    return data.prepare(_noisy_season(steps), val=0.1, test=0.1, seed=0, scale=scale,
                        window=WindowParams(lookback=24, horizon=horizon, season=12, **window))


def test_one_step_windows_cover_every_step_the_direct_windows_forecast_and_no_later_one():
    from seqpipe.data import one_step

    prepared = _prepared(train_until="val")  # cutoff: test = the last 12 steps, validation the 12 before, training before that
    step = one_step.one_step(prepared)
    values = prepared.arrays["series_values"][0]
    train_steps = step.arrays["origin_train"][:, 1]
    assert list(train_steps) == list(range(24, 120 - 24))  # every step after the first lookback, before validation
    assert list(step.arrays["origin_val"][:, 1]) == list(range(96, 108))
    assert step.spec.sizes.train == 72 > prepared.spec.sizes.train == 61  # 13 more: the direct head needs 12 ahead
    assert step.spec.forecast is not None and step.spec.forecast.horizon == 1
    x, y = step.xy("train")
    np.testing.assert_allclose(x[5, :, 0], values[5:29], rtol=1e-6)
    np.testing.assert_allclose(y[5], [values[29]], rtol=1e-6)

    until_test = one_step.one_step(_prepared())  # train_until auto: up to the test range, validation in-sample
    assert list(until_test.arrays["origin_train"][:, 1]) == list(range(24, 120 - 12))


def test_train_until_auto_runs_up_to_the_test_range_but_holds_validation_out_for_quantiles():
    from seqpipe.data.forecast import log_lines
    from seqpipe.data.forecast_windows import point_forecast_until

    window = WindowParams(lookback=24, horizon=12, season=12)
    assert window.train_until == "auto"
    assert point_forecast_until(window, None) == (window, "")
    held_out, said = point_forecast_until(window, [0.1, 0.5, 0.9])
    assert held_out.train_until == "val"
    assert said == ("prepare: data.window.train_until auto: val, training windows end before the validation "
                    "windows, which stay held out to calibrate train.quantiles' intervals")
    explicit = window.model_copy(update={"train_until": "test"})
    assert point_forecast_until(explicit, [0.1, 0.5, 0.9]) == (explicit, "")  # what the user set stays
    assert _prepared().spec.sizes.train == 73 > _prepared(train_until="val").spec.sizes.train == 61
    assert ("prepare: data.window.train_until auto: training windows run up to the test range, so the validation "
            "windows are in-sample") in "\n".join(log_lines(_prepared().spec))
    assert "train_until" not in "\n".join(log_lines(_prepared(train_until="test").spec))


def test_auto_forecasts_recursively_where_it_can_and_directly_where_it_cannot_or_should_not():
    from seqpipe.training import strategy

    spec = _prepared().spec
    assert strategy.resolve(TrainParams(), spec) == strategy.Strategy(
        "recursive", "train.strategy auto: a point forecast of one column", falls_back=True)
    assert strategy.resolve(TrainParams(quantiles=[0.1, 0.5, 0.9]), spec) == strategy.Strategy(
        "direct", "train.strategy auto: direct, because train.quantiles is set, and a fed-back forecast is a point "
        "forecast")
    wide = spec.model_copy(update={"features": 2})
    assert strategy.resolve(TrainParams(), wide).name == "direct"
    assert "2 columns" in strategy.resolve(TrainParams(), wide).why
    sliding = _prepared(protocol="sliding").spec  # trained on each series' first steps only: direct
    assert strategy.resolve(TrainParams(), sliding) == strategy.Strategy(
        "direct", "train.strategy auto: direct under the sliding protocol, where recursive forecasts were no better "
        "on average and one ran away")
    assert strategy.resolve(TrainParams(strategy="recursive"), sliding) == strategy.Strategy("recursive")
    assert strategy.resolve(TrainParams(strategy="direct"), spec) == strategy.Strategy("direct")
    assert strategy.resolve(TrainParams(strategy="recursive"), spec) == strategy.Strategy("recursive")
    assert strategy.resolve(TrainParams(), spec.model_copy(update={"forecast": None, "task": "regression"})) == \
        strategy.Strategy("direct")


def test_the_report_says_how_the_architectures_were_trained_in_one_row_when_they_agree():
    from seqpipe.training import strategy

    spec = _prepared().spec
    auto, direct = strategy.resolve(TrainParams(), spec), strategy.resolve(TrainParams(strategy="direct"), spec)
    recursive = "recursive: a one-step model fed back 12 times (train.strategy auto: a point forecast of one column)"
    assert strategy.report_rows({"gru": auto, "cnn": auto}, spec) == {"forecast strategy": recursive}
    assert strategy.report_rows({"gru": auto, "cnn": direct}, spec) == {
        "forecast strategy of gru": recursive,
        "forecast strategy of cnn": "direct: one output per horizon step (train.strategy direct)"}
    assert strategy.report_rows({"gru": auto}, spec.model_copy(update={"forecast": None})) == {}
    assert strategy.recursive_names({"gru": auto, "cnn": direct}) == {"gru"}
    # what train@ recorded (timings/<arch>.json) wins over what the settings resolve to
    fell_back = strategy.trained(strategy.after_runaway(43).record(), TrainParams(), spec)
    assert strategy.describe(fell_back, spec) == (
        "direct: one output per horizon step (train.strategy auto: direct, because the recursive forecast of seed 43 "
        "ran away on the validation windows)")
    assert strategy.trained(None, TrainParams(), spec) == auto  # trained before strategies were recorded


@pytest.mark.keras
@pytest.mark.parametrize("normalize", ["last", "none"])  # none: prepare scaled the inputs, so the fed-back steps too
def test_the_saved_forecaster_feeds_each_forecast_back_and_reloads_in_safe_mode(tmp_path, normalize):
    from seqpipe.config.experiment import ArchitectureChoice
    from seqpipe.data import one_step
    from seqpipe.training import recursive, resilience
    from seqpipe.training.model import build_model, load_model

    prepared = _prepared(normalize=normalize, scale=True)
    scaler = prepared.spec.scaler
    assert (scaler is None) == (normalize == "last")
    shift, scale = (scaler.mean[0], scaler.scale[0]) if scaler else (0.0, 1.0)
    step = one_step.one_step(prepared)
    np.testing.assert_allclose(step.xy("train")[0][0, :, 0], prepared.xy("train")[0][0, :, 0], rtol=1e-5)
    architecture = REGISTRY.architecture("gru")
    settings = recipes.effective(TrainParams(strategy="recursive"), "gru", architecture)
    one = build_model(ArchitectureChoice("gru", architecture, architecture.params(), settings), step.spec,
                      settings.params)
    forecaster = recursive.wrap(one, prepared.spec)
    x = prepared.xy("test")[0]
    forecast = np.asarray(forecaster.predict(x, verbose=0))
    assert forecast.shape == (len(x), 12)
    window = x.copy()
    for h in range(12):  # by hand: one step, then that step appended as the newest input
        value = np.asarray(one.predict(window, verbose=0))[:, 0]
        np.testing.assert_allclose(forecast[:, h], value, rtol=1e-4, atol=1e-4)
        window = np.concatenate([window[:, 1:, :], (value[:, None, None] - shift) / scale], axis=1)
    resilience.save_model(forecaster, tmp_path / "gru.keras")
    again = load_model(str(tmp_path / "gru.keras"))
    np.testing.assert_allclose(np.asarray(again.predict(x, verbose=0)), forecast, rtol=1e-5, atol=1e-5)


@pytest.mark.keras
def test_the_train_log_flags_a_one_step_model_whose_fed_back_forecast_runs_away():
    import keras

    from seqpipe.data import one_step
    from seqpipe.training.run import runaway

    prepared = _prepared()  # a season of amplitude 5 plus AR(1) noise: a training range of about -15 to 15
    step = one_step.one_step(prepared)
    window = keras.Input(shape=(24, 1))
    doubling = keras.Model(window, 2.0 * window[:, -1, :])  # each step twice the last: 2**12 after the horizon
    finding = runaway("cnn", doubling, prepared, step, 32)
    assert finding is not None and finding.check == "runaway"
    assert finding.line().startswith("cnn: its recursive forecast runs away on the validation windows: it reaches ")
    assert finding.line().endswith("set models.cnn.train.strategy: direct (one output per horizon step), or rank "
                                   "another architecture")
    persistence = keras.Model(window, 1.0 * window[:, -1, :])  # the last value, held: no runaway
    assert runaway("cnn", persistence, prepared, step, 32) is None


def _growth(steps: int = 90, rate: float = 1.15):
    """Compound growth: a one-step model continues it far past the training range within 12 steps."""
    from seqpipe.data import api as data
    from seqpipe.specs import RawData

    series = (10.0 * rate ** np.arange(steps)).astype(np.float32)
    raw = RawData([series[:, None]], np.zeros(0, np.float32), "forecast", "numeric", origin="growth.csv", ids=["s"])
    return data.prepare(raw, val=0.15, test=0.15, seed=0,
                        window=WindowParams(lookback=12, horizon=12, season=1, train_until="val"))


@pytest.mark.keras
@pytest.mark.parametrize("setting", ["auto", "recursive"])
def test_auto_trains_an_architecture_again_as_direct_when_a_seeds_recursive_forecast_runs_away(tmp_path, capsys,
                                                                                                setting):
    from seqpipe.config.experiment import ArchitectureChoice
    from seqpipe.training.model import load_model
    from seqpipe.training.run import train_seeds

    architecture = REGISTRY.architecture("linear")
    settings = recipes.effective(TrainParams(repeats=2, strategy=setting), "linear", architecture)
    choice = ArchitectureChoice("linear", architecture, architecture.params(), settings)
    summaries = train_seeds(choice, _growth(), settings.params, [3, 4], backup=tmp_path / "backup",
                            model_file=tmp_path / "linear.keras", repeats_dir=tmp_path / "linear.repeats",
                            live_dir=tmp_path / "live")
    out = capsys.readouterr().out
    runs_away = "recursive forecast runs away on the validation windows: it reaches "
    if setting == "auto":
        assert f"linear: seed 3's {runs_away}" in out
        assert "so train.strategy auto trains it again as a direct forecast, one output per horizon step" in out
        why = "train.strategy auto: direct, because the recursive forecast of seed 3 ran away on the validation windows"
        assert f"linear: direct forecast, one output per horizon step ({why})" in out
        assert [s.strategy for s in summaries] == [{"name": "direct", "why": why}] * 2
        assert "check:" not in out.replace("check: the validation split has", "")  # nothing left to flag
    else:  # what the user set is trained and flagged with the fix, once: the solved head is every seed's
        assert out.count(f"check: linear: its {runs_away}") == 1 and "seed 4's" not in out
        assert "set models.linear.train.strategy: direct" in out and "trains it again" not in out
        assert [s.strategy for s in summaries] == [{"name": "recursive", "why": ""}] * 2
    x = _growth().xy("test")[0]
    for saved in (tmp_path / "linear.keras", tmp_path / "linear.repeats" / "seed4.keras"):
        assert np.asarray(load_model(str(saved)).predict(x, verbose=0)).shape == (len(x), 12)
    assert (tmp_path / "live").is_dir()


def test_a_forecast_is_said_to_run_away_beyond_two_spans_of_the_training_range_not_within_a_trends_room():
    from seqpipe.training import diagnostics

    # solar with lookback 48: first differences fed back 48 times drifted 2.6 spans below [0, 0.551]
    drift = diagnostics.runaway("gru", np.array([[0.1, -0.5, -1.43]]), 0.0, 0.551, "validation", seed=42)
    assert drift is not None and drift.check == "runaway"
    assert drift.line().startswith("gru: seed 42's recursive forecast runs away on the validation windows: it "
                                   "reaches -1.43, 2.6 times the span of the training range (0 to 0.551) beyond it")
    # airline's trend: 0.79 spans above its training range (104 to 559), the most measured on 24 series
    assert diagnostics.runaway("linear", np.array([[400.0, 918.0]]), 104.0, 559.0) is None
    assert diagnostics.runaway("linear", np.array([[np.nan]]), 0.0, 1.0) is not None  # not finite


def test_data_a_fed_back_forecast_cannot_continue_is_named():
    assert _prepared().spec.why_not_recursive() is None
    wide = _prepared().spec.model_copy(update={"features": 2})
    assert wide.why_not_recursive() == ("the series have 2 columns, and a fed-back forecast supplies only the "
                                          "forecast column '0'")


SINE = {"source": "sine", "path": "plugins/sine.py", "options": {"n_series": 2, "length": 80, "period": 12, "noise": 0.1},
        "window": {"lookback": 12, "horizon": 4, "stride": 2, "season": 12}}


@pytest.mark.e2e
def test_a_recursive_architecture_trains_on_one_step_windows_and_forecasts_the_horizon(project: Project):
    params = project.params()
    params["data"]["options"] = {}  # the adding problem's options are not the sine source's
    (project.path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    project.set_params({"architectures": ["cnn", "linear"], "data": SINE, "backtest": {"origins": [1]},
                        "train": {"repeats": 2},
                        "models": {"cnn": {"train": {"strategy": "direct"}}}})  # linear: auto, the default
    ran, out = project.repro_logged()
    assert {"train@cnn", "train@linear", "backtest@linear-1"} <= set(ran)
    assert "prepare: data.window.train_until auto: training windows run up to the test range" in out
    linear_log = out[out.index("Running stage 'train@linear'"):].split("Running stage")[1]
    assert ("linear: recursive forecast (train.strategy auto: a point forecast of one column): a one-step model on"
            in linear_log)
    assert "applied 4 times, each forecast fed back as an input" in linear_log
    assert "recursive" not in out[out.index("Running stage 'train@cnn'"):].split("Running stage")[1]
    fit = json.loads((project.path / "models" / "linear.fit.json").read_text())
    assert fit["train_settings"]["strategy"]["value"] == "auto"
    # the strategy as trained travels to the report through the evaluation's timings
    trained = {"name": "recursive", "why": "train.strategy auto: a point forecast of one column"}
    assert fit["strategy"] == trained
    assert json.loads((project.path / "timings" / "linear.json").read_text())["strategy"] == trained
    assert json.loads((project.path / "timings" / "cnn.json").read_text())["strategy"]["name"] == "direct"
    metrics = json.loads((project.path / "metrics" / "linear.json").read_text())
    assert np.isfinite(metrics["mase"])
    report = (project.path / "reports" / "report.md").read_text()
    rows = [line for line in report.splitlines() if line.startswith("| forecast strategy")]
    assert len(rows) == 2 and "| forecast strategy of cnn " in rows[0] and "direct: one output per horizon step " \
        "(train.strategy direct)" in rows[0], rows
    assert "recursive: a one-step model fed back 4 times (train.strategy auto: a point forecast of one column)" in rows[1]
    project.run("seqpipe", "predict", "--arch", "linear", "--split", "test", "-o", "linear.csv")
    predicted = pd.read_csv(project.path / "linear.csv")
    evaluated = pd.read_csv(project.path / "predictions" / "linear.csv")
    assert len(predicted) == len(evaluated) and [c for c in predicted if c.startswith("y_pred")]

    project.set_params({"models": {"linear": {"train": {"strategy": "direct"}}}})
    assert project.stale() == {"train@linear", "backtest@linear-1"}  # not train@cnn

    for update, message in (
        ({"models": {"linear": {"train": {"strategy": "sideways"}}}},
         "seqpipe: error: params.yaml: models.linear.train.strategy: input should be 'auto', 'direct' or 'recursive'"),
        ({"models": {"linear": {"train": {"strategy": "recursive"}}}, "train": {"quantiles": [0.1, 0.5, 0.9]}},
         "seqpipe: error: params.yaml: models.linear.train.strategy: recursive (architecture 'linear') cannot "
         "forecast this data: train.quantiles is set, and a fed-back forecast is a point forecast; set "
         "models.linear.train.strategy to direct")):
        project.set_params(update)
        failed = project.run("dvc", "repro", "train@linear", check=False)
        assert failed.returncode != 0
        lines = [line for line in (failed.stderr + failed.stdout).splitlines() if line.startswith("seqpipe: error:")]
        assert len(lines) == 1 and lines[0].startswith(message), lines


def test_validate_refuses_recursive_on_data_that_is_not_a_forecast_in_one_line(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT, env

    params = yaml.safe_load((ROOT / "params.yaml").read_text())  # the adding problem: a regression
    params["models"]["gru"] = {**(params["models"].get("gru") or {}), "train": {"strategy": "recursive"}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    done = subprocess.run([sys.executable, "-m", "seqpipe.cli", "validate"], cwd=tmp_path, env=env(),
                          capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr == ("seqpipe: error: params.yaml: models.gru.train.strategy: recursive (architecture 'gru') "
                           "cannot forecast this data: data.source 'adding' gives task regression, not forecast; set "
                           "models.gru.train.strategy to direct\n")

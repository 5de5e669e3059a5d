"""Seed ensembles (`train.ensemble`): an architecture predicts with the mean of its seeds' outputs
everywhere (evaluate, `seqpipe predict`), its per-seed spread is still reported, and turning it on
without repeats is one clear line."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from seqpipe.config import recipes
from seqpipe.config.params import TrainParams
from seqpipe.errors import ParamsError
from seqpipe.quantiles import QuantileForecast
from seqpipe.registry import build_registry
from seqpipe.reporting import statistics
from seqpipe.reporting.results import seed_rows
from seqpipe.training import ensemble
from tests.conftest import ROOT, env

REGISTRY = build_registry()


def test_the_mean_of_quantile_forecasts_is_taken_per_level_and_stays_ordered():
    rng = np.random.default_rng(0)
    seeds = [QuantileForecast((0.1, 0.5, 0.9), np.sort(rng.normal(size=(5, 3, 3)), axis=-1)) for _ in range(3)]
    mean = ensemble.mean_output(seeds)
    assert isinstance(mean, QuantileForecast) and mean.levels == (0.1, 0.5, 0.9)
    np.testing.assert_allclose(mean.at(0.9), np.mean([s.at(0.9) for s in seeds], axis=0), rtol=1e-6)
    assert (np.diff(mean.values, axis=-1) >= 0).all()
    probabilities = [np.array([[0.2, 0.8]]), np.array([[0.6, 0.4]])]
    np.testing.assert_allclose(ensemble.mean_output(probabilities), [[0.4, 0.6]])
    with pytest.raises(ValueError, match="share their levels"):
        ensemble.mean_output([seeds[0], QuantileForecast((0.25, 0.5, 0.75), seeds[1].values)])


@pytest.mark.parametrize(("train", "override", "key"), [
    ({"ensemble": True}, None, "train.ensemble"),
    ({}, {"ensemble": True}, "models.gru.train.ensemble"),
])
def test_an_ensemble_without_repeats_is_refused_naming_the_key(train, override, key):
    with pytest.raises(ParamsError) as err:
        recipes.effective(TrainParams(**train), "gru", REGISTRY.architecture("gru"), override)
    assert str(err.value).startswith(f"params.yaml: {key}: true averages the seeds of train.repeats, which is 1")
    settings = recipes.effective(TrainParams(repeats=3), "gru", REGISTRY.architecture("gru"), {"ensemble": True})
    assert settings.params.ensemble and settings.key("ensemble") == "models.gru.train.ensemble"


def test_the_ensemble_row_of_scores_is_left_out_of_the_test_across_seeds(tmp_path):
    # scores/<arch>.csv of an ensemble ends with its `ensemble` row; the other architecture has none
    (tmp_path / "a.csv").write_text("seed,mase\n42,0.9\n43,1.1\n44,1.0\nensemble,0.8\n")
    (tmp_path / "b.csv").write_text("seed,mase\n42,1.3\n43,1.5\n44,1.45\n")
    a, b = seed_rows(pd.read_csv(tmp_path / "a.csv")), seed_rows(pd.read_csv(tmp_path / "b.csv"))
    assert a["seed"].tolist() == [42, 43, 44] and a["mase"].tolist() == [0.9, 1.1, 1.0]
    table = pd.DataFrame({"architecture": ["a", "b"], "mase": [0.8, 1.4167]})
    tests = statistics.significance(table, "forecast", {"a": a, "b": b}, {})
    assert tests.loc[0, "test"] == "paired t-test over 3 seeds"


def _seqpipe(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seqpipe.cli", *args], cwd=cwd, env=env(), capture_output=True,
                          text=True)


def test_validate_says_in_one_line_that_an_ensemble_needs_repeats(tmp_path):
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["models"]["gru"] = {"train": {"ensemble": True}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    result = _seqpipe("validate", "--params", "params.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "seqpipe: error: params.yaml: models.gru.train.ensemble: true averages the seeds of train.repeats, which is 1; "
        "set train.repeats to 2 or more (3 for forecasts), or ensemble to false"]


FORECAST = {
    "architectures": ["cnn"], "seed": 7,
    "models": {"cnn": {"filters": 4, "kernel_size": 3, "num_layers": 1, "train": {"ensemble": True}}},
    "data": {"source": "sine", "path": "plugins/sine.py", "options": {"n_series": 2, "length": 120, "period": 12},
             "window": {"lookback": 12, "horizon": 3, "season": 12}},
    "train": {"epochs": 2, "batch_size": 16, "patience": 0, "steps_per_execution": 1, "repeats": 2,
              "quantiles": [0.1, 0.5, 0.9]},
}


@pytest.fixture
def trained_ensemble(tmp_path, monkeypatch):
    """A project directory with a two-seed quantile cnn trained as the train stage does (its
    intervals calibrated on the ensemble), prepared data and params.yaml."""
    from seqpipe import layout
    from seqpipe.config.context import context
    from seqpipe.data import api as data
    from seqpipe.training.run import train_seeds

    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(FORECAST))
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "sine.py").write_text("")  # data.path of a synthetic source: read by nobody
    ctx = context("params.yaml")
    choice = ctx.architecture("cnn")
    ds = REGISTRY.dataset("sine")
    raw = ds.load(ds.params(**FORECAST["data"]["options"]), 0)
    prepared = data.prepare(raw, val=0.15, test=0.15, seed=0, window=ctx.params.data.window)
    data.save(prepared, layout.PREPARED_DIR)
    train = ctx.train_settings("cnn", prepared.spec).params
    train_seeds(choice, prepared, train, [7, 8], backup=tmp_path / "backup", model_file=layout.model_path("cnn"),
                repeats_dir=layout.repeats_dir("cnn"), live_dir=layout.live_dir("cnn"))
    return tmp_path, ctx, choice, prepared


@pytest.mark.keras
def test_an_ensembles_evaluation_scores_the_mean_of_its_seeds_outputs_and_predict_uses_it(trained_ensemble):
    from seqpipe import layout
    from seqpipe.evaluation import run, scoring
    from seqpipe.training import quantile_head
    from seqpipe.training.model import load_model

    path, ctx, choice, prepared = trained_ensemble
    x, y = prepared.xy("test")
    models = [load_model(str(p)) for _, p in layout.seed_models("cnn")]
    assert [s for s, _ in layout.seed_models("cnn")] == [7, 8]
    outputs = [quantile_head.output(m, np.asarray(m.predict(x, verbose=0))) for m in models]
    by_hand = QuantileForecast(outputs[0].levels, (outputs[0].values + outputs[1].values) / 2)
    # both seeds carry the one calibration fitted on the ensemble's validation forecast
    assert quantile_head.calibration_of(models[0]).factors == quantile_head.calibration_of(models[1]).factors

    evaluation = run.evaluate(choice, prepared, layout.seed_models("cnn"), 16, {}, ensemble=True)
    expected = scoring.score("forecast", y, by_hand, prepared.spec)
    single = [scoring.score("forecast", y, o, prepared.spec) for o in outputs]
    assert evaluation.metrics["mase"] == pytest.approx(expected["mase"], rel=1e-5)
    # not the seeds' mean score: the RMSE of a mean forecast is below the mean of the RMSEs (convexity)
    assert evaluation.metrics["rmse"] == pytest.approx(expected["rmse"], rel=1e-5)
    assert evaluation.metrics["rmse"] < np.mean([s["rmse"] for s in single]) - 1e-4
    assert evaluation.metrics["mase_std"] == pytest.approx(np.std([s["mase"] for s in single], ddof=1), rel=1e-4)
    assert evaluation.metrics["ensemble"] == 2 and evaluation.metrics["repeats"] == 2
    assert evaluation.scores["seed"].tolist() == [7, 8, "ensemble"]
    np.testing.assert_allclose(evaluation.predictions["y_pred_h1"], by_hand.median[:, 0], rtol=1e-5)
    run.write(evaluation, layout.evaluation_outputs("cnn"))

    result = _seqpipe("predict", "--arch", "cnn", "--split", "test", cwd=path)
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout and "cnn (ensemble of 2 seeds)" in result.stdout
    predicted = pd.read_csv(path / "inference" / "cnn.test.csv")
    np.testing.assert_allclose(predicted["y_pred_h1"], by_hand.median[:, 0], rtol=1e-4)
    np.testing.assert_allclose(predicted["q0.9_h3"], by_hand.at(0.9)[:, 2], rtol=1e-4)
    assert not np.allclose(predicted["y_pred_h1"], outputs[0].median[:, 0], rtol=1e-4)


@pytest.mark.keras
def test_a_backtest_cell_scores_the_ensemble_and_keeps_the_single_seeds_spread(trained_ensemble):
    from seqpipe.backtest.cell import train_and_score

    path, ctx, choice, prepared = trained_ensemble
    train = ctx.train_settings("cnn", prepared.spec).params
    seeds = train_and_score(choice, prepared, train.model_copy(update={"ensemble": False}), [7, 8], path / "b1")
    combined = train_and_score(choice, prepared, train, [7, 8], path / "b2")
    assert combined["ensemble"] == 2 and "ensemble" not in seeds
    assert combined["rmse_std"] == seeds["rmse_std"]  # the same two models, scored one by one
    assert combined["rmse"] < seeds["rmse"]  # their mean forecast, not their mean score

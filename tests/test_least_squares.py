"""A model whose only trainable weights are its head's, on an mse loss, gets the exact minimum of its
loss by least squares instead of gradient steps: the same model for every seed, said in the train log.
Models that do not qualify (trainable encoders, quantiles, a log forecast, the switch off) train as before."""
from __future__ import annotations

import json

import numpy as np
import pytest

from seqpipe.config import recipes
from seqpipe.config.params import TrainParams, WindowParams
from seqpipe.registry import build_registry
from tests.conftest import Project
from tests.test_linear_recipe import _least_squares_mse, _noisy_season

REGISTRY = build_registry()


def _model(name: str, prepared, seed: int = 0, **train):
    from seqpipe.config.experiment import ArchitectureChoice
    from seqpipe.training.fit import seed_everything
    from seqpipe.training.model import build_model

    architecture = REGISTRY.architecture(name)
    settings = recipes.effective(TrainParams(**train), name, architecture)
    seed_everything(seed)
    return build_model(ArchitectureChoice(name, architecture, architecture.params(), settings), prepared.spec,
                       settings.params), settings.params


def _forecast(log: bool = False, level: float = 0.0):
    from seqpipe.data import api as data

    raw = _noisy_season()
    raw.sequences[0][:] += level
    return data.prepare(raw, val=0.1, test=0.1, seed=0, window=WindowParams(lookback=24, horizon=4, season=12, log=log))


@pytest.mark.keras
def test_linear_forecast_head_is_solved_to_the_minimum_and_the_seed_does_not_change_it():
    from seqpipe.training import least_squares

    prepared = _forecast()
    x, y = prepared.xy("train")
    kernels = []
    for seed in (0, 1):
        model, train = _model("linear", prepared, seed)
        assert least_squares.why_not(model, "forecast", train) is None
        solution = least_squares.solve(model, x, y)
        assert solution is not None
        trained = float(np.mean((np.asarray(model.predict(x, verbose=0)) - y) ** 2))
        assert trained == pytest.approx(_least_squares_mse(model, x, y), rel=1e-5)  # the model now has the minimum
        assert solution.train_loss == pytest.approx(trained, rel=1e-5)
        kernels.append(solution.kernel)
    np.testing.assert_array_equal(kernels[0], kernels[1])


@pytest.mark.keras
def test_a_log_forecast_is_not_affine_in_its_head_so_it_is_left_to_training():
    from seqpipe.training import least_squares

    prepared = _forecast(log=True, level=40.0)  # positive values: logs are taken, the forecast exponentiated
    model, train = _model("linear", prepared)
    before = [w.copy() for w in model.get_layer("head").get_weights()]
    assert least_squares.why_not(model, "forecast", train) is None  # by its weights it would qualify ...
    assert least_squares.solve(model, *prepared.xy("train")) is None  # ... but its output is not affine
    for kept, now in zip(before, model.get_layer("head").get_weights(), strict=True):
        np.testing.assert_array_equal(kept, now)


@pytest.mark.keras
def test_trainable_encoders_quantiles_and_the_switch_off_are_trained_by_steps(monkeypatch):
    from seqpipe.training import least_squares

    prepared = _forecast()
    gru, train = _model("gru", prepared)
    assert least_squares.why_not(gru, "forecast", train) == "it has trainable weights besides its head's kernel and bias"
    quantile, train = _model("linear", prepared, quantiles=[0.1, 0.5, 0.9])
    assert least_squares.why_not(quantile, "forecast", train) == "its loss is not the mse"
    off, train = _model("linear", prepared, least_squares=False)
    assert least_squares.why_not(off, "forecast", train) == "train.least_squares: false"
    # the workers of a multi-machine run train in step with the chief: all train, none solves
    assert least_squares.why_not(off, "forecast", train.model_copy(update={"least_squares": True,
                                                                          "distribute": "multi_worker"})) \
        == "train.distribute: multi_worker trains in step across machines"
    monkeypatch.setattr(least_squares, "MAX_UNKNOWNS", 50)  # (24 lags + 1) x 4 steps = 100 unknowns
    big, train = _model("linear", prepared)
    assert least_squares.why_not(big, "forecast", train) == "its head has 100 weights, more than 50 to solve exactly"


@pytest.mark.e2e
def test_the_train_stage_solves_linear_says_so_and_the_switch_retrains_only_linear(project: Project):
    project.set_params({"train": {"repeats": 2, "recipes": True}, "architectures": ["linear", "gru"]})
    ran, out = project.repro_logged()
    assert {"train@linear", "train@gru"} <= set(ran)
    assert "solved linear's head by least squares on" in out
    assert "kept the least-squares head, the exact minimum of the training loss (the same as the first seed's)" in out
    assert "solved gru's head" not in out
    linear_log = out[out.index("Running stage 'train@linear'"):].split("Running stage")[1]
    assert "budget:" not in linear_log  # nothing is trained by steps, so no budget is planned aloud
    fit = json.loads((project.path / "models" / "linear.fit.json").read_text())
    assert fit["epochs_run"] == 0 and fit["kept_by"] == "last" and fit["least_squares"] is True
    assert json.loads((project.path / "timings" / "linear.json").read_text())["least_squares"] is True
    curve = (project.path / "dvclive" / "linear" / "plots" / "metrics" / "train" / "loss.tsv")
    assert curve.is_file() and len(curve.read_text().splitlines()) == 2  # one point: no epochs
    report = (project.path / "reports" / "report.md").read_text()  # its params: the recipe's steps unused
    assert '"min_steps": "5000 (recipe of linear); unused: the head was solved by least squares"' in report
    assert '"difference": "none (recipe of linear)"' in report  # the solve uses that one

    project.set_params({"models": {"linear": {"train": {"least_squares": False}}}})
    ran, out = project.repro_logged()
    assert "train@linear" in ran and "train@gru" not in ran
    assert "solved linear's head" not in out
    assert "budget:" in out[out.index("Running stage 'train@linear'"):]
    fit = json.loads((project.path / "models" / "linear.fit.json").read_text())
    assert fit["epochs_run"] >= 1
    assert "unused: the head was solved" not in (project.path / "reports" / "report.md").read_text()


def test_a_solved_model_at_the_baseline_is_not_told_to_train_longer():
    from seqpipe.training import diagnostics

    trained = diagnostics.no_skill("gru", "mse", 0.2, "mean of train targets", 0.18, greater_is_better=False)
    solved = diagnostics.no_skill("linear", "mse", 0.2, "mean of train targets", 0.18, greater_is_better=False,
                                  solved=True)
    assert trained is not None and "train longer" in trained.line()
    assert solved is not None and "train longer" not in solved.line()
    assert "exact least-squares fit (train.least_squares), so no training helps" in solved.line()


@pytest.mark.keras
def test_every_seed_of_a_log_forecast_is_trained_and_the_log_says_why_once(tmp_path, capsys):
    from seqpipe.config.experiment import ArchitectureChoice
    from seqpipe.training.run import train_seeds

    prepared = _forecast(log=True, level=40.0)
    architecture = REGISTRY.architecture("linear")
    settings = recipes.effective(TrainParams(epochs=1, min_epochs=1, batch_size=64), "linear", architecture)
    choice = ArchitectureChoice("linear", architecture, architecture.params(), settings)
    summaries = train_seeds(choice, prepared, settings.params, [3, 4], backup=tmp_path / "backup",
                            model_file=tmp_path / "linear.keras", repeats_dir=tmp_path / "linear.repeats",
                            live_dir=tmp_path / "live")
    out = capsys.readouterr().out
    assert out.count("its output is not affine in its head") == 1  # found once, not probed again per seed
    assert out.count("budget:") == 1
    assert [s.least_squares for s in summaries] == [False, False] and all(s.epochs_run == 1 for s in summaries)
    assert (tmp_path / "linear.keras").is_file() and (tmp_path / "linear.repeats" / "seed4.keras").is_file()

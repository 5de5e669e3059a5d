"""The seeds each architecture trains by task (seqpipe.config.seeds): left out of params.yaml,
`train.repeats` and `train.ensemble` give a forecast an ensemble of 3 seeds and every other task one
seed; written values win. TensorFlow-free (the fast lane)."""
from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from seqpipe.config import params as params_mod
from seqpipe.config import seeds
from seqpipe.config.context import context
from seqpipe.config.experiment import validate_experiment
from seqpipe.errors import ParamsError
from seqpipe.registry import build_registry
from tests.conftest import ROOT, env

REGISTRY = build_registry()
FORECAST, CLASSIFICATION = "examples/csv-forecast/params.yaml", "examples/csv-wide-classification/params.yaml"


def _settings(example: str, train: dict | None = None, models: dict | None = None):
    raw = yaml.safe_load((ROOT / example).read_text())
    raw["data"]["path"] = str(ROOT / raw["data"]["path"])
    raw["train"] = {**raw["train"], **(train or {})}
    for name, entry in (models or {}).items():
        raw["models"][name] = entry
    params = params_mod.validate(params_mod.Params, raw)
    _, choices = validate_experiment(params, REGISTRY)
    return {c.name: c.settings for c in choices}


def test_a_forecast_trains_an_ensemble_of_three_seeds_and_the_train_log_says_why():
    for settings in _settings(FORECAST).values():
        assert (settings.params.repeats, settings.params.ensemble) == (3, True)
        assert settings.describe("repeats") == "repeats 3 (default for a forecast)"
        assert "  from default for a forecast: repeats 3, ensemble true" in settings.lines()
        assert settings.record()["ensemble"] == {"value": True, "from": "default for a forecast"}
        assert "repeats" not in settings.own()  # shared by every architecture: the report shows it under train


@pytest.mark.parametrize("example", [CLASSIFICATION, "examples/csv-long-regression/params.yaml"])
def test_classification_and_regression_train_one_seed(example):
    for settings in _settings(example).values():
        assert (settings.params.repeats, settings.params.ensemble) == (1, False)
        assert settings.sources["repeats"] == settings.sources["ensemble"] == "default"


@pytest.mark.parametrize(("train", "models", "expected"), [
    ({"repeats": 1}, None, {"lstm": (1, False)}),  # one seed, as written: no ensemble of one
    ({"repeats": 5}, None, {"lstm": (5, True)}),
    ({"ensemble": False}, None, {"lstm": (3, False)}),  # three seeds scored as mean ± std
    ({}, {"lstm": {"train": {"ensemble": False}}}, {"lstm": (3, False), "gru": (3, True)}),
    ({"repeats": 3, "ensemble": True}, None, {"lstm": (3, True)}),
])
def test_values_written_in_params_win_over_the_forecast_default(train, models, expected):
    chosen = _settings(FORECAST, train, models)
    for name, (repeats, ensemble) in expected.items():
        assert (chosen[name].params.repeats, chosen[name].params.ensemble) == (repeats, ensemble), name
    written = chosen["lstm"].sources["repeats"]
    assert written == ("train" if "repeats" in train else "default for a forecast")


def test_an_ensemble_written_for_one_seed_is_still_one_line_naming_the_key():
    with pytest.raises(ParamsError, match=r"^params.yaml: train.ensemble: true averages the seeds of train.repeats, "
                                          r"which is 1"):
        _settings(FORECAST, {"repeats": 1, "ensemble": True})


def test_the_default_experiments_params_resolve_unchanged(monkeypatch):
    monkeypatch.chdir(ROOT)
    raw = params_mod.validate(params_mod.Params, params_mod.read_yaml("params.yaml"))
    ctx = context("params.yaml")
    assert ctx.params.model_dump() == raw.model_dump()  # the adding problem: regression, one seed, as before
    assert ctx.params.train.repeats == 1 and not ctx.params.train.ensemble
    assert all(c.settings.params.repeats == 1 and not c.settings.params.ensemble for c in ctx.architectures.values())


def test_every_stage_sees_a_forecasts_seeds_and_validate_says_what_it_chose(tmp_path, monkeypatch):
    raw = yaml.safe_load((ROOT / FORECAST).read_text())
    raw["data"]["path"] = str(ROOT / raw["data"]["path"])
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw))
    monkeypatch.chdir(tmp_path)
    ctx = context("params.yaml")
    assert (ctx.params.train.repeats, ctx.params.train.ensemble) == (3, True)  # the report's `seed_note` and params
    assert seeds.chosen(ctx.params.train) == {"repeats", "ensemble"}
    shown = subprocess.run([sys.executable, "-m", "seqpipe.cli", "validate"], cwd=tmp_path, env=env(),
                           capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[-1] == f"train.repeats 3, train.ensemble true: {seeds.WHY}"

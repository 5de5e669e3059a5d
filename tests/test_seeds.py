"""The seeds each architecture trains (seqpipe.config.seeds): left out of params.yaml,
`train.repeats` and `train.ensemble` give a forecast, and classification or regression on a training
split of at most 1,000 sequences, an ensemble of 3 seeds, and every other run one seed; written
values win. TensorFlow-free (the fast lane)."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import yaml

from seqpipe.config import params as params_mod
from seqpipe.config import seeds
from seqpipe.config.context import context
from seqpipe.config.experiment import validate_experiment
from seqpipe.data.spec import PreparedSpec
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
    _, _, choices = validate_experiment(params, REGISTRY)
    return {c.name: c.settings for c in choices}


def test_a_forecast_trains_an_ensemble_of_three_seeds_and_the_train_log_says_why():
    for settings in _settings(FORECAST).values():
        assert (settings.params.repeats, settings.params.ensemble) == (3, True)
        assert settings.describe("repeats") == "repeats 3 (default for a forecast)"
        assert "  from default for a forecast: repeats 3, ensemble true" in settings.lines()
        assert settings.record()["ensemble"] == {"value": True, "from": "default for a forecast"}
        assert "repeats" not in settings.own()  # shared by every architecture: the report shows it under train


@pytest.mark.parametrize("example", [CLASSIFICATION, "examples/csv-long-regression/params.yaml"])
def test_classification_and_regression_train_one_seed_until_the_data_is_known(example):
    for settings in _settings(example).values():
        assert (settings.params.repeats, settings.params.ensemble) == (1, False)
        assert settings.sources["repeats"] == settings.sources["ensemble"] == "default"


@pytest.mark.parametrize(("task", "n_train", "expected"), [
    ("multiclass", 36, (3, True)), ("binary", 1000, (3, True)), ("regression", 74, (3, True)),
    ("binary", 1001, (1, False)), ("regression", 4199, (1, False)),  # above the line: one seed
    ("next_token", 200, (1, False)),  # not classification or regression: unmeasured, one seed
])
def test_a_training_split_of_at_most_1000_sequences_trains_three_seeds_and_their_ensemble(task, n_train, expected):
    for settings in _settings(CLASSIFICATION).values():
        fitted = settings.for_data(n_train, task)
        assert (fitted.params.repeats, fitted.params.ensemble) == expected
        assert (fitted.sources["repeats"] == "default for a small training set") == (expected[0] == 3)


def test_a_forecast_keeps_its_own_default_on_a_small_training_split():
    for settings in _settings(FORECAST).values():
        fitted = settings.for_data(40, "forecast")
        assert fitted.sources["repeats"] == "default for a forecast" and fitted.params.repeats == 3


@pytest.mark.parametrize(("train", "models", "expected"), [
    ({"repeats": 1}, None, {"lstm": (1, False)}),  # written at the schema's value: one seed, the speed setting
    ({"repeats": 5}, None, {"lstm": (5, True)}),
    ({"ensemble": False}, None, {"lstm": (3, False)}),  # three seeds scored as mean ± std
    ({}, {"lstm": {"train": {"ensemble": False}}}, {"lstm": (3, False), "gru": (3, True)}),
])
def test_values_written_in_params_win_over_the_small_training_sets_default(train, models, expected):
    chosen = {name: s.for_data(72, "multiclass") for name, s in _settings(CLASSIFICATION, train, models).items()}
    for name, (repeats, ensemble) in expected.items():
        assert (chosen[name].params.repeats, chosen[name].params.ensemble) == (repeats, ensemble), name
    assert chosen["lstm"].sources["repeats"] == ("train" if "repeats" in train else "default for a small training set")


def _prepared_example(example: str, tmp_path, monkeypatch) -> PreparedSpec:
    """`example`'s params.yaml and data in `tmp_path`, prepared as `dvc repro prepare` would (TensorFlow-free)."""
    from seqpipe.stages import prepare

    raw = yaml.safe_load((ROOT / example).read_text())
    source = ROOT / raw["data"]["path"]
    (tmp_path / raw["data"]["path"]).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, tmp_path / raw["data"]["path"])
    shutil.copy(ROOT / example, tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEQPIPE_EVALUATION_CACHE", "off")  # prepare fits no baselines ahead of their stage
    prepare.main([])
    return PreparedSpec.read(tmp_path / "data" / "prepared" / "spec.json")


def test_every_stage_sees_a_small_sets_seeds_and_validate_and_the_report_say_why(tmp_path, monkeypatch):
    from seqpipe.stages import report

    spec = _prepared_example(CLASSIFICATION, tmp_path, monkeypatch)
    n = spec.sizes.train
    assert spec.task == "multiclass" and n <= seeds.SMALL_TRAIN
    ctx = context("params.yaml")
    for name in ctx.params.architectures:  # train@, evaluate@, backtest@ and predict ask this of the prepared spec
        settings = ctx.train_settings(name, spec)
        assert (settings.params.repeats, settings.params.ensemble) == (3, True)
        assert f"  from default for a small training set: repeats 3 ({n} training sequences, at most 1,000), ensemble true" \
            in settings.lines()  # the train log's line
        assert settings.record()["repeats"] == {"value": 3, "from": f"default for a small training set, {n} training "
                                                                    "sequences, at most 1,000"}  # fit.json
    applied = report._applied(ctx, spec)["train"]  # the report's params
    assert applied["repeats"] == f"3 (default for a small training set, {n} training sequences, at most 1,000)"
    assert applied["ensemble"] == "true (default for a small training set)"
    shown = subprocess.run([sys.executable, "-m", "seqpipe.cli", "validate"], cwd=tmp_path, env=env(),
                           capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    # the rule alone, even with data/prepared/spec.json there: validate knows no prepared layout
    assert shown.stdout.splitlines()[-1] == ("train.repeats, train.ensemble: chosen at train time by the prepared "
                                             f"training split's size: {seeds.SMALL_WHY}")


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


def test_the_default_experiments_params_resolve_unchanged(tmp_path, monkeypatch):
    from seqpipe.stages import report

    spec = _prepared_example("params.yaml", tmp_path, monkeypatch)
    raw = params_mod.validate(params_mod.Params, params_mod.read_yaml("params.yaml"))
    ctx = context("params.yaml")
    assert ctx.params.model_dump() == raw.model_dump()  # the adding problem: regression, one seed, as before
    assert ctx.params.train.repeats == 1 and not ctx.params.train.ensemble
    assert spec.task == "regression" and spec.sizes.train > seeds.SMALL_TRAIN  # 4,199 training sequences
    for name, choice in ctx.architectures.items():
        assert ctx.train_settings(name, spec).params == choice.train()  # the data chose nothing
        assert choice.train().repeats == 1 and not choice.train().ensemble
    assert report._applied(ctx, spec)["train"] == raw.model_dump(mode="json")["train"]


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

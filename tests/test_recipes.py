"""Per-architecture training settings: a plugin's recipe, params.yaml's `models.<arch>.train`, and
where each effective setting came from. TensorFlow-free (the fast lane)."""
from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest
import yaml
from pydantic import BaseModel

from seqpipe import Architecture, Recipe, hookimpl
from seqpipe.config import checks, recipes
from seqpipe.config import params as params_mod
from seqpipe.config.experiment import validate_experiment
from seqpipe.config.params import TrainParams
from seqpipe.errors import ParamsError
from seqpipe.registry import build_registry
from tests.conftest import ROOT, env


class TinyParams(BaseModel, extra="forbid"):
    units: int = 2


def _registry(recipe: Recipe | None = Recipe(learning_rate=0.01, lr_schedule="plateau", batch_size=8,
                                               reference="a test")):
    arch = Architecture("tiny", lambda spec, hp: None, TinyParams, description="A tiny test architecture.", recipe=recipe)
    plugin = types.SimpleNamespace(register_architectures=hookimpl(lambda register: register(arch)))
    return build_registry(extra_plugins=[("tiny_plugin", plugin)])


def _choices(train: dict | None = None, tiny: dict | None = None, registry=None):
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["architectures"] = ["lstm", "tiny"]
    raw["train"] = {**raw["train"], "learning_rate": 0.002, "batch_size": 16, **(train or {})}
    raw["models"]["tiny"] = tiny if tiny is not None else {}
    params = params_mod.validate(params_mod.Params, raw)
    _, _, choices = validate_experiment(params, registry or _registry())
    return {c.name: c for c in choices}


def test_a_recipe_beats_train_and_models_arch_train_beats_the_recipe_and_each_says_where_it_came_from():
    tiny = _choices(tiny={"units": 3, "train": {"batch_size": 4}})["tiny"]
    assert tiny.hp.units == 3  # the hyperparameters are validated without the `train` key
    settings = tiny.settings
    assert (settings.params.learning_rate, settings.params.lr_schedule, settings.params.batch_size) == (0.01, "plateau", 4)
    assert settings.describe("learning_rate") == "learning_rate 0.01 (recipe of tiny, over train.learning_rate 0.002)"
    assert settings.describe("batch_size") == "batch_size 4 (models.tiny.train)"
    assert settings.describe("patience") == "patience 10 (train)"  # params.yaml's train: sets it
    assert settings.describe("optimizer") == "optimizer adam (default)"
    assert settings.record()["lr_schedule"] == {"value": "plateau", "from": "recipe of tiny, over train.lr_schedule cosine"}
    lines = settings.lines()
    assert lines[0].startswith("training settings of tiny (highest first: models.tiny.train > recipe of tiny > train > default")
    assert "  from models.tiny.train: batch_size 4" in lines
    assert settings.own() == {"learning_rate": "0.01 (recipe of tiny, over train.learning_rate 0.002)",
                              "lr_schedule": "plateau (recipe of tiny, over train.lr_schedule cosine)",
                              "batch_size": "4 (models.tiny.train)"}
    # an architecture without a recipe trains with train: as it is
    lstm = _choices()["lstm"].settings
    assert lstm.params.learning_rate == 0.002 and lstm.own() == {}


def test_train_recipes_false_ignores_every_recipe_and_models_arch_train_recipes_false_one():
    assert _choices(train={"recipes": False})["tiny"].settings.params.learning_rate == 0.002
    one = _choices(tiny={"train": {"recipes": False}})["tiny"].settings
    assert one.params.learning_rate == 0.002 and one.describe("recipes") == "recipes false (models.tiny.train)"
    assert _choices()["tiny"].settings.params.learning_rate == 0.01


@pytest.mark.parametrize(("tiny", "message"), [
    ({"train": {"batch_size": 0}}, "params.yaml: models.tiny.train.batch_size: input should be greater than or equal to 1, got 0"),
    ({"train": {"batch_size": "16"}}, "params.yaml: models.tiny.train.batch_size: input should be a valid integer, got '16' (a string)"),
    ({"train": {"batchsize": 16}}, "params.yaml: models.tiny.train.batchsize: unknown key; allowed: backend, batch_size, "),
    ({"train": {"lr_schedule": "step"}}, "models.tiny.train.lr_schedule: input should be 'constant', 'cosine' or 'plateau'"),
    ({"train": {"repeats": 3}}, "params.yaml: models.tiny.train.repeats: set train.repeats instead; every architecture shares it"),
    ({"train": [1, 2]}, "params.yaml: models.tiny.train: must be a mapping of train.* settings"),
    ({"units": "x", "train": {}}, "params.yaml: models.tiny.units: input should be a valid integer, got 'x'"),
])
def test_bad_per_architecture_settings_fail_with_one_line_naming_the_dotted_key(tiny, message):
    with pytest.raises(ParamsError) as err:
        _choices(tiny=tiny)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_max_batch_fraction_caps_the_batch_on_a_small_training_split():
    settings = _choices(tiny={"train": {"max_batch_fraction": 0.1}})["tiny"].settings
    assert settings.for_data(10_000) is settings  # 1000 >= the recipe's 8: no cap
    small = settings.for_data(42)
    assert small.params.batch_size == 4
    assert small.describe("batch_size") == ("batch_size 4 (recipe of tiny, over train.batch_size 16; "
                                            "capped at max_batch_fraction 0.1 of 42 training sequences)")
    assert settings.for_data(5).params.batch_size == 1  # at least one sequence per batch


def test_a_batch_larger_than_the_training_split_names_the_key_it_came_from():
    choices = list(_choices(tiny={"train": {"batch_size": 64}}).values())
    params = params_mod.validate(params_mod.Params, yaml.safe_load((ROOT / "params.yaml").read_text()))
    with pytest.raises(ParamsError, match=r"models.tiny.train.batch_size: 64 is larger than the training split \(30"):
        checks.check_batch_sizes(choices, params, 30)
    with pytest.raises(ParamsError, match=r"models.tiny.train.batch_size \(the recipe of tiny sets it\): 8 is larger"):
        checks.check_batch_sizes([_choices()["tiny"]], params, 6)


def test_a_recipe_the_train_schema_refuses_or_a_hyperparameter_called_train_marks_the_plugin_broken():
    registry = _registry(Recipe(learning_rate=-1.0))
    assert "tiny" not in registry.architectures
    assert "'tiny': recipe: learning_rate: Input should be greater than 0, got -1.0" in registry.broken["tiny_plugin"]

    class Clash(BaseModel, extra="forbid"):
        train: int = 1

    arch = Architecture("clash", lambda spec, hp: None, Clash)
    plugin = types.SimpleNamespace(register_architectures=hookimpl(lambda register: register(arch)))
    broken = build_registry(extra_plugins=[("clash_plugin", plugin)]).broken["clash_plugin"]
    assert "a hyperparameter may not be called 'train'" in broken


def test_recipe_fields_are_train_settings_of_the_same_type():
    """A Recipe is a subset of TrainParams: every field but `reference` is a train.* setting."""
    fields = set(Recipe.model_fields) - {"reference"}
    assert fields <= set(TrainParams.model_fields)
    full = Recipe(optimizer="adamw", learning_rate=0.1, lr_schedule="constant", weight_decay=0.0, clipnorm=None,
                  batch_size=2, max_batch_fraction=0.5, epochs="auto", min_steps=5, min_epochs=1, max_epochs=3, patience=0,
                  difference="none", strategy="recursive")
    assert set(full.settings()) == fields
    TrainParams.model_validate(full.settings())


def test_the_zoo_declares_its_papers_recipes_and_sizes():
    registry = build_registry()
    for name, batch, epochs in (("fcn", 16, 2000), ("resnet", 64, 1500), ("inceptiontime", 64, 1500)):
        recipe = registry.architecture(name).recipe
        assert recipe is not None and recipe.settings() == {
            "optimizer": "adam", "learning_rate": 0.001, "lr_schedule": "plateau", "clipnorm": None, "batch_size": batch,
            "max_batch_fraction": 0.1, "epochs": "auto", "min_steps": 3000, "max_epochs": epochs}
    assert registry.architecture("fcn").params().filters == 128  # 128 / 256 / 128
    assert registry.architecture("resnet").params().model_dump() == {"filters": 64, "num_blocks": 3}
    assert registry.architecture("inceptiontime").params().model_dump() == {
        "filters": 32, "bottleneck": 32, "kernel_size": 40, "depth": 6, "residual": True}
    assert registry.architecture("transformer").params().positions != "none"
    for name in ("lstm", "gru", "transformer", "cnn", "tcn"):
        assert registry.architecture(name).recipe is None
    # relu SimpleRNN: clipping on (nearly) every step, or it diverges from a head that starts at the
    # train mean (bench/RESULTS.md, "SimpleRNN and the standardised regression head")
    rnn = registry.architecture("rnn").recipe
    assert rnn is not None and rnn.settings() == {"clipnorm": 0.05}


def _seqpipe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seqpipe.cli", *args], cwd=ROOT, env=env(), capture_output=True, text=True)


def test_show_lists_the_recipe():
    shown = _seqpipe("show", "fcn")
    assert shown.returncode == 0, shown.stderr
    assert ("recipe (training settings over params.yaml's `train:`): optimizer adam, learning_rate 0.001, "
            "lr_schedule plateau, clipnorm null, batch_size 16, max_batch_fraction 0.1") in shown.stdout
    assert "from: dl-4-tsc (Ismail Fawaz et al. 2019)" in shown.stdout
    assert "override under `models: fcn: train:`" in shown.stdout
    payload = json.loads(_seqpipe("show", "resnet", "--json").stdout)
    assert payload["recipe"]["settings"]["batch_size"] == 64 and payload["recipe"]["settings"]["clipnorm"] is None
    assert json.loads(_seqpipe("show", "lstm", "--json").stdout)["recipe"] is None
    assert "recipe: none" in _seqpipe("show", "lstm").stdout


def test_the_committed_params_and_examples_use_plugin_defaults_and_the_schemas_train_settings():
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    # one Transformer block: the default run's time budget (2 cores, 10 minutes), not the adding problem's
    assert params["models"] == {"rnn": {}, "lstm": {}, "gru": {}, "transformer": {"num_blocks": 1}, "cnn": {}, "linear": {}}
    for path in sorted((ROOT / "examples").glob("*/params.yaml")):
        example = yaml.safe_load(path.read_text())
        # the README's fast defaults, not a copy of them: only the key DVC needs (tests/test_example_params.py);
        # forecasts train a seed ensemble by default (seqpipe.config.seeds), not by a key of their own
        assert example["train"] == {"quantiles": None}, path
        assert all(hp == {} for hp in example["models"].values()), path
    assert recipes.KEY == "train"

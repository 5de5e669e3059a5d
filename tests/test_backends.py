"""`train.backend`: which Keras backend each architecture trains on, and why (no backend is imported)."""
from __future__ import annotations

import json

import pytest

from seqpipe.config import params as params_mod
from seqpipe.errors import ParamsError
from seqpipe.registry import build_registry
from seqpipe.training import backends

ONLY_TF = {"tensorflow"}.__contains__
ALL_THREE = set(backends.BACKENDS).__contains__


def test_auto_follows_the_architectures_measured_preference():
    choice = backends.choose("auto", "cnn", "jax", environ={}, is_installed=ALL_THREE, gpu=False)
    assert (choice.name, choice.line()) == (
        "jax", "keras backend: jax (train.backend: auto; measured fastest for cnn on CPU (bench/backends.py))")
    assert backends.choose("auto", "fcn", None, environ={}, is_installed=ALL_THREE, gpu=False).name == "tensorflow"


def test_auto_falls_back_to_tensorflow_in_one_line_that_says_why():
    missing = backends.choose("auto", "cnn", "jax", environ={}, is_installed=ONLY_TF, gpu=False)
    assert missing.name == "tensorflow"
    assert missing.line() == ("keras backend: tensorflow (train.backend: auto; jax, measured fastest for cnn on CPU "
                              "(bench/backends.py), is not installed: pip install -e '.[jax]')")
    assert "\n" not in missing.line()
    on_gpu = backends.choose("auto", "cnn", "jax", environ={}, is_installed=ALL_THREE, gpu=True)
    assert on_gpu.name == "tensorflow" and "not measured on a GPU" in on_gpu.reason
    mirrored = backends.choose("auto", "cnn", "jax", "mirrored", environ={}, is_installed=ALL_THREE, gpu=False)
    assert mirrored.name == "tensorflow" and "train.distribute: mirrored needs TensorFlow" in mirrored.reason


def test_keras_backend_in_the_environment_wins_over_auto_but_not_over_a_named_backend():
    env = {"KERAS_BACKEND": "jax"}
    assert backends.choose("auto", "fcn", None, environ=env, is_installed=ALL_THREE).name == "jax"
    named = backends.choose("tensorflow", "cnn", "jax", environ=env, is_installed=ALL_THREE)
    assert (named.name, named.reason) == ("tensorflow", "train.backend, over KERAS_BACKEND=jax")


def test_a_named_backend_that_is_not_installed_is_one_line_naming_the_key_and_the_install():
    with pytest.raises(ParamsError) as err:
        backends.choose("torch", "cnn", None, environ={}, is_installed=ONLY_TF)
    assert str(err.value) == "train.backend: torch is not installed here; pip install torch, or use one of: auto, tensorflow"


def test_an_unknown_backend_in_params_names_the_key_and_the_allowed_values():
    with pytest.raises(ParamsError) as err:
        params_mod.validate(params_mod.TrainParams, {"backend": "mxnet"}, prefix="train", source="params.yaml")
    assert str(err.value) == ("params.yaml: train.backend: input should be 'auto', 'tensorflow', 'jax' or 'torch', "
                              "got 'mxnet'")


def test_every_measured_preference_is_a_known_backend():
    registry = build_registry()
    for name in registry.architectures:
        assert registry.architecture(name).backend in (None, *backends.BACKENDS), name


def test_a_saved_model_is_loaded_on_the_backend_it_was_trained_on(tmp_path):
    fit = tmp_path / "cnn.fit.json"
    assert backends.for_loading(fit) is None  # no record: KERAS_BACKEND's, or TensorFlow
    fit.write_text(json.dumps({"epochs_run": 1}))
    assert backends.for_loading(fit) is None  # a run from before the setting
    fit.write_text(json.dumps({"epochs_run": 1, "backend": "jax"}))
    assert backends.for_loading(fit) == "jax"  # (jax is in the test extra)
    fit.write_text(json.dumps({"epochs_run": 1, "backend": "mxnet"}))
    assert backends.for_loading(fit) is None

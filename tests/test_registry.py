"""Discovery and registration of plugins through the pluggy manager."""
from __future__ import annotations

import types

import pytest
from pydantic import BaseModel

from seqpipe import Architecture, Dataset, PluginError, hookimpl
from seqpipe.registry import build_registry
from tests.conftest import ROOT

BUILT_IN = {"rnn", "lstm", "gru", "transformer", "cnn"}


class TinyParams(BaseModel, extra="forbid"):
    units: int = 2


def _arch(name: str) -> Architecture:
    return Architecture(name, lambda spec, hp: None, TinyParams, description="A tiny test architecture.\nMore.")


def test_built_in_architectures_and_datasets_are_discovered():
    registry = build_registry()
    assert set(registry.architectures) >= BUILT_IN
    assert {"adding", "tokens"} <= set(registry.datasets)
    assert registry.architectures["lstm"].origin == "plugins/lstm.py"
    assert registry.broken == {}


def test_an_inline_plugin_registers_through_the_hook():
    plugin = types.SimpleNamespace(register_architectures=hookimpl(lambda register: register(_arch("tiny"))))
    registry = build_registry(extra_plugins=[("tiny_plugin", plugin)])
    assert registry.architecture("tiny").description == "A tiny test architecture."
    assert registry.architectures["tiny"].plugin == "tiny_plugin"


def test_unknown_architecture_lists_the_available_ones():
    with pytest.raises(PluginError, match=r"unknown architecture 'nope'; available: cnn, fcn, gru, inceptiontime, linear, lstm, resnet, rnn, tcn, transformer"):
        build_registry().architecture("nope")


def test_duplicate_names_are_reported_with_both_sources():
    plugin = types.SimpleNamespace(register_architectures=hookimpl(lambda register: register(_arch("lstm"))))
    registry = build_registry(extra_plugins=[("copycat", plugin)])
    assert "already registered by plugins/lstm.py" in registry.broken["copycat"]
    assert registry.broken["lstm"] == "architecture 'lstm' is also registered by <copycat>"
    assert "lstm" not in registry.architectures  # neither wins: the outcome must not depend on order
    with pytest.raises(PluginError, match=r"^architecture 'lstm' is registered by both plugins/lstm.py and <copycat>; remove or rename one$"):
        registry.architecture("lstm")
    assert registry.architecture("gru").name == "gru"


def test_a_misspelt_hook_is_an_error_not_silence():
    plugin = types.SimpleNamespace(register_architecture=hookimpl(lambda register: None))
    registry = build_registry(extra_plugins=[("typo", plugin)])
    assert "invalid hook implementation" in registry.broken["typo"]
    assert "register_architecture" in registry.broken["typo"]


def test_registering_something_else_than_an_architecture_breaks_only_that_plugin():
    plugin = types.SimpleNamespace(register_architectures=hookimpl(lambda register: register("lstm2")))
    registry = build_registry(extra_plugins=[("bad", plugin)])
    assert "expected Architecture" in registry.broken["bad"]
    assert set(registry.architectures) >= BUILT_IN


def test_a_plugin_that_fails_to_import_is_reported_by_name(tmp_path, monkeypatch):
    package = tmp_path / "plugins"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "broken.py").write_text("import not_a_module_anywhere\n")
    (package / "_helper.py").write_text("raise RuntimeError('private modules are not plugins')\n")
    monkeypatch.chdir(tmp_path)
    registry = build_registry(entry_points=False)
    assert set(registry.broken) == {"broken"}
    assert "ModuleNotFoundError" in registry.broken["broken"]
    with pytest.raises(PluginError, match="plugin 'broken' is broken: failed to import"):
        registry.architecture("broken")


@pytest.mark.parametrize("bad", ["../../evil", "LSTM", "my-model", "2fast", "class", "", "my model"])
def test_a_name_that_is_not_a_lowercase_identifier_breaks_only_that_plugin(bad):
    # Names become file names (models/<name>.keras), dvc.yaml matrix keys and params.yaml keys.
    plugin = types.SimpleNamespace(register_architectures=hookimpl(lambda register: register(_arch(bad))))
    registry = build_registry(extra_plugins=[("badname", plugin)])
    reason = registry.broken["badname"]
    assert reason == (f"architecture name {bad!r} is not allowed; a name must be a lowercase Python identifier "
                      "(a-z first, then a-z, 0-9 or _; not a keyword), such as my_model")
    assert bad not in registry.architectures and set(registry.architectures) >= BUILT_IN


def test_a_dataset_name_is_checked_like_an_architecture_name():
    dataset = Dataset("My-Data", lambda options, seed: None, TinyParams)
    plugin = types.SimpleNamespace(register_datasets=hookimpl(lambda register: register(dataset)))
    registry = build_registry(extra_plugins=[("mydata", plugin)])
    assert registry.broken["mydata"].startswith("dataset name 'My-Data' is not allowed; a name must be a lowercase")
    with pytest.raises(PluginError, match="plugin 'mydata' is broken: dataset name 'My-Data' is not allowed"):
        registry.dataset("mydata")


def test_valid_names_with_digits_and_underscores_register():
    plugin = types.SimpleNamespace(register_architectures=hookimpl(lambda register: register(_arch("conv_lstm2"))))
    registry = build_registry(extra_plugins=[("conv_lstm2", plugin)])
    assert registry.broken == {} and registry.architecture("conv_lstm2").name == "conv_lstm2"


def _file_source(load) -> types.SimpleNamespace:
    dataset = Dataset("myfiles", load, TinyParams, reads_path=True)
    return types.SimpleNamespace(register_datasets=hookimpl(lambda register: register(dataset)))


def test_a_file_source_whose_load_cannot_take_labelled_is_refused():
    registry = build_registry(extra_plugins=[("myfiles", _file_source(lambda options, seed: None))])
    assert registry.broken["myfiles"] == (
        "'myfiles': reads_path=True, so load must take the keyword argument labelled: "
        "load(options, seed, *, labelled=True); seqpipe predict passes labelled=False for files "
        "without their target column"
    )
    assert "myfiles" not in registry.datasets


@pytest.mark.parametrize("load", [
    lambda options, seed, *, labelled=True: None,
    lambda options, seed, labelled=True: None,
    lambda options, seed, **kwargs: None,
], ids=["keyword-only", "positional-or-keyword", "kwargs"])
def test_a_file_source_whose_load_takes_labelled_registers(load):
    registry = build_registry(extra_plugins=[("myfiles", _file_source(load))])
    assert "myfiles" not in registry.broken and registry.dataset("myfiles").reads_path


def test_a_synthetic_source_needs_no_labelled_argument():
    dataset = Dataset("mysynth", lambda options, seed: None, TinyParams, size_for=lambda options: 10)
    plugin = types.SimpleNamespace(register_datasets=hookimpl(lambda register: register(dataset)))
    registry = build_registry(extra_plugins=[("mysynth", plugin)])
    assert registry.dataset("mysynth").size_for(None) == 10


def test_the_built_in_sources_declare_their_task_and_size_hints():
    registry = build_registry()
    adding, tokens, sine, csv = (registry.dataset(n) for n in ("adding", "tokens", "sine", "csv"))
    assert adding.size_for(adding.params(n_samples=123)) == 123
    assert tokens.tasks_for(tokens.params(n_classes=3)) == ("multiclass",)
    assert sine.tasks == ("forecast",) and sine.size_for(sine.params(n_series=7)) == 7
    assert csv.tasks_for(csv.params(path="x.csv", task="forecast")) == ("forecast",)
    assert csv.tasks_for(csv.params(path="x.csv", task="classification")) == ("binary", "multiclass")
    assert csv.size_for is None  # a file's size is known only once it is read


def test_a_plugin_missing_its_private_helper_names_it_as_the_user_wrote_it(tmp_path, monkeypatch):
    # A project copies plugins/lstm.py but not the helper it imports, plugins/_recurrent.py.
    package = tmp_path / "plugins"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "lstm.py").write_text((ROOT / "plugins" / "lstm.py").read_text())
    monkeypatch.chdir(tmp_path)
    registry = build_registry(entry_points=False)
    assert registry.broken["lstm"] == "failed to import (ModuleNotFoundError: No module named 'plugins._recurrent')"

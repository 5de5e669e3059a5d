"""Discovery and registration of plugins through the pluggy manager."""
from __future__ import annotations

import types

import pytest
from pydantic import BaseModel

from seqpipe import Architecture, PluginError, hookimpl
from seqpipe.registry import build_registry

BUILT_IN = {"rnn", "lstm", "gru", "transformer", "cnn"}


class TinyParams(BaseModel, extra="forbid"):
    units: int = 2


def _arch(name: str) -> Architecture:
    return Architecture(name, lambda spec, hp: None, TinyParams, description="A tiny test architecture.\nMore.")


def test_built_in_architectures_and_datasets_are_discovered():
    registry = build_registry()
    assert BUILT_IN <= set(registry.architectures)
    assert {"adding", "tokens"} <= set(registry.datasets)
    assert registry.architectures["lstm"].source == "plugins/lstm.py"
    assert registry.broken == {}


def test_an_inline_plugin_registers_through_the_hook():
    plugin = types.SimpleNamespace(register_architectures=hookimpl(lambda register: register(_arch("tiny"))))
    registry = build_registry(extra_plugins=[("tiny_plugin", plugin)])
    assert registry.architecture("tiny").description == "A tiny test architecture."
    assert registry.architectures["tiny"].plugin == "tiny_plugin"


def test_unknown_architecture_lists_the_available_ones():
    with pytest.raises(PluginError, match=r"unknown architecture 'nope'; available: cnn, fcn, gru, inceptiontime, lstm, resnet, rnn, tcn, transformer"):
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
    assert BUILT_IN <= set(registry.architectures)


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

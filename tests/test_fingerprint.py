"""The fingerprint that DVC tracks per architecture follows the plugin's source, and only it."""
from __future__ import annotations

from seqpipe.stages.fingerprint import fingerprint
from seqpipe.registry import build_registry
from tests.conftest import ROOT

PLUGIN = '''"""Tiny - a test plugin."""
from pydantic import BaseModel
from seqpipe import Architecture, hookimpl

class P(BaseModel):
    pass

@hookimpl
def register_architectures(register):
    register(Architecture("{name}", lambda spec, hp: None, P))
'''


def test_an_in_tree_fingerprint_changes_with_its_own_file_only(tmp_path, monkeypatch):
    package = tmp_path / "plugins"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("one", "two"):
        (package / f"{name}.py").write_text(PLUGIN.format(name=name))
    monkeypatch.chdir(tmp_path)
    before = {name: fingerprint(build_registry(entry_points=False), name) for name in ("one", "two")}
    assert before["one"]["source"] == "plugins/one.py" and before["one"]["plugin"] == "one"
    assert before["one"]["sha256"] != before["two"]["sha256"]

    (package / "one.py").write_text(PLUGIN.format(name="one") + "# edited\n")
    after = {name: fingerprint(build_registry(entry_points=False), name) for name in ("one", "two")}
    assert after["one"]["sha256"] != before["one"]["sha256"]
    assert after["two"] == before["two"]


def test_the_built_in_fingerprints_are_stable(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert fingerprint(build_registry(), "lstm") == fingerprint(build_registry(), "lstm")


def test_the_data_source_has_a_fingerprint_too(monkeypatch):
    monkeypatch.chdir(ROOT)
    data = fingerprint(build_registry(), "adding", kind="dataset")
    assert data["dataset"] == "adding" and data["source"] == "plugins/adding.py" and len(data["sha256"]) == 64

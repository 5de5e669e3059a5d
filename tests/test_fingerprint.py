"""The fingerprint that DVC tracks per architecture follows the plugin's source, and only it."""
from __future__ import annotations

from seqpipe.registry import build_registry
from seqpipe.stages.fingerprint import fingerprint
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
    assert before["one"]["origin"] == "plugins/one.py" and before["one"]["plugin"] == "one"
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
    assert data["dataset"] == "adding" and data["origin"] == "plugins/adding.py" and len(data["sha256"]) == 64


HELPED = '''"""Helped - a test plugin whose builder lives in a private helper module."""
from seqpipe import Architecture, hookimpl
from ._shared import P, build

@hookimpl
def register_architectures(register):
    register(Architecture("{name}", build, P))
'''


def test_editing_a_private_helper_changes_the_fingerprints_of_the_plugins_that_import_it(tmp_path, monkeypatch):
    # A user keeps a shared builder in plugins/_shared.py, which itself imports plugins/_base.py.
    package = tmp_path / "plugins"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "_base.py").write_text("from pydantic import BaseModel\n\nclass P(BaseModel):\n    pass\n")
    (package / "_shared.py").write_text("from ._base import P\n\ndef build(spec, hp):\n    return None\n")
    (package / "helped.py").write_text(HELPED.format(name="helped"))
    (package / "alone.py").write_text(PLUGIN.format(name="alone"))
    monkeypatch.chdir(tmp_path)
    registry = build_registry(entry_points=False)
    assert registry.broken == {}
    before = {name: fingerprint(registry, name) for name in ("helped", "alone")}

    (package / "_shared.py").write_text("from ._base import P\n\ndef build(spec, hp):\n    return None  # edited\n")
    middle = {name: fingerprint(build_registry(entry_points=False), name) for name in ("helped", "alone")}
    assert middle["helped"]["sha256"] != before["helped"]["sha256"]
    assert middle["alone"] == before["alone"]

    (package / "_base.py").write_text("from pydantic import BaseModel\n\nclass P(BaseModel):\n    pass  # edited\n")
    after = {name: fingerprint(build_registry(entry_points=False), name) for name in ("helped", "alone")}
    assert after["helped"]["sha256"] != middle["helped"]["sha256"]  # found through _shared.py
    assert after["alone"] == before["alone"]


def test_editing_the_shared_recurrent_builder_reruns_rnn_lstm_and_gru_but_not_the_cnn(tmp_path, monkeypatch):
    # A clone of the project edits its copy of plugins/_recurrent.py; its files replace the built-ins.
    package = tmp_path / "plugins"
    package.mkdir()
    for file in ("__init__.py", "_recurrent.py", "rnn.py", "lstm.py", "gru.py", "cnn.py"):
        (package / file).write_text((ROOT / "plugins" / file).read_text())
    monkeypatch.chdir(tmp_path)
    names = ("rnn", "lstm", "gru", "cnn")
    registry = build_registry(entry_points=False)
    before = {name: fingerprint(registry, name) for name in names}
    assert {before[name]["origin"] for name in names} == {f"plugins/{name}.py" for name in names}

    (package / "_recurrent.py").write_text((ROOT / "plugins" / "_recurrent.py").read_text() + "# edited\n")
    after = {name: fingerprint(build_registry(entry_points=False), name) for name in names}
    assert all(after[name]["sha256"] != before[name]["sha256"] for name in ("rnn", "lstm", "gru"))
    assert after["cnn"] == before["cnn"]

"""JAX's persistent compilation cache (seqpipe.training.compilation_cache): a model trained again
reads its compiled programs back instead of compiling them, and trains to the same bytes."""
from __future__ import annotations

from pathlib import Path

import pytest

from seqpipe.training import compilation_cache as cc


def test_the_cache_is_per_user_and_can_be_moved_or_switched_off(tmp_path):
    environ = {"XDG_CACHE_HOME": str(tmp_path)}
    per_machine = tmp_path / "seqpipe" / "jax-compilation" / cc.machine_key()  # per CPU and jaxlib version
    assert cc.configure("jax", environ) == per_machine
    assert environ["JAX_COMPILATION_CACHE_DIR"] == str(per_machine)
    assert environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] == "0"  # small models' programs too

    moved = {cc.SWITCH: str(tmp_path / "elsewhere")}
    assert cc.configure("jax", moved) == tmp_path / "elsewhere" and (tmp_path / "elsewhere").is_dir()
    off = {cc.SWITCH: "off"}
    assert cc.configure("jax", off) is None and off == {cc.SWITCH: "off"}
    assert cc.configure("tensorflow", {}) is None  # only JAX's programs
    own = {"XDG_CACHE_HOME": str(tmp_path), "JAX_COMPILATION_CACHE_DIR": "/theirs"}
    cc.configure("jax", own)
    assert own["JAX_COMPILATION_CACHE_DIR"] == "/theirs"  # a user's own JAX setting wins


def _entries(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*-cache")}


@pytest.mark.e2e
@pytest.mark.keras
def test_a_model_trained_again_compiles_nothing_and_writes_the_same_bytes(project, tmp_path):
    folder = tmp_path / "xla"
    project.extra_env = {cc.SWITCH: str(folder)}
    project.set_params({"architectures": ["gru"], "train": {"backend": "jax"}})
    project.run("dvc", "repro", "train@gru")
    first = (project.path / "models" / "gru.keras").read_bytes()
    compiled = _entries(folder)
    assert compiled, "the first run kept none of its programs"

    project.run("dvc", "repro", "-f", "-s", "train@gru")
    assert _entries(folder) == compiled  # every program came from the cache
    assert (project.path / "models" / "gru.keras").read_bytes() == first


def test_a_folder_that_cannot_be_made_is_one_warning_and_no_cache(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    environ = {cc.SWITCH: str(blocker / "xla")}
    assert cc.configure("jax", environ) is None and "JAX_COMPILATION_CACHE_DIR" not in environ
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"seqpipe: warning: {cc.SWITCH}={blocker / 'xla'}: cannot make the folder")

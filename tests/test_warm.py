"""Warm workers (seqpipe.warm): a repro's train stages run in children of a worker that imported
Keras once. As a user meets them: the train log says so, the outputs are the bytes a repro without
workers writes (SEQPIPE_WARM=0), a repro killed mid-training leaves no process behind, and the
workers end with their repro."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from seqpipe import warm
from seqpipe.warm import handoff, server
from tests.conftest import env

WARM_LINE = "Keras imported ahead by this repro's warm worker"
def _processes_in(path: Path) -> list[psutil.Process]:
    """Processes whose working directory is `path` (stage processes, their children, workers)."""
    found = []
    for process in psutil.process_iter(["cwd"]):
        if process.info["cwd"] == str(path) and process.pid != os.getpid():
            found.append(process)
    return found


def left_after(path: Path, seconds: float = 15.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = _processes_in(path)
        if not left:
            return []
        time.sleep(0.2)
    return [" ".join(p.cmdline()) for p in _processes_in(path)]


@pytest.mark.e2e
def test_a_repro_killed_while_a_warm_child_trains_leaves_no_process(project):
    project.set_params({"architectures": ["lstm", "gru"], "train": {"epochs": 400}})
    run = subprocess.Popen(["dvc", "repro"], cwd=project.path, env=env(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen = []
    assert run.stdout is not None
    for line in run.stdout:
        seen.append(line)
        if line.startswith("epoch 2/") and any(WARM_LINE in s for s in seen):
            os.killpg(run.pid, signal.SIGKILL)  # dvc, its stage process (the client): not the worker's child
            break
    run.wait()
    assert any(WARM_LINE in s for s in seen), "".join(seen)
    assert left_after(project.path) == []  # the worker killed its child, then ended


def test_a_worker_serves_only_its_own_repro_backend_code_and_import_environment(monkeypatch):
    base = {"PATH": "/usr/bin", "KERAS_BACKEND": "jax", "DVC_STAGE": "train@lstm"}
    name = warm.address("1-2.00", "jax", base)
    assert name == warm.address("1-2.00", "jax", {**base, "DVC_STAGE": "train@gru"})  # not read at import time
    assert name != warm.address("1-3.00", "jax", base)  # another repro
    assert name != warm.address("1-2.00", "tensorflow", base)
    assert name != warm.address("1-2.00", "jax", {**base, "XLA_FLAGS": "--xla_cpu_enable_fast_math=false"})
    assert warm.enabled({"PATH": "/usr/bin"}) is True
    assert warm.enabled({warm.SWITCH: "0"}) is False and warm.enabled({warm.SWITCH: "off"}) is False
    assert warm.enabled({warm.CHILD: "1"}) is False  # a child runs its stage; it never delegates again


def test_a_stage_that_dvc_starts_goes_to_the_worker_its_imports_need():
    assert handoff.stage_module(["python", "-m", "seqpipe.stages.train", "--arch", "gru"]) == "seqpipe.stages.train"
    assert handoff.stage_module(["python", "-m", "pytest", "tests"]) is None  # importing a stage elsewhere: nothing
    assert handoff.stage_module(["python", "-c", "import seqpipe.stages.train"]) is None
    assert handoff.worker_for("seqpipe.stages.train", ["--arch", "gru"]) == "train@gru"  # its backend's worker
    assert handoff.worker_for("seqpipe.stages.evaluate", ["--arch", "gru"]) == warm.PLAIN
    assert handoff.worker_for("seqpipe.stages.report", []) == warm.PLAIN
    assert handoff.worker_for("seqpipe.stages.prepare", []) is None  # it runs while the workers still import
    assert handoff.worker_for("seqpipe.stages.report", ["--params", "other.yaml"]) is None  # planned from params.yaml


def test_the_plain_workers_imports_load_no_keras_backend():
    """Its children choose their backend themselves (an evaluate stage whose cache misses)."""
    probe = (f"import importlib, sys; [importlib.import_module(m) for m in {server.PLAIN_PRELOAD!r}]; "
             f"print(sorted(m for m in {server.KERAS_MODULES!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env())
    assert loaded.stdout.strip() == "[]", loaded.stderr

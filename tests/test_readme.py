"""Every shell command in the README runs, as written, in a fresh copy of the project.

The README's ```bash blocks are its commands (other blocks are ```python, ```toml or plain text).
The end-to-end test runs them in README order in one temporary project whose committed params are
tiny (one architecture, one epoch, 240 short sequences; `dvc repro` and a commit first, as `make
repro` would), checking each exit code and, for some, a line of the output. A command that cannot
run here is in SKIPPED with the reason and, where there is one, the test that runs it instead;
a meta-test fails when a README command is neither run nor skipped, or SKIPPED names a command
the README no longer has.
"""
from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, TINY_PARAMS, Project, env, make_project

README = ROOT / "README.md"
INDEX = "installs from the package index"
SKIPPED = {
    "make repro": f"creates .venv and {INDEX}; the test's fixture runs its `dvc repro` on tiny params",
    "make test": "runs the whole test suite, this test included",
    "make check": "runs the fast lane of the test suite (CI runs it)",
    "dvc exp run -S 'backtest.origins=[1,2]'":
        "needs a forecast experiment (the default is regression); tests/test_backtest_e2e.py runs origins 1 and 2, then 3",
    "cp examples/csv-forecast/params.yaml params.yaml && dvc exp run -n csv-forecast":
        "trains six architectures on the example's params; tests/test_examples.py runs every example's params",
    "dvc exp run -S data.source=text -S data.path=examples/text-classification/reviews.csv -S '~data.options' "
    "-S '+data.options={task: classification}' -S data.text.vocab_size=200":
        "examples/text-classification/params.yaml holds the same settings; tests/test_examples.py runs it",
    "pip install ./examples/seqpipe-plugin-example":
        "would change the shared venv; tests/test_external_plugin.py installs it with --target",
    "seqpipe check convgru": "needs the example package installed; tests/test_external_plugin.py runs it",
    "dvc exp run --queue -S models.lstm.units=16,32,64": "tests/test_experiments.py runs a queued sweep",
    "dvc queue start -j 2": "tests/test_experiments.py runs two workers",
    "dvc queue status": "tests/test_experiments.py polls it until the queue is done",
    "dvc exp run --queue -S models.lstm.units=16,32,64 -S train.learning_rate=0.001,0.002":
        "six queued runs; tests/test_experiments.py runs a queued sweep",
    "dvc queue logs <exp>": "needs a queued run; tests/test_experiments.py runs the queue",
    "source .venv/bin/activate": "the test runs every command with the venv's bin first on PATH",
    "seqpipe predict --arch lstm --input new.csv":
        "needs a file data source (the default experiment is synthetic); tests/test_predict.py runs predict on CSVs",
    "make repro BACKEND=gpu": f"needs an NVIDIA GPU and {INDEX}; tests/test_install.py checks what it installs",
    "python -c \"import tensorflow as tf; print(tf.config.list_physical_devices('GPU'))\"": "needs an NVIDIA GPU",
    "dvc exp run -S train.precision=mixed_float16": "mixed float16 needs an NVIDIA GPU",
    'pip install -e ".[jax]"': INDEX,
    "KERAS_BACKEND=jax dvc repro": "trains on JAX; tests/test_jax_backend.py trains every architecture on it",
    "KERAS_BACKEND=jax dvc exp run -S train.batch_size=32 -S train.learning_rate=0.003":
        "trains on JAX; tests/test_jax_backend.py trains every architecture on it",
    "dvc exp run -S train.distribute=mirrored -S train.batch_size=64":
        "needs several GPUs; tests/test_acceleration.py trains mirrored on two logical CPU devices",
    "export TF_CONFIG='{\"cluster\": {\"worker\": [\"10.0.0.1:12345\", \"10.0.0.2:12345\"]}, "
    "\"task\": {\"type\": \"worker\", \"index\": 0}}'": "needs two machines; tests/test_acceleration.py runs two "
                                                       "workers on 127.0.0.1",
    "export TF_CONFIG='{\"cluster\": {\"worker\": [\"10.0.0.1:12345\", \"10.0.0.2:12345\"]}, "
    "\"task\": {\"type\": \"worker\", \"index\": 1}}'": "needs two machines (see above)",
    "dvc repro train@lstm": "the chief of two machines (see above)",
    "python -m seqpipe.stages.train --arch lstm": "the second of two machines (see above)",
    "dvc remote add -d shared /mnt/team/seqpipe-cache": "tests/test_remote.py does the whole section with a local remote",
    'git add .dvc/config && git commit -m "shared DVC remote"': "tests/test_remote.py (see above)",
    'dvc repro && git add dvc.lock && git commit -m "results" && git push': "needs a git remote; tests/test_remote.py",
    "dvc push": "tests/test_remote.py (see above)",
    "dvc push --run-cache": "tests/test_remote.py (see above)",
    "git clone <repo> seqpipe && cd seqpipe && make install && source .venv/bin/activate":
        f"a teammate's machine: {INDEX}; tests/test_remote.py clones locally",
    "dvc pull": "tests/test_remote.py (see above)",
    "dvc exp pull origin <exp>": "needs a git remote with a pushed experiment",
}
# What a command must print (stdout and stderr together), beyond exiting with 0.
EXPECT = {
    "dvc metrics show": "lstm.rank",  # the one DVC metrics file, summary/metrics.json
    "dvc metrics show metrics timings": "train_seconds",  # the per-architecture files, named
    "dvc exp run -S models.lstm.units=64": "Running stage 'train@lstm'",
    "dvc exp show": "workspace",
    "seqpipe leaderboard": "ranked by",
    "dvc exp run -n with-mymodel": "Running stage 'train@mymodel'",
    "seqpipe list": "lstm",
    "seqpipe predict --arch lstm": "inference/lstm.test.csv",
    "dvc repro": "up to date",  # the applied experiment's results are complete
}
NOT_EXPECTED = {"dvc exp run -n with-mymodel": "Running stage 'train@lstm'"}


def commands(text: str) -> list[tuple[int, str]]:
    """(line number, command) for every command of every ```bash block: continuation lines joined,
    comment lines and trailing `  # comments` dropped."""
    out = []
    lines = text.splitlines()
    inside, pending, start = False, "", 0
    for number, line in enumerate(lines, 1):
        if line.startswith("```"):
            inside = line.strip() == "```bash"
            continue
        if not inside:
            continue
        line = re.sub(r"\s{2,}#.*$", "", line).rstrip()
        if not pending:
            start = number
        if line.strip().startswith("#") or not line.strip():
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        out.append((start, pending + line.strip()))
        pending = ""
    return out


def test_every_readme_command_is_run_or_skipped_with_a_reason():
    found = [command for _, command in commands(README.read_text(encoding="utf-8"))]
    assert len(found) > 40
    assert not set(SKIPPED) - set(found), f"SKIPPED names commands the README no longer has: {set(SKIPPED) - set(found)}"
    assert all(reason.strip() for reason in SKIPPED.values())
    assert set(EXPECT) | set(NOT_EXPECTED) <= set(found) - set(SKIPPED)


def _new_plugin(project: Project) -> None:
    """Steps 1 and 4 of "Writing a plugin", which the README gives in words."""
    project.run("seqpipe", "new", "mymodel")
    params = project.params()
    project.set_params({"architectures": [*params["architectures"], "mymodel"], "models": {"mymodel": {}}})


def _new_npy(project: Project) -> None:
    """`new.npy`: sequences shaped like the training data (the prepared test split's)."""
    x = np.load(project.path / "data" / "prepared" / "X_test.npy")
    np.save(project.path / "new.npy", x[:5])


# Set-up the README describes in words, run before the command it precedes.
BEFORE: dict[str, Callable[[Project], None]] = {
    "git add plugins/mymodel.py tests/test_plugin_mymodel.py": _new_plugin,
    "seqpipe predict --arch lstm --input new.npy -o new.csv": _new_npy,
}


def _experiments(project: Project) -> list[str]:
    """Names of the baseline commit's experiments, newest first."""
    shown = json.loads(project.run("dvc", "exp", "show", "--json").stdout)
    return [state["name"] for entry in shown if entry["rev"] != "workspace"
            for exp_range in entry.get("experiments") or [] for state in exp_range["revs"]]


@pytest.mark.e2e
def test_the_readme_commands_run_in_a_fresh_copy_of_the_project(tmp_path: Path):
    project = make_project(tmp_path / "proj")
    project.set_params({**TINY_PARAMS, "architectures": ["lstm"]})
    for key, value in (("user.name", "t"), ("user.email", "t@t")):
        project.run("git", "config", key, value)
    project.run("dvc", "repro")
    project.run("git", "add", "-A")
    project.run("git", "commit", "-qm", "baseline: tiny params, one architecture")
    ran = []
    for line, command in commands(README.read_text(encoding="utf-8")):
        if command in SKIPPED:
            continue
        if command in BEFORE:
            BEFORE[command](project)
        if "<exp-" in command:  # the newest experiment against the one before (here: the commit it started from)
            newest = [*_experiments(project), "HEAD"]
            command = command.replace("<exp-a>", newest[1]).replace("<exp-b>", newest[0])
        result = subprocess.run(["bash", "-c", command], cwd=project.path, env=env(), capture_output=True, text=True)
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"README.md:{line}: `{command}` failed ({result.returncode}):\n{output[-3000:]}"
        assert EXPECT.get(command, "") in output, f"README.md:{line}: `{command}` printed no {EXPECT[command]!r}"
        assert NOT_EXPECTED.get(command, "\0") not in output, f"README.md:{line}: `{command}`:\n{output[-3000:]}"
        ran.append(command)
    assert len(ran) >= 15
    # The plugin steps kept their results: committed, with the new architecture's metrics.
    assert "metrics/mymodel.json" in project.run("git", "ls-files", "metrics").stdout.split()
    assert (project.path / "inference" / "lstm.test.csv").is_file() and (project.path / "new.csv").is_file()

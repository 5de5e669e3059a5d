"""Reliability promises, each proved the way a user would meet it: a stage killed mid-write leaves
nothing DVC accepts, a training run killed mid-epoch resumes and ends bit-identical to an
uninterrupted one, reruns are byte-identical for every built-in architecture, unsafe model files
are refused, and settings that break determinism are flagged."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from seqpipe.training import resilience
from tests.conftest import env

pytestmark = pytest.mark.e2e


def _bytes(root: Path, *patterns: str) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for pattern in patterns for p in sorted(root.glob(pattern))}


def _leftovers(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob(".*.tmp-*") if ".dvc" not in p.parts]


OUTPUTS = ("data/prepared/*", "models/lstm.keras", "metrics/lstm.json", "reports/summary.json", "dvclive/lstm/metrics.json")


def _kill_before_rename(project, stage_name: str, pattern: str) -> None:
    """`dvc repro -f -s STAGE`, killed (SIGKILL) when its output matching `pattern` is complete
    under a temporary name, just before the rename. (Forced: with unchanged inputs DVC would restore
    the outputs from its cache instead of running the stage.)"""
    killed = subprocess.run(["dvc", "repro", "-f", "-s", stage_name], cwd=project.path,
                            capture_output=True, text=True, env={**env(), "SEQPIPE_TEST_KILL_BEFORE_RENAME": pattern})
    assert killed.returncode != 0, stage_name


def _kill_after_checkpoint(project, epoch: int) -> None:
    """`dvc repro -f train@lstm` (upstream stages first), the training process killed (SIGKILL) right
    after epoch `epoch`'s checkpoint is in place. The process kills itself at that point: a kill
    sent on seeing the epoch's log line could land epochs later, as tiny epochs take milliseconds."""
    # A checkpoint after every epoch (by default at most one a second: a tiny run would have none to kill at)
    run = subprocess.run(["dvc", "repro", "-f", "train@lstm"], cwd=project.path, capture_output=True, text=True,
                         env={**env(), "SEQPIPE_CHECKPOINT_SECONDS": "0",
                              "SEQPIPE_TEST_KILL_AFTER_CHECKPOINT": str(epoch)})
    log = run.stdout + run.stderr
    assert run.returncode != 0, log
    # the checkpoint is reported on its epoch's line, never on a line of its own
    assert any(line.startswith(f"epoch {epoch - 1}/") and line.rstrip().endswith(" - checkpoint saved")
               for line in log.splitlines()), log
    assert not any(line.startswith("checkpoint") for line in log.splitlines()), log
    assert not any(line.startswith(f"epoch {epoch}/") for line in log.splitlines()), log


def test_killed_stages_lose_nothing_and_training_resumes_bit_identical(project):
    # dropout too: a resumed run must draw the same dropout masks as an uninterrupted one
    project.set_params({"architectures": ["lstm"], "train": {"epochs": 4, "patience": 2},
                        "models": {"lstm": {"units": 4, "dropout": 0.2}}})
    project.repro()
    first = _bytes(project.path, *OUTPUTS)

    # Each stage killed (SIGKILL) with its output complete under a temporary name, just before the
    # rename: DVC sees it as changed, and no (partial) file sits at an output path.
    _kill_before_rename(project, "report", "*reports")
    _kill_before_rename(project, "evaluate@lstm", "*metrics/lstm.json")
    _kill_before_rename(project, "prepare", "*data/prepared")
    assert {"prepare", "evaluate@lstm", "report"} <= project.stale()
    for out in ("data/prepared", "metrics/lstm.json", "timings/lstm.json", "reports"):
        assert not (project.path / out).exists(), out

    # Preparing again gives the same bytes; training is killed mid-run, right after epoch 2.
    _kill_after_checkpoint(project, epoch=2)
    assert _bytes(project.path, "data/prepared/*") == _bytes_of(first, "data/prepared/")
    assert "train@lstm" in project.stale() and not (project.path / "models" / "lstm.keras").exists()

    # The next run resumes after epoch 2, and every output ends byte for byte as in the
    # uninterrupted run (DVC restores evaluate and report from its cache).
    out = project.run("dvc", "repro", "-f", "-s", "train@lstm").stdout
    assert re.search(r"^resuming from epoch 2 ", out, re.M), out
    project.repro()
    assert _bytes(project.path, *OUTPUTS) == first
    assert json.loads((project.path / "models" / "lstm.fit.json").read_text())["epochs_run"] == 4
    assert project.stale() == set()
    assert _leftovers(project.path) == []  # temporaries of the killed writers are cleaned up
    assert not any((project.path / ".seqpipe" / "backup").iterdir())  # the checkpoint is removed after success


def _bytes_of(snapshot: dict[str, bytes], prefix: str) -> dict[str, bytes]:
    return {k: v for k, v in snapshot.items() if k.startswith(prefix)}


ZOO = {
    "tcn": {"filters": 3, "num_blocks": 2},
    "fcn": {"filters": 3},
    "resnet": {"filters": 3, "num_blocks": 1},
    "inceptiontime": {"filters": 2, "bottleneck": 2, "kernel_size": 8, "depth": 3},
}
TWICE = """
import shutil, sys, keras
from seqpipe.stages import evaluate
from seqpipe.stages import prepare
from seqpipe.stages import train
from seqpipe.registry import build_registry
names = sys.argv[1].split(",")
prepare.main([])
for run in ("a", "b"):
    for name in names:
        keras.backend.clear_session()  # fresh layer names, as in a new stage process
        train.main(["--arch", name])
        evaluate.main(["--arch", name])
    for out in ("models", "metrics"):
        shutil.copytree(out, f"run-{run}/{out}")
print(",".join(names))
"""


def test_every_built_in_architecture_retrains_byte_identically(project):
    """The zoo and the transformer (attention), each trained twice in one process. tests/test_e2e.py
    retrains lstm through `dvc repro -f`; rnn, gru (recurrent like lstm) and cnn (convolutions
    like the zoo) use no other kinds of kernels."""
    import yaml

    from seqpipe.registry import build_registry
    from tests.conftest import ROOT, TINY_PARAMS

    default_experiment = yaml.safe_load((ROOT / "params.yaml").read_text())["architectures"]
    models = {**ZOO, "transformer": TINY_PARAMS["models"]["transformer"]}
    names = sorted(models)
    # a new built-in architecture must be added to ZOO (tiny settings) or to the default experiment
    assert sorted(set(build_registry().architectures) - set(default_experiment)) == sorted(ZOO)
    project.set_params({"architectures": names, "models": models})
    project.run("python", "-m", "seqpipe.stages.fingerprint")
    done = project.run(sys.executable, "-c", TWICE, ",".join(names))
    assert done.stdout.strip().splitlines()[-1] == ",".join(names)
    for name in names:
        for out in (f"models/{name}.keras", f"metrics/{name}.json"):
            a, b = (project.path / f"run-{r}" / out for r in "ab")
            assert a.read_bytes() == b.read_bytes(), out


def test_nondeterministic_settings_are_flagged_on_stderr(capsys):
    train = types.SimpleNamespace(precision="mixed_float16", jit_compile=True)
    assert len(resilience.warn_nondeterministic(train, gpus=1)) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("seqpipe: warning: train.precision=mixed_float16") and err[0].endswith("reruns may not be bit-identical")
    assert err[1].startswith("seqpipe: warning: 1 GPU(s) visible: GPU kernels (cuDNN, XLA)")
    assert resilience.warn_nondeterministic(types.SimpleNamespace(jit_compile=True)) == []  # XLA on CPU is reproducible
    assert resilience.warn_nondeterministic(types.SimpleNamespace(epochs=3)) == []  # defaults are deterministic


def test_a_model_file_with_code_is_refused_by_safe_loading(tmp_path):
    import keras

    from seqpipe.errors import DataError
    from seqpipe.training.model import load_model

    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(DataError, match=r"lambda.keras: cannot load as a Keras model: .*Lambda"):
        load_model(str(tmp_path / "lambda.keras"))


def test_a_checkpoint_that_does_not_fit_the_model_or_is_older_is_not_resumed(tmp_path):
    import keras
    import numpy as np

    def model(units: int):
        m = keras.Sequential([keras.Input((6, 2)), keras.layers.GRU(units), keras.layers.Dense(1)])
        m.compile("adam", "mse")
        return m

    x, y = np.zeros((8, 6, 2), "float32"), np.zeros((8, 1), "float32")
    lines: list[str] = []
    saved = resilience.checkpoint(tmp_path, log=lines.append)
    model(3).fit(x, y, epochs=1, verbose=0, callbacks=[saved])
    assert lines == [] and saved.epoch_note == "checkpoint saved"  # fit prints it on the epoch's line

    wider = resilience.checkpoint(tmp_path, log=lines.append)
    model(5).fit(x, y, epochs=1, verbose=0, callbacks=[wider])
    assert wider.resumed_from == 0
    assert lines[0] == f"checkpoint in {tmp_path} does not fit this model; starting afresh"

    (tmp_path / "state" / "variables.npz").rename(tmp_path / "state" / "latest.weights.h5")  # an older layout
    older = resilience.checkpoint(tmp_path, log=lines.append)
    model(5).fit(x, y, epochs=1, verbose=0, callbacks=[older])
    assert older.resumed_from == 0
    assert lines[1] == f"checkpoint in {tmp_path} is in an older format; starting afresh"

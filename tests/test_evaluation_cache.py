"""The evaluation cache (seqpipe.evaluation.cache): train@<arch> evaluates in its own process and
evaluate@<arch> copies the result, byte-identical to computing it; stages that neither train nor
infer never import TensorFlow."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seqpipe.evaluation import cache
from tests.conftest import env

OUTPUTS = ("metrics/cnn.json", "scores/cnn.csv", "predictions/cnn.csv", "plots/cnn/confusion.csv")
NO_TENSORFLOW = '''
import sys
from seqpipe.stages import {module}
{module}.main({argv})
print([m for m in ("tensorflow", "keras", "jax") if m in sys.modules])
'''


def _imports_of(project, module: str, argv: list[str]) -> list[str]:
    """The backends a stage's main() imported, in a fresh interpreter in the project."""
    out = subprocess.run([sys.executable, "-c", NO_TENSORFLOW.format(module=module, argv=argv)], cwd=project.path,
                         env=env(), capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1].replace("'", '"'))


@pytest.mark.e2e
def test_evaluate_copies_what_train_computed_byte_for_byte_and_without_tensorflow(project):
    project.set_params({"architectures": ["cnn"], "models": {"cnn": {"filters": 4, "kernel_size": 3, "num_layers": 1}}})
    project.run("git", "commit", "-qam", "cnn only")
    log = project.run("dvc", "repro").stdout
    assert "evaluated cnn:" in log and "(computed by train@cnn: evaluation cache)" in log
    hit = {name: (project.path / name).read_bytes() for name in OUTPUTS}
    hit_timings = json.loads((project.path / "timings/cnn.json").read_text())

    # the same stage on a hit, in a fresh process: the outputs again, and no TensorFlow
    for name in OUTPUTS:
        (project.path / name).unlink()
    assert _imports_of(project, "evaluate", ["--arch", "cnn"]) == []
    assert {name: (project.path / name).read_bytes() for name in OUTPUTS} == hit
    for stage in ("prepare", "fingerprint", "baselines", "report"):
        assert _imports_of(project, stage, []) == [], f"{stage} imported a Keras backend"

    # a miss (cache cleared, as on another machine): computed in the stage, the same bytes
    shutil.rmtree(project.path / ".seqpipe" / "evaluations")
    log = project.run("dvc", "repro", "-f", "-s", "evaluate@cnn").stdout
    assert "evaluated cnn:" in log and "evaluation cache" not in log
    assert {name: (project.path / name).read_bytes() for name in OUTPUTS} == hit
    assert json.loads((project.path / "timings/cnn.json").read_text()).keys() == hit_timings.keys()


def test_the_key_follows_inputs_and_params_and_a_missing_entry_is_a_miss(tmp_path: Path):
    model = tmp_path / "cnn.keras"
    model.write_bytes(b"weights")
    params = cache.settings("cnn", {"seed": 1, "train": {"batch_size": 16}, "models": {"cnn": {}, "gru": {}}})
    first = cache.key([model], params)
    assert cache.key([model], params) == first
    other_arch = cache.settings("cnn", {"seed": 1, "train": {"batch_size": 16}, "models": {"cnn": {}, "gru": {"x": 1}}})
    assert cache.key([model], other_arch) == first  # another architecture's hyperparameters: same key
    assert cache.key([model], {**params, "train": {"batch_size": 32}}) != first
    model.write_bytes(b"retrained")
    assert cache.key([model], params) != first

    root, outputs = tmp_path / "cache", [tmp_path / "out" / role for role in cache.ROLES]
    assert not cache.restore("cnn", first, outputs, root=root)
    assert not any(p.exists() for p in outputs)

    def write(paths: list[Path]) -> None:
        for i, p in enumerate(paths):
            p.write_text(f"{i}\n")

    cache.store("cnn", "0" * 16, write, root=root)
    cache.store("cnn-wide", "1" * 16, write, root=root)
    cache.store("cnn", first, write, root=root)
    # the older entry of cnn is dropped, not that of another architecture whose name starts alike
    assert sorted(p.name for p in root.iterdir()) == [f"cnn-{first}", "cnn-wide-" + "1" * 16]
    assert cache.restore("cnn", first, outputs, root=root)
    assert [p.read_text() for p in outputs] == [f"{i}\n" for i in range(len(outputs))]


DEFERRED = '''
import sys
from seqpipe import process
process.quiet_tensorflow()
process.defer_unused_imports()
import keras
lazy = type(sys.modules["matplotlib.pyplot"]).__name__
jax_with_keras = "jax" in sys.modules
import matplotlib.pyplot as plt
plt.figure()  # first use: the module runs then, and works
import jax  # imported by other code than TensorFlow's and Keras' own, JAX loads
print(lazy, type(sys.modules["matplotlib.pyplot"]).__name__, jax_with_keras, jax.numpy.ones(2).shape)
'''


@pytest.mark.keras
def test_a_tensorflow_process_defers_what_keras_imports_but_never_uses_until_it_is_used():
    out = subprocess.run([sys.executable, "-c", DEFERRED], capture_output=True, text=True, check=True,
                         env={**env(), "MPLBACKEND": "Agg", "KERAS_BACKEND": "tensorflow"}).stdout.split()
    assert out == ["_LazyModule", "module", "False", "(2,)"]

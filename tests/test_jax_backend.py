"""Every built-in architecture on Keras' JAX backend: what GPU timings on a machine with JAX and
no TensorFlow rely on (KERAS_BACKEND=jax).

The backend is fixed when keras is first imported, so the steps run in one fresh Python process.
"""
from __future__ import annotations

import json
import subprocess
import sys

from seqpipe.registry import build_registry
from tests.conftest import ROOT, env
from tests.test_plugin_authors import TINY_HP

# Each task's head at least once; the others run each architecture's first task.
TASKS = {"rnn": "regression", "lstm": "binary", "gru": "multiclass", "transformer": "next_token",
         "cnn": "forecast", "tcn": "binary", "fcn": "multiclass", "resnet": "forecast", "inceptiontime": "next_token",
         "linear": "forecast"}

# Every step is still jit-compiled, but with cheap LLVM passes: compiling 27 tiny programs (train,
# validation and predict steps of 9 models) then takes about 40% less time. Correctness, not speed.
QUICK_XLA = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"

STEPS = """
import json, sys, tempfile, time
from pathlib import Path

import keras
import numpy as np

from seqpipe.evaluation import scoring as evaluation
from seqpipe.training import resilience
from seqpipe.testing import input_kind_for, toy_batch
from seqpipe.config.experiment import ArchitectureChoice
from seqpipe.training.model import build_model, load_model
from seqpipe.config.params import TrainParams
from seqpipe.registry import build_registry
from seqpipe.training.fit import fit, seed_everything

plan = json.loads(sys.argv[1])
registry = build_registry()
train = TrainParams(epochs=1, batch_size=16, patience=0, embedding_dim=4)
report = {"backend": keras.backend.backend(), "runs": {}}
for name, (task, hp) in plan.items():
    start = time.perf_counter()
    arch = registry.architecture(name)
    x, y, spec = toy_batch(task, input_kind_for(arch, task))
    seed_everything(0)
    model = build_model(ArchitectureChoice(name, arch, arch.params(**hp)), spec, train)
    summary = fit(model, (x, y), (x, y), train, verbose=0)
    out = evaluation.predict(model, x, batch_size=16)
    scores = evaluation.score(task, y, out, spec)
    with tempfile.TemporaryDirectory() as tmp:
        resilience.save_model(model, Path(tmp) / f"{name}.keras")
        again = load_model(str(Path(tmp) / f"{name}.keras"), arch.custom_objects() if arch.custom_objects else None)
        reloaded = evaluation.predict(again, x, batch_size=16)
    report["runs"][name] = {
        "task": task, "epochs": summary.epochs_run, "jit_compile": model.jit_compile, "shape": list(out.shape),
        "finite": bool(np.isfinite(out).all()), "scores_finite": bool(np.isfinite(list(scores.values())).all()),
        "reload_max_diff": float(np.abs(reloaded - out).max()), "seconds": round(time.perf_counter() - start, 2),
    }
report["tensorflow_imported"] = "tensorflow" in sys.modules
print(json.dumps(report))
"""


def test_every_architecture_trains_predicts_saves_and_reloads_on_jax_without_tensorflow():
    names = sorted(build_registry().architectures)
    assert set(names) == set(TASKS)  # a new built-in architecture gets a task here
    plan = {name: (TASKS[name], TINY_HP[name]) for name in names}
    result = subprocess.run([sys.executable, "-c", STEPS, json.dumps(plan)], cwd=ROOT,
                            env={**env(), "KERAS_BACKEND": "jax", "XLA_FLAGS": QUICK_XLA},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])

    assert report["backend"] == "jax"
    assert not report["tensorflow_imported"], "the model path imported tensorflow under KERAS_BACKEND=jax"
    assert sorted(report["runs"]) == names
    for name, run in report["runs"].items():
        assert run["epochs"] == 1, name
        assert run["jit_compile"] is True, f"{name}: JAX trains with XLA, without it op by op"
        assert run["finite"] and run["scores_finite"], f"{name}: NaN or infinite predictions or scores"
        assert run["reload_max_diff"] <= 1e-6, f"{name}: the reloaded model predicts differently"

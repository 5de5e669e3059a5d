"""`train.backend` end to end: a run on a chosen backend says which in its log, records it beside the
model and in the environment, is scored on it, and reruns bit-identically."""
from __future__ import annotations

import importlib.util
import json

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.keras]


def _outputs(project, arch: str) -> dict[str, bytes]:
    files = [f"predictions/{arch}.csv", f"metrics/{arch}.json"]
    return {name: (project.path / name).read_bytes() for name in files}


# PyTorch is no dependency of any extra (85-1000x slower per epoch on CPU: bench/RESULTS.md,
# "backends"); where it is installed, `train.backend: torch` is tested too.
TORCH = pytest.param("torch", marks=pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                                        reason="torch is not installed (no extra brings it)"))


@pytest.mark.parametrize("backend", ["jax", TORCH])
def test_a_named_backend_trains_scores_records_and_reruns_bit_identically(project, backend):
    project.set_params({"architectures": ["cnn"], "train": {"backend": backend}})
    log = project.run("dvc", "repro", "evaluate@cnn").stdout
    assert f"keras backend: {backend} (train.backend)" in log
    assert json.loads((project.path / "models" / "cnn.fit.json").read_text())["backend"] == backend
    environment = json.loads((project.path / "environment" / "cnn.json").read_text())
    assert environment["keras_backend"] == backend and environment["keras_backend_version"]
    first = _outputs(project, "cnn")

    project.run("dvc", "repro", "-f", "evaluate@cnn")
    assert _outputs(project, "cnn") == first  # same seed, same backend: the same predictions and scores

"""The evaluation cache: evaluate@<arch>'s outputs, computed by train@<arch>'s process.

The train stage has TensorFlow loaded and the model just saved; evaluating there costs a second,
where the evaluate stage's own process pays TensorFlow's import and runtime start again (5-20 s on
a 2-core machine). So train@<arch> evaluates the saved files (seqpipe.evaluation.run) and stores
the five outputs under `.seqpipe/evaluations/<arch>-<key>/`; evaluate@<arch> computes the same key
and, when the entry is there, copies the files without importing TensorFlow. DVC's stages and
their caching are unchanged: evaluate@<arch> still runs exactly when DVC says it must.

The key covers everything the outputs depend on: the bytes of every model file, the fit summary,
the prepared data and the plugin's fingerprint; the seqpipe package's source (all of it, so an
edit anywhere is a miss, never a stale hit); the params the evaluation reads; the Keras backend
and the versions of the libraries that compute it. A miss (evaluation code edited, cache removed,
a clone on another machine) computes as before. Both paths write through run.write, and their
outputs are byte-identical (tests/test_evaluation_cache.py). Nothing here imports TensorFlow,
pandas or scikit-learn.
"""
from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seqpipe import atomic, layout, process
from seqpipe.training.resilience import run_key

ROLES = ("metrics.json", "timings.json", "scores.csv", "predictions.csv", "confusion.csv")
LIBRARIES = ("keras", "tensorflow", "tensorflow-cpu", "jax", "jaxlib", "torch", "numpy", "pandas", "scikit-learn")
PACKAGE = Path(__file__).resolve().parents[1]
SWITCH = "SEQPIPE_EVALUATION_CACHE"  # `off`: train@<arch> fills nothing, evaluate@<arch> computes (benchmarks)


def enabled() -> bool:
    return not process.switched_off(SWITCH)


def settings(arch: str, raw_params: dict[str, Any]) -> dict[str, Any]:
    """The params an evaluation reads (its batch size comes from `train`), as params.yaml has them."""
    models = raw_params.get("models") or {}
    return {"arch": arch, "seed": raw_params.get("seed"), "train": raw_params.get("train"), "model": models.get(arch)}


def key(inputs: list[Path], params: dict[str, Any], libraries: tuple[str, ...] = LIBRARIES) -> str:
    """A hash of `inputs`' bytes, `params`, the seqpipe source, the backend and library versions."""
    code = sorted(PACKAGE.rglob("*.py"))
    return run_key(params, os.environ.get("KERAS_BACKEND", ""), _versions(libraries), [str(p) for p in inputs],
                   [str(p.relative_to(PACKAGE)) for p in code], files=[*inputs, *code])


def _versions(libraries: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for name in libraries:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def entry(arch: str, cache_key: str, root: Path = layout.EVALUATION_CACHE) -> Path:
    return root / f"{arch}-{cache_key}"


def store(arch: str, cache_key: str, write: Callable[[list[Path]], None],
          root: Path = layout.EVALUATION_CACHE) -> None:
    """Call `write` with the entry's file paths (ROLES' order) in a temporary folder, rename it into
    place, and drop the architecture's older entries."""
    target = entry(arch, cache_key, root)
    with atomic.atomic_path(target) as tmp:
        tmp.mkdir(parents=True)
        write([tmp / role for role in ROLES])
    own = re.compile(re.escape(arch) + r"-[0-9a-f]{16}")  # not another architecture named `<arch>-x`
    for old in root.iterdir():
        if old != target and old.is_dir() and own.fullmatch(old.name):
            shutil.rmtree(old, ignore_errors=True)


def restore(arch: str, cache_key: str, outputs: list[Path], root: Path = layout.EVALUATION_CACHE) -> bool:
    """Copy a stored entry to `outputs` (each atomically, all or none); False when there is none."""
    source = entry(arch, cache_key, root)
    files = [source / role for role in ROLES]
    if not all(f.is_file() for f in files):
        return False
    with atomic.removed_on_failure(*outputs):
        for src, dest in zip(files, outputs):
            with atomic.atomic_path(dest) as tmp:
                shutil.copyfile(src, tmp)
    return True

"""Warm workers: train stages that start with Keras already imported.

Each stage of a `dvc repro` is its own Python process, and a train stage spends seconds importing
Keras and its backend before its first step (2.4 s for JAX, 4.5 s for TensorFlow on 2 cores:
bench/RESULTS.md, "Fixed costs"). DVC must keep one stage per architecture (its caching), so the
processes stay; what they can share is the import. The first stage of a repro (`launch`) starts,
in the background, one worker per Keras backend that the repro's train stages will use. A worker
(`server`) imports Keras and the other heavy libraries once, then forks a child per train stage;
the stage's own process (`client`) hands its argv, working directory, environment and standard
streams to the child and waits for it, relaying signals and mirroring its exit status, so DVC sees
the same process it always did. A fork is a fresh process in every respect that matters: nothing
but third-party imports ran in the worker before it, and outputs are byte-identical with and
without workers (tests/test_warm.py).

A worker lives as long as the repro's `dvc` process; it serves only clients of the same user, on
the same Python and seqpipe code (file times) and the same import-time environment (`address`).
Without one, or with `SEQPIPE_WARM=0`, a stage runs in its own process as before. Linux only
(abstract socket names, peer credentials); CPU only (no CUDA state across a fork).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

# The environment this process started with, before seqpipe set anything (KERAS_BACKEND, TensorFlow's
# log level): what the worker's child starts from, so it decides as this process did.
STARTING_ENVIRON = dict(os.environ)
SWITCH = "SEQPIPE_WARM"  # 0, off, false or no: every stage imports Keras itself
CHILD = "SEQPIPE_WARM_CHILD"  # set in a worker's child: it runs the stage, it never delegates again
# A child's exit code when its stage needs another backend than its worker loaded (params.yaml
# edited since the launcher read it): its client then runs the stage itself.
OTHER_BACKEND = 75
# The worker for stages that never import Keras on their usual path (seqpipe.warm.handoff.PLAIN_STAGES);
# the others are named by their Keras backend.
PLAIN = "plain"
# Environment variables that can change what an import does (libraries read them when loaded).
IMPORT_TIME_ENV = ("TF_", "XLA_", "JAX_", "KERAS_", "OMP_", "MKL_", "OPENBLAS_", "CUDA_", "NVIDIA_", "LD_",
                   "MPL", "PYTHON", "HOME", "PATH", "VIRTUAL_ENV", "LANG", "LC_")


def enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this process may use (or start) warm workers."""
    from seqpipe import process

    return (sys.platform.startswith("linux") and not process.switched_off(SWITCH, environ)
            and CHILD not in environ and not _gpu_present(environ))


def in_child(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this process is a worker's child running a stage for a client."""
    return CHILD in environ


def address(repro: str, backend: str, environ: Mapping[str, str] = os.environ) -> str:
    """The worker's abstract socket name: one per repro, backend, Python, seqpipe code and
    import-time environment, so a client only ever reaches a worker that loaded what it would."""
    import_env = sorted((k, v) for k, v in environ.items() if k.startswith(IMPORT_TIME_ENV))
    parts = [repro, backend, sys.executable, os.getcwd(), _code_stamp(), import_env]
    return "\0seqpipe-warm-" + hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def worker_address(repro: str, worker: str, environ: Mapping[str, str] = os.environ) -> str:
    """The address of this repro's `worker` (a Keras backend's name, or PLAIN) as seen from `environ`."""
    return address(repro, worker, environ if worker == PLAIN else {**environ, "KERAS_BACKEND": worker})


def _code_stamp() -> list[tuple[str, int, int]]:
    """seqpipe's own files with their modification times and sizes: an edit means a new worker."""
    root = Path(__file__).resolve().parent.parent
    return [(p.relative_to(root).as_posix(), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(root.rglob("*.py"))]


def _gpu_present(environ: Mapping[str, str]) -> bool:
    from seqpipe.training.backends import gpu_present

    return gpu_present(environ)

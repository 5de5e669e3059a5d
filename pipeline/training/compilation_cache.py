"""JAX's persistent compilation cache: a program XLA compiled once is read back, not compiled again.

On CPU a small model's compilation outweighs its training: gru's train stage on 1000 adding
sequences (2 epochs) took 8.0 s with the cache empty and 5.0 s once it held its programs, its fit
2.3 -> 0.6 s (bench/compilation_cache.py; bench/RESULTS.md, "Fixed costs, round 6"). JAX keys each entry by the program, the compile options, the device and
the JAX/jaxlib versions, so a hit is the same executable and the trained weights are the same
bytes (tests/test_compilation_cache.py). Hits come wherever the same model is trained again: a
rerun with other seeds, learning rate, epochs or data of the same shapes, `dvc exp run` on other
settings, the next project with the same architecture, the test suite.

The cache is per user (`~/.cache/seqpipe/jax-compilation`, or under `XDG_CACHE_HOME`), capped at
MAX_BYTES with least-recently-used eviction, in a subfolder per CPU (its instruction-set flags) and
jaxlib version: a home folder shared by several machines, or a jaxlib reinstalled in place, never
serves a program compiled for another CPU or runtime (XLA's CPU loader refuses some mismatches, but
logs errors for them; jax-ml/jax#38445, uwplasma/vmex#222). `SEQPIPE_COMPILATION_CACHE` names another folder, or
`off` turns it off; a user's own `JAX_COMPILATION_CACHE_DIR` and `JAX_PERSISTENT_CACHE_*` settings
win. The TensorFlow and PyTorch backends are left as they are.
"""
from __future__ import annotations

import hashlib
import os
import platform
import sys
from collections.abc import MutableMapping
from importlib import metadata
from pathlib import Path

from seqpipe import process

SWITCH = "SEQPIPE_COMPILATION_CACHE"  # a folder, or off/0/false/no
MAX_BYTES = 2 * 1024**3
_ON = ("", "on", "1", "true", "yes")


def folder(environ: MutableMapping[str, str] = os.environ) -> Path | None:
    """Where compiled programs are kept; None: switched off."""
    if process.switched_off(SWITCH, environ):
        return None
    chosen = environ.get(SWITCH, "").strip()
    if chosen.lower() not in _ON:
        return Path(chosen).expanduser()
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "seqpipe" / "jax-compilation" / machine_key()


def machine_key() -> str:
    """`x86_64-<digest>`: this CPU's instruction-set flags and the installed jaxlib's version."""
    try:
        flags = next((line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags")), "")
    except OSError:
        flags = platform.processor()
    try:
        jaxlib = metadata.version("jaxlib")
    except metadata.PackageNotFoundError:
        jaxlib = "none"
    digest = hashlib.sha256(f"{flags}|{jaxlib}".encode()).hexdigest()[:12]
    return f"{platform.machine() or 'cpu'}-{digest}"


def configure(backend: str, environ: MutableMapping[str, str] = os.environ) -> Path | None:
    """Before JAX loads (as Keras' backend): let it keep compiled programs in `folder()`. Returns the
    folder, or None where the backend is not JAX, the cache is off or the folder cannot be made."""
    where = folder(environ)
    if backend != "jax" or where is None:
        return None
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # compile as before, rather than have JAX warn on every program
        if environ.get(SWITCH, "").strip().lower() not in _ON:  # the user named this folder: say why it is unused
            print(f"seqpipe: warning: {SWITCH}={environ[SWITCH]}: cannot make the folder ({exc.strerror}); "
                  "compiling without the cache (set it to a writable folder, or off)", file=sys.stderr)
        return None
    environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(where))
    # JAX's default keeps only programs that took over 1 s to compile; a small model's take 0.1-0.5 s each
    environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    environ.setdefault("JAX_COMPILATION_CACHE_MAX_SIZE", str(MAX_BYTES))
    return where

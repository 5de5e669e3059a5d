"""What every seqpipe process does around its work: parse arguments, check the code it runs is the
project's, quiet TensorFlow, exit fast."""
from __future__ import annotations

import argparse
import gc
import importlib.abc
import importlib.machinery
import importlib.util
import os
import re
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import NoReturn

from seqpipe import layout, stage_progress
from seqpipe.errors import SeqpipeError, one_line


class Parser(argparse.ArgumentParser):
    """argparse with the house error format: `seqpipe: error: <problem>; usage: ...`, exit code 1.

    argparse's own format is two lines (usage, then `prog: error:`) and exit code 2; every other
    refusal of a seqpipe command is one line and exit code 1, so usage mistakes are too. Subparsers
    inherit the class (argparse creates them with `type(self)`).
    """

    def error(self, message: str) -> NoReturn:
        usage = one_line(self.format_usage()).removeprefix("usage: ")
        print(f"seqpipe: error: {one_line(message)}; usage: {usage}", file=sys.stderr)
        sys.exit(1)


def switched_off(variable: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether an on-by-default environment switch (SEQPIPE_WARM, SEQPIPE_EVALUATION_CACHE) is set
    to off, 0, false or no."""
    return environ.get(variable, "on").strip().lower() in ("off", "0", "false", "no")


def _stage_prog() -> str | None:
    """`python -m seqpipe.stages.train` rather than argparse's `train.py` (what DVC runs)."""
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.parent.name == "stages" and argv0.suffix == ".py":
        return f"python -m seqpipe.stages.{argv0.stem}"
    return None


def parser(description: str | None, with_arch: bool = False) -> argparse.ArgumentParser:
    """The stage's argument parser (a stage's progress line and warm worker came before it, when
    seqpipe.stages was imported: seqpipe.warm.handoff)."""
    ap = Parser(prog=_stage_prog(), description=description)
    ap.add_argument("--params", default=str(layout.PARAMS_FILE), help="params file (default: params.yaml)")
    if with_arch:
        ap.add_argument("--arch", required=True, help="architecture name from params.yaml")
    return ap


# Lines TensorFlow's C++ code writes to fd 2 while its libraries load, before it has read
# TF_CPP_MIN_LOG_LEVEL: absl prints everything logged before absl::InitializeLog(), plus a
# warning that it does so, once per shared library (port.cc's oneDNN notice comes twice). They are
# written by C++, so neither the environment nor Python's logging reaches them.
_ABSL_PREINIT = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
_ABSL_RECORD = re.compile(r"^([IWEF])\d{4} [\d:.]+ +\d+ [^ ]+:\d+\] ")
_SEVERITY = {"I": 0, "W": 1, "E": 2, "F": 3}


def quiet_tensorflow() -> None:
    """Keep TensorFlow's C++ start-up chatter out of stage logs; call before importing it.

    TF_CPP_MIN_LOG_LEVEL=3 (unless set) quiets TensorFlow once it runs, but not what it logs while
    its libraries load (the oneDNN notice, absl's pre-init warning). So the import of `tensorflow`,
    wherever it happens (keras, dvclive, a plugin), runs with fd 2 sent to a temporary file; the
    lines below the log level are dropped and the rest (real errors) written back to stderr.
    oneDNN itself stays on: turning it off (TF_ENABLE_ONEDNN_OPTS=0) would change the numbers.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietImport())


# What a training or evaluating process would import only to have at hand (bench/RESULTS.md, "Fixed
# costs, round 4"). Keras imports pyplot (`keras.utils.plot_image_gallery`) and requests (the
# RemoteMonitor callback), ~0.3 s of CPU: deferred, they load on first use, if any. On the TensorFlow
# backend, TensorFlow's TFLite converter (`from jax import jit`) and Keras' Orbax callback import JAX
# when it is installed, ~0.5 s of CPU, under try/except ImportError: to them, JAX is not installed.
DEFERRED_IMPORTS = frozenset({"matplotlib.pyplot", "requests"})
HIDDEN_FROM = {"jax": ("tensorflow", "keras")}  # module -> the packages that do not see it on TensorFlow


def defer_unused_imports() -> None:
    """From now on in this process, load DEFERRED_IMPORTS lazily (importlib.util.LazyLoader: `import`
    binds the module at once, its code runs on the first attribute access), and, where
    KERAS_BACKEND is "tensorflow", answer HIDDEN_FROM's imports from those packages with
    ImportError; imported from anywhere else (a plugin, a notebook), JAX loads as usual."""
    if not any(isinstance(f, _DeferredImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _DeferredImport())


class _DeferredImport(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None):
        hidden_from = HIDDEN_FROM.get(fullname)
        if hidden_from and os.environ.get("KERAS_BACKEND") == "tensorflow" and _importer().startswith(hidden_from):
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        if fullname not in DEFERRED_IMPORTS:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def _importer() -> str:
    """The module whose `import` statement is being run: the first frame outside the import system."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(("importlib", "_frozen_importlib")):
        frame = frame.f_back  # type: ignore[assignment]
    return "" if frame is None else str(frame.f_globals.get("__name__", ""))


def drop_startup_chatter(text: str, level: int) -> str:
    """`text` without absl's pre-init warning and without log records of severity below `level`."""
    kept = []
    for line in text.splitlines(keepends=True):
        record = _ABSL_RECORD.match(line)
        if line.rstrip("\n") == _ABSL_PREINIT or (record and _SEVERITY[record.group(1)] < level):
            continue
        kept.append(line)
    return "".join(kept)


class _QuietImport(importlib.abc.MetaPathFinder):
    """Finds the top-level `tensorflow` package as usual, and loads it with fd 2 captured."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None):
        if fullname != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: later imports of submodules are ordinary
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _CapturedLoader(spec.loader)
        return spec


class _CapturedLoader(importlib.abc.Loader):
    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        try:
            saved = os.dup(2)
        except OSError:  # no fd 2 at all: nothing to protect
            self.loader.exec_module(module)
            return
        with tempfile.TemporaryFile() as capture:
            sys.stderr.flush()
            os.dup2(capture.fileno(), 2)
            try:
                self.loader.exec_module(module)
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
                os.close(saved)
                capture.seek(0)
                raw = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0")
                level = int(raw) if raw.isdigit() else 0
                rest = drop_startup_chatter(capture.read().decode("utf-8", "replace"), level)
                if rest:
                    sys.stderr.write(rest)
                    sys.stderr.flush()


def skip_final_collection() -> None:
    """Call as a process's last step: the interpreter then exits without a full garbage collection.

    Once TensorFlow and Keras are loaded, Python's shutdown spends seconds collecting their ~500k
    objects, memory the OS takes back anyway (bench/shutdown.py; bench/RESULTS.md). Frozen objects are not scanned;
    files are still flushed and closed and atexit handlers still run. Never call it in a process
    that goes on working (tests calling main()): it would keep garbage for the rest of its life.
    A stage reaches it only when it succeeded: its time is then recorded for the repro estimates.
    """
    stage_progress.finish()
    gc.freeze()


def check_project_code(root: Path | None = None) -> None:
    """Refuse to run a stage whose code is not the code DVC hashes for this project.

    dvc.yaml makes every stage depend on files under the project's `pipeline/`, but Python imports
    `seqpipe` from wherever it is installed. If that is another checkout or an older install, DVC
    would record outputs of code it never hashed. A project without a `pipeline/` folder (one that
    uses an installed seqpipe) has nothing to compare.
    """
    import seqpipe

    root = root or Path.cwd()
    project = root / "pipeline"
    running = Path(seqpipe.__file__).resolve().parent
    if not (project / "__init__.py").is_file() or running == project.resolve():
        return
    if _sources(running) != _sources(project):
        raise SeqpipeError(
            f"{project}/: differs from the seqpipe code that runs ({running}); DVC hashes this project's "
            "pipeline/, so install it into the environment that runs the stages (`make install`, or "
            "`pip install -e .` from this folder)"
        )


def _sources(package: Path) -> dict[str, bytes]:
    return {p.relative_to(package).as_posix(): p.read_bytes() for p in sorted(package.rglob("*.py"))}

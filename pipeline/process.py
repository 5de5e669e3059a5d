"""What every seqpipe process does around its work: parse arguments, check the code it runs is the
project's, quiet TensorFlow, exit fast."""
from __future__ import annotations

import argparse
import gc
import os
from pathlib import Path

from seqpipe import layout
from seqpipe.errors import SeqpipeError


def parser(description: str | None, with_arch: bool = False) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--params", default=str(layout.PARAMS_FILE), help="params file (default: params.yaml)")
    if with_arch:
        ap.add_argument("--arch", required=True, help="architecture name from params.yaml")
    return ap


def quiet_tensorflow() -> None:
    """Keep TensorFlow's C++ start-up chatter out of stage logs (set before importing it)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def skip_final_collection() -> None:
    """Call as a process's last step: the interpreter then exits without a full garbage collection.

    Once TensorFlow and Keras are loaded, Python's shutdown spends seconds collecting their ~500k
    objects, memory the OS takes back anyway (bench/shutdown.py; bench/RESULTS.md). Frozen objects are not scanned;
    files are still flushed and closed and atexit handlers still run. Never call it in a process
    that goes on working (tests calling main()): it would keep garbage for the rest of its life.
    """
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

"""Outputs appear only when complete: write to a temporary name in the same directory, then rename."""
from __future__ import annotations

import fnmatch
import json
import os
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling path; on success rename it over `path`, on failure remove it.

    Works for files and directories. The temporary name keeps the suffix (Keras checks `.keras`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(path)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    _remove(tmp)
    try:
        yield tmp
        _kill_point(path)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        _remove(tmp)


def _kill_point(path: Path) -> None:
    """Tests only: SEQPIPE_TEST_KILL_BEFORE_RENAME=<glob> makes the process SIGKILL itself when a
    matching output is complete under its temporary name but not yet renamed (the worst moment)."""
    pattern = os.environ.get("SEQPIPE_TEST_KILL_BEFORE_RENAME")
    if pattern and fnmatch.fnmatch(path.as_posix(), pattern):
        os.kill(os.getpid(), signal.SIGKILL)


def _remove_leftovers(path: Path) -> None:
    """Temporaries of earlier writers of `path` that were killed (their process is gone)."""
    for leftover in path.parent.glob(f".{path.stem}.tmp-*{path.suffix}"):
        pid = leftover.name[len(f".{path.stem}.tmp-"):len(leftover.name) - len(path.suffix)]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            _remove(leftover)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | Path, data: Any) -> None:
    """Flat, stable JSON: keys in insertion order, floats as Python prints them."""
    write_text(path, json.dumps(data, indent=2) + "\n")

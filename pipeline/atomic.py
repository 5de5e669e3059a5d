"""Outputs appear only when complete: write to a temporary name in the same directory, then rename."""
from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from seqpipe.errors import write_failure


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling path; on success rename it over `path`, on failure remove it.

    Works for files and directories. The temporary name keeps the suffix (Keras checks `.keras`).
    A full disk or a permission problem becomes one OutputError naming `path` (not the temporary).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(path)
        _remove(tmp)
        try:
            yield tmp
            _kill_point(path)
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            os.replace(tmp, path)
        finally:
            _remove(tmp)
    except OSError as exc:
        failure = write_failure(exc, _real_name(str(exc.filename)) if exc.filename else path)
        if failure is None:
            raise
        raise failure from None


def _real_name(path: str) -> str:
    """`models/.lstm.tmp-123.keras/x` -> `models/lstm.keras/x`: name what the user will look for."""
    return re.sub(r"(^|/)\.([^/]*?)\.tmp-\d+", r"\1\2", path)


@contextmanager
def removed_on_failure(*paths: str | Path) -> Iterator[None]:
    """A stage's outputs appear together or not at all: on any error, remove those written so far
    (DVC deleted them before the run, so nothing of the user's is lost), e.g. dvclive's logs when
    saving the model then fails."""
    try:
        yield
    except BaseException:
        for path in paths:
            with suppress(OSError):  # best effort: the error being raised is the one to show
                _remove(Path(path))
        raise


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

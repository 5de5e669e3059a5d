"""One base class for every mistake a user can fix, and the wrapper that prints it as one line."""
from __future__ import annotations

import errno
import functools
import sys
import warnings
from collections.abc import Callable
from typing import NoReturn, TypeVar

F = TypeVar("F", bound=Callable[..., int | None])


class SeqpipeError(Exception):
    """A user-fixable problem (params, data files, plugins). Printed as one line, exit code 1."""


class ParamsError(SeqpipeError):
    """params.yaml is missing, malformed or fails validation."""


class PluginError(SeqpipeError):
    """A plugin failed to load, registered something invalid, or built something unusable."""


class DataError(SeqpipeError):
    """Input data cannot be used as asked."""


class OutputError(SeqpipeError):
    """An output path would replace something the user owns (see `seqpipe.user_files`)."""


def one_line(message: str) -> str:
    """Collapse whitespace so the error is exactly one line."""
    return " ".join(str(message).split())


# OSErrors that the user fixes (free space, fix permissions): one line, like any other user error.
_FULL = {errno.ENOSPC: "free some disk space", errno.EDQUOT: "free some space within your quota",
         errno.EFBIG: "free some disk space or use a file system that allows larger files"}
_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


def write_failure(exc: OSError, path: object = None) -> OutputError | None:
    """The one-line error for a full disk or a permission problem while writing `path` (default:
    the file the OSError names); None for other OSErrors, which stay bugs with a traceback."""
    if exc.errno in _FULL:
        fix = _FULL[exc.errno]
    elif exc.errno in _DENIED:
        fix = "check that you may write there (permissions, a read-only file system)"
    else:
        return None
    where = path if path is not None else (exc.filename or "output")
    cause = exc.strerror or errno.errorcode.get(exc.errno or 0, "error")
    return OutputError(f"{where}: cannot write: {cause}; {fix}, then rerun; nothing partial was kept")


def user_errors_exit(func: F) -> F:
    """Run a command-line main(): SeqpipeError becomes `seqpipe: error: ...` and exit code 1.

    Programming errors keep their traceback on purpose: they are bugs to report, not inputs to fix.
    Python warnings raised on the way are held back: a refusal is its one line and nothing else,
    and a command that ends normally (or with a bug) shows them when it ends.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings(record=True) as held:
            try:
                result = func(*args, **kwargs)
            except SeqpipeError as exc:
                _refuse(str(exc))
            except ModuleNotFoundError as exc:  # Keras' backend not installed (no extra chosen)
                from seqpipe.install_hint import missing_backend

                hint = missing_backend(exc)
                if hint is None:
                    _show(held)
                    raise
                _refuse(hint)
            except OSError as exc:  # a write outside seqpipe's own atomic writes (dvclive's logs)
                failure = write_failure(exc)
                if failure is None:
                    _show(held)
                    raise
                _refuse(str(failure))
            except BaseException:  # a bug, or sys.exit of a command that chose its own exit code
                _show(held)
                raise
        _show(held)
        return result

    return wrapper  # type: ignore[return-value]


def _refuse(message: str) -> NoReturn:
    print(f"seqpipe: error: {one_line(message)}", file=sys.stderr)
    sys.exit(1)


def _show(held: list[warnings.WarningMessage] | None) -> None:
    for w in held or []:
        warnings.showwarning(w.message, w.category, w.filename, w.lineno, w.file, w.line)

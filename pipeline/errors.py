"""One base class for every mistake a user can fix, and the wrapper that prints it as one line."""
from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TypeVar

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


def user_errors_exit(func: F) -> F:
    """Run a command-line main(): SeqpipeError becomes `seqpipe: error: ...` and exit code 1.

    Programming errors keep their traceback on purpose: they are bugs to report, not inputs to fix.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except SeqpipeError as exc:
            print(f"seqpipe: error: {one_line(str(exc))}", file=sys.stderr)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]

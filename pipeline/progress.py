"""Progress of a job made of named phases: a tqdm bar on a terminal, one line per phase in a log.

DVC captures stage output into its log, where a redrawn bar would be a smear of carriage
returns, so without a terminal each finished phase prints one line with its duration instead, on
stdout: stderr is kept for the one-line error a failed stage ends with.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import IO


class Phases:
    """`phase(name)` starts the named phase (ending the one before); phases may be skipped."""

    def __init__(self, job: str, names: Sequence[str], stream: IO[str] | None = None, bar: bool | None = None) -> None:
        self.job, self.names = job, list(names)
        use_bar = bar if bar is not None else sys.stderr.isatty()
        self.stream = stream or (sys.stderr if use_bar else sys.stdout)
        self._current: str | None = None
        self._start = 0.0
        self._bar = None
        if use_bar:
            from tqdm import tqdm

            self._bar = tqdm(total=len(self.names), desc=job, unit="phase", file=self.stream, leave=True)

    def __call__(self, name: str) -> None:
        self._finish()
        if name not in self.names:
            raise ValueError(f"unknown phase '{name}'; phases: {', '.join(self.names)}")
        self._current, self._start = name, time.perf_counter()
        if self._bar is not None:
            self._bar.n = self.names.index(name)
            self._bar.set_postfix_str(name)

    def _finish(self) -> None:
        if self._current is None:
            return
        seconds = time.perf_counter() - self._start
        index = self.names.index(self._current) + 1
        if self._bar is None:
            print(f"{self.job} [{index}/{len(self.names)}] {self._current}: {seconds:.2f}s", file=self.stream, flush=True)
        else:
            self._bar.n = index
            self._bar.refresh()
        self._current = None

    def close(self) -> None:
        self._finish()
        if self._bar is not None:
            self._bar.n = len(self.names)
            self._bar.close()

    def __enter__(self) -> Phases:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        elif self._bar is not None:
            self._bar.close()


def nothing(name: str) -> None:
    """The default progress callback of library functions: report nothing."""

"""The stage's side: hand this process's stage to the repro's warm worker and become its proxy."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import time

from seqpipe import stage_progress, warm

# How long to wait for a worker to fork: it accepts only once its imports are done, and on a
# loaded machine these take seconds. Past this the stage runs in its own process.
WAIT_SECONDS = 120.0


def delegate(module: str, backend: str) -> None:
    """Run stage `module` (this process's argv, directory, environment and streams) in the repro's
    warm worker for `backend` and exit as the stage did; return where there is no such worker
    (then this process runs the stage itself, as it would have)."""
    repro = stage_progress.repro_key()
    if repro is None or not warm.enabled():
        return
    conn = _connect(warm.address(repro, backend), repro)
    if conn is None:
        return
    try:
        conn.settimeout(WAIT_SECONDS)
        request = {"module": module, "argv": sys.argv, "cwd": os.getcwd(), "environ": warm.STARTING_ENVIRON}
        sys.stdout.flush()
        sys.stderr.flush()
        socket.send_fds(conn, [json.dumps(request).encode("utf-8")], [0, 1, 2])
        replies = conn.makefile("r", encoding="utf-8")
        first = replies.readline()
    except OSError:  # no worker, or it went away or timed out before forking: run here
        conn.close()
        return
    if not first:
        conn.close()
        return
    child = int(json.loads(first)["pid"])
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda number, frame: _signal(child, number))
    conn.settimeout(None)
    try:
        last = replies.readline()
    except OSError:
        last = ""
    if not last:  # the worker died under its child: take the child down too, and say so
        _signal(child, signal.SIGKILL)
        print(f"seqpipe: error: the warm worker running this stage died; rerun, or set {warm.SWITCH}=0 "
              "to run each stage in its own process", file=sys.stderr, flush=True)
        sys.exit(1)
    _exit_as(int(json.loads(last)["status"]))


def _connect(address: str, repro: str) -> socket.socket | None:
    """A connection to the worker at `address`; while the repro's launcher still runs (it binds the
    workers' sockets), try again until it is done. None: there is no such worker."""
    from seqpipe.warm import launch

    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(address)
            return conn
        except OSError:
            conn.close()
        if not launch.launching(repro) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # the launcher may have bound it as it ended
    try:
        conn.connect(address)
        return conn
    except OSError:
        conn.close()
        return None


def _signal(child: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child, number)


def _exit_as(status: int) -> None:
    """Exit with the child's waitpid status: its code, or the signal that ended it."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        stage_progress.finish()
    sys.exit(code if code >= 0 else 1)

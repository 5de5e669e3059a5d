"""The stage's side: hand this process's stage to the repro's warm worker and become its proxy."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys

from seqpipe import stage_progress, warm

# How long to wait for a worker to fork: it accepts only once its imports are done, and on a
# loaded machine these take seconds. Past this the stage runs in its own process.
WAIT_SECONDS = 120.0


def delegate(module: str, target: str) -> None:
    """Run stage `module` (this process's argv, directory, environment and streams) in the repro's
    warm worker that the launcher planned for `target` (`train@<arch>`, or PLAIN), and exit as the
    stage did; return where there is no such worker, or where the child found that the stage needs
    another backend (then this process runs the stage itself, as it would have)."""
    from seqpipe.warm import launch

    repro = stage_progress.repro_key()
    if repro is None or not warm.enabled():
        return  # not under DVC
    worker = launch.planned_worker(repro, target)
    if worker is None:
        return
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(warm.worker_address(repro, worker))
    except OSError:
        conn.close()
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
    status = int(json.loads(last)["status"])
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == warm.OTHER_BACKEND:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        return  # the child wrote nothing: run the stage here
    _exit_as(status)


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

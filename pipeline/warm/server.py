"""A warm worker: a stage's imports done once (Keras and its backend, or for the plain worker pandas,
scikit-learn and matplotlib), then a forked child per stage (`python -m seqpipe.warm.server`).

Protocol, one connection per stage: the client sends one JSON line (module, argv, cwd, environ)
with its stdin, stdout and stderr attached (SCM_RIGHTS); the worker forks, answers
`{"pid": N}`, and when the child ends `{"status": S}` (a waitpid status). A client that goes away
first (killed) takes its child with it: the worker kills the child's process group. The worker
exits once the repro's `dvc` process is gone and no child is running.
"""
from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import io
import json
import os
import select
import signal
import socket
import struct
import sys
import traceback
from dataclasses import dataclass
from typing import Any, NoReturn

from seqpipe import warm

# What a stage imports before its work, loaded once per worker; never seqpipe's plugins (users edit
# them mid-repro). seqpipe's own modules are safe to load ahead: an edit to any of them changes the
# worker's address (warm._code_stamp), so a stage never reaches a worker that has older code.
# dvc.repo and dvc.scm: dvclive opens the project's DVC repository in each train stage (~0.2 s to import).
PRELOAD = ("keras", "dvclive", "dvc.repo", "dvc.scm", "pandas", "sklearn.metrics", "seqpipe.stages.train",
           "seqpipe.evaluation.run", "seqpipe.evaluation.cache")
PLAIN_PRELOAD = ("numpy", "pandas", "scipy.stats", "sklearn.metrics", "sklearn.linear_model", "matplotlib.pyplot",
                 "seqpipe.stages.evaluate", "seqpipe.stages.baselines", "seqpipe.stages.report")
KERAS_MODULES = ("keras", "tensorflow", "jax", "torch")  # a plain worker must load none: its children choose
POLL_SECONDS = 0.05


@dataclass
class Job:
    conn: socket.socket
    pid: int


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m seqpipe.warm.server")
    ap.add_argument("--worker", required=True, help=f"a Keras backend's name, or {warm.PLAIN}")
    ap.add_argument("--repro", required=True, help="the repro's key: `<dvc pid>-<its start time>`")
    ap.add_argument("--fd", type=int, required=True, help="the listening socket the launcher bound")
    args = ap.parse_args(argv)
    listener = socket.socket(fileno=args.fd)  # clients queue on it already, while the imports run
    if args.worker == warm.PLAIN:
        from seqpipe import process

        process.quiet_tensorflow()
        _preload(PLAIN_PRELOAD)
        loaded = [name for name in KERAS_MODULES if name in sys.modules]
        if loaded:  # its children would find a backend chosen for them: serve none
            print(f"not serving: the plain worker's imports loaded {', '.join(loaded)}", file=sys.stderr, flush=True)
            return
    else:
        _become(args.worker)
        _preload(PRELOAD)
    serve(listener, owner=args.repro)


def _become(backend: str) -> None:
    """What a train stage does before it imports Keras."""
    from seqpipe import process
    from seqpipe.training import backends

    process.quiet_tensorflow()
    process.defer_unused_imports()
    backends.activate(backends.BackendChoice(backend, "warm worker"))


def _preload(names: tuple[str, ...]) -> None:
    import importlib

    for name in names:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    gc.collect()
    gc.freeze()  # children then leave these objects' pages shared instead of touching them in collections


def serve(listener: socket.socket, owner: str) -> None:
    jobs: list[Job] = []
    while jobs or _alive(owner):
        readable, _, _ = select.select([listener, *(job.conn for job in jobs)], [], [], POLL_SECONDS)
        for job in list(jobs):
            done, status = os.waitpid(job.pid, os.WNOHANG)
            if done:
                _send(job.conn, {"status": status})
                job.conn.close()
                jobs.remove(job)
            elif job.conn in readable and not job.conn.recv(1, socket.MSG_PEEK):  # the client is gone
                _kill_group(job.pid)
        if listener in readable:
            accepted = _accept(listener, jobs)
            if accepted is not None:
                jobs.append(accepted)


def _accept(listener: socket.socket, jobs: list[Job]) -> Job | None:
    conn, _ = listener.accept()
    fds: list[int] = []
    try:
        conn.settimeout(10)
        pid, uid, gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
        if uid != os.getuid():
            raise PermissionError(f"client uid {uid}")
        message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
        request = json.loads(message.decode("utf-8"))
        if len(fds) != 3 or not str(request.get("module", "")).startswith("seqpipe.stages."):
            raise ValueError("malformed request")
        if _closed(conn):  # it gave up waiting (and runs the stage itself): no second run
            raise ConnectionAbortedError("the client left before its stage started")
    except (OSError, ValueError) as exc:
        print(f"refused a client: {exc}", file=sys.stderr, flush=True)
        for fd in fds:
            os.close(fd)
        conn.close()
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:
        listener.close()
        for job in jobs:
            job.conn.close()
        conn.close()
        _run_stage(request, fds)
    with contextlib.suppress(OSError):  # the child did it first, or has ended already
        os.setpgid(child, child)  # also here: the worker may have to kill the group before the child ran
    for fd in fds:
        os.close(fd)
    print(f"{child}: {request['module']} {' '.join(request['argv'][1:])}", flush=True)  # which stages it ran
    conn.settimeout(None)
    _send(conn, {"pid": child})
    return Job(conn, child)


def _run_stage(request: dict[str, Any], fds: list[int]) -> NoReturn:
    """In the forked child: become the client's stage process, run the stage module, exit."""
    import runpy

    os.setpgid(0, 0)  # its own group: the worker kills the whole of it if the client dies
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    if isinstance(sys.stdout, io.TextIOWrapper):  # buffered by line on a terminal, as a fresh process's
        sys.stdout.reconfigure(line_buffering=os.isatty(1))
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["environ"])
    os.environ[warm.CHILD] = "1"
    sys.argv = list(request["argv"])
    sys.path[0] = request["cwd"]
    code = 0
    try:
        runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        _flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)  # die of the signal, as an interrupted interpreter does
    except BaseException:  # noqa: BLE001  (what an uncaught exception does in a fresh interpreter)
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()
    _flush()
    os._exit(code)


def _closed(conn: socket.socket) -> bool:
    timeout = conn.gettimeout()
    conn.settimeout(0.0)  # a socket with a timeout would wait for data that never comes
    try:
        return conn.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    finally:
        conn.settimeout(timeout)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def _send(conn: socket.socket, message: dict[str, int]) -> None:
    with contextlib.suppress(OSError):  # the client is gone
        conn.sendall((json.dumps(message) + "\n").encode())


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _alive(owner: str) -> bool:
    """Whether the repro's `dvc` process (`<pid>-<create time>`) still runs."""
    import psutil

    pid, _, started = owner.partition("-")
    try:
        return f"{psutil.Process(int(pid)).create_time():.2f}" == started
    except (psutil.Error, ValueError):
        return False


if __name__ == "__main__":
    main()

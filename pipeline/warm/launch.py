"""Start a repro's warm workers (`python -m seqpipe.warm.launch`), from its first stage.

The first stage calls `start` and goes on with its own work; this process, in the background,
finds the Keras backend of each train stage the repro will run (as the stages will: params.yaml,
the plugin's recipe, `train.backend`), binds one listening socket per backend (and one for the
plain worker when a stage of seqpipe.warm.handoff.PLAIN_STAGES is still to run), starts a worker
on each and records which stage goes to which (`PLANNED`). A train stage reads that record
first thing, waiting while this process still runs, so a worker that will exist is never missed
and the stage hands itself over before reading params.yaml again. A setting it cannot resolve starts nothing: the stage
itself will report it.
"""
from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from seqpipe import warm

STATE_DIR = Path(".seqpipe") / "warm"
WAIT_SECONDS = 60.0  # at most, for the launcher to find the backends (a loaded machine, a slow disk)
LAUNCHER = STATE_DIR / "launcher.json"  # {"repro": key, "pid": the launcher's}
# {"repro": key, "workers": {"train@<arch>": backend, "plain": "plain"}}, once the sockets are bound
PLANNED = STATE_DIR / "workers.json"


def start(repro: str, plan: list[str], current: str) -> None:
    """Launch the workers for the stages in `plan` other than `current` (the stage already running
    does its own imports). Returns at once."""
    from seqpipe import atomic
    from seqpipe.warm.handoff import PLAIN_STAGES

    later = [stage for stage in plan if stage != current]
    archs = [stage.partition("@")[2] for stage in later if stage.startswith("train@")]
    plain = [warm.PLAIN] if any(stage.partition("@")[0] in PLAIN_STAGES for stage in later) else []
    if not (archs or plain) or not warm.enabled():
        return
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with open(STATE_DIR / "launch.log", "w", encoding="utf-8") as log:
        launcher = subprocess.Popen([sys.executable, "-m", "seqpipe.warm.launch", "--repro", repro, *plain, *archs],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
    atomic.write_json(LAUNCHER, {"repro": repro, "pid": launcher.pid})


def launching(repro: str) -> bool:
    """Whether this repro's launcher is still resolving backends and binding sockets."""
    import psutil

    try:
        state = json.loads(LAUNCHER.read_text(encoding="utf-8"))
        if state.get("repro") != repro:
            return False
        return psutil.Process(int(state["pid"])).status() != psutil.STATUS_ZOMBIE
    except (OSError, ValueError, KeyError, TypeError, psutil.Error):
        return False


def backends_for(archs: list[str]) -> dict[str, str]:
    """The backend each architecture's train stage will run on (those that can use a worker)."""
    from seqpipe.config.context import context
    from seqpipe.training import backends

    ctx = context()
    planned = {}
    for arch in archs:
        try:
            choice = ctx.architecture(arch)
            if choice.train().distribute == "none":  # distributed training never forks from a worker
                planned[arch] = backends.for_architecture(choice).name
        except Exception as exc:  # noqa: BLE001  (the stage reports it; a worker is only a speed-up)
            print(f"train@{arch}: no worker ({type(exc).__name__}: {exc})", flush=True)
    return planned


def planned_worker(repro: str, target: str) -> str | None:
    """The worker the launcher started for `target` (`train@<arch>`: its backend's; PLAIN) in this
    repro, waiting while it still works; None: no worker will run it."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        running = launching(repro)  # read first: if it has ended, its file is complete
        try:
            state = json.loads(PLANNED.read_text(encoding="utf-8"))
            if state.get("repro") == repro:
                return state["workers"].get(target)
        except (OSError, ValueError, KeyError, AttributeError):
            pass
        if not running or time.monotonic() > deadline:
            return None
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> None:
    from seqpipe import atomic, process

    ap = argparse.ArgumentParser(prog="python -m seqpipe.warm.launch")
    ap.add_argument("--repro", required=True)
    ap.add_argument("targets", nargs="+", help=f"architectures to train, and {warm.PLAIN} for the plain worker")
    args = ap.parse_args(argv)
    process.quiet_tensorflow()  # the environment a stage has when it looks for its worker
    archs = [target for target in args.targets if target != warm.PLAIN]
    planned = {f"train@{arch}": backend for arch, backend in backends_for(archs).items()}
    if warm.PLAIN in args.targets:
        planned[warm.PLAIN] = warm.PLAIN
    started = set()
    for worker in sorted(set(planned.values())):
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(warm.worker_address(args.repro, worker))
        except OSError as exc:  # taken: this repro's worker of that kind runs already
            print(f"{worker}: no worker ({exc})", flush=True)
            continue
        listener.listen(64)  # clients queue from now on; the worker accepts once its imports are done
        with open(STATE_DIR / f"{worker}.log", "w", encoding="utf-8") as log:
            subprocess.Popen([sys.executable, "-m", "seqpipe.warm.server", "--worker", worker, "--repro", args.repro,
                              "--fd", str(listener.fileno())], pass_fds=[listener.fileno()],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        listener.close()
        started.add(worker)
        print(f"started the {worker} worker", flush=True)
    atomic.write_json(PLANNED, {"repro": args.repro, "workers": {t: w for t, w in planned.items() if w in started}})


if __name__ == "__main__":
    main()

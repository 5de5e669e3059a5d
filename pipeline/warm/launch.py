"""Start a repro's warm workers (`python -m seqpipe.warm.launch`), from its first stage.

The first stage calls `start` and goes on with its own work; this process, in the background,
finds the Keras backend of each train stage the repro will run (as the stages will: params.yaml,
the plugin's recipe, `train.backend`), binds one listening socket per backend and starts a worker
on each. A train stage that starts while this process still runs waits for it (`launching`), so
a worker that will exist is never missed. A setting it cannot resolve starts nothing: the stage
itself will report it.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from seqpipe import warm

STATE_DIR = Path(".seqpipe") / "warm"
LAUNCHER = STATE_DIR / "launcher.json"  # {"repro": key, "pid": the launcher's}


def start(repro: str, plan: list[str], current: str) -> None:
    """Launch the workers for the train stages in `plan` other than `current` (a stage that is
    already running imports its own Keras). Returns at once."""
    from seqpipe import atomic

    archs = [stage.partition("@")[2] for stage in plan if stage.startswith("train@") and stage != current]
    if not archs or not warm.enabled():
        return
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with open(STATE_DIR / "launch.log", "w", encoding="utf-8") as log:
        launcher = subprocess.Popen([sys.executable, "-m", "seqpipe.warm.launch", "--repro", repro, *archs],
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


def backends_for(archs: list[str]) -> list[str]:
    """The backends these architectures' train stages will run on (those that can use a worker)."""
    from seqpipe.config.context import context
    from seqpipe.training import backends

    ctx = context()
    needed = set()
    for arch in archs:
        try:
            choice = ctx.architecture(arch)
            train = choice.train()
            if train.distribute != "none":
                continue
            needed.add(backends.choose(train.backend, arch, choice.architecture.backend, train.distribute).name)
        except Exception as exc:  # noqa: BLE001  (the stage reports it; a worker is only a speed-up)
            print(f"train@{arch}: no worker ({type(exc).__name__}: {exc})", flush=True)
    return sorted(needed)


def main(argv: list[str] | None = None) -> None:
    from seqpipe import process

    ap = argparse.ArgumentParser(prog="python -m seqpipe.warm.launch")
    ap.add_argument("--repro", required=True)
    ap.add_argument("archs", nargs="+")
    args = ap.parse_args(argv)
    process.quiet_tensorflow()  # the environment a train stage has when it looks for its worker
    for backend in backends_for(args.archs):
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(warm.address(args.repro, backend, {**os.environ, "KERAS_BACKEND": backend}))
        except OSError as exc:  # taken: this repro's worker for that backend runs already
            print(f"{backend}: no worker ({exc})", flush=True)
            continue
        listener.listen(64)  # clients queue from now on; the worker accepts once its imports are done
        with open(STATE_DIR / f"{backend}.log", "w", encoding="utf-8") as log:
            subprocess.Popen([sys.executable, "-m", "seqpipe.warm.server", "--backend", backend, "--repro", args.repro,
                              "--fd", str(listener.fileno())], pass_fds=[listener.fileno()],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        listener.close()
        print(f"started the {backend} worker", flush=True)


if __name__ == "__main__":
    main()

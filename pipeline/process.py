"""What every seqpipe process does around its work: quiet TensorFlow, parse arguments, exit fast."""
from __future__ import annotations

import argparse
import gc
import os

from seqpipe import layout


def parser(description: str | None, with_arch: bool = False) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--params", default=str(layout.PARAMS_FILE), help="params file (default: params.yaml)")
    if with_arch:
        ap.add_argument("--arch", required=True, help="architecture name from params.yaml")
    return ap


def quiet_tensorflow() -> None:
    """Keep TensorFlow's C++ start-up chatter out of stage logs (set before importing it)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def skip_final_collection() -> None:
    """Call as a process's last step: the interpreter then exits without a full garbage collection.

    Once TensorFlow and Keras are loaded, Python's shutdown spends 1-2 s collecting their ~500k
    objects, memory the OS takes back anyway (bench/shutdown.py). Frozen objects are not scanned;
    files are still flushed and closed and atexit handlers still run. Never call it in a process
    that goes on working (tests calling main()): it would keep garbage for the rest of its life.
    """
    gc.freeze()

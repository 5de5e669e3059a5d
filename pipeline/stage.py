"""What every stage does first (read and validate params.yaml, build the plugin registry) and last."""
from __future__ import annotations

import argparse
import gc
import os
from dataclasses import dataclass

from pipeline import checks
from pipeline import params as params_mod
from pipeline.experiment import ArchitectureChoice, DatasetChoice, validate_experiment
from pipeline.params import Params
from pipeline.registry import Registry, build_registry

PREPARED_DIR = "data/prepared"


@dataclass
class Context:
    params: Params
    registry: Registry
    dataset: DatasetChoice
    architectures: dict[str, ArchitectureChoice]


def context(params_file: str = params_mod.PARAMS_FILE) -> Context:
    """Validated params and plugins; fails with one line before any data or training work."""
    params = params_mod.load(params_file)
    registry = build_registry()
    dataset, choices = validate_experiment(params, registry, str(params_file))
    checks.check_experiment(params, dataset, choices, str(params_file))
    return Context(params, registry, dataset, {c.name: c for c in choices})


def parser(description: str, with_arch: bool = False) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--params", default=params_mod.PARAMS_FILE, help="params file (default: params.yaml)")
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

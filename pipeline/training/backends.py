"""Which Keras backend a stage process runs on: `train.backend` (auto | tensorflow | jax | torch).

Keras fixes its backend when it is first imported, from the KERAS_BACKEND environment variable; so
the train stage, the evaluate stage and `seqpipe predict` call `activate` before anything imports
keras. `auto` follows the architecture's measured preference (`Architecture(backend=...)`, from
bench/backends.py on CPU), and trains on TensorFlow where that backend is not installed, where a
GPU is present (the preferences were measured on CPU) or where `train.distribute` needs
tf.distribute. KERAS_BACKEND set by the user wins over `auto`, as it did before this setting.
The evaluate stage and `seqpipe predict` load a model on the backend it was trained on (recorded
as `backend` in models/<arch>.fit.json), so reruns score bit-identically per backend.

Importing this module imports neither keras nor a backend.
"""
from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from seqpipe.errors import ParamsError
from seqpipe.training import compilation_cache

if TYPE_CHECKING:
    from seqpipe.config.experiment import ArchitectureChoice

BACKENDS = ("tensorflow", "jax", "torch")
DEFAULT = "tensorflow"
# What to install for each backend (the project's extras where it has one).
INSTALL = {"tensorflow": "pip install tensorflow-cpu", "jax": "pip install -e '.[jax]'",
           "torch": "pip install torch"}


@dataclass(frozen=True)
class BackendChoice:
    name: str  # the Keras backend: tensorflow, jax or torch
    reason: str  # why, for the train log's one line

    def line(self) -> str:
        return f"keras backend: {self.name} ({self.reason})"


def installed(backend: str) -> bool:
    """Whether the backend's package can be imported here (without importing it)."""
    return importlib.util.find_spec(backend) is not None


def gpu_present(environ: Mapping[str, str] = os.environ) -> bool:
    """An NVIDIA GPU the process may use, seen without importing a backend (the driver's
    /proc entries, unless CUDA_VISIBLE_DEVICES hides every device)."""
    if environ.get("CUDA_VISIBLE_DEVICES", "unset").strip() in ("", "-1"):
        return False
    gpus = Path("/proc/driver/nvidia/gpus")
    return gpus.is_dir() and any(gpus.iterdir())


def choose(
    setting: str, arch: str, preferred: str | None, distribute: str = "none",
    environ: Mapping[str, str] = os.environ, is_installed: Callable[[str], bool] = installed,
    gpu: bool | None = None,
) -> BackendChoice:
    """The backend for training `arch` under `train.backend: setting`.

    `preferred` is the architecture's measured choice on CPU (None: none measured, TensorFlow).
    A named backend that is not installed is a ParamsError naming the key and the install command.
    """
    if setting != "auto":
        if not is_installed(setting):
            raise ParamsError(f"train.backend: {setting} is not installed here; {INSTALL[setting]}, "
                              f"or use one of: auto, {', '.join(b for b in BACKENDS if is_installed(b))}")
        env = environ.get("KERAS_BACKEND")
        return BackendChoice(setting, "train.backend" + (f", over KERAS_BACKEND={env}" if env and env != setting else ""))
    if environ.get("KERAS_BACKEND"):
        return BackendChoice(environ["KERAS_BACKEND"], "KERAS_BACKEND is set; train.backend: auto follows it")
    if preferred is None or preferred == DEFAULT:
        return BackendChoice(DEFAULT, "train.backend: auto")
    if distribute != "none":
        return BackendChoice(DEFAULT, f"train.backend: auto; train.distribute: {distribute} needs TensorFlow")
    if gpu_present(environ) if gpu is None else gpu:
        return BackendChoice(DEFAULT, f"train.backend: auto; {preferred}, fastest for {arch} on CPU, "
                             "was not measured on a GPU")
    if not is_installed(preferred):
        return BackendChoice(DEFAULT, f"train.backend: auto; {preferred}, measured fastest for {arch} on CPU "
                             f"(bench/backends.py), is not installed: {INSTALL[preferred]}")
    return BackendChoice(preferred, f"train.backend: auto; measured fastest for {arch} on CPU (bench/backends.py)")


def for_architecture(choice: ArchitectureChoice) -> BackendChoice:
    """The backend an architecture's stages train on, from its effective train settings: the one
    rule for train@<arch>, backtest cells and the warm workers' launcher."""
    train = choice.train()
    return choose(train.backend, choice.name, choice.architecture.backend, train.distribute)


def activate(choice: BackendChoice) -> BackendChoice:
    """Make Keras use the chosen backend in this process, and return the backend it runs on.

    Keras cannot switch once imported: where it already is (several runs in one process, a
    notebook), `auto`'s choice gives way to the loaded backend, and a named one is a ParamsError.
    """
    keras = sys.modules.get("keras")
    if keras is None:
        os.environ["KERAS_BACKEND"] = choice.name
        compilation_cache.configure(choice.name)
        return choice
    current = keras.backend.backend()
    if current == choice.name:
        return choice
    if choice.reason.startswith("train.backend,") or choice.reason == "train.backend":
        raise ParamsError(f"train.backend: {choice.name}, but keras is already imported on {current} in this process")
    return BackendChoice(current, f"keras was already imported on {current} in this process; {choice.reason}")


def trained_on(fit_summary: Path) -> str | None:
    """The backend recorded in a model's models/<arch>.fit.json (None: no file, or an older run)."""
    try:
        return json.loads(fit_summary.read_text(encoding="utf-8")).get("backend")
    except (OSError, ValueError, AttributeError):
        return None


def for_loading(fit_summary: Path) -> str | None:
    """The backend to load a saved model on: the one it was trained on, which KERAS_BACKEND does not
    override (the scores of a rerun stay bit-identical); None where that one is not installed here
    or no run recorded it (then KERAS_BACKEND's, or TensorFlow)."""
    backend = trained_on(fit_summary)
    return backend if backend in BACKENDS and installed(backend) else None


def activate_trained(fit_summary: Path) -> None:
    """Before loading a saved model: use `for_loading`'s backend."""
    backend = for_loading(fit_summary)
    if backend and "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = backend
        compilation_cache.configure(backend)

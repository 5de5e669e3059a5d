"""The one line a user sees when Keras has no backend to run on: which extra to install.

seqpipe-dvc's core dependencies hold no backend, so that the CPU and the CUDA builds of TensorFlow
(which install the same `tensorflow` package) never fight: `pip install "seqpipe-dvc[cpu]"` is
TensorFlow's CPU build (what `make install` uses), `[gpu]` TensorFlow with CUDA, `[jax]` JAX with
`KERAS_BACKEND=jax`. Without one, `seqpipe list`, `validate` and `leaderboard` work, and whatever
imports Keras ends with this line instead of an ImportError traceback (seqpipe.errors).
No import of keras or of a backend.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

# Keras' backend name -> the module it imports
BACKEND_MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch", "numpy": "numpy", "openvino": "openvino"}
EXTRAS = ('pip install "seqpipe-dvc[cpu]" (TensorFlow, CPU), "seqpipe-dvc[gpu]" (TensorFlow with CUDA, NVIDIA GPUs) '
          'or "seqpipe-dvc[jax]" (then export KERAS_BACKEND=jax)')


def keras_backend() -> tuple[str, str]:
    """The backend Keras will load and where that choice comes from, read as Keras reads it
    (KERAS_BACKEND, else `backend` in $KERAS_HOME/keras.json or ~/.keras/keras.json, else tensorflow)."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"], "KERAS_BACKEND"
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    try:
        chosen = json.loads((home / "keras.json").read_text(encoding="utf-8")).get("backend")
    except (OSError, ValueError, AttributeError):
        chosen = None
    if isinstance(chosen, str) and chosen:
        return chosen, str(home / "keras.json")
    return "tensorflow", "Keras' default"


def missing_backend(exc: ModuleNotFoundError) -> str | None:
    """The one-line message when `exc` is Keras' backend (or Keras itself) not being installed, else None."""
    top = (exc.name or "").partition(".")[0]
    if top == "keras":
        return f"Keras is not installed in this environment: {EXTRAS}"
    if top not in set(BACKEND_MODULES.values()) - {"numpy"}:
        return None
    backend, source = keras_backend()
    return (f"Keras' backend `{backend}` ({source}) needs the `{top}` package, which is not installed: "
            f"seqpipe-dvc installs no backend by itself; {EXTRAS}")


def require_keras() -> None:
    """Import Keras and its backend now, before a command that reports per item (per plugin, per
    check) would repeat a missing backend once per item: the ModuleNotFoundError reaches the
    command's handler (seqpipe.errors.user_errors_exit), which prints `missing_backend`'s line."""
    import keras  # noqa: F401

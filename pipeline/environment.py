"""Environment snapshot: the software and hardware that produced a run.

Written by each train stage to `environment/<arch>.json`: a DVC-tracked output, not a metric, so
`dvc metrics diff` never tries to subtract version strings. `evaluate@<arch>` declares the file as
a params file, so drift between two runs shows in `dvc params diff` and as columns of
`dvc exp show`. The report lists it and warns when the compared architectures were trained in
different environments; `seqpipe leaderboard` warns across experiments.
"""
from __future__ import annotations

import os
import platform
from importlib import metadata
from typing import Any

PACKAGES = ("tensorflow-cpu", "tensorflow", "keras", "dvc", "dvclive", "numpy", "scikit-learn", "pandas")
# Keys compared between runs: versions and backend can change scores, hardware and threads timings.
# (The kernel release is recorded but not compared. The interpreter path is left out: it differs
# between clones of one project and would make `dvc params diff` report noise.)
COMPARED_KEYS = (
    "python", "tensorflow", "keras", "dvc", "dvclive", "numpy", "scikit-learn", "pandas", "keras_backend",
    "keras_backend_version",
    "cpu", "cpu_count", "accelerator", "tf_threads_intra_op", "tf_threads_inter_op",
)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    """The CPU model name (Linux /proc/cpuinfo; platform.processor() elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def snapshot(with_devices: bool = True) -> dict[str, Any]:
    """Versions, Keras backend, CPU/GPU model and thread counts, with stable key order.

    `with_devices=False` skips asking the backend (TensorFlow or JAX) for GPUs (no import).
    """
    versions = {name: _version(name) for name in PACKAGES}
    tensorflow = versions.pop("tensorflow-cpu") or versions.pop("tensorflow")
    versions.pop("tensorflow", None)
    gpus: list[str] = []
    threads = {"intra_op": None, "inter_op": None}
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if with_devices:
        import keras

        backend = keras.backend.backend()
        if backend == "tensorflow":
            import tensorflow as tf

            for device in tf.config.list_physical_devices("GPU"):
                details = tf.config.experimental.get_device_details(device)
                gpus.append(details.get("device_name", device.name))
            threads = {
                "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
            }
        elif backend == "jax":  # no TensorFlow import: a JAX-only machine may not have it
            import jax

            gpus = [d.device_kind for d in jax.devices() if d.platform == "gpu"]
    return {
        "python": platform.python_version(),
        "tensorflow": tensorflow,
        **versions,
        "keras_backend": backend,
        # jax's or torch's version when Keras runs on one of them (TensorFlow's is "tensorflow")
        "keras_backend_version": tensorflow if backend == "tensorflow" else _version(backend),
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "accelerator": ", ".join(gpus) if gpus else "cpu",
        "tf_threads_intra_op": threads["intra_op"],  # 0 = TensorFlow picks (all cores)
        "tf_threads_inter_op": threads["inter_op"],
    }


def differences(fingerprints: dict[str, dict[str, Any]], keys: tuple[str, ...] = COMPARED_KEYS) -> dict[str, dict]:
    """For each key in `keys` whose value differs between runs: {run name: value}."""
    out: dict[str, dict] = {}
    for key in keys:
        values = {name: fp.get(key) for name, fp in fingerprints.items()}
        if len({str(v) for v in values.values()}) > 1:
            out[key] = values
    return out


# Keys that follow the Keras backend: `train.backend: auto` trains each architecture on the backend
# measured fastest for it, so across backends these differ by design; they are compared only
# between runs on the same backend (the backend itself is named once by `backend_groups`).
BACKEND_KEYS = ("keras_backend", "keras_backend_version", "tf_threads_intra_op", "tf_threads_inter_op")


def backend_groups(fingerprints: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """{Keras backend: the runs trained on it}, in the runs' order."""
    groups: dict[str, list[str]] = {}
    for name, fp in fingerprints.items():
        groups.setdefault(str(fp.get("keras_backend") or "tensorflow"), []).append(name)
    return groups


def differences_beyond_backends(fingerprints: dict[str, dict[str, Any]]) -> dict[str, dict]:
    """`differences`, with the backend's own keys compared only between runs on the same backend."""
    out = differences(fingerprints, tuple(k for k in COMPARED_KEYS if k not in BACKEND_KEYS))
    for members in backend_groups(fingerprints).values():
        same_backend = {name: fingerprints[name] for name in members}
        for key, values in differences(same_backend, BACKEND_KEYS).items():
            out.setdefault(key, {}).update(values)
    return out


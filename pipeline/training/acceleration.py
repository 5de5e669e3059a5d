"""Training speed and scale: thread settings, XLA, mixed precision, tf.distribute, cuDNN checks.

Generic by design: the core never names an architecture. An architecture's measured XLA choice
arrives as `Architecture.jit_compile`; the cuDNN check inspects the built Keras layers.
Importing this module imports neither keras nor TensorFlow (`seqpipe validate` stays fast).
"""
from __future__ import annotations

import functools
import json
import math
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any

from seqpipe.errors import ParamsError, one_line

# XLA compiles once per batch shape, which shorter runs do not win back: below this many training
# steps (epochs x batches per epoch) `jit_compile: auto` trains without it (the break-even points
# measured by bench/tuning_jit.py are in bench/RESULTS.md).
JIT_MIN_STEPS = 800
# ... and at least this many per epoch: XLA's gain is the compiled loop of `steps_per_execution` (16)
# steps; a small dataset's epoch of 3 steps is one short call, and the Transformer trained 1.3-1.4x slower
# with XLA on ArrowHead (1002 steps in 334 epochs; bench/RESULTS.md, "Fixed costs, round 3").
JIT_MIN_STEPS_PER_EPOCH = 16


def warn(message: str) -> None:
    """One line on stderr, in the same form as seqpipe's errors."""
    print(f"seqpipe: warning: {one_line(message)}", file=sys.stderr, flush=True)


def tensorflow_backend() -> bool:
    """Whether Keras runs on TensorFlow (KERAS_BACKEND unset or "tensorflow"), not e.g. JAX."""
    import keras

    return keras.backend.backend() == "tensorflow"


# ---- threads -------------------------------------------------------------------------------

def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def configure_threads(cores: int | None = None) -> int | None:
    """Use every available core for TensorFlow's intra- and inter-op thread pools.

    Must run before TensorFlow executes its first op; later it changes nothing (returns None).
    """
    if not tensorflow_backend():
        return None
    import tensorflow as tf

    cores = cores or available_cores()
    try:
        tf.config.threading.set_intra_op_parallelism_threads(cores)
        tf.config.threading.set_inter_op_parallelism_threads(cores)
    except RuntimeError:  # the runtime is already initialised (tests, notebooks): keep its pools
        return None
    return cores


# ---- devices -------------------------------------------------------------------------------

def gpu_visible() -> bool:
    """Whether the Keras backend sees a GPU."""
    if tensorflow_backend():
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    import keras

    if keras.backend.backend() == "jax":
        import jax

        return any(d.platform == "gpu" for d in jax.devices())
    return False


# ---- XLA -----------------------------------------------------------------------------------

def resolve_jit(setting: bool | str, hint: bool | None, steps: int | None, gpu: bool,
                steps_per_epoch: int | None = None) -> bool | str:
    """The `jit_compile` to compile with: True, False, or "auto" (Keras decides).

    `setting` is `train.jit_compile`; True/False are the user's word. "auto" follows the
    architecture's measured `hint` on CPU when the run has at least JIT_MIN_STEPS training steps
    (`steps`; None = unknown, i.e. short) and, where known, JIT_MIN_STEPS_PER_EPOCH steps per epoch;
    on a GPU, or without a hint, Keras' own "auto" decides.
    The hints were measured on TensorFlow, so callers pass None on other backends (`jit_hint`).
    """
    if isinstance(setting, bool):
        return setting
    if gpu or hint is None:
        return "auto"
    per_epoch_ok = steps_per_epoch is None or steps_per_epoch >= JIT_MIN_STEPS_PER_EPOCH
    return bool(hint) and steps is not None and steps >= JIT_MIN_STEPS and per_epoch_ok


def jit_hint(measured: bool | None) -> bool | None:
    """An architecture's measured XLA choice where it applies: on TensorFlow, whose graph mode it
    was measured against. On JAX every train step is jit-compiled (XLA) by design, and without it
    Keras runs the step op by op, many times slower; there "auto" lets Keras compile (None)."""
    return measured if tensorflow_backend() else None


def training_steps(n_train: int | None, batch_size: int, epochs: int) -> int | None:
    """Optimizer steps of a full run (None when the training-set size is unknown)."""
    if not n_train:
        return None
    return epochs * math.ceil(n_train / batch_size)


def force_jit(model: Any) -> None:
    """Turn XLA on for a compiled model.

    Keras turns `jit_compile=True` into False whenever TensorFlow op determinism is on (which
    seqpipe enables for reproducible metrics). XLA on CPU gives the same numbers run after run,
    so the flag is set directly; fit() falls back without XLA when compilation fails.
    """
    if tensorflow_backend():
        model._jit_compile = True
        model.train_function = model.test_function = model.predict_function = None
    else:
        model.jit_compile = True


_NOISE = ("graph execution error", "detected at node", "<stack traces", "[[", "tf2xla", "file ", "exception encountered")


def error_reason(exc: BaseException, width: int = 200) -> str:
    """The informative line of a TensorFlow error (e.g. "MaxPool gradient ops do not yet have a
    deterministic XLA implementation."), not its "Graph execution error:" preamble."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    useful = [line for line in lines if not line.lower().startswith(_NOISE)]
    return one_line((useful or lines or [""])[0])[:width]


def without_jit(model: Any) -> None:
    """Recompile `model` without XLA: a fresh optimizer, the same loss, metrics and weights."""
    config = model.get_compile_config()
    config["jit_compile"] = False
    strategy_scope = model.distribute_strategy.scope() if tensorflow_backend() else nullcontext()
    with strategy_scope:
        model.compile_from_config(config)


# ---- precision -----------------------------------------------------------------------------

@contextmanager
def dtype_policy(name: str) -> Iterator[None]:
    """Layers created inside use the Keras dtype policy `name`; the global policy is restored after.

    Task heads pass `dtype="float32"`, so outputs and losses stay float32; Keras wraps the
    optimizer in a LossScaleOptimizer at compile time for "mixed_float16".
    """
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


# ---- distribution --------------------------------------------------------------------------

TF_CONFIG_EXAMPLE = (
    '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}'
)


def read_tf_config(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """TF_CONFIG, parsed and checked; a ParamsError in one line when it is missing or invalid."""
    where = "train.distribute: multi_worker needs the TF_CONFIG environment variable"
    raw = environ.get("TF_CONFIG", "").strip()
    if not raw:
        raise ParamsError(f"{where}; it is not set (example: TF_CONFIG='{TF_CONFIG_EXAMPLE}')")
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ParamsError(f"{where}: not valid JSON ({exc.msg} at character {exc.pos})") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not cluster.get("worker"):
        raise ParamsError(f"{where}: 'cluster' must map 'worker' to a list of host:port (example: {TF_CONFIG_EXAMPLE})")
    for role, hosts in cluster.items():
        if role not in ("chief", "worker", "evaluator") or not isinstance(hosts, list) or not all(
            isinstance(h, str) and ":" in h for h in hosts
        ):
            raise ParamsError(f"{where}: cluster.{role}: expected a list of 'host:port' for chief or worker, got {hosts!r}")
    if not isinstance(task, dict) or task.get("type") not in cluster:
        raise ParamsError(f"{where}: task.type must be one of {', '.join(cluster)}, got {task!r}")
    index = task.get("index")
    if not isinstance(index, int) or not 0 <= index < len(cluster[task["type"]]):
        raise ParamsError(
            f"{where}: task.index must be 0..{len(cluster[task['type']]) - 1} for '{task['type']}', got {index!r}"
        )
    return config


def is_chief(distribute: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this process writes the outputs: always, except on multi_worker's non-chief workers."""
    if distribute != "multi_worker":
        return True
    config = read_tf_config(environ)
    task = config["task"]
    if "chief" in config["cluster"]:
        return task["type"] == "chief"
    return task["type"] == "worker" and task["index"] == 0


def check_distribute(distribute: str, environ: Mapping[str, str] = os.environ) -> None:
    """Fail in one line before any work when the strategy cannot start."""
    if distribute == "multi_worker":
        read_tf_config(environ)


@functools.cache
def strategy(distribute: str) -> Any:
    """The tf.distribute strategy for `train.distribute` (one per process); None for "none".

    mirrored: every GPU of this machine, or every logical CPU device when there is no GPU.
    multi_worker: MultiWorkerMirroredStrategy over the machines in TF_CONFIG.
    """
    if distribute == "none":
        return None
    if not tensorflow_backend():
        raise ParamsError(f"train.distribute: {distribute} needs the TensorFlow backend (KERAS_BACKEND=tensorflow)")
    import tensorflow as tf

    if distribute == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy(devices=[d.name for d in devices])
    read_tf_config()
    return tf.distribute.MultiWorkerMirroredStrategy()


def scope(distribute: str) -> Any:
    """The strategy's scope (variables are mirrored), or a no-op context for "none"."""
    chosen = strategy(distribute)
    return chosen.scope() if chosen is not None else nullcontext()


def replicas(distribute: str) -> int:
    """Replicas in sync: the factor from per-replica `batch_size` to the global batch."""
    chosen = strategy(distribute)
    return int(chosen.num_replicas_in_sync) if chosen is not None else 1


def prepare_fit(model: Any, x: Any, y: Any) -> None:
    """Build the model's metrics and optimizer before fit() under MultiWorkerMirroredStrategy.

    Keras 3's fit() first averages one distributed batch across workers to build them, which
    fails eagerly under MultiWorkerMirroredStrategy ("unsupported type PerReplica",
    keras-team/keras#20585). Building from a local batch instead and skipping that step works.
    """
    if not tensorflow_backend():
        return
    import tensorflow as tf

    if isinstance(model.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy):
        with model.distribute_strategy.scope():
            model._symbolic_build(data_batch=(x[:1], y[:1]))
        model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None
        _patch_multi_worker_mean()


@functools.cache
def _patch_multi_worker_mean() -> None:
    """Keras 3 averages each worker's scalar metrics with `reduce("MEAN", v, axis=0)`, which fails
    for scalars ("Invalid reduction dimension 0"); scalars are averaged with axis=None instead."""
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer

    original = trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            def mean(v):
                if isinstance(v, tf.distribute.DistributedValues) or getattr(v, "shape", None) is None or v.shape.rank:
                    return original(v, strategy, reduction)
                return strategy.reduce("MEAN", v, axis=None)
            return tf.nest.map_structure(mean, values)
        return original(values, strategy, reduction)

    trainer.reduce_per_replica = reduce_per_replica


@contextmanager
def input_pipeline_without_autotune() -> Iterator[None]:
    """Inside, the tf.data pipelines Keras builds from numpy arrays run without tf.data's autotuning.

    With autotuning on, fits often returned late after their last callback, while Keras destroyed
    the epoch iterator and waited for the autotuning thread; with it off none did, epochs were no
    slower and the numbers identical (bench/teardown.py; bench/RESULTS.md). Other backends feed
    numpy directly, so this only applies on TensorFlow.
    """
    if not tensorflow_backend():
        yield
        return
    import tensorflow as tf
    from keras.src.trainers.data_adapters import array_data_adapter

    adapter = array_data_adapter.ArrayDataAdapter
    original = adapter.get_tf_dataset

    def get_tf_dataset(self):
        options = tf.data.Options()
        options.autotune.enabled = False
        return original(self).with_options(options)

    adapter.get_tf_dataset = get_tf_dataset
    try:
        yield
    finally:
        adapter.get_tf_dataset = original


# ---- cuDNN ---------------------------------------------------------------------------------

def _layers(model: Any) -> Iterator[Any]:
    """Every layer of a model, nested ones (Bidirectional, sub-models) included."""
    stack = list(getattr(model, "layers", []))
    while stack:
        layer = stack.pop(0)
        yield layer
        stack.extend(getattr(layer, "layers", []) or [])
        stack.extend(x for x in (getattr(layer, "forward_layer", None), getattr(layer, "backward_layer", None)) if x)


def cudnn_problems(model: Any, masked_pre_padding: bool = False) -> list[str]:
    """Why each keras LSTM/GRU layer of `model` cannot use the fused cuDNN kernel ([] if all can).

    Keras takes the cuDNN path only with activation tanh, recurrent_activation sigmoid,
    recurrent_dropout 0, unroll False, use_bias True (GRU: reset_after True), and masks that
    are right-padded.
    """
    import keras

    problems = []
    for layer in _layers(model):
        if not isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)):
            continue
        cell = layer.cell
        reasons = []
        for attr, want in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
            got = keras.activations.serialize(getattr(cell, attr))
            got = got if isinstance(got, str) else got.get("config", got)
            if got != want:
                reasons.append(f"{attr}={got} (needs {want})")
        if cell.recurrent_dropout:
            reasons.append(f"recurrent_dropout={cell.recurrent_dropout} (needs 0)")
        if layer.unroll:
            reasons.append("unroll=True (needs False)")
        if not cell.use_bias:
            reasons.append("use_bias=False (needs True)")
        if isinstance(layer, keras.layers.GRU) and not cell.reset_after:
            reasons.append("reset_after=False (needs True)")
        if masked_pre_padding and layer.supports_masking:
            reasons.append("masked pre-padded inputs (needs data.padding: post)")
        if reasons:
            problems.append(f"layer '{layer.name}': {', '.join(reasons)}")
    return problems


def check_cudnn(model: Any, masked_pre_padding: bool = False, gpu: bool | None = None) -> list[str]:
    """On a GPU, one warning line naming the recurrent layers that miss the cuDNN kernel.

    Keras' cuDNN path asserts at run time on masks that are not right-padded, so with masked
    pre-padded inputs the LSTM/GRU layers are switched to the generic kernel (`use_cudnn=False`).
    """
    import keras

    gpu = gpu_visible() if gpu is None else gpu
    problems = cudnn_problems(model, masked_pre_padding) if gpu else []
    if gpu and masked_pre_padding:
        for layer in _layers(model):
            if isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)):
                layer.use_cudnn = False
    if problems:
        warn(
            f"model '{model.name}' cannot use the fused cuDNN kernel on this GPU ({'; '.join(problems)}); "
            "it trains several times slower"
        )
    return problems

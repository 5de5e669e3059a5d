"""Assemble a trainable model: input, token embedding and masking (core), encoder (plugin),
head, loss and optimizer (core). The only module that calls a plugin's `build`."""
from __future__ import annotations

import zipfile
from typing import Any

from seqpipe import tasks
from seqpipe.config import budget
from seqpipe.config.experiment import ArchitectureChoice
from seqpipe.config.params import TrainParams
from seqpipe.data import differencing
from seqpipe.data.spec import PreparedSpec
from seqpipe.errors import DataError, PluginError, one_line
from seqpipe.specs import InputSpec
from seqpipe.training import acceleration, schedules


def check_supported(choice: ArchitectureChoice, spec: PreparedSpec) -> None:
    arch = choice.architecture
    if spec.task not in arch.tasks:
        raise PluginError(
            f"architecture '{choice.name}' does not support task '{spec.task}'; it supports: {', '.join(arch.tasks)}"
        )
    if spec.input_kind not in arch.input_kinds:
        raise PluginError(
            f"architecture '{choice.name}' does not accept {spec.input_kind} inputs; "
            f"it accepts: {', '.join(arch.input_kinds)}"
        )


def build_model(choice: ArchitectureChoice, spec: PreparedSpec, train: TrainParams) -> Any:
    """A compiled keras.Model for the prepared data described by `spec` (forecasts: with the
    differencing `train.difference` asks, seqpipe.data.differencing.for_model)."""
    check_supported(choice, spec)
    spec = differencing.for_choice(choice, spec, train.difference)
    gpu = acceleration.gpu_visible()
    batch = train.batch_size * acceleration.replicas(train.distribute)
    # train.epochs may be "auto": the cosine schedule and the XLA choice need the planned epochs
    epochs = budget.plan(train, spec.sizes.train, spec.sizes.val, batch, spec.task).epochs
    steps = acceleration.training_steps(spec.sizes.train, batch, epochs)
    per_epoch = acceleration.training_steps(spec.sizes.train, batch, 1)
    jit = acceleration.resolve_jit(train.jit_compile, acceleration.jit_hint(choice.architecture.jit_compile), steps, gpu,
                                   steps_per_epoch=per_epoch)
    with acceleration.scope(train.distribute), acceleration.dtype_policy(train.precision):
        model = _assemble(choice, spec, train, jit_compile=False if jit is True else jit, steps=steps)
    if jit is True:
        acceleration.force_jit(model)
    masked_pre = spec.padding.padded and spec.padding.side == "pre"
    acceleration.check_cudnn(model, masked_pre_padding=masked_pre and choice.architecture.supports_masking, gpu=gpu)
    return model


def learning_rate(train: TrainParams, steps: int | None) -> Any:
    """`train.learning_rate`, or its schedule over the run (seqpipe.training.schedules)."""
    return schedules.learning_rate(train, steps)


def _assemble(
    choice: ArchitectureChoice, spec: PreparedSpec, train: TrainParams, jit_compile: bool | str,
    steps: int | None = None
) -> Any:
    """Inputs, (token embedding and masking), the plugin's encoder, the task head; compiled."""
    import keras
    from keras import layers

    from seqpipe.training import covariate_inputs, quantile_head, window_norm

    arch = choice.architecture
    timesteps = spec.timesteps
    padded = spec.padding.padded
    masked = arch.supports_masking and padded
    if spec.tokens:
        inputs = keras.Input(shape=(timesteps,), dtype="int32", name="tokens")
        x = layers.Embedding(
            spec.vocab_size, train.embedding_dim, mask_zero=masked, name="embedding"
        )(inputs)
        features = train.embedding_dim
    else:
        # forecasts with covariates: the horizon's steps too
        inputs = keras.Input(shape=(covariate_inputs.input_steps(spec), spec.features), dtype="float32", name="series")
        # prepare keeps padded steps at exactly the padding value, also after scaling.
        pad_value = float(spec.padding.value)
        x = layers.Masking(mask_value=pad_value, name="masking")(inputs) if masked else inputs
        features = spec.features
    x, past, extra = covariate_inputs.split(x, spec)  # forecast covariates: beside the series, and to the head
    x, window_stats = window_norm.normalize(x, spec)  # forecasts: each window's own level and spread
    if past is not None:
        x = covariate_inputs.encoder_input(x, past)
        features = int(x.shape[-1])

    input_spec = InputSpec(timesteps=timesteps, features=features, masked=masked)
    try:
        encoder = arch.build(input_spec, choice.hp)
    except Exception as exc:
        raise PluginError(f"plugin '{choice.name}': build() raised {type(exc).__name__}: {one_line(str(exc))}") from None
    if not callable(encoder):
        raise PluginError(
            f"plugin '{choice.name}': build() returned {type(encoder).__name__}, expected a keras Layer "
            "or a callable on keras tensors"
        )
    try:
        encoded = encoder(x)
    except Exception as exc:
        raise PluginError(
            f"plugin '{choice.name}': the encoder failed on input (batch, {timesteps}, {features}): "
            f"{type(exc).__name__}: {one_line(str(exc))}"
        ) from None
    if not isinstance(encoded, keras.KerasTensor):
        raise PluginError(
            f"plugin '{choice.name}': the encoder returned {type(encoded).__name__}, expected a keras tensor"
        )
    if len(encoded.shape) != 2:
        raise PluginError(
            f"plugin '{choice.name}': the encoder must return (batch, units), got shape {tuple(encoded.shape)}"
        )
    encoded = covariate_inputs.head_input(encoded, extra)
    task = tasks.get(spec.task)
    levels = train.quantiles if spec.task == "forecast" else None  # checks.check_quantiles refuses other tasks
    head = task.head(encoded, spec) if levels is None else quantile_head.head(encoded, spec, levels)
    head = window_norm.linear_skip(head, x, spec)  # forecasts: DLinear-style skip
    outputs = window_norm.restore(head, window_stats, spec)
    model = keras.Model(inputs, outputs, name=choice.name)
    model.compile(
        optimizer=schedules.optimizer(train, steps),
        loss=task.loss if levels is None else quantile_head.PinballLoss(levels),
        # the point metrics (mae) do not apply to a (batch, horizon, levels) output; the loss is the pinball loss
        metrics=list(task.keras_metrics) if levels is None else [],
        jit_compile=jit_compile,
        # Keras' multi-step loop fails under tf.distribute (InvalidArgumentError in the mirrored and
        # multi-worker tests), so distributed runs call the graph once per batch; Keras' PyTorch
        # backend runs eagerly and accepts only 1.
        steps_per_execution=train.steps_per_execution if train.distribute == "none" and keras.backend.backend() != "torch" else 1,
    )
    return model


def load_model(path: str, custom_objects: dict | None = None) -> Any:
    """Load a saved model in Keras safe mode (no arbitrary code from the file)."""
    import keras

    # registers the normalisation, quantile and recursive layers for safe mode
    from seqpipe.training import covariate_inputs, quantile_head, recursive, window_norm  # noqa: F401

    try:
        return keras.saving.load_model(path, custom_objects=custom_objects, safe_mode=True, compile=False)
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:  # not a .keras file, truncated, unsafe
        raise DataError(f"{path}: cannot load as a Keras model: {one_line(str(exc))[:300]}") from None

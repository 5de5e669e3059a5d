"""Speed and scale settings: train.jit_compile, train.precision, train.distribute, cuDNN checks.

Distribution runs in subprocesses (tests/distributed_run.py): logical CPU devices and
multi-worker strategies must be set up before TensorFlow starts.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import socket
import subprocess
import sys

import numpy as np
import pytest
from pydantic import BaseModel

from seqpipe import Architecture, ParamsError
from seqpipe.config.experiment import ArchitectureChoice
from seqpipe.config.params import TrainParams, validate
from seqpipe.data.spec import PreparedSpec, SplitCounts
from seqpipe.registry import build_registry
from seqpipe.training import acceleration
from seqpipe.training.fit import fit, seed_everything
from seqpipe.training.model import build_model
from tests import distributed_run
from tests.conftest import env

REGISTRY = build_registry()
HELPER = distributed_run.__file__
TINY = dict(epochs=1, batch_size=8, patience=0, embedding_dim=4)


def _spec(train_size: int | None = None) -> PreparedSpec:
    sizes = SplitCounts(train=train_size, val=8, test=8) if train_size else SplitCounts()
    return PreparedSpec(task="regression", input_kind="numeric", timesteps=6, features=2, sizes=sizes)


def _data(n: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 6, 2)).astype(np.float32)
    return x, x[:, :, 0].mean(axis=1).astype(np.float32)


def _lstm(**train) -> tuple[ArchitectureChoice, TrainParams]:
    arch = REGISTRY.architecture("lstm")
    return ArchitectureChoice("lstm", arch, arch.params(units=4)), TrainParams(**{**TINY, **train})


class _NoParams(BaseModel):
    pass


def test_the_new_train_settings_validate_and_bad_values_are_one_line():
    t = TrainParams()
    assert (t.jit_compile, t.precision, t.distribute) == ("auto", "float32", "none")
    assert TrainParams(jit_compile="true").jit_compile is True  # `-S train.jit_compile=true`
    assert TrainParams(jit_compile=False).jit_compile is False
    for key, value, allowed in [("jit_compile", "fast", "'auto', True or False"),
                                ("precision", "float16", "'mixed_float16'"),
                                ("distribute", "tpu", "'multi_worker'")]:
        with pytest.raises(ParamsError) as err:
            validate(TrainParams, {key: value}, prefix="train")
        assert f"train.{key}:" in str(err.value) and allowed in str(err.value) and "\n" not in str(err.value)


def test_jit_auto_follows_the_measured_hint_only_for_runs_long_enough_to_repay_compiling():
    long, short = acceleration.JIT_MIN_STEPS, acceleration.JIT_MIN_STEPS - 1
    assert acceleration.resolve_jit("auto", True, long, gpu=False) is True
    assert acceleration.resolve_jit("auto", True, short, gpu=False) is False
    assert acceleration.resolve_jit("auto", False, long, gpu=False) is False
    assert acceleration.resolve_jit("auto", None, long, gpu=False) == "auto"  # unmeasured: Keras decides
    assert acceleration.resolve_jit("auto", True, long, gpu=True) == "auto"
    assert acceleration.resolve_jit(False, True, long, gpu=False) is False
    # A small dataset reaches the steps through many short epochs: XLA's compiled loop does not pay there.
    few = acceleration.JIT_MIN_STEPS_PER_EPOCH - 1
    assert acceleration.resolve_jit("auto", True, long, gpu=False, steps_per_epoch=few) is False
    assert acceleration.resolve_jit("auto", True, long, gpu=False, steps_per_epoch=few + 1) is True
    assert acceleration.resolve_jit(True, True, long, gpu=False, steps_per_epoch=few) is True
    # Through build_model: a hinted architecture on a long run compiles with XLA, a tiny one without,
    # and so does a small dataset's run of as many steps in short epochs.
    choice, train = _lstm(epochs=100)
    choice = ArchitectureChoice("lstm", dataclasses.replace(choice.architecture, jit_compile=True), choice.hp)
    assert build_model(choice, _spec(train_size=16 * train.batch_size), train).jit_compile is True
    assert build_model(choice, _spec(train_size=None), train).jit_compile is False
    assert build_model(choice, _spec(train_size=4 * train.batch_size), train.model_copy(update={"epochs": 400})
                       ).jit_compile is False


def test_a_model_xla_cannot_compile_falls_back_with_one_warning_and_prints_one_line_per_epoch(capsys):
    def build(spec, hp):
        import keras
        import tensorflow as tf  # a test double: numpy_function has no XLA kernel

        def host_only(t):
            out = tf.numpy_function(lambda a: a * 2.0, [t], tf.float32, stateful=False)
            out.set_shape(t.shape)
            return out

        def encoder(x):
            x = keras.layers.Lambda(host_only, output_shape=lambda s: s)(x)
            return keras.layers.GlobalAveragePooling1D()(keras.layers.Dense(3)(x))

        return encoder

    arch = Architecture("hostop", build, _NoParams)
    train = TrainParams(**{**TINY, "jit_compile": True, "epochs": 2})
    seed_everything(0)
    model = build_model(ArchitectureChoice("hostop", arch, _NoParams()), _spec(), train)
    assert model.jit_compile is True
    x, y = _data()
    summary = fit(model, (x, y), (x[:8], y[:8]), train)
    assert summary.epochs_run == 2 and model.jit_compile is False
    out, err = capsys.readouterr()
    warnings = [line for line in err.splitlines() if line.startswith("seqpipe: warning:")]
    assert len(warnings) == 1 and "train.jit_compile" in warnings[0] and "'hostop'" in warnings[0]
    assert "training without XLA" in warnings[0]
    epochs = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert [line.split(" - ")[0] for line in epochs] == ["epoch 1/2", "epoch 2/2"]
    assert "val_loss" in epochs[-1]


def test_fit_feeds_keras_without_tf_data_autotuning_and_reports_its_tear_down():
    """tf.data's autotuning thread made about one fit() in three return 0.1-1.2 s after training
    ended (and took CPU from 2-core epochs): fit turns it off for its own input pipelines only."""
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

    x, y = _data()
    with acceleration.input_pipeline_without_autotune():
        assert ArrayDataAdapter(x, y, batch_size=4, shuffle=True).get_tf_dataset().options().autotune.enabled is False
    assert ArrayDataAdapter(x, y, batch_size=4, shuffle=True).get_tf_dataset().options().autotune.enabled is not False

    arch = Architecture("pooled", lambda spec, hp: _pooled_encoder, _NoParams)
    train = TrainParams(**{**TINY, "epochs": 1})
    model = build_model(ArchitectureChoice("pooled", arch, _NoParams()), _spec(), train)
    summary = fit(model, (x, y), (x[:8], y[:8]), train, verbose=0)
    assert 0.0 <= summary.teardown_seconds < 5.0
    assert ArrayDataAdapter.get_tf_dataset.__module__.startswith("keras")  # restored after fit


def _pooled_encoder(x):
    import keras

    return keras.layers.GlobalAveragePooling1D()(keras.layers.Dense(3)(x))


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_computes_in_half_precision_with_a_float32_output(policy):
    import keras

    choice, train = _lstm(precision=policy, jit_compile=False)
    seed_everything(0)
    model = build_model(choice, _spec(), train)
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    lstm = next(layer for layer in model.layers if isinstance(layer, keras.layers.LSTM))
    assert lstm.compute_dtype == policy.split("_")[1] and lstm.variable_dtype == "float32"
    assert model.outputs[0].dtype == "float32"
    if policy == "mixed_float16":  # Keras adds dynamic loss scaling itself
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        return
    x, y = _data()
    loss = model.train_on_batch(x, y)
    assert np.isfinite(loss).all() and model.predict(x, verbose=0).dtype == np.float32


def test_cudnn_warning_names_each_setting_that_rules_the_fused_kernel_out(capsys):
    def build(spec, hp):
        from keras import layers

        def encoder(x):
            x = layers.LSTM(3, recurrent_dropout=0.2, return_sequences=True)(x)
            x = layers.Bidirectional(layers.GRU(3, reset_after=False))(x)
            return layers.Dense(2)(x)

        return encoder

    arch = Architecture("slowrnn", build, _NoParams, supports_masking=True)
    model = build_model(ArchitectureChoice("slowrnn", arch, _NoParams()), _spec(), TrainParams(**TINY))
    assert capsys.readouterr().err == ""  # no GPU here: nothing to warn about
    problems = acceleration.check_cudnn(model, masked_pre_padding=True, gpu=True)
    err = capsys.readouterr().err.strip()
    assert err.startswith("seqpipe: warning: model 'slowrnn' cannot use the fused cuDNN kernel") and "\n" not in err
    assert "recurrent_dropout=0.2 (needs 0)" in err and "reset_after=False (needs True)" in err
    assert "data.padding: post" in err and len(problems) == 3  # the LSTM and both GRU directions
    choice, _ = _lstm()
    default = build_model(choice, _spec(), TrainParams(**TINY))
    assert acceleration.cudnn_problems(default) == []  # the built-in RNN defaults are cuDNN-eligible


def test_multi_worker_without_a_usable_tf_config_is_one_line():
    worker = '{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": %s}}'
    cases = [({}, "it is not set"), ({"TF_CONFIG": "{"}, "not valid JSON"),
             ({"TF_CONFIG": '{"cluster": {}}'}, "'cluster' must map 'worker'"),
             ({"TF_CONFIG": worker % 2}, "task.index must be 0..1")]
    for environ, reason in cases:
        with pytest.raises(ParamsError) as err:
            acceleration.check_distribute("multi_worker", environ)
        assert str(err.value).startswith("train.distribute: multi_worker needs") and reason in str(err.value)
    acceleration.check_distribute("none", {})
    assert acceleration.is_chief("multi_worker", {"TF_CONFIG": worker % 0})
    assert not acceleration.is_chief("multi_worker", {"TF_CONFIG": worker % 1})


# Distributed and single-device training see the same global batches in the same order, so they
# differ only by float32 summation order across replicas: measured |relative difference| ~1.3e-4
# after two epochs. 1e-3 leaves room for other CPUs; a wrong per-replica batch scaling or a
# replica training on its own would be off by several percent.
RTOL = 1e-3


@functools.cache
def _single_device() -> list[dict[str, float]]:
    """Single-device training with the distributed runs' global batch (2 replicas x 16)."""
    return distributed_run.history("none", 32)


def _assert_matches_single_device(result: dict) -> None:
    assert result["replicas"] == 2
    for single, distributed in zip(_single_device(), result["history"], strict=True):
        for key in ("loss", "val_loss"):
            assert distributed[key] == pytest.approx(single[key], rel=RTOL), key


def test_mirrored_over_two_cpu_devices_matches_single_device_training(tmp_path):
    out = tmp_path / "mirrored.json"
    subprocess.run([sys.executable, str(HELPER), "mirrored", "16", str(out), "--cpus", "2"],
                   check=True, env=env(), capture_output=True, timeout=300)
    _assert_matches_single_device(json.loads(out.read_text()))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_multi_worker_as_two_local_processes_matches_single_device_training(tmp_path):
    cluster = {"worker": [f"127.0.0.1:{_free_port()}", f"127.0.0.1:{_free_port()}"]}
    workers = [
        subprocess.Popen(
            [sys.executable, str(HELPER), "multi_worker", "16", str(tmp_path / f"worker{i}.json")],
            env={**env(), "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for i in range(2)
    ]
    for worker in workers:
        output, _ = worker.communicate(timeout=300)
        assert worker.returncode == 0, output[-2000:]
    assert not (tmp_path / "worker1.json").exists()  # only the chief writes
    _assert_matches_single_device(json.loads((tmp_path / "worker0.json").read_text()))

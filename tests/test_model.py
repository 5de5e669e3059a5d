"""Every task head through the real training path; plugin mistakes are one line."""
from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest
from pydantic import BaseModel

from seqpipe import Architecture, PluginError, RawData
from seqpipe.config.experiment import ArchitectureChoice
from seqpipe.config.params import TrainParams, WindowParams
from seqpipe.data import api as data
from seqpipe.errors import DataError
from seqpipe.registry import build_registry
from seqpipe.training.fit import fit, seed_everything
from seqpipe.training.model import build_model, load_model

REGISTRY = build_registry()
TINY_HP = {
    "rnn": {"units": 3}, "lstm": {"units": 3}, "gru": {"units": 3},
    "transformer": {"d_model": 4, "num_heads": 2, "ff_dim": 4, "num_blocks": 1},
    "cnn": {"filters": 3, "kernel_size": 3},
    "tcn": {"filters": 3, "num_blocks": 2},
    "fcn": {"filters": 3},
    "resnet": {"filters": 3, "num_blocks": 1},
    "inceptiontime": {"filters": 2, "bottleneck": 2, "kernel_size": 8, "depth": 3},
}
TRAIN = TrainParams(epochs=1, batch_size=16, patience=0, embedding_dim=4)


def _prepared(task: str):
    if task == "regression":
        ds = REGISTRY.dataset("adding")
        raw = ds.load(ds.params(n_samples=80, timesteps=10), 0)
    elif task == "forecast":
        ds = REGISTRY.dataset("sine")
        raw = ds.load(ds.params(n_series=2, length=120, period=12), 0)
        return data.prepare(raw, val=0.2, test=0.2, seed=0, window=WindowParams(lookback=10, horizon=3, stride=2))
    elif task == "next_token":
        ds = REGISTRY.dataset("patterns")
        raw = ds.load(ds.params(n_samples=80, vocab_size=12, max_length=14), 0)
    else:
        ds = REGISTRY.dataset("tokens")
        raw = ds.load(ds.params(n_samples=80, n_classes=2 if task == "binary" else 3, max_length=14), 0)
    return data.prepare(raw, val=0.2, test=0.2, seed=0)


@functools.cache
def prepared_for(task: str):
    """Prepared toy data per task, made on first use (padding imports Keras: not at collection)."""
    return _prepared(task)


def _choice(name: str) -> ArchitectureChoice:
    arch = REGISTRY.architecture(name)
    return ArchitectureChoice(name, arch, arch.params(**TINY_HP.get(name, {})))


# Every task head through the real training path (fit, predict, save, reload), each with another
# of the five seed architectures. That every architecture builds, trains a step and reloads on
# every task it claims is the conformance kit's job: test_plugin_authors.py runs it over all.
TASK_AND_ARCHITECTURE = [("regression", "rnn"), ("binary", "lstm"), ("multiclass", "gru"),
                         ("forecast", "transformer"), ("next_token", "cnn"), ("multiclass", "transformer")]


@pytest.mark.parametrize(("task", "name"), TASK_AND_ARCHITECTURE)
def test_every_architecture_trains_saves_and_reloads_on_every_task(name, task, tmp_path):
    prepared = prepared_for(task)
    choice = _choice(name)
    seed_everything(0)
    model = build_model(choice, prepared.spec, TRAIN)
    summary = fit(model, prepared.xy("train"), prepared.xy("val"), TRAIN, verbose=0)
    assert summary.epochs_run == 1
    x_test = prepared.arrays["X_test"]
    out = model.predict(x_test, verbose=0)
    width = {"regression": 1, "binary": 1, "multiclass": 3, "forecast": 3, "next_token": 12}[task]
    assert out.shape == (len(x_test), width)
    assert np.isfinite(out).all()
    if task in ("forecast", "next_token"):
        return  # saving and reloading is task-independent; the examples' tests reload these heads
    path = tmp_path / f"{name}.keras"
    model.save(path)
    custom = choice.architecture.custom_objects() if choice.architecture.custom_objects else None
    again = load_model(str(path), custom_objects=custom)
    np.testing.assert_allclose(again.predict(x_test, verbose=0), out, rtol=1e-5, atol=1e-6)


def test_builds_are_deterministic_under_a_seed():
    spec = prepared_for("regression").spec
    weights = []
    for _ in range(2):
        seed_everything(7)
        weights.append(build_model(_choice("lstm"), spec, TRAIN).get_weights())
    assert all(np.array_equal(a, b) for a, b in zip(*weights))


class _NoParams(BaseModel, extra="forbid"):
    pass


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda spec, hp: "not a layer", "build() returned str, expected a keras Layer"),
        (lambda spec, hp: 1 / 0, "build() raised ZeroDivisionError"),
        (lambda spec, hp: (lambda x: x), "the encoder must return (batch, units), got shape (None, 10, 2)"),
    ],
)
def test_a_plugin_that_builds_something_unusable_is_named(build, message):
    choice = ArchitectureChoice("oops", Architecture("oops", build, _NoParams), _NoParams())
    with pytest.raises(PluginError) as err:
        build_model(choice, prepared_for("regression").spec, TRAIN)
    assert str(err.value).startswith("plugin 'oops': ")
    assert message in str(err.value)


def test_an_architecture_is_refused_for_a_task_it_does_not_claim():
    arch = Architecture("regr_only", lambda s, h: None, _NoParams, tasks=("regression",))
    with pytest.raises(PluginError, match="does not support task 'binary'; it supports: regression"):
        build_model(ArchitectureChoice("regr_only", arch, _NoParams()), prepared_for("binary").spec, TRAIN)


def test_a_cosine_schedule_decays_the_learning_rate_to_zero_over_the_run():
    spec = prepared_for("regression").spec  # 48 training sequences: 3 batches of 16 per epoch
    train = TRAIN.model_copy(update={"epochs": 2, "learning_rate": 0.01, "lr_schedule": "cosine", "clipnorm": 1.0,
                                     "steps_per_execution": 2})
    seed_everything(0)
    model = build_model(_choice("rnn"), spec, train)
    optimizer = model.optimizer
    assert optimizer.clipnorm == 1.0
    assert model.steps_per_execution == 2  # 3 batches per epoch: one call of 2 steps, one of 1
    fit(model, prepared_for("regression").xy("train"), prepared_for("regression").xy("val"), train, verbose=0)
    assert int(optimizer.iterations) == 6
    assert float(optimizer.learning_rate) == pytest.approx(0.0, abs=1e-9)


def test_a_constant_learning_rate_is_the_plain_number():
    train = TRAIN.model_copy(update={"lr_schedule": "constant", "clipnorm": None})
    model = build_model(_choice("rnn"), prepared_for("regression").spec, train)
    assert float(model.optimizer.learning_rate) == pytest.approx(TRAIN.learning_rate)
    assert model.optimizer.clipnorm is None


def test_transformer_patches_put_steps_side_by_side_and_mask_only_all_padding_patches():
    from seqpipe.plugins.transformer import custom_objects

    patches = custom_objects()["Patches"](4)
    series = np.arange(2 * 10 * 3, dtype="float32").reshape(2, 10, 3)  # 10 steps: 2 padded in front
    out = np.asarray(patches(series))
    assert out.shape == (2, 3, 12)
    np.testing.assert_array_equal(out[1, 0], [0] * 6 + list(range(30, 36)))
    np.testing.assert_array_equal(out[1, 2], series[1, 6:].reshape(-1))
    mask = np.ones((2, 10), bool)
    mask[0, :7] = False  # sample 0: its first 7 steps are padding
    np.testing.assert_array_equal(np.asarray(patches.compute_mask(series, mask)), [[False, False, True], [True] * 3])


def test_a_patched_transformer_trains_on_padded_token_sequences():
    prepared = prepared_for("binary")
    arch = REGISTRY.architecture("transformer")
    hp = arch.params(d_model=4, num_heads=2, ff_dim=4, num_blocks=1, patch_size=4)
    seed_everything(0)
    model = build_model(ArchitectureChoice("transformer", arch, hp), prepared.spec, TRAIN)
    fit(model, prepared.xy("train"), prepared.xy("val"), TRAIN, verbose=0)
    assert np.isfinite(model.predict(prepared.arrays["X_test"], verbose=0)).all()


@pytest.mark.parametrize("mode", ["last", "mean", "seasonal"])
def test_per_window_normalisation_follows_a_level_far_beyond_the_training_range(mode, tmp_path):
    # A head that outputs 0 in the window's normalised units forecasts the window's own level (its
    # last value, its mean, or the seasonal naive forecast) in the data's units, however far that
    # level is from the training range; and the model saves and reloads with nothing extra.
    t = np.arange(120, dtype=np.float32)
    raw = RawData([(10 + np.sin(2 * np.pi * t / 6))[:, None]], np.zeros(0, np.float32), "forecast", "numeric")
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=0,
                            window=WindowParams(lookback=12, horizon=8, season=6, normalize=mode, difference="none"))
    model = build_model(_choice("cnn"), prepared.spec, TRAIN)
    head = model.get_layer("head")
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])
    level = 5000.0 + np.sin(2 * np.pi * np.arange(12) / 6) * np.arange(1, 13)
    assert prepared.spec.scaler is None  # the window's own statistics replace data.scale's
    x = level.astype(np.float32)[None, :, None]
    expected = {"last": np.full(8, level[-1]), "mean": np.full(8, level.mean()),
                "seasonal": data.seasonal_naive(level[None], 8, 6)[0]}[mode]
    out = model.predict(x, verbose=0)
    np.testing.assert_allclose(out[0], expected, rtol=1e-4)
    model.save(tmp_path / "m.keras")
    np.testing.assert_allclose(load_model(str(tmp_path / "m.keras")).predict(x, verbose=0), out, rtol=1e-6)


def _fit_small_gru(raw, window):
    """A GRU of 8 units, 40 epochs at a constant learning rate, on `raw` windowed by `window`."""
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=0, window=window)
    train = TRAIN.model_copy(update={"epochs": 40, "batch_size": 8, "lr_schedule": "constant"})
    arch = REGISTRY.architecture("gru")
    seed_everything(0)
    model = build_model(ArchitectureChoice("gru", arch, arch.params(units=8)), prepared.spec, train)
    fit(model, prepared.xy("train"), prepared.xy("val"), train, verbose=0)
    return prepared, model


@pytest.mark.parametrize("normalize, extrapolates", [("last", True), ("none", False)])
def test_a_trained_model_continues_a_linear_trend_beyond_the_training_range(normalize, extrapolates):
    # A straight line 0..99 with the cutoff at 39 (train_until val): training targets stay below 35, the test windows
    # run to 99. Normalised per window (with the linear skip) every window looks alike and the model
    # continues the line; with training-range scaling alone (normalize: none) a GRU's saturating
    # units cannot leave the range it was fit on.
    raw = RawData([np.arange(100, dtype=np.float32)[:, None]], np.zeros(0, np.float32), "forecast", "numeric")
    window = WindowParams(lookback=8, horizon=5, season=1, cutoff=39, normalize=normalize,
                          linear_skip=normalize != "none", train_until="val")
    prepared, model = _fit_small_gru(raw, window)
    x, y = prepared.xy("test")
    assert y.max() == 99.0 and prepared.xy("train")[1].max() < 35.0
    error = float(np.abs(model.predict(x, verbose=0) - y).max())
    assert (error < 3.0) == extrapolates, error


def test_log_windows_continue_exponential_growth_and_refuse_values_that_are_not_positive(tmp_path):
    # 5% growth a step: training values stay below ~7, the test window reaches ~130. In logs with the
    # window's last value as level, the forecast of a zeroed head is that last value; the linear skip
    # learns the constant log-slope. Saved and reloaded it forecasts the same.
    series = (np.exp(0.05 * np.arange(100))).astype(np.float32)[:, None]
    raw = RawData([series], np.zeros(0, np.float32), "forecast", "numeric", origin="growth.csv", ids=["g"])
    window = WindowParams(lookback=8, horizon=5, season=1, cutoff=39, log=True, linear_skip=True, train_until="val")
    prepared, model = _fit_small_gru(raw, window)
    x, y = prepared.xy("test")
    assert prepared.xy("train")[1].max() < 6.0 < 100.0 < y.max()
    relative = np.abs(model.predict(x, verbose=0) / y - 1.0)
    assert relative.max() < 0.05, relative.max()
    model.save(tmp_path / "m.keras")
    np.testing.assert_allclose(load_model(str(tmp_path / "m.keras")).predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5)
    raw.sequences[0][10] = 0.0
    with pytest.raises(DataError, match=r"growth.csv: data.window.log: sequence 'g' has values <= 0 \(smallest 0\)"):
        data.prepare(raw, val=0.2, test=0.2, seed=0, window=window)


def test_a_regression_head_starts_at_the_train_mean_in_the_targets_units(tmp_path):
    # Targets in large units (a price, say): the head learns standard units and maps them back
    # with the train split's mean and std, so an untrained model already predicts near the mean.
    ds = REGISTRY.dataset("adding")
    raw = ds.load(ds.params(n_samples=80, timesteps=10), 0)
    raw = dataclasses.replace(raw, targets=np.asarray(raw.targets) * 1000.0 + 5000.0)
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=0)
    y_train = prepared.arrays["y_train"]
    assert prepared.spec.target is not None
    assert prepared.spec.target.mean == pytest.approx(float(y_train.mean()), rel=1e-6)
    assert prepared.spec.target.std == pytest.approx(float(y_train.std()), rel=1e-5)
    assert y_train.min() > 4000  # the arrays keep the file's units; only the head rescales
    model = build_model(_choice("cnn"), prepared.spec, TRAIN)
    head = model.get_layer("head")
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])
    out = model.predict(prepared.arrays["X_test"], verbose=0)
    np.testing.assert_allclose(out, float(y_train.mean()), rtol=1e-5)
    path = tmp_path / "cnn.keras"
    model.save(path)
    np.testing.assert_allclose(load_model(str(path)).predict(prepared.arrays["X_test"], verbose=0), out, rtol=1e-6)


def test_only_regression_specs_carry_target_statistics():
    assert prepared_for("regression").spec.target is not None
    assert prepared_for("binary").spec.target is None
    assert prepared_for("forecast").spec.target is None  # the forecast head has its own (spec.forecast)

"""data.window.difference: the model sees and forecasts changes, summed back onto the window."""
from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from seqpipe import RawData
from seqpipe.config.experiment import ArchitectureChoice
from seqpipe.config.params import TrainParams, WindowParams
from seqpipe.data import api as data
from seqpipe.data.forecast import log_lines as forecast_log
from seqpipe.errors import DataError
from seqpipe.registry import build_registry
from seqpipe.reporting.sections import _scaling as report_scaling

REGISTRY = build_registry()
TRAIN = TrainParams(epochs=1, batch_size=8, patience=0, lr_schedule="constant")
SEASON = 4


def _staircase(steps: int = 120, growth: float = 3.0) -> RawData:
    """A season of 4 irregular values, each season `growth` higher: the seasonal difference is constant."""
    shape = np.array([0.0, 5.0, -2.0, 9.0], np.float32)
    t = np.arange(steps)
    series = (10.0 + shape[t % SEASON] + growth * (t // SEASON)).astype(np.float32)
    return RawData([series[:, None]], np.zeros(0, np.float32), "forecast", "numeric", origin="stairs.csv", ids=["s"])


def _model(window: WindowParams, arch: str = "gru", epochs: int = 1, quantiles: list[float] | None = None):
    from seqpipe.training.fit import fit, seed_everything  # keras: here, so `make check` never loads it
    from seqpipe.training.model import build_model

    prepared = data.prepare(_staircase(), val=0.2, test=0.2, seed=0, window=window)
    train = TRAIN.model_copy(update={"epochs": epochs, "quantiles": quantiles})
    architecture = REGISTRY.architecture(arch)
    seed_everything(0)
    model = build_model(ArchitectureChoice(arch, architecture, architecture.params(units=8)), prepared.spec, train)
    if epochs > 1:
        fit(model, prepared.xy("train"), prepared.xy("val"), train, verbose=0)
    return prepared, model


@pytest.mark.keras  # its module is a Keras layer's
def test_the_summing_matrix_adds_each_change_to_its_own_phase_from_there_on():
    from seqpipe.training.differencing import _summing_matrix

    np.testing.assert_array_equal(_summing_matrix(5, 2), [[1, 0, 1, 0, 1], [0, 1, 0, 1, 0], [0, 0, 1, 0, 1],
                                                          [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]])
    np.testing.assert_array_equal(_summing_matrix(3, 1), np.triu(np.ones((3, 3))))


@pytest.mark.keras  # trains or builds Keras models: the full lane, not `make check`
@pytest.mark.parametrize("difference", ["seasonal", "first"])
def test_a_zeroed_head_repeats_the_last_change_beyond_the_training_range(difference, tmp_path):
    # The head's 0 in the normalised units of the changes is the window's last change (normalize:
    # last): seasonal differencing then continues the staircase exactly, first differencing a line
    # through the last step's change; the model saves and reloads with nothing extra.
    window = WindowParams(lookback=12, horizon=8, season=SEASON, cutoff=59, difference=difference, train_until="val")
    prepared, model = _model(window)
    head = model.get_layer("head")
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])
    x, y = prepared.xy("test")
    out = model.predict(x, verbose=0)
    if difference == "seasonal":
        assert y.max() > 1.8 * prepared.xy("train")[1].max()
        np.testing.assert_allclose(out, y, rtol=1e-4)
    else:
        step = x[:, -1, 0] - x[:, -2, 0]
        np.testing.assert_allclose(out, x[:, -1:, 0] + step[:, None] * np.arange(1, 9), rtol=1e-4)
    from seqpipe.training.model import load_model

    model.save(tmp_path / "m.keras")
    np.testing.assert_allclose(load_model(str(tmp_path / "m.keras")).predict(x, verbose=0), out, rtol=1e-6)


@pytest.mark.keras  # trains or builds Keras models: the full lane, not `make check`
@pytest.mark.parametrize("difference, extrapolates", [("seasonal", True), ("none", False)])
def test_a_trained_tiny_model_continues_a_constant_seasonal_difference_with_the_transform_only(difference, extrapolates):
    # Training targets stay below ~60, the test range reaches ~100. With seasonal differencing every
    # window's changes are alike and a GRU of 8 units continues the staircase after 20 epochs;
    # without it (the default per-window normalisation alone) the same model and budget miss it.
    window = WindowParams(lookback=12, horizon=8, season=SEASON, cutoff=59, difference=difference, train_until="val")
    prepared, model = _model(window, epochs=20)
    x, y = prepared.xy("test")
    relative = float(np.abs(model.predict(x, verbose=0) / y - 1.0).max())
    assert (relative < 0.02) == extrapolates, relative


@pytest.mark.keras  # trains or builds Keras models: the full lane, not `make check`
def test_quantile_forecasts_are_summed_level_by_level():
    # a zeroed quantile head: every level's changes are the last change, so every level is the staircase
    window = WindowParams(lookback=12, horizon=8, season=SEASON, cutoff=59, difference="seasonal")
    prepared, model = _model(window, quantiles=[0.1, 0.5, 0.9])
    head = model.get_layer("head")
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])
    x, y = prepared.xy("test")
    out = model.predict(x, verbose=0)
    assert out.shape == (7, 8, 3)
    np.testing.assert_allclose(out, np.repeat(y[:, :, None], 3, axis=2), rtol=1e-4)


def test_auto_takes_seasonal_differences_where_the_lookback_holds_them_and_says_so():
    # the staircase's season passes statsforecast's seasonal unit-root test (tests/test_unit_root.py)
    raw = _staircase()
    cases = [(12, SEASON, "seasonal", "auto: unit-root tests (statsforecast nsdiffs, ndiffs) on 1 series' training "
              "range: seasonal 1"), (5, SEASON, "first", "lookback 5 < season + 2"),
             (12, 1, "none", "auto: season 1")]
    for lookback, season, mode, why in cases:
        prepared = data.prepare(raw, val=0.2, test=0.2, seed=0,
                                window=WindowParams(lookback=lookback, horizon=2, season=season))
        assert prepared.spec.forecast.difference == mode
        said = forecast_log(prepared.spec)[-1]
        assert f"differences {mode} (" in said and why in said, said
        assert ("forecasts seasonal changes (auto: unit-root tests" in report_scaling(prepared.spec)) == (mode == "seasonal")
    none = WindowParams(lookback=12, horizon=2, season=SEASON, normalize="none")
    assert data.prepare(raw, val=0.2, test=0.2, seed=0, window=none).spec.forecast.difference == "none"


def test_differencing_is_refused_without_normalisation_or_with_too_short_a_lookback():
    with pytest.raises(ValidationError, match="set data.window.normalize to last, mean or seasonal, or difference: none"):
        WindowParams(normalize="none", difference="first")
    window = WindowParams(lookback=5, horizon=2, season=SEASON, difference="seasonal")
    with pytest.raises(DataError, match="difference seasonal: lookback 5 leaves fewer than 2 changes over 4 step"):
        data.prepare(_staircase(), val=0.2, test=0.2, seed=0, window=window)

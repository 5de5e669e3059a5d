"""Differencing per architecture: `train.difference` (a recipe, or models.<arch>.train) replaces the
data's differencing for one architecture's model, and says where it came from."""
from __future__ import annotations

import pytest

from seqpipe.config import recipes
from seqpipe.config.experiment import ArchitectureChoice
from seqpipe.config.params import TrainParams, WindowParams
from seqpipe.data import api as data
from seqpipe.data import differencing
from seqpipe.errors import ParamsError
from seqpipe.registry import build_registry
from tests.test_differencing import SEASON, _staircase

REGISTRY = build_registry()


def _prepared(lookback: int = 12, **window):
    return data.prepare(_staircase(), val=0.2, test=0.2, seed=0,
                        window=WindowParams(lookback=lookback, horizon=2, season=SEASON, **window))


def _choice(name: str, override: dict | None = None, train: TrainParams | None = None) -> ArchitectureChoice:
    arch = REGISTRY.architecture(name)
    settings = recipes.effective(train or TrainParams(), name, arch, override)
    return ArchitectureChoice(name, arch, arch.params(), settings)


def test_linear_forecasts_values_by_its_recipe_and_says_where_that_came_from():
    spec = _prepared().spec
    assert spec.forecast.difference == "seasonal"  # the data's: the unit-root tests (tests/test_differencing.py)
    linear = differencing.for_choice(_choice("linear"), spec).forecast
    assert linear.difference == "none"
    assert linear.difference_from.startswith("recipe of linear, over data.window.difference's seasonal (auto: unit-root")
    assert differencing.describe(linear).startswith("forecasts values, not differenced (recipe of linear, over ")
    assert differencing.record(linear) == {"value": "none", "from": linear.difference_from}
    assert _choice("linear").settings.record()["difference"] == {"value": "none", "from": "recipe of linear"}
    # every other architecture keeps the data's, and so does linear with `models.linear.train.difference: data`
    assert differencing.for_choice(_choice("gru"), spec) is spec
    undone = differencing.for_choice(_choice("linear", {"difference": "data"}), spec)
    assert undone is spec and differencing.describe(undone.forecast).startswith("forecasts seasonal changes (auto: ")
    first = differencing.for_choice(_choice("gru", {"difference": "first"}), spec).forecast
    assert (first.difference, first.difference_from) == (
        "first", "models.gru.train, over data.window.difference's seasonal (" + spec.forecast.difference_from + ")")
    # a train: setting applies to every architecture without a recipe or models.<arch>.train that says otherwise
    everyone = TrainParams(difference="none")
    assert differencing.for_choice(_choice("gru", train=everyone), spec).forecast.difference_from.startswith("train, over")


def test_a_choice_the_window_cannot_take_names_the_key_that_sets_it():
    spec = _prepared(lookback=5).spec  # lookback 5 < season + 2: the data's auto took first differences
    assert spec.forecast.difference == "first"
    with pytest.raises(ParamsError, match=r"^params.yaml: models.linear.train.difference: seasonal: lookback 5 leaves "
                       r"fewer than 2 changes over 4 step\(s\); set data.window.lookback to 6 or more, or "
                       r"models.linear.train.difference: data$"):
        differencing.for_choice(_choice("linear", {"difference": "seasonal"}), spec)
    with pytest.raises(ParamsError, match=r"^params.yaml: train.difference: seasonal: lookback 5"):
        differencing.for_choice(_choice("gru", train=TrainParams(difference="seasonal")), spec)
    flat = _prepared(normalize="none").spec
    with pytest.raises(ParamsError, match=r"^params.yaml: models.cnn.train.difference: first needs per-window "
                       r"normalisation; set data.window.normalize to last, mean or seasonal, or "
                       r"models.cnn.train.difference: none$"):
        differencing.for_choice(_choice("cnn", {"difference": "first"}), flat)
    assert differencing.for_choice(_choice("linear"), flat).forecast.difference == "none"  # none needs nothing
    with pytest.raises(ParamsError, match=r"^params.yaml: models.linear.train.difference: input should be 'data', "
                       r"'none', 'first' or 'seasonal'"):
        _choice("linear", {"difference": "sideways"})


def test_other_tasks_ignore_the_setting():
    ds = REGISTRY.dataset("adding")
    spec = data.prepare(ds.load(ds.params(n_samples=40, timesteps=6), 0), val=0.2, test=0.2, seed=0).spec
    assert differencing.for_choice(_choice("linear"), spec) is spec
    assert differencing.for_choice(_choice("gru", {"difference": "seasonal"}), spec) is spec


@pytest.mark.keras  # trains or builds Keras models: the full lane, not `make check`
def test_the_saved_model_carries_its_own_differencing_through_calibration_and_reloading(tmp_path):
    import numpy as np

    from seqpipe.training import quantile_head
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model, load_model

    prepared = _prepared()  # the data's differencing: seasonal
    train = TrainParams(epochs=2, batch_size=8, patience=0, quantiles=[0.1, 0.5, 0.9])
    layers = {}
    for name, override in (("linear", None), ("linear", {"difference": "data"})):
        choice = _choice(name, override, train)
        seed_everything(0)
        model = build_model(choice, prepared.spec, choice.train())
        fit(model, prepared.xy("train"), prepared.xy("val"), choice.train(), verbose=0)
        model, calibration = quantile_head.calibrated(model, *prepared.xy("val"), batch_size=8)
        assert calibration is not None  # conformal calibration wraps the model it is given
        model.save(tmp_path / "m.keras")
        again = load_model(str(tmp_path / "m.keras"))
        x = prepared.xy("test")[0]
        np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
        layers[override is None] = {layer.name for layer in again.layers}
    assert "difference" not in layers[True]  # the recipe's none: the window's values
    assert "difference" in layers[False]  # models.linear.train.difference: data: the data's seasonal changes

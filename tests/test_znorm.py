"""`data.znorm: true` z-normalises each numeric series over its own steps before lengths, padding and
scaling, as the UCR archive ships most of its sets and dl-4-tsc's reader normalises the rest (issue 19:
PickupGestureWiimoteZ, whose raw accelerations keep each recording's level); new data at predict time
gets the same."""
from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest
import yaml

from seqpipe.data import api as data
from seqpipe.data.new_inputs import preprocess
from seqpipe.data.scaling import znorm_series
from seqpipe.data.spec import PreparedSpec
from seqpipe.data.splits import split_indices
from seqpipe.errors import DataError, ParamsError
from seqpipe.specs import RawData
from tests.conftest import ROOT, env


def test_each_series_gets_mean_zero_and_std_one_feature_by_feature():
    rng = np.random.default_rng(0)
    a = np.column_stack([rng.normal(5.0, 3.0, 7), np.full(7, 2.0)])  # the second feature is constant
    out = znorm_series([a, rng.normal(-1.0, 0.1, (4, 2))])
    assert isinstance(out, list) and [x.shape for x in out] == [(7, 2), (4, 2)]
    for x in out:
        assert np.abs(x[:, 0].mean()) < 1e-6 and x[:, 0].std() == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_array_equal(out[0][:, 1], 0.0)  # a constant feature is only centred
    dense = znorm_series(rng.normal(3.0, 2.0, (5, 6, 1)))  # equal lengths stay one array
    assert isinstance(dense, np.ndarray) and dense.shape == (5, 6, 1)
    np.testing.assert_allclose(dense.mean(axis=1), 0.0, atol=1e-6)


def _offsets(n: int = 12) -> RawData:
    """Unequal-length series whose level and spread differ by recording."""
    rng = np.random.default_rng(1)
    seqs = [(rng.normal(size=(6 + (i % 3) * 3, 1)) * (1 + i) + 10 * i).astype(np.float32) for i in range(n)]
    split = np.array(["train"] * (n - 3) + ["test"] * 3)
    return RawData(sequences=seqs, targets=np.arange(n) % 2, task="binary", input_kind="numeric", split=split,
                   class_names=["a", "b"])


@pytest.mark.keras
def test_prepare_normalises_each_series_before_resampling_and_predict_does_the_same():
    raw = _offsets()
    prepared = data.prepare(raw, val=0.15, test=0.15, seed=0, scale=False, znorm=True)
    assert prepared.spec.znorm and prepared.spec.padding.resampled
    first = prepared.arrays["X_train"][0, :, 0]
    expected = (raw.sequences[0][:, 0] - raw.sequences[0][:, 0].mean()) / raw.sequences[0][:, 0].std()
    assert first[0] == pytest.approx(expected[0], abs=1e-5) and first[-1] == pytest.approx(expected[-1], abs=1e-5)
    assert not data.prepare(raw, val=0.15, test=0.15, seed=0, scale=False).spec.znorm  # off by default

    scaled = data.prepare(raw, val=0.15, test=0.15, seed=0, znorm=True)  # with data.scale after it
    test_rows = np.flatnonzero(raw.split == "test")
    new = preprocess([raw.sequences[i] for i in test_rows], scaled.spec)
    np.testing.assert_allclose(new, scaled.arrays["X_test"], rtol=1e-5, atol=1e-5)


def test_znorm_on_a_forecast_is_one_clear_error():
    raw = RawData(sequences=[np.arange(40.0)[:, None]], targets=np.zeros(1), task="forecast", input_kind="numeric")
    with pytest.raises(ParamsError, match=r"^data.znorm: .*forecasts \(see data.window.normalize\)"):
        data.prepare(raw, val=0.2, test=0.2, seed=0, znorm=True)


def test_the_report_says_each_series_was_normalised_before_the_features_were_scaled():
    from seqpipe.reporting.sections import _scaling

    both = data.prepare(_offsets(), val=0.15, test=0.15, seed=0, scale=True, znorm=True)
    assert _scaling(both.spec) == ("each series z-normalised over its own steps (data.znorm); "
                                   "then standardised with train statistics")
    assert _scaling(data.prepare(_offsets(), val=0.15, test=0.15, seed=0, scale=False, znorm=True).spec) == \
        "each series z-normalised over its own steps (data.znorm)"
    assert _scaling(data.prepare(_offsets(), val=0.15, test=0.15, seed=0, scale=False).spec) == "none"


# --- data.znorm: auto (the default): chosen on the train split, recorded in spec.json, repeated by predict ---


def _shapes(level_is_class: bool, n: int = 60, steps: int = 20) -> RawData:
    """Two classes told apart by their shape (a rising or a falling ramp), each series at a random
    level and spread; with `level_is_class` the level tells them apart too and the shape does not."""
    rng = np.random.default_rng(2)
    y = np.arange(n) % 2
    ramp = np.linspace(-1.0, 1.0, steps)
    shape = np.where(y[:, None] == 1, ramp, -ramp) if not level_is_class else np.sin(np.arange(steps))[None, :]
    level = 5.0 * y if level_is_class else rng.normal(0.0, 5.0, n)
    x = level[:, None] + rng.uniform(0.5, 3.0, n)[:, None] * (shape + rng.normal(0, 0.1, (n, steps)))
    return RawData(sequences=x[..., None].astype(np.float32), targets=y, task="binary", input_kind="numeric",
                   class_names=["a", "b"])


def test_auto_normalises_series_told_apart_by_shape_and_leaves_those_told_apart_by_level():
    free = data.prepare(_shapes(level_is_class=False), val=0.2, test=0.2, seed=0, scale=False, znorm="auto")
    assert free.spec.znorm and not free.spec.znorm_levels and free.spec.features == 1
    assert free.spec.znorm_from.startswith("auto: the level does not carry the class")
    np.testing.assert_allclose(free.arrays["X_train"][:, :, 0].mean(axis=1), 0.0, atol=1e-5)

    levelled = data.prepare(_shapes(level_is_class=True), val=0.2, test=0.2, seed=0, scale=False, znorm="auto")
    assert not levelled.spec.znorm
    assert levelled.spec.znorm_from.startswith("auto: the level carries more of the class than the shape")
    assert _scaling_of(levelled.spec).startswith("series kept as they are (data.znorm: auto: the level carries more")
    y = levelled.arrays["y_train"]
    means = levelled.arrays["X_train"][:, :, 0].mean(axis=1)
    assert means[y == 1].min() > means[y == 0].max()  # the level, which is the class, is still there

    both = _shapes(level_is_class=False)  # the shape is the class, and the level is made to carry it too
    both = dataclasses.replace(both, sequences=both.sequences + 30.0 * np.asarray(both.targets)[:, None, None])
    spec = data.prepare(both, val=0.2, test=0.2, seed=0, znorm="auto").spec
    assert spec.znorm and spec.znorm_from.startswith("auto: the shape carries at least as much of the class")


def test_explicit_levels_keep_each_series_level_as_constant_channels():
    levelled = data.prepare(_shapes(level_is_class=True), val=0.2, test=0.2, seed=0, scale=False, znorm="levels")
    spec = levelled.spec
    assert spec.znorm and spec.znorm_levels and spec.features == 3 and spec.data_features == 1
    x, y = levelled.arrays["X_train"], levelled.arrays["y_train"]
    np.testing.assert_allclose(x[:, :, 0].mean(axis=1), 0.0, atol=1e-5)  # the series, z-normalised
    means = x[:, 0, 1]  # its level, one constant channel per statistic
    assert means[y == 1].min() > means[y == 0].max()
    np.testing.assert_array_equal(x[:, :, 1], np.repeat(means[:, None], x.shape[1], axis=1))


def test_auto_leaves_series_that_came_z_normalised_and_regression_alone():
    raw = _shapes(level_is_class=False)
    shipped = dataclasses.replace(raw, sequences=znorm_series(raw.sequences))
    spec = data.prepare(shipped, val=0.2, test=0.2, seed=0, znorm="auto").spec
    assert not spec.znorm and spec.znorm_from.startswith("auto: the train series are z-normalised already")

    regression = dataclasses.replace(raw, task="regression", targets=raw.sequences[:, :, 0].sum(axis=1),
                                     class_names=None)
    spec = data.prepare(regression, val=0.2, test=0.2, seed=0, znorm="auto").spec
    assert not spec.znorm and spec.znorm_from is None
    assert "znorm_levels" not in spec.to_json() and "znorm_from" not in spec.to_json()  # spec.json as before


@pytest.mark.parametrize("setting", ["auto", "levels"])
def test_the_choice_is_in_spec_json_and_predict_repeats_it(tmp_path, setting):
    raw = _shapes(level_is_class=False)
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=0, znorm=setting)
    (tmp_path / "spec.json").write_text(prepared.spec.to_json())
    read = PreparedSpec.read(tmp_path / "spec.json")
    assert read.znorm and read.znorm_levels == (setting == "levels") and read.znorm_from == prepared.spec.znorm_from
    test_rows = split_indices(np.asarray(raw.targets), "binary", 0.2, 0.2, 0)["test"]
    new = preprocess(raw.sequences[test_rows], read)  # the series as the user has them: one feature, any level
    np.testing.assert_allclose(new, prepared.arrays["X_test"], rtol=1e-5, atol=1e-5)
    said = _scaling_of(read)
    if setting == "levels":
        with pytest.raises(DataError, match="inputs have \\[3\\] features per step; the model was trained on 1"):
            preprocess(prepared.arrays["X_test"], read)
        assert said.startswith("each series z-normalised over its own steps, its level (mean and log std per "
                               "feature) kept as 2 extra channels (data.znorm); then standardised")
    else:
        assert said.startswith("each series z-normalised over its own steps (data.znorm: auto: the level does not "
                               "carry the class (a random forest on each series' mean and log std ")


def _scaling_of(spec: PreparedSpec) -> str:
    from seqpipe.reporting.sections import _scaling

    return _scaling(spec)


@pytest.mark.parametrize("value", ["maybe", 1])
def test_a_bad_znorm_is_one_line_naming_it_through_the_process(tmp_path, value):
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["data"]["znorm"] = value
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    done = subprocess.run([sys.executable, "-m", "seqpipe.cli", "validate"], cwd=tmp_path, env=env(),
                          capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("seqpipe: error: ") and "data.znorm" in done.stderr
    assert all(word in done.stderr for word in ("auto", "levels", "true", "false")) and "Traceback" not in done.stderr

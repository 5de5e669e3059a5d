"""`data.znorm: true` z-normalises each numeric series over its own steps before lengths, padding and
scaling, as the UCR archive ships most of its sets and dl-4-tsc's reader normalises the rest (issue 19:
PickupGestureWiimoteZ, whose raw accelerations keep each recording's level); new data at predict time
gets the same."""
from __future__ import annotations

import numpy as np
import pytest

from seqpipe.data import api as data
from seqpipe.data.new_inputs import preprocess
from seqpipe.data.scaling import znorm_series
from seqpipe.errors import ParamsError
from seqpipe.specs import RawData


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

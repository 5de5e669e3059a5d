"""Numeric series of unequal lengths are resampled to one length by default (`data.lengths: resample`),
so an encoder ending in global pooling does not average padded zeros in (issue 19); equal-length data
and `data.lengths: pad` are padded as before, and new data at predict time gets what prepare did."""
from __future__ import annotations

import numpy as np
import pytest

from seqpipe.data import api as data
from seqpipe.data.new_inputs import preprocess
from seqpipe.data.padding import resample
from seqpipe.specs import RawData


def test_resampling_interpolates_linearly_and_keeps_the_first_and_last_steps():
    ramp = np.array([[0.0, 10.0], [1.0, 20.0], [2.0, 30.0]], dtype=np.float32)  # 3 steps, 2 features
    out = resample([ramp, np.array([[5.0, 6.0]])], 5)
    assert out.shape == (2, 5, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, :, 0], [0.0, 0.5, 1.0, 1.5, 2.0])
    np.testing.assert_allclose(out[0, :, 1], [10.0, 15.0, 20.0, 25.0, 30.0])
    np.testing.assert_allclose(out[1], [[5.0, 6.0]] * 5)  # one step: repeated
    shrunk = resample([np.arange(9.0)[:, None]], 3)  # longer than maxlen: shrunk, not truncated
    np.testing.assert_allclose(shrunk[0, :, 0], [0.0, 4.0, 8.0])


def _unequal(n: int = 12) -> RawData:
    rng = np.random.default_rng(0)
    lengths = [6 + (i % 3) * 3 for i in range(n)]  # 6, 9 and 12 steps
    seqs = [rng.normal(size=(k, 1)).astype(np.float32) for k in lengths]
    split = np.array(["train"] * (n - 3) + ["test"] * 3)
    return RawData(sequences=seqs, targets=np.arange(n) % 2, task="binary", input_kind="numeric", split=split,
                   class_names=["a", "b"])


@pytest.mark.keras
def test_unequal_lengths_are_resampled_by_default_and_padded_on_request():
    raw = _unequal()
    prepared = data.prepare(raw, val=0.15, test=0.15, seed=0, scale=False)
    assert prepared.spec.timesteps == 12 and prepared.spec.padding.resampled and not prepared.spec.padding.padded
    first = prepared.arrays["X_train"][0, :, 0]  # the 6-step series, stretched over 12 steps
    assert first[0] == raw.sequences[0][0, 0] and first[-1] == pytest.approx(raw.sequences[0][-1, 0])
    assert not (prepared.arrays["X_train"] == 0.0).any()  # no padded zeros

    padded = data.prepare(raw, val=0.15, test=0.15, seed=0, scale=False, lengths="pad")
    assert padded.spec.padding.padded and not padded.spec.padding.resampled
    np.testing.assert_array_equal(padded.arrays["X_train"][0, :6, 0], 0.0)  # pre-padding, as before


@pytest.mark.keras
def test_equal_lengths_are_never_resampled():
    x = np.random.default_rng(1).normal(size=(12, 8, 1)).astype(np.float32)
    raw = RawData(sequences=x, targets=np.arange(12) % 2, task="binary", input_kind="numeric")
    default = data.prepare(raw, val=0.2, test=0.2, seed=0, scale=False)
    padded = data.prepare(raw, val=0.2, test=0.2, seed=0, scale=False, lengths="pad")
    assert not default.spec.padding.resampled
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(default.arrays[f"X_{split}"], padded.arrays[f"X_{split}"])


@pytest.mark.keras
def test_new_data_is_resampled_and_scaled_as_prepare_did():
    raw = _unequal()
    prepared = data.prepare(raw, val=0.15, test=0.15, seed=0)
    test_rows = np.flatnonzero(raw.split == "test")
    new = preprocess([raw.sequences[i] for i in test_rows], prepared.spec)
    np.testing.assert_allclose(new, prepared.arrays["X_test"], rtol=1e-5, atol=1e-6)


@pytest.mark.keras
def test_the_report_says_the_series_were_resampled_not_padded():
    from seqpipe.reporting.sections import data_summary

    prepared = data.prepare(_unequal(), val=0.15, test=0.15, seed=0)
    table = data_summary(prepared.spec, prepared.arrays["X_train"])
    shown = dict(zip(table.iloc[:, 0], table.iloc[:, 1]))
    assert shown["padding"] == "maxlen 12: unequal lengths resampled to it (data.lengths resample)"
    assert shown["padded steps in train"].startswith("0%")

"""Padding, splitting and scaling of prepared data."""
from __future__ import annotations

import numpy as np
import pytest

from seqpipe.data import api as data
from seqpipe.errors import DataError
from seqpipe.registry import build_registry
from seqpipe.specs import RawData


def test_padding_and_truncation_follow_keras_pad_sequences():
    seqs = [np.array([1, 2, 3]), np.array([4, 5, 6, 7, 8])]
    pre, cut = data.pad(seqs, 4, padding="pre", truncating="pre", dtype="int32")
    assert pre.tolist() == [[0, 1, 2, 3], [5, 6, 7, 8]] and cut == 1
    post, _ = data.pad(seqs, 4, padding="post", truncating="post", dtype="int32")
    assert post.tolist() == [[1, 2, 3, 0], [4, 5, 6, 7]]


def test_padding_positions_mark_exactly_the_padded_steps():
    lengths = np.array([2, 5])
    assert data.padding_positions(lengths, 4, "pre").tolist() == [[True, True, False, False], [False] * 4]
    assert data.padding_positions(lengths, 4, "post").tolist() == [[False, False, True, True], [False] * 4]


def test_splits_are_seeded_disjoint_and_stratified():
    y = np.array([0] * 80 + [1] * 20)
    a = data.split_indices(y, "binary", 0.2, 0.2, seed=1)
    b = data.split_indices(y, "binary", 0.2, 0.2, seed=1)
    assert all(np.array_equal(a[s], b[s]) for s in data.SPLITS)
    together = np.concatenate([a[s] for s in data.SPLITS])
    assert sorted(together.tolist()) == list(range(100))
    for s in data.SPLITS:
        assert y[a[s]].mean() == pytest.approx(0.2, abs=0.03)


def _adding(n=300, steps=16) -> RawData:
    dataset = build_registry().dataset("adding")
    return dataset.load(dataset.params(n_samples=n, timesteps=steps), 0)


def test_the_scaler_sees_only_the_training_split():
    raw = _adding()
    # Poison the sequences that land in val/test: if their statistics reached the scaler,
    # the training split would no longer be standardised.
    parts = data.split_indices(raw.targets, "regression", 0.2, 0.2, seed=3)
    raw.sequences[parts["val"]] += 1000.0
    raw.sequences[parts["test"]] += 1000.0
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=3)
    x_train = prepared.arrays["X_train"].reshape(-1, 2)
    assert np.allclose(x_train.mean(axis=0), 0.0, atol=1e-4)
    assert np.allclose(x_train.std(axis=0), 1.0, atol=1e-3)
    assert prepared.arrays["X_test"].mean() > 100


def test_prepare_pads_token_sequences_to_the_longest_training_sequence():
    dataset = build_registry().dataset("tokens")
    raw = dataset.load(dataset.params(n_samples=200, n_classes=3), 0)
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=0)
    spec = prepared.spec
    assert spec.task == "multiclass" and spec.n_classes == 3
    assert prepared.arrays["X_train"].shape == (120, spec.timesteps)
    assert prepared.arrays["X_train"].dtype == np.int32
    assert spec.padding.padded is True
    assert sum(spec.class_balance["test"]) == 40


def test_the_adding_problem_has_real_signal():
    raw = _adding(n=50)
    values, markers = raw.sequences[..., 0], raw.sequences[..., 1]
    assert (markers.sum(axis=1) == 2).all()
    assert np.allclose((values * markers).sum(axis=1), raw.targets, atol=1e-6)


def test_a_single_class_cannot_be_classified():
    raw = RawData([np.array([1, 2])] * 10, np.zeros(10, dtype=int), "binary", "tokens", vocab_size=5)
    with pytest.raises(DataError, match="needs at least two classes"):
        data.prepare(raw, val=0.2, test=0.2, seed=0)


def test_saved_data_round_trips_without_pickles(tmp_path):
    prepared = data.prepare(_adding(n=60), val=0.2, test=0.2, seed=0)
    data.save(prepared, tmp_path / "prepared")
    back = data.load(tmp_path / "prepared")
    assert back.spec == prepared.spec
    for name, array in prepared.arrays.items():
        assert np.array_equal(back.arrays[name], array)
    assert not list(tmp_path.glob(".*tmp*"))

"""A small regression set early-stops on a small validation split instead of memorising its few
targets, and classification keeps its rule (issue 19: right answers on small real data)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from seqpipe.config import budget
from seqpipe.config.params import TrainParams
from seqpipe.data.splits import official_split_indices
from seqpipe.training import diagnostics

AUTO = TrainParams(min_steps=1000, patience=10)  # params.yaml's train: 74 series at batch 16 is 5 steps an epoch


def test_regression_early_stops_from_epoch_1_on_a_validation_split_too_small_for_classification():
    regression = budget.plan(AUTO, n_train=62, n_val=12, global_batch=16, task="regression")
    assert (regression.early_stopping, regression.keep, regression.watch_from) == (True, "val_loss", 0)
    assert regression.stopping.startswith("early stopping on val_loss from epoch 1 (patience 10, 12 validation "
                                          "sequences: fewer than 30, but regression watches any split of at least 10")
    for task in ("binary", "multiclass", None):  # classification (and a caller that names no task): as before
        other = budget.plan(AUTO, n_train=62, n_val=12, global_batch=16, task=task)
        assert (other.early_stopping, other.keep) == (False, "loss")
        assert other.stopping.startswith("early stopping off: the validation split has 12 sequences, fewer than 30")


def test_regression_below_its_floor_or_with_enough_validation_follows_the_common_rule():
    tiny = budget.plan(AUTO, n_train=50, n_val=budget.MIN_SMALL_VALIDATION - 1, global_batch=16, task="regression")
    assert not tiny.early_stopping and tiny.keep == "loss"
    none = budget.plan(AUTO, n_train=50, n_val=0, global_batch=16, task="regression")
    assert not none.early_stopping and "would hold fewer than 10)" in none.stopping
    # the default experiment (the adding problem, 900 validation sequences): unchanged, warm-up and all
    adding = budget.plan(TrainParams(), n_train=4200, n_val=900, global_batch=16, task="regression")
    assert adding == budget.plan(TrainParams(), n_train=4200, n_val=900, global_batch=16, task="multiclass")
    assert adding.watch_from == 2


def test_an_official_regression_train_file_of_74_series_spares_a_validation_split_and_a_classification_one_does_not():
    split = np.array(["train"] * 74 + ["test"] * 33)
    targets = np.random.default_rng(0).normal(size=107)
    parts = official_split_indices(split, targets, "regression", 0.15, seed=42)
    assert (len(parts["train"]), len(parts["val"]), len(parts["test"])) == (62, 12, 33)
    assert parts.note is None
    labels = np.tile([0, 1], 54)[:107]
    whole = official_split_indices(split, labels, "binary", 0.15, seed=42)
    assert len(whole["val"]) == 0 and "fewer than 30" in (whole.note or "")
    small = official_split_indices(np.array(["train"] * 60 + ["test"] * 5), targets[:65], "regression", 0.15, seed=42)
    assert len(small["val"]) == 0 and "would be 9 validation sequences, fewer than 10" in (small.note or "")


def test_the_report_says_a_small_regression_validation_split_chose_the_epoch_noisily():
    finding = diagnostics.small_validation(12, "regression")
    assert finding is not None and finding.check == "small_val"
    assert finding.problem.startswith("the validation split has 12 sequences (fewer than 30): early stopping watched "
                                      "it from epoch 1")
    off = diagnostics.small_validation(12, "multiclass")
    assert off is not None and "early stopping was off" in off.problem
    assert diagnostics.small_validation(0, "regression").problem.startswith(  # type: ignore[union-attr]
        "there is no validation split (one would have held fewer than 10 sequences")


@pytest.mark.keras
def test_a_small_regression_set_through_the_stages_keeps_the_epoch_of_lowest_validation_loss(
        tmp_path, monkeypatch, capsys):
    """70 official train series of noise targets: a validation split of 11 is made, early stopping
    watches it from epoch 1 and the weights of its lowest validation loss are kept (not the last epoch's)."""
    from seqpipe.stages import prepare, train

    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 12, 1)).astype(np.float32)
    y = rng.normal(size=80).astype(np.float32)  # nothing to learn: a model can only memorise
    np.savez(tmp_path / "arrays.npz", X_train=x[:70], y_train=y[:70], X_test=x[70:], y_test=y[70:])
    params = {
        "seed": 42, "architectures": ["cnn"],
        "data": {"source": "npz", "path": "arrays.npz", "options": {"task": "regression"}},
        # repeats: 1, a speed setting (59 training series: a small set's default is 3 seeds and their ensemble)
        "train": {"epochs": 12, "batch_size": 16, "steps_per_execution": 1, "patience": 3, "learning_rate": 0.01,
                  "lr_schedule": "constant", "repeats": 1},
        "models": {"cnn": {"filters": 8, "kernel_size": 3, "num_layers": 1}},
    }
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    monkeypatch.chdir(tmp_path)

    prepare.main([])
    spec = json.loads((tmp_path / "data" / "prepared" / "spec.json").read_text())
    assert spec["sizes"] == {"train": 59, "val": 11, "test": 10}
    capsys.readouterr()

    train.main(["--arch", "cnn"])
    out = capsys.readouterr().out
    assert "early stopping on val_loss from epoch 1 (patience 3, 11 validation sequences" in out
    fit_record = json.loads((tmp_path / "models" / "cnn.fit.json").read_text())
    assert fit_record["kept_by"] == "val_loss"
    val_loss = [float(row.split()[-1]) for row in
                (tmp_path / "dvclive" / "cnn" / "plots" / "metrics" / "eval" / "loss.tsv").read_text().splitlines()[1:]]
    assert fit_record["best_epoch"] == int(np.argmin(val_loss)) + 1  # the lowest validation loss, from epoch 1
    assert fit_record["epochs_run"] < fit_record["epochs_budget"] == 12  # stopped: noise cannot be learned
    assert "check: the validation split has 11 sequences (fewer than 30): early stopping watched it" in out


def test_an_early_epoch_kept_on_a_small_regression_split_is_explained_without_advising_memorisation():
    small = diagnostics.early_best("gru", 1, 11, n_val=12, task="regression")
    assert small is not None and small.line() == (
        "gru: the best validation loss came at epoch 1 of 11: nothing learned after it held up on the 12 validation "
        "sequences, so the model kept stays near the train mean it starts from; use more data or a larger "
        "data.split.val (train.patience: 0 would memorise the training targets)")
    for n_val, task in ((12, "multiclass"), (900, "regression"), (None, None)):  # the common advice, as before
        other = diagnostics.early_best("gru", 1, 11, n_val=n_val, task=task)
        assert other is not None and "set train.patience: 0" in other.fix

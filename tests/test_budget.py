"""A user's small dataset trains long enough, is not early-stopped on noise, and prepares even when
its classes are too small to stratify (issue 19: right answers on real data)."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml

from seqpipe import DataError, ParamsError, RawData
from seqpipe.config import budget
from seqpipe.config.params import TrainParams, validate
from seqpipe.data import api as data
from seqpipe.data.splits import official_split_indices, split_indices

# --- the budget arithmetic ---------------------------------------------------------------------


def test_an_explicit_epoch_count_trains_exactly_that_many_epochs():
    # the default experiment: 6000 adding sequences, 4200 of them train, 900 validation
    plan = budget.plan(TrainParams(epochs=30), n_train=4200, n_val=900, global_batch=16)
    assert (plan.epochs, plan.steps_per_epoch, plan.early_stopping) == (30, 263, True)
    assert plan.line() == "budget: 30 epochs x 263 steps = 7890 steps (train.epochs 30)"
    assert plan.stopping.startswith("early stopping on val_loss (patience 10, 900 validation sequences)")


def test_auto_gives_a_small_dataset_enough_steps_and_a_large_one_no_more_than_min_epochs():
    auto = TrainParams()  # the schema default is epochs: auto
    assert (auto.epochs, auto.min_steps, auto.min_epochs, auto.max_epochs) == ("auto", 1000, 10, 1000)
    small = budget.plan(auto, n_train=42, n_val=8, global_batch=16)  # ArrowHead-like: 3 steps per epoch
    assert (small.epochs, small.steps) == (334, 1002)
    assert "at least train.min_steps 1000 steps at 3 per epoch (42 training sequences, batch 16)" in small.reason
    large = budget.plan(auto, n_train=100_000, n_val=20_000, global_batch=16)
    assert large.epochs == 10 and "raised to train.min_epochs 10" in large.reason
    tiny = budget.plan(auto.model_copy(update={"max_epochs": 200}), n_train=10, n_val=2, global_batch=16)
    assert tiny.epochs == 200 and "capped at train.max_epochs 200" in tiny.reason


@pytest.mark.parametrize(("per_epoch", "expected"), [(1, 50), (3, 34), (7, 15), (10, 10), (100, 4), (10_000, 4)])
def test_auto_epochs_is_ceil_of_min_steps_over_steps_per_epoch_within_the_bounds(per_epoch, expected):
    assert budget.auto_epochs(per_epoch, min_steps=100, min_epochs=4, max_epochs=50) == expected
    assert expected == min(max(math.ceil(100 / per_epoch), 4), 50)


def test_early_stopping_is_off_on_a_validation_split_too_small_to_pick_an_epoch():
    train = TrainParams(epochs=30, patience=10)
    small = budget.plan(train, n_train=42, n_val=budget.MIN_VALIDATION - 1, global_batch=16)
    assert not small.early_stopping and small.small_validation
    assert small.stopping == ("early stopping off: the validation split has 29 sequences, fewer than 30, too few "
                              "for its loss to pick an epoch; every epoch is trained, and the last one kept unless its "
                              "training loss is a spike (over 1.5x the lowest): then the weights of the epoch of lowest "
                              "training loss")
    assert small.keep == budget.KEEP_TRAIN_LOSS
    assert budget.resolved(train, small).patience == 0
    enough = budget.plan(train, n_train=42, n_val=budget.MIN_VALIDATION, global_batch=16)
    assert enough.early_stopping and budget.resolved(train, enough).patience == 10
    assert enough.keep == budget.KEEP_VAL_LOSS
    # train.patience 0 is the user's own choice: every epoch, the last one kept
    off = budget.plan(train.model_copy(update={"patience": 0}), n_train=42, n_val=0, global_batch=16)
    assert off.keep == budget.KEEP_LAST and off.stopping.endswith("the last one kept")


def test_the_last_epoch_is_kept_unless_its_training_loss_is_a_spike():
    train_loss = budget.KEEP_TRAIN_LOSS
    assert budget.kept_index([1.0, 0.5, 0.7], train_loss) == 2  # 0.7 is within 1.5x of 0.5: a near-tie, not a spike
    assert budget.kept_index([1.0, 0.5, 0.8], train_loss) == 1  # 0.8 > 0.75: the last epoch landed on a spike
    assert budget.kept_index([1.0, 0.5, 0.8], budget.KEEP_VAL_LOSS) == 1  # early stopping: the lowest, always
    assert budget.kept_index([1.0, 0.5, 0.8], budget.KEEP_LAST) == 2


def test_early_stopping_watches_only_after_half_of_min_steps():
    # OSULeaf-like: 170 training and 30 validation series, FCN's recipe (3000 steps) at batch 16: 11 steps
    # per epoch. A patience of 10 epochs (110 steps) ended its run at epoch 11 with the best epoch 1.
    osuleaf = budget.plan(TrainParams(min_steps=3000, patience=10), n_train=170, n_val=30, global_batch=16)
    assert (osuleaf.epochs, osuleaf.steps_per_epoch, osuleaf.watch_from) == (273, 11, 136)
    assert osuleaf.stopping == ("early stopping on val_loss (patience 10, 30 validation sequences), watching from "
                                "epoch 137 after a warm-up of 1496 steps (half of train.min_steps 3000 in whole epochs, "
                                "at most half the budget), keeping the best epoch's weights")
    # the adding problem: 263 steps per epoch, watched from its third epoch
    assert budget.plan(TrainParams(), n_train=4200, n_val=900, global_batch=16).watch_from == 2
    # never more than half of an explicit budget; no warm-up without early stopping
    assert budget.plan(TrainParams(epochs=20, min_steps=3000), n_train=170, n_val=30, global_batch=16).watch_from == 10
    assert budget.plan(TrainParams(min_steps=3000), n_train=170, n_val=29, global_batch=16).watch_from == 0


def test_bad_budget_settings_are_one_line():
    for raw, message in [
        ({"epochs": 0}, "train.epochs: must be auto or a whole number of epochs from 1 to 10000, got 0"),
        ({"epochs": "soon"}, "train.epochs: must be auto or a whole number of epochs from 1 to 10000, got 'soon'"),
        ({"epochs": 2.5}, "train.epochs: input should be one of 'auto' or a valid integer, got 2.5 (a float)"),
        ({"min_epochs": 20, "max_epochs": 5}, "train.max_epochs: must be at least train.min_epochs (20), got 5"),
    ]:
        with pytest.raises(ParamsError) as err:
            validate(TrainParams, raw, prefix="train")
        assert str(err.value) == f"params.yaml: {message}"


# --- splits of classes too small to stratify ----------------------------------------------------

def _two_per_class(classes: int = 10, test_per_class: int = 2, timesteps: int = 16) -> RawData:
    """A UCR-like set with 2 training series per class: too few to stratify 15% validation."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(classes), 2 + test_per_class)
    x = rng.normal(size=(len(labels), timesteps, 1)).astype(np.float32) + labels[:, None, None]
    split = np.tile(["train"] * 2 + ["test"] * test_per_class, classes)
    return RawData(sequences=x, targets=labels.astype(np.int32), task="multiclass", input_kind="numeric",
                   split=split, class_names=[f"c{i}" for i in range(classes)])


def test_an_official_train_split_too_small_to_spare_a_validation_split_is_trained_on_whole():
    raw = _two_per_class(classes=10)  # 20 official train series: 15% would be 3 validation series
    parts = official_split_indices(raw.split, raw.targets, raw.task, 0.15, seed=42)
    assert len(parts["val"]) == 0 and np.array_equal(parts["train"], np.flatnonzero(raw.split == "train"))
    assert parts.note == ("data.split.val: 0.15 of the 20 official train sequences would be 3 validation sequences, "
                          "fewer than 30 (too few to choose an epoch by); no validation split: training on all 20, "
                          "keeping the last epoch unless it ends on a spike of the training loss")
    assert np.array_equal(parts["test"], np.flatnonzero(raw.split == "test"))


def test_a_train_split_of_two_per_class_gets_a_random_validation_split_keeping_every_class_in_train():
    raw = _two_per_class(classes=100)  # 200 official train series: 30 validation, fewer than the 100 classes
    parts = official_split_indices(raw.split, raw.targets, raw.task, 0.15, seed=42)
    assert len(parts["val"]) == 30  # ceil(0.15 * 200), as a stratified split would hold
    assert set(raw.targets[parts["train"]]) == set(range(100))  # every class keeps a training series
    assert not set(parts["train"]) & set(parts["val"]) and len(parts["train"]) + 30 == 200
    assert parts.note == ("data.split.val: no stratified validation split of 200 sequences in 100 classes (30 "
                          "validation sequences are fewer than the 100 classes); drew 30 validation sequences at "
                          "random, keeping at least one of every class in train")
    again = official_split_indices(raw.split, raw.targets, raw.task, 0.15, seed=42)
    assert all(np.array_equal(parts[s], again[s]) for s in ("train", "val", "test"))  # seeded


def test_a_class_with_one_training_series_stays_in_train():
    targets = np.array([0] * 50 + [1] * 49 + [2] + [0, 1, 2])
    split = np.array(["train"] * 100 + ["test"] * 3)
    parts = official_split_indices(split, targets, "multiclass", 0.3, seed=0)
    assert 99 in parts["train"] and len(parts["val"]) == 30 and "class '2' has 1 sequence" in parts.note
    with pytest.raises(DataError, match="class '0' has 1 sequence"):  # no class can spare one: as before
        official_split_indices(np.array(["train"] * 100 + ["test"] * 100), np.tile(np.arange(100), 2), "multiclass",
                               0.3, seed=0)


def test_data_that_stratifies_splits_exactly_as_before():
    from sklearn.model_selection import train_test_split

    y = np.random.default_rng(1).integers(0, 3, size=200)
    parts = split_indices(y, "multiclass", 0.15, 0.15, seed=42)
    rest, test = train_test_split(np.arange(200), test_size=0.15, random_state=42, stratify=y)
    train, val = train_test_split(rest, test_size=0.15 / 0.85, random_state=43, stratify=y[rest])
    assert parts.note is None
    for name, want in (("train", train), ("val", val), ("test", test)):
        np.testing.assert_array_equal(parts[name], np.sort(want))


# --- training: the budget and the small-validation rule as the user sees them -------------------

CNN = {"filters": 3, "kernel_size": 3, "num_layers": 1}


def _cnn():
    from seqpipe.config.experiment import ArchitectureChoice
    from seqpipe.registry import build_registry

    arch = build_registry().architecture("cnn")
    return ArchitectureChoice("cnn", arch, arch.params(**CNN))


@pytest.mark.keras
def test_a_tiny_dataset_trains_the_budgeted_number_of_steps():
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    prepared = data.prepare(_two_per_class(classes=4, test_per_class=1), val=0.15, test=0.15, seed=0)
    assert (prepared.spec.sizes.train, prepared.spec.sizes.val) == (8, 0)  # too few for a validation split
    train = TrainParams(epochs="auto", min_steps=12, min_epochs=1, batch_size=4, steps_per_execution=1,
                        patience=3, embedding_dim=4)
    seed_everything(0)
    model = build_model(_cnn(), prepared.spec, train)
    summary = fit(model, prepared.xy("train"), prepared.xy("val"), train, verbose=0)
    assert int(model.optimizer.iterations) == 12  # 6 epochs x 2 steps: ceil(12 min_steps / 2 per epoch)
    assert (summary.epochs_run, summary.epochs_budget, summary.best_epoch) == (6, 6, 6)
    assert summary.budget.startswith("train.epochs auto: at least train.min_steps 12 steps at 2 per epoch")
    assert summary.early_stopping.startswith("early stopping off: no validation split")
    assert float(model.optimizer.learning_rate) == pytest.approx(0.0, abs=1e-9)  # cosine over the whole budget


@pytest.mark.keras
def test_without_a_validation_split_a_loss_spike_in_the_last_epoch_is_not_what_is_kept():
    """dl-4-tsc's rule: with no validation split to pick an epoch, the weights of the lowest training
    loss are kept, so a run whose last epoch lands on a spike keeps the epoch before it."""
    import keras

    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    prepared = data.prepare(_two_per_class(classes=4, test_per_class=1), val=0.15, test=0.15, seed=0)
    assert prepared.spec.sizes.val == 0
    train = TrainParams(epochs=2, batch_size=4, steps_per_execution=1, lr_schedule="constant", embedding_dim=4)
    seeded: dict[str, list] = {}

    class SpikeInEpoch2(keras.callbacks.Callback):
        """Epoch 1's weights are noted; epoch 2 starts from them scaled 50x: a real spike of the loss."""

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                seeded["epoch1"] = self.model.get_weights()

        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                self.model.set_weights([w * 50 if w.ndim > 1 else w for w in self.model.get_weights()])

    seed_everything(0)
    model = build_model(_cnn(), prepared.spec, train)
    summary = fit(model, prepared.xy("train"), prepared.xy("val"), train, extra_callbacks=[SpikeInEpoch2()],
                  verbose=0)
    assert (summary.epochs_run, summary.best_epoch, summary.kept_by) == (2, 1, "loss")
    assert summary.kept.startswith("kept the weights of epoch 1 of 2, the lowest training loss (")
    assert summary.kept.endswith(") was a spike, over 1.5x the lowest")
    for kept, epoch1 in zip(model.get_weights(), seeded["epoch1"]):
        np.testing.assert_array_equal(kept, epoch1)


@pytest.mark.keras
def test_early_stopping_neither_stops_nor_picks_an_epoch_during_the_warm_up():
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    rng = np.random.default_rng(0)  # random labels: the validation loss rises from the first epochs on
    raw = RawData(sequences=rng.normal(size=(80, 16, 1)).astype(np.float32), targets=rng.integers(0, 2, 80),
                  task="binary", input_kind="numeric")
    prepared = data.prepare(raw, val=0.4, test=0.2, seed=0)
    assert prepared.spec.sizes.val >= budget.MIN_VALIDATION
    train = TrainParams(epochs="auto", min_steps=40, min_epochs=1, batch_size=16, steps_per_execution=1,
                        patience=1, embedding_dim=4, learning_rate=0.05)
    seed_everything(0)
    model = build_model(_cnn(), prepared.spec, train)
    summary = fit(model, prepared.xy("train"), prepared.xy("val"), train, verbose=0)
    assert summary.epochs_budget == 20  # 2 steps per epoch; warm-up: 20 steps = 10 epochs
    assert "watching from epoch 11" in summary.early_stopping
    assert summary.epochs_run >= 12 and summary.best_epoch >= 11


@pytest.mark.keras
def test_two_series_per_class_prepare_and_train_through_the_stages(tmp_path, monkeypatch, capsys):
    from seqpipe.stages import prepare, train

    raw = _two_per_class(classes=10)
    train_rows, test_rows = raw.split == "train", raw.split == "test"
    np.savez(tmp_path / "arrays.npz", X_train=raw.sequences[train_rows], y_train=raw.targets[train_rows],
             X_test=raw.sequences[test_rows], y_test=raw.targets[test_rows])
    params = {
        "seed": 42, "architectures": ["cnn"],
        "data": {"source": "npz", "path": "arrays.npz", "options": {"task": "classification"}},
        # repeats: 1, a speed setting (20 training series: a small set's default is 3 seeds and their ensemble)
        "train": {"epochs": "auto", "min_steps": 20, "min_epochs": 1, "batch_size": 8, "steps_per_execution": 1, "repeats": 1},
        "models": {"cnn": CNN},
    }
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    monkeypatch.chdir(tmp_path)

    prepare.main([])
    out = capsys.readouterr().out
    assert ("prepare: data.split.val: 0.15 of the 20 official train sequences would be 3 validation sequences, "
            "fewer than 30") in out
    spec = json.loads((tmp_path / "data" / "prepared" / "spec.json").read_text())
    assert spec["sizes"] == {"train": 20, "val": 0, "test": 20} and "training on all 20" in spec["split_note"]

    train.main(["--arch", "cnn"])
    out = capsys.readouterr().out
    assert ("budget: 7 epochs x 3 steps = 21 steps (train.epochs auto: at least train.min_steps 20 steps at 3 per "
            "epoch (20 training sequences, batch 8))") in out
    assert "early stopping off: no validation split (prepare trains on the whole train split" in out
    fit_record = json.loads((tmp_path / "models" / "cnn.fit.json").read_text())
    assert (fit_record["epochs_run"], fit_record["epochs_budget"], fit_record["best_epoch"]) == (7, 7, 7)
    assert fit_record["early_stopping"].startswith("early stopping off: no validation split")
    # which weights were kept, and why: the train log's line and models/cnn.fit.json
    assert fit_record["kept_by"] == "loss" and fit_record["kept"].startswith("kept the weights of the last epoch, 7")
    assert (f"{fit_record['kept']} (no usable validation split: the last epoch, or the lowest training loss if it "
            "ended on a spike)") in out


@pytest.mark.keras
def test_a_resumed_run_keeps_the_same_weights_as_an_uninterrupted_one(tmp_path):
    """The spike guard's lowest loss and its weights are in the checkpoint: killed after epoch 2 and
    resumed, a run that spikes in epoch 3 still goes back to the epoch before the spike."""
    import keras

    from seqpipe.training import resilience
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    prepared = data.prepare(_two_per_class(classes=4, test_per_class=1), val=0.15, test=0.15, seed=0)

    class SpikeInEpoch3(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                self.model.set_weights([w * 50 if w.ndim > 1 else w for w in self.model.get_weights()])

    def run(directory, epochs: int):
        train = TrainParams(epochs=epochs, batch_size=4, steps_per_execution=1, lr_schedule="constant",
                            embedding_dim=4)
        plan = budget.plan(train, n_train=8, n_val=0, global_batch=4)
        seed_everything(0)
        model = build_model(_cnn(), prepared.spec, train)
        keeper = resilience.kept_weights(plan, train.patience)
        ckpt = resilience.checkpoint(directory, keeper, log=lambda m: None)
        fit(model, prepared.xy("train"), prepared.xy("val"), train.model_copy(update={"patience": 0}),
            extra_callbacks=[SpikeInEpoch3(), keeper, ckpt], verbose=0, plan=plan)
        return model.get_weights(), ckpt

    whole, _ = run(tmp_path / "whole", 3)
    run(tmp_path / "split", 2)  # killed after epoch 2
    resumed, ckpt = run(tmp_path / "split", 3)
    assert ckpt.resumed_from == 2
    spiked = ckpt.history[-1]["loss"]
    assert spiked > budget.SPIKE * min(h["loss"] for h in ckpt.history[:2])  # epoch 3 really spiked
    for a, b in zip(resumed, whole):
        np.testing.assert_array_equal(a, b)

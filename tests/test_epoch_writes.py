"""Per-epoch disk writes of the train stage are throttled (issue 18): a checkpoint at most once per
CHECKPOINT_SECONDS and after the planned last epoch, dvclive's summary at most once per
SYNC_SECONDS; what they leave on disk is what a write after every epoch leaves."""
from __future__ import annotations

import numpy as np
import pytest

from seqpipe.errors import SeqpipeError
from seqpipe.training import live as live_log
from seqpipe.training import resilience

pytestmark = pytest.mark.keras


def _fit(callbacks: list, epochs: int = 5) -> None:
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 2)), keras.layers.GRU(3), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    x = np.random.default_rng(0).normal(size=(8, 6, 2)).astype("float32")
    model.fit(x, x[:, -1, :1], epochs=epochs, batch_size=4, verbose=0, callbacks=callbacks)


class _Notes:
    """Records which epochs the checkpoint reported as saved (fit prints its note on the epoch's line)."""

    def __init__(self, ckpt) -> None:
        import keras

        saved: list[int] = []

        class Note(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if ckpt.epoch_note:
                    saved.append(epoch + 1)

        self.callback, self.saved = Note(), saved


def test_a_checkpoint_is_written_at_most_once_per_interval_and_after_the_last_epoch(monkeypatch, tmp_path):
    monkeypatch.setattr(resilience, "CHECKPOINT_SECONDS", 1e9)
    ckpt = resilience.checkpoint(tmp_path / "slow", log=lambda m: None)
    notes = _Notes(ckpt)
    _fit([ckpt, notes.callback])
    assert notes.saved == [5] and len(ckpt.history) == 5  # the history still has every epoch

    monkeypatch.setenv("SEQPIPE_CHECKPOINT_SECONDS", "0")
    ckpt = resilience.checkpoint(tmp_path / "every", log=lambda m: None)
    notes = _Notes(ckpt)
    _fit([ckpt, notes.callback])
    assert notes.saved == [1, 2, 3, 4, 5]


def test_a_bad_checkpoint_interval_is_one_line(monkeypatch):
    monkeypatch.setenv("SEQPIPE_CHECKPOINT_SECONDS", "soon")
    with pytest.raises(SeqpipeError, match=r"^SEQPIPE_CHECKPOINT_SECONDS is 'soon': allowed is a number of seconds >= 0"):
        resilience.checkpoint_seconds()


def _logged(directory, sync_seconds: float, monkeypatch) -> dict[str, bytes]:
    from dvclive import Live

    monkeypatch.setattr(live_log, "SYNC_SECONDS", sync_seconds)
    with Live(dir=str(directory), dvcyaml=None, save_dvc_exp=False, report=None) as live:
        _fit([live_log.live_logger(live)])
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_dvclive_synced_once_leaves_the_files_of_a_sync_per_epoch(monkeypatch, tmp_path):
    every = _logged(tmp_path / "every", 0.0, monkeypatch)
    once = _logged(tmp_path / "once", 1e9, monkeypatch)
    assert "metrics.json" in every and b'"step": 4' in every["metrics.json"]
    assert once == every

"""dvclive's per-epoch logging for the train stage, without TensorFlow and with fewer disk writes.

`live_logger` logs each epoch's metrics as `dvclive.keras.DVCLiveCallback` does, without importing
TensorFlow (that module subclasses tf.keras' Callback), so training also runs where only JAX is
installed. `replay_history` logs a resumed run's earlier epochs (seqpipe.training.resilience).
"""
from __future__ import annotations

import time
from typing import Any

# dvclive's `next_step` writes the summary metrics.json and fsyncs the VS Code extension's signal file
# (~13 ms an epoch on a loaded 2-core machine, ~40% of a 30 ms epoch of a small dataset; bench/RESULTS.md,
# "Fixed costs, round 3"): it runs at most once per this many seconds, and after the last epoch.
SYNC_SECONDS = 1.0


def replay_history(live: Any, history: list[dict[str, float]]) -> None:
    """Log the epochs done before a resume to dvclive, so its step continues where it stopped."""
    from dvclive.utils import standardize_metric_name

    for logs in history:
        for name, value in logs.items():
            live.log_metric(standardize_metric_name(name, "dvclive.keras"), value)
        live.next_step()


def log_once(live: Any, logs: dict[str, float]) -> None:
    """A run without epochs (a head solved by least squares): its one set of metrics as step 0."""
    from dvclive.utils import standardize_metric_name

    for name, value in logs.items():
        live.log_metric(standardize_metric_name(name, "dvclive.keras"), value)
    live.next_step()


def live_logger(live: Any) -> Any:
    """A Keras callback logging each epoch's metrics to dvclive, as `dvclive.keras.DVCLiveCallback`
    does, without importing TensorFlow (that module subclasses tf.keras' Callback), so training
    also runs where only JAX is installed.

    Every epoch's values go to dvclive's .tsv files as they come; its `next_step` (the summary
    metrics.json, the VS Code signal file with an fsync, Studio) runs at most once per
    SYNC_SECONDS and after the last epoch, which leaves the same files as a sync per epoch."""
    import keras
    from dvclive.utils import standardize_metric_name

    class LiveLogger(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.synced_at = time.perf_counter()
            self.pending = False  # the last epoch's step is logged but not synced

        def on_epoch_end(self, epoch, logs=None):
            for name, value in (logs or {}).items():
                live.log_metric(standardize_metric_name(name, "dvclive.keras"), value)
            if time.perf_counter() - self.synced_at >= SYNC_SECONDS:
                self._sync()
            else:
                live.step += 1
                self.pending = True

        def _sync(self) -> None:
            live.next_step()
            self.synced_at, self.pending = time.perf_counter(), False

        def on_train_end(self, logs=None):
            if self.pending:  # as if every epoch had synced: the summary names the last epoch's step
                live.step -= 1
                self._sync()
            live.end()

    return LiveLogger()

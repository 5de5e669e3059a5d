"""Training that survives: a NaN guard, resumable checkpoints outside DVC's outputs, byte-stable
model files, and a warning for settings that break bit-identical reruns.

- `nan_guard(arch)`: Keras `TerminateOnNaN` that remembers the epoch; `raise_if_diverged` turns it
  into one line naming the architecture, the epoch and the usual fixes (before anything is saved).
- `checkpoint`: after a completed epoch (at most one write per CHECKPOINT_SECONDS), the weights, optimizer state, dropout seed states,
  the logs so far and the early-stopping state go to `.seqpipe/backup/<arch>-<key>/seed<seed>/` (git-ignored, not a DVC
  output, so `dvc repro` neither deletes nor caches it). The next run with the same key resumes
  from the last checkpointed epoch. `key` hashes everything the run depends on (params, prepared data,
  plugin source), so a changed run never resumes a stale backup.
- `save_model`: `model.save` to a temporary name, normalise the `.keras` zip (fixed entry dates,
  no `date_saved`, shared-object ids numbered in order), then rename: two runs give the same bytes.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from seqpipe import atomic, layout
from seqpipe.config.budget import KEEP_TRAIN_LOSS, KEEP_VAL_LOSS, Budget, is_spike
from seqpipe.errors import SeqpipeError

BACKUP_ROOT = layout.BACKUP_ROOT
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# A checkpoint costs a few ms (~9 ms on a loaded 2-core machine): with a small dataset's 30 ms epochs,
# one per epoch was a third of the fit (bench/RESULTS.md, "Fixed costs, round 3"). So it is
# written at most once per this many seconds; a killed run loses at most this much training.
# SEQPIPE_CHECKPOINT_SECONDS overrides it (0: after every epoch, as the tests kill at a given epoch).
CHECKPOINT_SECONDS = 1.0


def checkpoint_seconds() -> float:
    text = os.environ.get("SEQPIPE_CHECKPOINT_SECONDS", "").strip()
    try:
        value = float(text) if text else CHECKPOINT_SECONDS
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise SeqpipeError(f"SEQPIPE_CHECKPOINT_SECONDS is {text!r}: allowed is a number of seconds >= 0 "
                           f"(0: a checkpoint after every epoch; unset: {CHECKPOINT_SECONDS:g})")
    return value


class TrainingDiverged(SeqpipeError):
    """The loss became NaN or infinite; nothing was saved."""


# --- determinism --------------------------------------------------------------------------


def determinism_warnings(train: Any) -> list[str]:
    """Settings that make reruns differ in their last bits. Reads fields with getattr, so it works
    whichever optional TrainParams fields (precision, jit_compile, devices) exist."""
    warnings = []
    precision = str(getattr(train, "precision", "float32") or "float32")
    if precision not in ("float32", "fp32"):
        warnings.append(f"train.precision={precision}: mixed precision rounds differently across runs and devices")
    # XLA on CPU was measured bit-identical across processes (bench/tuning_jit.py runs, two train
    # stages with jit_compile: true gave the same metrics file), so it is not flagged here; on a GPU
    # its fused kernels are covered by the GPU line of warn_nondeterministic.
    if getattr(train, "deterministic", True) is False:
        warnings.append("train.deterministic=false: non-deterministic GPU kernels are allowed")
    return warnings


def warn_nondeterministic(train: Any, gpus: int = 0) -> list[str]:
    """Print one stderr line per setting that breaks bit-identical reruns; return the lines."""
    lines = determinism_warnings(train)
    if gpus:
        lines.append(f"{gpus} GPU(s) visible: GPU kernels (cuDNN, XLA) are not bit-identical across reruns or devices")
    for line in lines:
        print(f"seqpipe: warning: {line}; reruns may not be bit-identical", file=sys.stderr, flush=True)
    return lines


# --- byte-stable model files --------------------------------------------------------------


def normalise_keras_archive(path: str | Path) -> None:
    """Rewrite a `.keras` zip so that it depends only on the model: every entry dated 1980-01-01,
    entries in name order, no `date_saved` in metadata.json, shared-object ids numbered in order."""
    path = Path(path)
    with zipfile.ZipFile(path) as zf:
        entries = [(info, zf.read(info.filename)) for info in zf.infolist()]
    tmp = path.with_name(path.name + ".norm")
    with zipfile.ZipFile(tmp, "w") as out:
        for info, payload in sorted(entries, key=lambda e: e[0].filename):
            if info.filename == "metadata.json":
                meta = json.loads(payload)
                meta.pop("date_saved", None)
                payload = json.dumps(meta).encode()
            elif info.filename == "config.json":
                payload = json.dumps(_renumber_shared_objects(json.loads(payload))).encode()
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_EPOCH)
            fixed.compress_type = info.compress_type
            fixed.external_attr = 0o644 << 16
            out.writestr(fixed, payload)
    tmp.replace(path)


def _renumber_shared_objects(config: Any) -> Any:
    """Keras names shared objects by Python `id()`, which changes every run; number them 1, 2, ...
    in order of first appearance instead (the ids only link the uses of one object)."""
    numbers: dict[Any, int] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "shared_object_id":
                    value = numbers.setdefault(value, len(numbers) + 1)
                out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(config)


def save_model(model: Any, path: str | Path) -> None:
    """Save a Keras model atomically and byte-stably (see `normalise_keras_archive`)."""
    with atomic.atomic_path(path) as tmp:
        model.save(tmp)
        normalise_keras_archive(tmp)


# --- NaN guard ----------------------------------------------------------------------------


def nan_guard(arch: str) -> Any:
    """A TerminateOnNaN callback that also records the (1-based) epoch and which loss failed."""
    import keras

    class NanGuard(keras.callbacks.TerminateOnNaN):
        def __init__(self) -> None:
            super().__init__()
            self.arch = arch
            self.epoch = 0
            self.failed: str | None = None

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch + 1

        def on_batch_end(self, batch, logs=None):
            # Keras reports every `steps_per_execution` batches and the loss is the epoch's running
            # mean, so the first non-finite value happened at or before this batch.
            loss = (logs or {}).get("loss")
            if loss is not None and not np.isfinite(float(loss)) and self.failed is None:
                self.failed = f"training loss {float(loss)} by batch {batch + 1}"
            super().on_batch_end(batch, logs)

        def on_epoch_end(self, epoch, logs=None):
            val = (logs or {}).get("val_loss")
            if val is not None and not np.isfinite(float(val)) and self.failed is None:
                self.failed = f"validation loss {float(val)}"
                self.model.stop_training = True

    return NanGuard()


def raise_if_diverged(guard: Any) -> None:
    if guard.failed:
        raise TrainingDiverged(
            f"train@{guard.arch}: {guard.failed} in epoch {guard.epoch} is not finite; training stopped and "
            "no model or metrics were written; usual fixes: lower train.learning_rate, set data.scale: true, "
            "check the data for huge values"
        )


# --- resume after a crash -----------------------------------------------------------------


def run_key(*parts: Any, files: list[Path] | tuple[Path, ...] = ()) -> str:
    """A short hash of JSON-able `parts` and the bytes of `files` (missing files count as absent)."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode())
    for path in files:
        path = Path(path)
        digest.update(str(path.name).encode())
        if path.is_file():
            with path.open("rb") as fh:
                digest.update(hashlib.file_digest(fh, "sha256").digest())
    return digest.hexdigest()[:16]


def backup_dir(arch: str, key: str, root: Path = BACKUP_ROOT) -> Path:
    return root / f"{arch}-{key}"


def forget_other_backups(arch: str, key: str, root: Path = BACKUP_ROOT) -> None:
    """Backups of `arch` made under other params or data can never be resumed: remove them."""
    if root.is_dir():
        for stale in root.glob(f"{arch}-*"):
            if stale.name != f"{arch}-{key}" and stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)


def remove_backup(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)


def checkpoint(directory: Path, stopper: Any = None, log: Any = print, plateau: Any = None) -> Any:
    """A callback that saves a resumable state after an epoch and restores it at train begin: after
    each epoch that ends `checkpoint_seconds()` or more after the last save (or train begin), and
    after the planned last epoch.
    `log` gets its lines about resuming; a saved epoch sets `epoch_note`, which `fit` prints on the
    epoch's own line (`... - checkpoint saved`) rather than a line of its own.

    The state (the values of the model's variables, the optimizer's and the random layers' seed
    states, epoch count, per-epoch logs, the early-stopping counters and best weights, and the
    counters of `lr_schedule: plateau`'s ReduceLROnPlateau `plateau`) is
    written to a temporary directory and renamed over `directory/state`, so a kill never leaves a
    partial state (at worst, in the instant between removing the old state and renaming the new
    one, none: a fresh start). The variables go to one .npz, several times cheaper per epoch than
    Keras' .weights.h5 (bench/checkpoint.py; bench/RESULTS.md), and are restored exactly.
    """
    import keras

    interval = checkpoint_seconds()

    class Checkpoint(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.saved_at = time.perf_counter()
            self.state_dir = Path(directory) / "state"
            self.stopper = stopper
            self.plateau = plateau
            self.resumed_from = 0
            self.history: list[dict[str, float]] = []
            self.epoch_note: str | None = None  # folded into the epoch's line of the train log (fit.py)

        def on_train_begin(self, logs=None):
            self.saved_at = time.perf_counter()
            state_file = self.state_dir / "state.json"
            if not state_file.is_file():
                return
            if not (self.state_dir / "variables.npz").is_file():  # written by an older seqpipe
                log(f"checkpoint in {self.state_dir.parent} is in an older format; starting afresh")
                return
            state = json.loads(state_file.read_text(encoding="utf-8"))
            if self.model.optimizer is not None and not self.model.optimizer.built:
                self.model.optimizer.build(self.model.trainable_variables)
            variables = _training_state(self.model)
            with np.load(self.state_dir / "variables.npz", allow_pickle=False) as npz:
                saved = [npz[f"arr_{i}"] for i in range(len(npz.files))]
            if [v.shape for v in saved] != [tuple(v.shape) for v in variables]:
                log(f"checkpoint in {self.state_dir.parent} does not fit this model; starting afresh")
                return
            for variable, value in zip(variables, saved):
                variable.assign(value)
            self.resumed_from = int(state["epoch"])
            self.history = state["history"]
            if "numpy_random" in state:  # JAX and PyTorch shuffle each epoch with NumPy's global generator
                name, keys, pos, has_gauss, cached = state["numpy_random"]
                np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
            self.model._initial_epoch = self.resumed_from
            log(f"resuming from epoch {self.resumed_from} ({self.state_dir.parent})")

        def on_epoch_begin(self, epoch, logs=None):
            # EarlyStopping and ReduceLROnPlateau reset themselves in on_train_begin; put their
            # counters back once, afterwards.
            if epoch == self.resumed_from and self.resumed_from:
                if self.stopper is not None:
                    self._restore_stopper()
                if self.plateau is not None:
                    self._restore_plateau()

        def on_epoch_end(self, epoch, logs=None):
            self.epoch_note = None
            if self.model.stop_training and any(not np.isfinite(float(v)) for v in (logs or {}).values()):
                return  # never checkpoint a diverged model
            self.history.append({k: float(v) for k, v in (logs or {}).items()})
            last = epoch + 1 >= int((self.params or {}).get("epochs") or 0)  # a kill while saving resumes at the end
            if time.perf_counter() - self.saved_at < interval and not last:
                return
            with atomic.atomic_path(self.state_dir) as tmp:
                tmp.mkdir(parents=True)
                np.savez(tmp / "variables.npz", *[np.asarray(v) for v in _training_state(self.model)])
                name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
                state = {"epoch": epoch + 1, "history": self.history,
                         "numpy_random": [name, np.asarray(keys).tolist(), int(pos), int(has_gauss), float(cached)]}
                if self.stopper is not None:
                    state["stopper"] = {
                        "wait": int(self.stopper.wait),
                        "best": None if self.stopper.best is None else float(self.stopper.best),
                        "best_epoch": int(self.stopper.best_epoch),
                    }
                    if self.stopper.best_weights is not None:
                        np.savez(tmp / "best_weights.npz", *self.stopper.best_weights)
                if self.plateau is not None:
                    best = self.plateau.best
                    state["plateau"] = {"wait": int(self.plateau.wait), "cooldown_counter": int(self.plateau.cooldown_counter),
                                        "best": None if best is None else float(best)}
                (tmp / "state.json").write_text(json.dumps(state) + "\n", encoding="utf-8")
            self.epoch_note = "checkpoint saved"
            self.saved_at = time.perf_counter()
            _kill_point(epoch + 1)

        def _restore_plateau(self) -> None:
            state = json.loads((self.state_dir / "state.json").read_text(encoding="utf-8"))
            saved = state.get("plateau")
            if saved:  # the learning rate itself is an optimizer variable, restored with the others
                self.plateau.wait = saved["wait"]
                self.plateau.cooldown_counter = saved["cooldown_counter"]
                self.plateau.best = saved["best"]

        def _restore_stopper(self) -> None:
            state = json.loads((self.state_dir / "state.json").read_text(encoding="utf-8"))
            saved = state.get("stopper")
            if not saved:
                return
            self.stopper.wait = saved["wait"]
            if saved["best"] is not None:
                self.stopper.best = saved["best"]
            self.stopper.best_epoch = saved["best_epoch"]
            best = self.state_dir / "best_weights.npz"
            if best.is_file():
                with np.load(best, allow_pickle=False) as npz:
                    self.stopper.best_weights = [npz[f"arr_{i}"] for i in range(len(npz.files))]

    return Checkpoint()


def _kill_point(epoch: int) -> None:
    """Tests only: SEQPIPE_TEST_KILL_AFTER_CHECKPOINT=<epoch> makes the process SIGKILL itself right
    after that epoch's checkpoint is in place. (A kill sent from outside on seeing the epoch's log
    line can land epochs later: tiny epochs take milliseconds.)"""
    if os.environ.get("SEQPIPE_TEST_KILL_AFTER_CHECKPOINT") == str(epoch):
        os.kill(os.getpid(), signal.SIGKILL)


def _training_state(model: Any) -> list[Any]:
    """Every variable a resumed run needs, in a fixed order: the model's (weights and the seed
    states of dropout and other random layers, without which a resumed run would draw different
    masks), then the optimizer's (step count, moments, loss scale)."""
    optimizer = [] if model.optimizer is None else list(model.optimizer.variables)
    return [*model.variables, *optimizer]


def saved_history(directory: Path) -> list[dict[str, float]]:
    """Per-epoch logs of the checkpoint in `directory` (empty when there is none)."""
    state_file = Path(directory) / "state" / "state.json"
    if not state_file.is_file():
        return []
    return json.loads(state_file.read_text(encoding="utf-8"))["history"]


def kept_weights(plan: Budget, patience: int) -> Any:
    """The callback that picks the epoch whose weights a run ends with (`plan.keep`;
    seqpipe.config.budget): early stopping on the validation loss, or, without a usable validation
    split, Keras' EarlyStopping on the training loss with a patience longer than the run, which never
    stops it and, at the end, restores the weights of its lowest training loss if the last epoch's
    was a spike (`budget.is_spike`; dl-4-tsc's rule, for spikes only). None: the last epoch's weights.
    Either is the `stopper` whose state `checkpoint` saves, so a resumed run keeps the same epoch as
    an uninterrupted one."""
    if plan.keep == KEEP_VAL_LOSS:
        return early_stopping(patience, plan.watch_from)
    if plan.keep != KEEP_TRAIN_LOSS:
        return None
    import keras

    class SpikeGuard(keras.callbacks.EarlyStopping):
        last_loss: float | None = None

        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)
            self.last_loss = (logs or {}).get(KEEP_TRAIN_LOSS)

        def on_train_end(self, logs=None):
            if self.best is not None and self.last_loss is not None and not is_spike(float(self.last_loss), self.best):
                self.best_weights = None  # no spike at the end: the last epoch's weights stay
            super().on_train_end(logs)

    return SpikeGuard(monitor=KEEP_TRAIN_LOSS, patience=plan.epochs + 1, restore_best_weights=True)


def early_stopping(patience: int, watch_from: int = 0) -> Any:
    """Early stopping on validation loss, restoring the best weights (None when patience is 0),
    watching from epoch `watch_from` + 1 (`seqpipe.config.budget`'s warm-up).
    The train stage creates it here, not inside `fit`, so that `checkpoint` can save its state."""
    if patience <= 0:
        return None
    import keras

    return keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True,
                                         start_from_epoch=watch_from)

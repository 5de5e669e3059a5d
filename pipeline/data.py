"""Turn a data source's RawData into padded, split and scaled arrays plus a spec.

Library functions take values, not params or paths, so tests call them directly. Prepared data
is stored as plain `.npy` files (byte-identical for identical inputs, memory-mappable) and a
`spec.json` that later stages read instead of re-deriving shapes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from pipeline import atomic
from pipeline.errors import DataError
from pipeline.specs import RawData

SPLITS = ("train", "val", "test")


@dataclass
class Prepared:
    arrays: dict[str, np.ndarray]  # X_train, y_train, X_val, ...
    spec: dict[str, Any]

    def xy(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        return self.arrays[f"X_{split}"], self.arrays[f"y_{split}"]


def split_indices(
    targets: np.ndarray, task: str, val: float, test: float, seed: int
) -> dict[str, np.ndarray]:
    """Seeded train/val/test indices; stratified by class for classification tasks."""
    n = len(targets)
    indices = np.arange(n)
    stratify = targets if task != "regression" else None
    try:
        rest, test_idx = train_test_split(indices, test_size=test, random_state=seed, stratify=stratify)
        rest_targets = targets[rest] if stratify is not None else None
        train_idx, val_idx = train_test_split(
            rest, test_size=val / (1.0 - test), random_state=seed + 1, stratify=rest_targets
        )
    except ValueError as exc:
        raise DataError(f"cannot split {n} sequences into train/val/test: {exc}") from None
    return {"train": np.sort(train_idx), "val": np.sort(val_idx), "test": np.sort(test_idx)}


def pad(
    sequences: np.ndarray | list[np.ndarray],
    maxlen: int,
    padding: str = "pre",
    truncating: str = "pre",
    value: float = 0.0,
    dtype: str = "float32",
) -> tuple[np.ndarray, int]:
    """Pad/truncate to `maxlen` exactly like `keras.utils.pad_sequences`; also count truncations."""
    from keras.utils import pad_sequences  # keras only where padding happens

    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    padded = pad_sequences(
        list(sequences), maxlen=maxlen, dtype=dtype, padding=padding, truncating=truncating, value=value
    )
    return padded, int((lengths > maxlen).sum())


def padding_positions(lengths: np.ndarray, maxlen: int, padding: str) -> np.ndarray:
    """Boolean (n, maxlen): True where a step is padding rather than data."""
    steps = np.arange(maxlen)[None, :]
    kept = np.minimum(lengths, maxlen)[:, None]
    return steps >= kept if padding == "post" else steps < (maxlen - kept)


def fit_scaler(x_train: np.ndarray) -> StandardScaler:
    """Per-feature standardisation fitted on the training split only."""
    return StandardScaler().fit(x_train.reshape(-1, x_train.shape[-1]))


def apply_scaler(scaler: StandardScaler, x: np.ndarray) -> np.ndarray:
    return scaler.transform(x.reshape(-1, x.shape[-1])).reshape(x.shape).astype(np.float32)


def prepare(
    raw: RawData,
    *,
    val: float,
    test: float,
    seed: int,
    scale: bool = True,
    maxlen: int | None = None,
    padding: str = "pre",
    truncating: str = "pre",
) -> Prepared:
    """Split, pad and scale `raw`; every statistic (maxlen, scaler) comes from the train split."""
    targets = np.asarray(raw.targets)
    n = len(targets)
    if len(raw.sequences) != n:
        raise DataError(f"{len(raw.sequences)} sequences but {n} targets")
    if raw.task != "regression" and len(np.unique(targets)) < 2:
        raise DataError(f"task '{raw.task}' needs at least two classes, found {np.unique(targets).tolist()}")
    parts = split_indices(targets, raw.task, val, test, seed)

    tokens = raw.input_kind == "tokens"
    lengths = np.fromiter((len(s) for s in raw.sequences), dtype=np.int64, count=n)
    if maxlen is None:
        maxlen = int(lengths[parts["train"]].max())
    arrays: dict[str, np.ndarray] = {}
    truncated: dict[str, int] = {}
    padded_any = bool((lengths != maxlen).any())
    for split, idx in parts.items():
        seqs = [raw.sequences[i] for i in idx] if isinstance(raw.sequences, list) else raw.sequences[idx]
        if not tokens and isinstance(seqs, np.ndarray) and seqs.ndim == 2:
            seqs = seqs[..., None]
        if isinstance(seqs, np.ndarray) and seqs.shape[1] == maxlen:
            x, truncated[split] = seqs.astype("int32" if tokens else "float32"), 0
        else:
            x, truncated[split] = pad(seqs, maxlen, padding, truncating, dtype="int32" if tokens else "float32")
        if not tokens and x.ndim == 2:
            x = x[..., None]
        arrays[f"X_{split}"] = x
        arrays[f"y_{split}"] = targets[idx].astype(np.float32 if raw.task == "regression" else np.int32)

    scaler_stats = None
    if scale and not tokens:
        # Statistics from real (unpadded) train steps only; padding stays exactly 0 so the
        # model's Masking layer can find it.
        real = {s: ~padding_positions(lengths[parts[s]], maxlen, padding) for s in SPLITS}
        scaler = fit_scaler(arrays["X_train"][real["train"]][None])
        for split in SPLITS:
            x = apply_scaler(scaler, arrays[f"X_{split}"])
            x[~real[split]] = 0.0
            arrays[f"X_{split}"] = x
        scaler_stats = {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist()}

    classes = None if raw.task == "regression" else int(targets.max()) + 1
    spec = {
        "task": raw.task,
        "input_kind": raw.input_kind,
        "timesteps": int(maxlen),
        "features": 1 if tokens else int(arrays["X_train"].shape[-1]),
        "vocab_size": raw.vocab_size,
        "n_classes": classes,
        "class_names": raw.class_names or (None if classes is None else [str(c) for c in range(classes)]),
        "sizes": {s: int(len(parts[s])) for s in SPLITS},
        "padding": {"maxlen": int(maxlen), "padding": padding, "truncating": truncating, "padded": padded_any},
        "truncated": truncated,
        "class_balance": None
        if classes is None
        else {s: np.bincount(arrays[f"y_{s}"], minlength=classes).tolist() for s in SPLITS},
        "scaler": scaler_stats,
        "source": raw.description,
    }
    return Prepared(arrays, spec)


def save(prepared: Prepared, directory: str | Path) -> None:
    """Write the arrays and spec.json into `directory`, atomically as a whole."""
    with atomic.atomic_path(directory) as tmp:
        tmp.mkdir(parents=True)
        for name, array in prepared.arrays.items():
            np.save(tmp / f"{name}.npy", array, allow_pickle=False)
        (tmp / "spec.json").write_text(json.dumps(prepared.spec, indent=2) + "\n", encoding="utf-8")


def load(directory: str | Path, splits: tuple[str, ...] = SPLITS) -> Prepared:
    """Read prepared data back (no pickles)."""
    directory = Path(directory)
    spec_file = directory / "spec.json"
    if not spec_file.is_file():
        raise DataError(f"{spec_file}: not found; run the prepare stage first (dvc repro prepare)")
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    arrays = {}
    for split in splits:
        for part in ("X", "y"):
            arrays[f"{part}_{split}"] = np.load(directory / f"{part}_{split}.npy", allow_pickle=False)
    return Prepared(arrays, spec)

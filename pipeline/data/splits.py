"""Train/validation/test splits: seeded, stratified by class, or the split that came with the data."""
from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split

from seqpipe import tasks
from seqpipe.errors import DataError

SPLITS = ("train", "val", "test")


def split_indices(
    targets: np.ndarray, task: str, val: float, test: float, seed: int
) -> dict[str, np.ndarray]:
    """Seeded train/val/test indices; stratified by class for classification tasks."""
    n = len(targets)
    indices = np.arange(n)
    stratify = targets if tasks.get(task).labels else None
    try:
        rest, test_idx = train_test_split(indices, test_size=test, random_state=seed, stratify=stratify)
        rest_targets = targets[rest] if stratify is not None else None
        train_idx, val_idx = train_test_split(
            rest, test_size=val / (1.0 - test), random_state=seed + 1, stratify=rest_targets
        )
    except ValueError as exc:
        raise DataError(f"cannot split {n} sequences into train/val/test: {exc}") from None
    return {"train": np.sort(train_idx), "val": np.sort(val_idx), "test": np.sort(test_idx)}


def official_split_indices(
    split: np.ndarray, targets: np.ndarray, task: str, val: float, seed: int
) -> dict[str, np.ndarray]:
    """Respect a split that comes with the data: its test part stays the test split; the
    validation split is carved (seeded, stratified) out of its train part."""
    split = np.asarray(split).astype(str)
    unknown = sorted(set(split.tolist()) - {"train", "test"})
    if unknown:
        raise DataError(f"official split labels must be 'train' or 'test', found {unknown}")
    train_all = np.flatnonzero(split == "train")
    test_idx = np.flatnonzero(split == "test")
    if len(train_all) < 2 or len(test_idx) == 0:
        raise DataError(f"the official split has {len(train_all)} train and {len(test_idx)} test sequences")
    stratify = targets[train_all] if tasks.get(task).labels else None
    try:
        train_idx, val_idx = train_test_split(train_all, test_size=val, random_state=seed + 1, stratify=stratify)
    except ValueError as exc:
        raise DataError(f"cannot carve a validation split out of the official train split: {exc}") from None
    return {"train": np.sort(train_idx), "val": np.sort(val_idx), "test": test_idx}

"""Train/validation/test splits: seeded, stratified by class, or the split that came with the data."""
from __future__ import annotations

import math

import numpy as np
from sklearn.model_selection import train_test_split

from seqpipe import tasks
from seqpipe.errors import DataError

SPLITS = ("train", "val", "test")


def split_indices(
    targets: np.ndarray, task: str, val: float, test: float, seed: int, *, origin: str | None = None,
    class_names: list[str] | None = None,
) -> dict[str, np.ndarray]:
    """Seeded train/val/test indices; stratified by class for classification tasks.

    When scikit-learn cannot split, the error names `origin`, the class counts (by `class_names`)
    and what would work, instead of scikit-learn's words."""
    n = len(targets)
    indices = np.arange(n)
    stratify = targets if tasks.get(task).labels else None
    try:
        rest, test_idx = train_test_split(indices, test_size=test, random_state=seed, stratify=stratify)
        rest_targets = targets[rest] if stratify is not None else None
        train_idx, val_idx = train_test_split(
            rest, test_size=val / (1.0 - test), random_state=seed + 1, stratify=rest_targets
        )
    except ValueError:
        fractions = {"data.split.test": test, "data.split.val": val}  # in the order scikit-learn meets them
        raise DataError(_why_not(targets, stratify is not None, fractions, origin, class_names)) from None
    return {"train": np.sort(train_idx), "val": np.sort(val_idx), "test": np.sort(test_idx)}


def _counts(targets: np.ndarray, class_names: list[str] | None) -> tuple[dict[str, int], int]:
    ids, counts = np.unique(targets, return_counts=True)
    named = {(class_names[int(i)] if class_names and int(i) < len(class_names) else str(i)): int(c)
             for i, c in zip(ids, counts)}
    return named, len(ids)


def _why_not(targets: np.ndarray, stratified: bool, fractions: dict[str, float], origin: str | None,
             class_names: list[str] | None, parts: str = "train/val/test") -> str:
    """One line: why `targets` cannot be split into `parts` with `fractions` (setting -> value) held
    out, and what would work."""
    n = len(targets)
    prefix = f"{origin}: " if origin else ""
    settings = ", ".join(f"{key} {value:g}" for key, value in fractions.items())
    head = f"{prefix}cannot split {n} sequences into {parts} ({settings})"
    splits = len(parts.split(" ")[0].split("/"))
    if not stratified:
        return (f"{head}: every split needs at least one sequence, so at least {splits} in all; add data or "
                "change data.split")
    counts, k = _counts(targets, class_names)
    shown = ", ".join(f"{name!r}: {c}" for name, c in counts.items())
    rare = min(counts, key=lambda name: counts[name])
    if counts[rare] < splits:
        return (f"{head}: class {rare!r} has {counts[rare]} sequence{'s' if counts[rare] != 1 else ''} "
                f"(class counts {shown}); a stratified split needs at least {splits} of each class, one per split; "
                "add sequences of the rare classes or merge them")
    for key, fraction in fractions.items():
        held = math.ceil(fraction * n)  # scikit-learn holds out ceil(fraction * n): at least one per class
        if held < k:
            return (f"{head}: {key} {fraction:g} of {n} sequences is {held}, fewer than the {k} classes "
                    f"(class counts {shown}); raise {key} to at least {k / n:.2g} or add data")
    return f"{head}: too few sequences for {k} classes (class counts {shown}); add data or change data.split"


def official_split_indices(
    split: np.ndarray, targets: np.ndarray, task: str, val: float, seed: int, *, origin: str | None = None,
    class_names: list[str] | None = None,
) -> dict[str, np.ndarray]:
    """Respect a split that comes with the data: its test part stays the test split; the
    validation split is carved (seeded, stratified) out of its train part."""
    split = np.asarray(split).astype(str)
    prefix = f"{origin}: " if origin else ""
    unknown = sorted(set(split.tolist()) - {"train", "test"})
    if unknown:
        raise DataError(f"{prefix}official split labels must be 'train' or 'test', found {unknown}")
    train_all = np.flatnonzero(split == "train")
    test_idx = np.flatnonzero(split == "test")
    if len(train_all) < 2 or len(test_idx) == 0:
        raise DataError(f"{prefix}the official split has {len(train_all)} train and {len(test_idx)} test sequences; "
                        "it needs at least 2 train and 1 test")
    stratify = targets[train_all] if tasks.get(task).labels else None
    try:
        train_idx, val_idx = train_test_split(train_all, test_size=val, random_state=seed + 1, stratify=stratify)
    except ValueError:
        raise DataError(_why_not(targets[train_all], stratify is not None, {"data.split.val": val}, origin,
                                 class_names, parts="train/val (the official train part)")) from None
    return {"train": np.sort(train_idx), "val": np.sort(val_idx), "test": test_idx}

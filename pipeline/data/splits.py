"""Train/validation/test splits: seeded, stratified by class, or the split that came with the data.

The validation split of labelled data is stratified whenever scikit-learn can stratify it. When
it cannot (a class with a single sequence, or fewer validation sequences than classes, as in a
UCR set with 2 training series per class), it falls back to `unstratified_val`: as many
sequences as the stratified split would hold, drawn at random (seeded) without ever taking a
class's last sequence, so every class keeps at least one in train. Such a validation split is
small, and the train stage does not early-stop on a small one (seqpipe.config.budget). The test
split is never drawn that way: a class missing from it could not be scored.

A split that came with the data (`official_split_indices`) gets no validation split at all when
`data.split.val` of its train part would be fewer than MIN_VALIDATION sequences: such a split could
not choose an epoch, so its sequences would only be lost to training (regression's floor is
MIN_SMALL_VALIDATION: it early-stops on a small split, see seqpipe.config.budget). The model then trains on the
whole official train part and keeps its last epoch, as the published results on such data do
(dl-4-tsc and InceptionTime train on the whole UCR train file), and the note says so.
"""
from __future__ import annotations

import math
from collections import Counter

import numpy as np

from seqpipe import tasks
from seqpipe.config.budget import min_validation
from seqpipe.errors import DataError

SPLITS = ("train", "val", "test")


class Splits(dict[str, np.ndarray]):
    """Indices per split; `note` says how the validation split was drawn when it could not be
    stratified (None otherwise), for the prepare log and spec.json."""

    note: str | None = None


def split_indices(
    targets: np.ndarray, task: str, val: float, test: float, seed: int, *, origin: str | None = None,
    class_names: list[str] | None = None,
) -> Splits:
    """Seeded train/val/test indices; stratified by class for classification tasks (the validation
    split falls back to `unstratified_val` when it cannot be stratified).

    When scikit-learn cannot split, the error names `origin`, the class counts (by `class_names`)
    and what would work, instead of scikit-learn's words."""
    n = len(targets)
    indices = np.arange(n)
    stratify = targets if tasks.get(task).labels else None
    fractions = {"data.split.test": test, "data.split.val": val}  # in the order scikit-learn meets them
    try:
        from sklearn.model_selection import train_test_split  # here: ~1 s of import that readers of data/prepared skip

        rest, test_idx = train_test_split(indices, test_size=test, random_state=seed, stratify=stratify)
    except ValueError:
        raise DataError(_why_not(targets, stratify is not None, fractions, origin, class_names)) from None
    parts = _carve_val(rest, targets, val / (1.0 - test), seed + 1, stratify is not None, class_names)
    if parts is None:
        raise DataError(_why_not(targets, stratify is not None, fractions, origin, class_names))
    parts["test"] = np.sort(test_idx)
    return parts


def _carve_val(pool: np.ndarray, targets: np.ndarray, fraction: float, seed: int, stratified: bool,
               class_names: list[str] | None) -> Splits | None:
    """Split `pool` into train and val (`fraction` of it): stratified where possible, else (labelled
    data) `unstratified_val`; None when neither works."""
    from sklearn.model_selection import train_test_split

    try:
        train_idx, val_idx = train_test_split(pool, test_size=fraction, random_state=seed,
                                              stratify=targets[pool] if stratified else None)
    except ValueError:
        if not stratified:
            return None
        return unstratified_val(pool, targets, math.ceil(fraction * len(pool)), seed, class_names)
    return Splits(train=np.sort(train_idx), val=np.sort(val_idx))


def unstratified_val(pool: np.ndarray, targets: np.ndarray, n_val: int, seed: int,
                     class_names: list[str] | None = None) -> Splits | None:
    """Up to `n_val` validation sequences of `pool`, drawn in a seeded random order, skipping any that
    is the last of its class left in train; None when no class has two sequences to spare one."""
    counts, k = _counts(targets[pool], class_names)
    left = Counter(int(t) for t in targets[pool])
    chosen: list[int] = []
    for i in np.random.default_rng(seed).permutation(len(pool)):
        if len(chosen) == n_val:
            break
        label = int(targets[pool[i]])
        if left[label] > 1:
            left[label] -= 1
            chosen.append(int(pool[i]))
    if not chosen:
        return None
    rare = min(counts, key=lambda name: counts[name])
    why = (f"class {rare!r} has {counts[rare]} sequence" if counts[rare] < 2
           else f"{n_val} validation sequences are fewer than the {k} classes")
    parts = Splits(train=np.setdiff1d(pool, chosen), val=np.sort(np.asarray(chosen, dtype=pool.dtype)))
    parts.note = (f"data.split.val: no stratified validation split of {len(pool)} sequences in {k} classes ({why}); "
                  f"drew {len(chosen)} validation sequences at random, keeping at least one of every class in train")
    return parts


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
) -> Splits:
    """Respect a split that comes with the data: its test part stays the test split; the
    validation split is carved (seeded, stratified, else as `unstratified_val`) out of its train part,
    unless it would hold fewer than `budget.min_validation(task)` sequences: then there is none and the whole
    train part is trained on (`note` says so)."""
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
    stratified = tasks.get(task).labels
    wanted = math.ceil(val * len(train_all))  # what scikit-learn would hold out
    fewest = min_validation(task)  # regression: MIN_SMALL_VALIDATION (seqpipe.config.budget)
    if wanted < fewest:
        whole = Splits(train=train_all, val=train_all[:0], test=test_idx)
        whole.note = (f"data.split.val: {val:g} of the {len(train_all)} official train sequences would be {wanted} "
                      f"validation sequences, fewer than {fewest} (too few to choose an epoch by); no "
                      f"validation split: training on all {len(train_all)}, keeping the last epoch unless it ends on a spike of the training loss")
        return whole
    parts = _carve_val(train_all, targets, val, seed + 1, stratified, class_names)
    if parts is None:
        raise DataError(_why_not(targets[train_all], stratified, {"data.split.val": val}, origin,
                                 class_names, parts="train/val (the official train part)"))
    parts["test"] = test_idx
    return parts

"""NPZ arrays - `X` (n, timesteps[, features]) and `y`, or official X_train/y_train/X_test/y_test.

When the file holds `X_train`/`X_test`, its test part is the test split and validation is carved
out of its train part. An optional `classes` array names the classes in class-id order: integer
labels are ids into it, text labels must be among its names, and the class names keep its order. Arrays are loaded without pickles; a ragged (object) array is refused
with a hint. The file is `data.path`.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from seqpipe import DataError, Dataset, RawData, hookimpl
from seqpipe.tables import check_file, from_arrays, requested_tasks


class NpzOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="the .npz file (set as data.path)")
    task: Literal["regression", "classification"] = Field("classification", description="what y holds")
    x_key: str = Field("X", description="name of the sequence array (or prefix of X_train/X_test)")
    y_key: str = Field("y", description="name of the target array (or prefix of y_train/y_test)")


def load(options: NpzOptions, seed: int, *, labelled: bool = True) -> RawData:
    import numpy as np

    path = check_file(options.path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {}
            for key in npz.files:
                try:
                    arrays[key] = npz[key]
                except ValueError:  # object arrays need pickles: ragged sequences
                    arrays[key] = np.empty(0, dtype=object)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read as npz: {' '.join(str(exc).split())}") from None
    raw = from_arrays(arrays, origin=options.path, task=options.task, x_key=options.x_key, y_key=options.y_key,
                      labelled=labelled)
    if "classes" in arrays and options.x_key != "classes" and options.y_key != "classes":
        raw = _named_classes(raw, arrays, options, labelled)
    return raw


def _named_classes(raw: RawData, arrays: dict, options: NpzOptions, labelled: bool) -> RawData:
    """Class ids and names as the `classes` array gives them, instead of the labels' sorted text."""
    import numpy as np

    origin, classes = options.path, arrays["classes"]
    if options.task == "regression":
        raise DataError(f"{origin}: array 'classes' names classes, but task is regression; drop it or use task: "
                        "classification")
    if classes.ndim != 1 or classes.dtype.kind not in "UiuSb":
        raise DataError(f"{origin}: array 'classes' must be 1-D text or numbers, the names in class-id order; got "
                        f"shape {classes.shape}, dtype {classes.dtype}")
    names = [c.decode() if isinstance(c, bytes) else str(c) for c in classes.tolist()]
    if len(set(names)) != len(names):
        repeated = next(n for n in names if names.count(n) > 1)
        raise DataError(f"{origin}: array 'classes' lists {repeated!r} twice; list each class once")
    if len(names) < 2 and labelled:
        raise DataError(f"{origin}: array 'classes' names one class ({names}); classification needs two or more")
    if raw.class_names is None or not len(raw.targets):
        return replace(raw, class_names=names, task="binary" if len(names) == 2 else "multiclass")
    y_key = options.y_key if options.y_key in arrays else f"{options.y_key}_train"
    by_id = arrays[y_key].dtype.kind in "iuf"  # numeric labels are ids, text labels are names
    position = {name: i for i, name in enumerate(names)}
    mapping = []
    for found in raw.class_names:
        at = _class_id(found, len(names)) if by_id else position.get(found)
        if at is None:
            allowed = f"ids 0..{len(names) - 1}" if by_id else f"names {', '.join(names)}"
            raise DataError(f"{origin}: label {found!r} is not in array 'classes' ({len(names)} classes: labels are "
                            f"{allowed})")
        mapping.append(at)
    targets = np.asarray(mapping, np.int32)[raw.targets]
    return replace(raw, targets=targets, class_names=names, task="binary" if len(names) == 2 else "multiclass",
                   description={**raw.description, "classes": names})


def _class_id(text: str, count: int) -> int | None:
    """A numeric label's class id (3, 3.0), or None when it is not a whole number in 0..count-1."""
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() and 0 <= value < count else None


@hookimpl
def register_datasets(register):
    register(Dataset("npz", load, NpzOptions, description=__doc__,
                     tasks=("regression", "binary", "multiclass"), reads_path=True,
                     tasks_for=lambda options: requested_tasks(options.task)))

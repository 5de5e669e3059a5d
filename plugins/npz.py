"""NPZ arrays - `X` (n, timesteps[, features]) and `y`, or official X_train/y_train/X_test/y_test.

When the file holds `X_train`/`X_test`, its test part is the test split and validation is carved
out of its train part. Arrays are loaded without pickles; a ragged (object) array is refused
with a hint. The file is `data.path`.
"""
from __future__ import annotations

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
    return from_arrays(arrays, origin=options.path, task=options.task, x_key=options.x_key, y_key=options.y_key,
                       labelled=labelled)


@hookimpl
def register_datasets(register):
    register(Dataset("npz", load, NpzOptions, description=__doc__,
                     tasks=("regression", "binary", "multiclass"), reads_path=True,
                     tasks_for=lambda options: requested_tasks(options.task)))

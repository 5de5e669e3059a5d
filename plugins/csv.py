"""CSV numeric series - your own sequences in long or wide form (regression, classification, forecast).

Long form: one row per step, with a sequence id column, an optional time column (rows are
ordered by it), feature columns and a target column (its value on a sequence's last row).
Sequences may have different lengths; the core pads them. Wide form: one row per sequence and
one column per step; empty cells at the end of a row make that sequence shorter. For `forecast`
each id (long) or row (wide) is one series and `target_column` is the column to forecast.
An optional `split_column` holding train/test is respected as the official split.
The file is `data.path` in params.yaml; it is read, never written.
"""
from __future__ import annotations

from seqpipe import Dataset, RawData, hookimpl
from seqpipe.tables import TableOptions, from_table, read_table, requested_tasks


def load(options: TableOptions, seed: int, *, labelled: bool = True) -> RawData:
    return from_table(read_table(options.path, "csv"), options, labelled=labelled)


@hookimpl
def register_datasets(register):
    register(Dataset("csv", load, TableOptions, description=__doc__,
                     tasks=("regression", "binary", "multiclass", "forecast"), reads_path=True,
                     tasks_for=lambda options: requested_tasks(options.task)))

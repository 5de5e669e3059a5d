"""Parquet numeric series - the same long and wide forms as `csv`, read with pyarrow.

Options are those of the `csv` source (see `seqpipe list`); the file is `data.path`.
"""
from __future__ import annotations

from seqpipe import Dataset, RawData, hookimpl
from seqpipe.tables import TableOptions, from_table, read_table, requested_tasks


def load(options: TableOptions, seed: int, *, labelled: bool = True) -> RawData:
    return from_table(read_table(options.path, "parquet"), options, labelled=labelled)


@hookimpl
def register_datasets(register):
    register(Dataset("parquet", load, TableOptions, description=__doc__,
                     tasks=("regression", "binary", "multiclass", "forecast"), reads_path=True,
                     tasks_for=lambda options: requested_tasks(options.task)))

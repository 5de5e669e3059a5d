"""Parquet numeric series - the same long and wide forms as `csv`, read with pyarrow.

Options are those of the `csv` source (see `seqpipe list`); the file is `data.path`.
"""
from __future__ import annotations

from seqpipe import Dataset, hookimpl
from seqpipe.tables import TableOptions, from_table


def load(options: TableOptions, seed: int):
    from seqpipe import tables

    return from_table(tables.read_table(options.path, "parquet"), options)


@hookimpl
def register_datasets(register):
    register(Dataset("parquet", load, TableOptions, description=__doc__,
                     tasks=("regression", "binary", "multiclass", "forecast"), reads_path=True))

"""Text CSV/Parquet - a text column and a label column (classification), or text alone (next_token).

The core tokenizes as Keras `TextVectorization` does, fitted on the training split only (settings
under `data.text`) and saves the vocabulary with the prepared data. For `next_token` every
position of each document (every `data.text.stride`-th) becomes an example whose context is up to
`data.window.lookback` preceding tokens. Empty texts are refused. The file is `data.path`
(.csv, .tsv or .parquet).
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from seqpipe import Dataset, RawData, hookimpl
from seqpipe.tables import from_text, read_table, requested_tasks


class TextOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="the file (set as data.path)")
    task: Literal["classification", "next_token"] = Field("classification", description="what to learn")
    text_column: str = Field("text", description="column of texts")
    label_column: str | None = Field("label", description="column of labels (classification)")
    split_column: str | None = Field(None, description="optional column of train/test: an official split")


def load(options: TextOptions, seed: int, *, labelled: bool = True) -> RawData:
    kind = "parquet" if options.path.endswith((".parquet", ".pq")) else "csv"
    df = read_table(options.path, kind)
    return from_text(df, origin=options.path, task=options.task, text_column=options.text_column,
                     label_column=options.label_column, split_column=options.split_column, labelled=labelled)


@hookimpl
def register_datasets(register):
    register(Dataset("text", load, TextOptions, description=__doc__,
                     tasks=("binary", "multiclass", "next_token"), reads_path=True,
                     tasks_for=lambda options: requested_tasks(options.task)))

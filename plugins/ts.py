"""UCR/UEA .ts files - the time-series archives' own format (classification with class names, regression).

Univariate or multivariate (dimensions separated by `:`), equal or unequal lengths (the core
pads), `?` for missing values (NaN, handled by `data.nan_policy`); class names keep the order
`@classLabel` lists them in, `@targetLabel true` makes a regression task. Point `data.path` at
`<Problem>_TRAIN.ts`: the `<Problem>_TEST.ts` beside it is the official test split (validation is
carved out of the train file), unless `official_split: false`; `test_path` names a test file
named otherwise. Only `data.path` is a DVC dependency: after editing the test file, run
`dvc repro -f prepare`. Read by `seqpipe.ts_format`, without aeon or sktime.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from seqpipe import Dataset, RawData, hookimpl
from seqpipe.tables import requested_tasks
from seqpipe.ts_format import from_ts, matching_test_file, read_ts


class TsOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="the .ts file, e.g. ArrowHead_TRAIN.ts (set as data.path)")
    task: Literal["auto", "classification", "regression"] = Field(
        "auto", description="auto: as the header says (@classLabel true: classification, @targetLabel true: regression)")
    official_split: bool = Field(True, description="use the matching _TEST.ts beside a _TRAIN.ts as the test split")
    test_path: str | None = Field(None, description="the official test file when it is not named like path (_TRAIN -> _TEST)")

    @model_validator(mode="after")
    def _test_path_needs_the_split(self) -> TsOptions:
        if self.test_path is not None and not self.official_split:
            raise ValueError("test_path is set but official_split is false; drop one of them")
        return self


def load(options: TsOptions, seed: int, *, labelled: bool = True) -> RawData:
    train = read_ts(options.path)
    test = None
    # New data for `seqpipe predict` is the file the user names, never its pair.
    if labelled and options.official_split:
        test_path = options.test_path or matching_test_file(options.path)
        if test_path is not None:
            test = read_ts(test_path, "data.options.test_path")
    return from_ts(train, test, task=options.task, labelled=labelled)


def _tasks(options: TsOptions) -> tuple[str, ...]:
    return ("regression", "binary", "multiclass") if options.task == "auto" else requested_tasks(options.task)


@hookimpl
def register_datasets(register):
    register(Dataset("ts", load, TsOptions, description=__doc__, tasks=("regression", "binary", "multiclass"),
                     reads_path=True, tasks_for=_tasks))

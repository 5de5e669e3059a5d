"""Forecast series from a long table (part of `seqpipe.tables`, the public helpers for file sources).

One row per (series, step). Without an id column the whole table is one series. The time column
orders the steps as times (`time_order`: dates as dates, numbers as numbers) and its values go
with the series (RawData.times: the season is inferred from them, `data.window.cutoff` compares
with them, `seqpipe predict` continues them). A split column of train/test rows is the official
split: in every series the test rows must come after the train rows, and the first test row is
where that series' test range begins (RawData.test_start). Declared covariates are read by
`seqpipe.table_covariates` (RawData.covariates); the rows after a series' last target are then
its future, not steps of the series.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from seqpipe.data_files import time_order
from seqpipe.errors import DataError
from seqpipe.specs import RawData

if TYPE_CHECKING:
    import pandas as pd


def forecast_from_long(df: pd.DataFrame, *, origin: str, id_column: str | None, time_column: str | None,
                       feature_columns: list[str] | None, target_column: str,
                       split_column: str | None = None, future_covariates: list[str] | None = None,
                       static_covariates: list[str] | None = None, calendar: bool | list[str] = False) -> RawData:
    """Long form for `task: forecast` (see the module docstring); `target_column` is the column
    forecast, the other feature columns are inputs beside it (covariates excepted)."""
    import pandas as pd

    from seqpipe import table_covariates
    from seqpipe.tables import _numeric, _plain, _split, require_columns

    future, static = list(future_covariates or []), list(static_covariates or [])
    covariates = table_covariates.declared(future, static, calendar)

    if df.empty:
        raise DataError(f"{origin}: no rows")
    if id_column is not None and id_column not in df.columns:
        found = ", ".join(map(str, df.columns))
        raise DataError(f"{origin}: column '{id_column}' not found; columns found: {found}; "
                        "for a single series without an id column set id_column: null")
    require_columns(df, [time_column, target_column, split_column, *(feature_columns or [])], origin)
    if covariates:
        table_covariates.check_columns(df, origin, future, static, {
            "id_column": id_column, "time_column": time_column, "target_column": target_column,
            "split_column": split_column}, feature_columns)
    reserved = {id_column, time_column, split_column, *future, *static}
    features = feature_columns or [c for c in df.columns if c not in reserved]
    if target_column not in features:
        features = [target_column, *features]
    df = df.reset_index(drop=True)  # the index is the data row - 1 from here on, through the sort below
    if id_column is None:
        key = pd.Series(np.zeros(len(df), dtype=np.int64), index=df.index)
        name_of: Any = None
    else:
        empty = df[id_column].isna().to_numpy() | (df[id_column].astype(str).str.strip() == "").to_numpy()
        if empty.any():
            raise DataError(f"{origin}: data row {int(np.argmax(empty)) + 1}: empty id in column '{id_column}'; "
                            "every row needs the id of its series (or set id_column: null for one series)")
        key, name_of = df[id_column], id_column
    order = time_order(df[time_column], origin, time_column) if time_column else None
    frame = pd.DataFrame({"_series": key, "_time": order if order is not None else np.arange(len(df))}, index=df.index)
    frame = frame.sort_values(["_series", "_time"], kind="stable")
    df = df.loc[frame.index]
    if time_column:
        repeated = frame.duplicated(["_series", "_time"]).to_numpy()
        if repeated.any():
            at = int(np.argmax(repeated))
            who = f"series {_plain(df[id_column].iloc[at])!r}" if id_column else "the series"
            raise DataError(f"{origin}: {who} has duplicate {time_column} {_plain(df[time_column].iloc[at])!r}; "
                            "each step must appear once")
    after = frame.iloc[:0]
    if covariates:  # the rows after each series' last target are its future
        is_after = table_covariates.future_rows(df, frame["_series"], target_column)
        after, after_rows = frame[is_after], df[is_after]
        df, frame = df[~is_after], frame[~is_after]
        lost = set(after["_series"].tolist()) - set(frame["_series"].tolist())
        if lost:
            raise DataError(f"{origin}: series {_plain(sorted(lost)[0])!r} has no value in target column "
                            f"'{target_column}'; a series needs its history before its future rows")
    values = _numeric(df, features, origin)
    codes, uniques = pd.factorize(frame["_series"], sort=True)
    bounds = np.flatnonzero(np.diff(codes)) + 1
    starts, ends = np.concatenate([[0], bounds]), np.concatenate([bounds, [len(df)]])
    ids = [_plain(u) for u in uniques] if name_of else [Path(origin).stem]
    times = None
    if order is not None and (pd.api.types.is_datetime64_any_dtype(order) or
                              (pd.api.types.is_numeric_dtype(df[time_column]))):
        stamps = frame["_time"].to_numpy()
        times = [stamps[s:e] for s, e in zip(starts, ends)]
    test_start = None
    if split_column:
        split = _split(df[split_column], origin, split_column)
        assert split is not None, "a split column was given"
        test_start = []
        for i, (s, e) in enumerate(zip(starts, ends)):
            is_test = split[s:e] == "test"
            first = int(np.argmax(is_test)) if is_test.any() else e - s
            if not is_test[first:].all():
                raise DataError(f"{origin}: series {ids[i]!r}: a train row follows a test row in split column "
                                f"'{split_column}'; the test rows of a series must be its last steps")
            test_start.append(first)
    description = {"file": origin, "format": "long", "sequences": len(starts), "features": features,
                   "official_split": split_column is not None}
    covs = None
    if covariates:
        if calendar and (times is None or not np.issubdtype(times[0].dtype, np.datetime64)):
            raise DataError(f"{origin}: data.options.calendar: calendar features need a time column of dates "
                            f"(time_column {time_column!r} holds {'no dates' if time_column else 'nothing: it is null'});"
                            " set calendar: false or give dates")
        covs = table_covariates.read(
            df, after_rows, pd.Index(uniques).get_indexer(after["_series"]),
            after["_time"].to_numpy() if times is not None else None, list(zip(starts, ends)), ids, origin,
            future, static, calendar)
        description["covariates"] = {"future": future, "static": static, "calendar": calendar}
    return RawData([values[s:e] for s, e in zip(starts, ends)], np.zeros(0, np.float32), "forecast", "numeric",
                   origin=origin, ids=ids, feature_names=features, forecast_feature=features.index(target_column),
                   description=description, times=times, test_start=test_start, covariates=covs)

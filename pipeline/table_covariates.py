"""Covariates of forecast series in a long table (part of `seqpipe.tables`, for file sources).

`data.options` of the csv and parquet sources declares `future_covariates` (columns known at
every step, also over the forecast horizon), `static_covariates` (columns constant within a
series) and `calendar` (features the core derives from the timestamps). The rows that follow a
series' last target (target empty) are its future: their future covariates are what
`seqpipe predict` forecasts with. Every mistake is one line naming the key.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, get_args

import numpy as np
from pydantic import BeforeValidator

from seqpipe.data_files import data_row
from seqpipe.errors import DataError
from seqpipe.specs import CalendarFeature, Covariates

if TYPE_CHECKING:
    import pandas as pd

FUTURE, STATIC = "data.options.future_covariates", "data.options.static_covariates"
# the descriptions of TableOptions' covariate options (`seqpipe list`)
FUTURE_HELP = ("forecast, long form: columns known at every step and over the horizon (rows after a series' last "
               "target hold its future values)")
STATIC_HELP = "forecast, long form: columns constant within a series (labels are one-hot encoded)"
CALENDAR_HELP = ("forecast: calendar features of the dates (true: chosen by the frequency; or a list of "
                 f"{', '.join(get_args(CalendarFeature))})")


def _calendar(value: Any) -> Any:
    allowed = get_args(CalendarFeature)
    if isinstance(value, bool) or (isinstance(value, list) and value and all(v in allowed for v in value)):
        return value
    raise ValueError(f"must be true, false or a list of calendar features from: {', '.join(allowed)}")


CalendarOption = Annotated[bool | list[str], BeforeValidator(_calendar)]


def covariates_of(options: Any) -> dict[str, Any]:
    """The covariate keywords of `from_long` that TableOptions set ({} when none); covariates of
    another task or of wide form are one line naming the key (so `from_table` calls this for
    either form)."""
    given = {"future_covariates": options.future_covariates, "static_covariates": options.static_covariates,
             "calendar": options.calendar}
    declared_keys = [key for key, value in given.items() if value]
    if declared_keys and (options.task != "forecast" or options.format != "long"):
        raise DataError(f"{options.path}: data.options.{declared_keys[0]}: covariates need task: forecast and format: "
                        f"long (here task: {options.task}, format: {options.format}); remove the key")
    return given if declared_keys else {}


def declared(future: list[str], static: list[str], calendar: bool | list[str]) -> bool:
    return bool(future or static or calendar)


def check_columns(df: pd.DataFrame, origin: str, future: list[str], static: list[str],
                  reserved: dict[str, str | None], feature_columns: list[str] | None) -> None:
    """Each declared column exists, is not the id/time/target/split column, appears once, and is
    not also an input feature (`feature_columns`)."""
    seen: dict[str, str] = {}
    for key, columns in ((FUTURE, future), (STATIC, static)):
        for col in columns:
            if col not in df.columns:
                found = ", ".join(map(str, df.columns))
                raise DataError(f"{origin}: {key}: column '{col}' not found; columns found: {found}")
            role = next((name for name, c in reserved.items() if c == col), None)
            if role is not None:
                raise DataError(f"{origin}: {key}: column '{col}' is the {role}; a covariate is another column")
            if col in seen:
                raise DataError(f"{origin}: {key}: column '{col}' is also in {seen[col]}; declare it once")
            if feature_columns and col in feature_columns:
                raise DataError(f"{origin}: {key}: column '{col}' is also in data.options.feature_columns (inputs "
                                "over the lookback only); declare it in one of them")
            seen[col] = key


def future_rows(df: pd.DataFrame, series: pd.Series, target_column: str) -> np.ndarray:
    """True for the rows after their series' last target (the target empty there): the future."""
    import pandas as pd

    position = np.arange(len(df))
    has_target = df[target_column].notna().to_numpy()
    last = pd.Series(np.where(has_target, position, -1)).groupby(series.to_numpy()).transform("max").to_numpy()
    return position > last


def read(df: pd.DataFrame, after: pd.DataFrame, after_series: np.ndarray, after_times: np.ndarray | None,
         bounds: list[tuple[int, int]], ids: list[Any], origin: str, future: list[str], static: list[str],
         calendar: bool | list[str]) -> Covariates:
    """The covariates of every series: `df` holds the series' steps (rows `bounds[i]` of series
    i, sorted), `after` the future rows, `after_series` their series index and `after_times`
    their time order values (None without a time column)."""
    values = _future_values(df, origin, future, bounds, ids) if future else [np.zeros((e - s, 0), np.float32)
                                                                                for s, e in bounds]
    after_values = _numbers(after, future, origin) if future else np.zeros((len(after), 0), np.float32)
    n = len(bounds)
    return Covariates(
        future=list(future), values=values,
        after=[after_values[after_series == i] for i in range(n)],
        after_times=None if after_times is None else [after_times[after_series == i] for i in range(n)],
        static=list(static), static_values=[_static_row(df, origin, static, s, e, ids[i]) for i, (s, e) in
                                            enumerate(bounds)],
        calendar=calendar,
    )


def _numbers(df: pd.DataFrame, columns: list[str], origin: str) -> np.ndarray:
    """The future covariate columns as float32; a column that is not numbers is one line naming it."""
    import pandas as pd

    for col in columns:
        if not pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col]):
            bad = (pd.to_numeric(df[col], errors="coerce").isna() & df[col].notna()).to_numpy()
            if not bad.any():
                continue  # e.g. an object column of numbers and gaps
            at = int(np.argmax(bad))
            raise DataError(f"{origin}: {FUTURE}: column '{col}' is not numeric (e.g. {df[col].iloc[at]!r} at data "
                            f"row {data_row(df.index, at)}); future covariates hold numbers (a label constant per "
                            f"series belongs in static_covariates; encode others as 0/1 columns)")
    with np.errstate(over="ignore"):
        return df[columns].apply(pd.to_numeric, errors="coerce").to_numpy(np.float32)


def _future_values(df: pd.DataFrame, origin: str, future: list[str], bounds: list[tuple[int, int]],
                   ids: list[Any]) -> list[np.ndarray]:
    values = _numbers(df, future, origin)
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        who = next(ids[i] for i, (s, e) in enumerate(bounds) if s <= row < e)
        raise DataError(f"{origin}: {FUTURE}: column '{future[col]}' is empty or not finite at data row "
                        f"{data_row(df.index, row)} (series {who!r}); a future covariate needs a value at every step")
    return [values[s:e] for s, e in bounds]


def _static_row(df: pd.DataFrame, origin: str, static: list[str], start: int, end: int, who: Any) -> list[Any]:
    """The value of each static column in one series: one value, never empty, never varying."""
    row = []
    for col in static:
        column = df[col].iloc[start:end]
        if column.isna().any():
            at = int(np.argmax(column.isna().to_numpy()))
            raise DataError(f"{origin}: {STATIC}: column '{col}' is empty at data row {data_row(column.index, at)} "
                            f"(series {who!r}); a static covariate needs its series' value on every row")
        distinct = column.unique()
        if len(distinct) > 1:
            raise DataError(f"{origin}: {STATIC}: column '{col}' varies within series {who!r} ({plain(distinct[0])!r} "
                            f"and {plain(distinct[1])!r}); a static covariate holds one value per series (a value "
                            "that changes over time belongs in future_covariates)")
        row.append(plain(distinct[0]))
    return row


def plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value

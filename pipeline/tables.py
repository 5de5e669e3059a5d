"""Tables to RawData: public helpers for dataset plugins that read files (part of the plugin contract).

The built-in csv, parquet, text and npz sources are written with these, and a third-party file
source may use them too: `from seqpipe.tables import from_table, read_table`. Functions take
values (a DataFrame or arrays, plus `origin`, the file name used in messages), never paths,
except `check_file` and `read_table`, which a plugin calls to read its file. Every problem is a
DataError of one line that names the file. Nothing here writes anything.

Rows in messages are data rows, counted from 1 without the header: "data row 31" is line 32 of a
CSV with one header line. The count is the same for CSV, Parquet and a plugin's own DataFrame
(line numbers are not: a quoted field may hold a line break, Parquet has none); it is the row's
integer index label + 1 (`read_table` gives 0..n-1). An NPZ place is its numpy index, from 0.
Numbers must fit float32, the prepared arrays' type: finite values beyond +-3.4e38 (inf once
cast) and complex numbers (the imaginary part would vanish) are refused, naming the place.

`labelled` is the argument a file source's `load(options, seed, *, labelled=True)` receives;
pass it on. `seqpipe predict` reads new files with the training data source's own loader and
`labelled=False`: a missing target/label column is then not an error (the RawData comes back with
no targets, an empty `targets` array), and one class is enough. A column that is there is read.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from seqpipe.data_files import FLOAT32_MAX, beyond_float32, check_file, data_row, time_order
from seqpipe.errors import DataError
from seqpipe.specs import RawData, TaskName
from seqpipe.table_covariates import CALENDAR_HELP, FUTURE_HELP, STATIC_HELP, CalendarOption, covariates_of
from seqpipe.table_covariates import plain as _plain
from seqpipe.table_series import forecast_from_long

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TableOptions", "check_file", "encode_labels", "from_arrays", "from_long", "from_table", "from_text",
           "from_wide", "read_table", "require_columns", "requested_tasks", "time_order"]


def _unlabelled(column: str | None, present: Any, labelled: bool) -> bool:
    """True when `column` (the target) is absent from `present` and that is allowed here."""
    return not labelled and column is not None and column not in present


def requested_tasks(task: str) -> tuple[str, ...]:
    """The tasks an option `task: <value>` can produce: "classification" is binary or multiclass
    (by the number of labels), any other value is itself. A file source's `Dataset.tasks_for`."""
    return ("binary", "multiclass") if task == "classification" else (task,)


def _no_targets(task: str) -> tuple[np.ndarray, TaskName]:
    return np.zeros(0, np.float32), "regression" if task == "regression" else "multiclass"


def read_table(path: str | Path, kind: str) -> pd.DataFrame:
    """Read a CSV or Parquet file read-only; parse failures become one line naming the file."""
    import pandas as pd

    path = check_file(path)
    try:
        if kind == "parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, sep=None if path.suffix in (".tsv", ".txt") else ",", engine="python"
                           if path.suffix in (".tsv", ".txt") else "c")
    except Exception as exc:  # pandas/pyarrow raise many types for unreadable files
        first = " ".join(str(exc).split())[:200]
        raise DataError(f"{path}: cannot read as {kind}: {type(exc).__name__}: {first}") from None


def require_columns(df: pd.DataFrame, columns: list[str | None], origin: str) -> None:
    """A one-line error for the first missing column, listing the columns that exist."""
    for col in columns:
        if col is not None and col not in df.columns:
            found = ", ".join(map(str, df.columns))
            raise DataError(f"{origin}: column '{col}' not found; columns found: {found}")


def encode_labels(values: pd.Series, origin: str, column: str, *, labelled: bool) -> tuple[np.ndarray, list[str]]:
    """Class labels (any type) -> ids 0..k-1 in sorted order of their text, plus the names.

    Training data (`labelled=True`) needs two classes or more; new data for prediction may hold one.
    A missing label is reported at its data row, read from `values.index` (see the module docstring).
    """
    missing = values.isna().to_numpy()
    if missing.any():
        row = data_row(values.index, int(np.argmax(missing)))
        raise DataError(f"{origin}: data row {row}: missing label in column '{column}'; every sequence needs a label")
    text = values.astype(str)
    names = sorted(text.unique().tolist())
    if len(names) < 2 and labelled:
        raise DataError(f"{origin}: column '{column}' has only one class ({names}); classification needs two or more")
    index = {n: i for i, n in enumerate(names)}
    return text.map(index).to_numpy(np.int32), names


def _numeric(df: pd.DataFrame, columns: list[str], origin: str) -> np.ndarray:
    import pandas as pd

    for col in columns:
        if not pd.api.types.is_numeric_dtype(df[col]):
            bad = (pd.to_numeric(df[col], errors="coerce").isna() & df[col].notna()).to_numpy()
            where = f"data row {data_row(df.index, int(np.argmax(bad)))}" if bad.any() else "?"
            example = df[col].iloc[int(np.argmax(bad))] if bad.any() else "?"
            raise DataError(f"{origin}: column '{col}' is not numeric (e.g. {example!r} at {where}); "
                            "feature columns hold numbers")
        _check_float32(df[col], origin, f"column '{col}'")
    return df[columns].to_numpy(np.float32)


def _check_float32(values: pd.Series, origin: str, what: str) -> None:
    """Refuse complex numbers and finite values float32 cannot hold, naming the first one's data row."""
    import pandas as pd

    if pd.api.types.is_complex_dtype(values):
        raise DataError(f"{origin}: {what} holds complex numbers; store real numbers (e.g. real and imaginary parts "
                        "as two columns)")
    at = beyond_float32(values.to_numpy())
    if at is not None:
        raise DataError(f"{origin}: {what}, data row {data_row(values.index, at[0])}: {values.iloc[at[0]]:.6g} is "
                        f"beyond float32 range (+-{FLOAT32_MAX:.3g}), the type of the prepared arrays; rescale the data")


def _targets(values: pd.Series, task: str, origin: str, column: str,
             labelled: bool) -> tuple[np.ndarray, TaskName, list[str] | None]:
    """(targets, concrete task, class names) for regression or classification."""
    import pandas as pd

    if task == "regression":
        if not pd.api.types.is_numeric_dtype(values):
            raise DataError(f"{origin}: target column '{column}' is not numeric; use task: classification for labels")
        _check_float32(values, origin, f"target column '{column}'")
        return values.to_numpy(np.float32), "regression", None
    ids, names = encode_labels(values, origin, column, labelled=labelled)
    return ids, "binary" if len(names) == 2 else "multiclass", names


def _split(values: pd.Series | None, origin: str, column: str | None) -> np.ndarray | None:
    if values is None:
        return None
    text = values.astype(str).str.strip().str.lower().to_numpy()
    unknown = sorted(set(text.tolist()) - {"train", "test"})
    if unknown:
        raise DataError(f"{origin}: split column '{column}' must hold 'train' or 'test', found {unknown[:5]}")
    return text


def from_long(df: pd.DataFrame, *, origin: str, task: str, id_column: str | None, time_column: str | None,
              feature_columns: list[str] | None, target_column: str, split_column: str | None = None,
              labelled: bool, **covariates: Any) -> RawData:
    """Long form: one row per (sequence, step). Rows are grouped by `id_column` (an empty id is
    refused) and ordered by `time_column` as `time_order` says; sequences may differ in length.
    The target is the value on a sequence's last row (it should be constant per sequence). For
    `forecast`: `seqpipe.table_series`. With `labelled=False` the target column may be missing."""
    import pandas as pd

    if task == "forecast":
        return forecast_from_long(df, origin=origin, id_column=id_column, time_column=time_column,
                                  feature_columns=feature_columns, target_column=target_column,
                                  split_column=split_column, **covariates)
    if id_column is None or df.empty:
        raise DataError(f"{origin}: " + ("no rows" if df.empty else f"long form needs an id_column for task {task}"))
    unlabelled = _unlabelled(target_column, df.columns, labelled)
    require_columns(df, [id_column, time_column, None if unlabelled else target_column, split_column,
                         *(feature_columns or [])], origin)
    reserved = {id_column, time_column, split_column, target_column}
    features = feature_columns or [c for c in df.columns if c not in reserved]
    if not features:
        raise DataError(f"{origin}: no feature columns; columns found: {', '.join(map(str, df.columns))}")
    df = df.reset_index(drop=True)  # the index is the data row - 1 from here on, through the sort below
    empty = df[id_column].isna().to_numpy() | (df[id_column].astype(str).str.strip() == "").to_numpy()
    if empty.any():
        raise DataError(f"{origin}: data row {int(np.argmax(empty)) + 1}: empty id in column '{id_column}'; "
                        "every row needs the id of its sequence")
    # stable sort: without a time column, rows keep the file's order within each sequence
    if time_column:
        order = time_order(df[time_column], origin, time_column)
        df = df.sort_values([id_column, time_column], kind="stable",
                            key=lambda col: order if col.name == time_column else col)
    else:
        df = df.sort_values([id_column], kind="stable")
    if time_column:
        repeated = df.duplicated([id_column, time_column]).to_numpy()
        if repeated.any():
            row = df.iloc[int(np.argmax(repeated))]
            raise DataError(f"{origin}: sequence {_plain(row[id_column])!r} has duplicate {time_column} "
                            f"{_plain(row[time_column])!r}; each step must appear once")
    values = _numeric(df, features, origin)
    codes, uniques = pd.factorize(df[id_column], sort=True)
    bounds = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(df)]])
    sequences = [values[s:e] for s, e in zip(starts, ends)]
    ids = [_plain(u) for u in uniques]
    split = None
    if split_column:
        split = _split(df[split_column].iloc[ends - 1], origin, split_column)
    description = {"file": origin, "format": "long", "sequences": len(sequences), "features": features}
    if unlabelled:
        targets, concrete = _no_targets(task)
        return RawData(sequences, targets, concrete, "numeric", origin=origin, ids=ids, feature_names=features,
                       description=description)
    last = df[target_column].iloc[ends - 1]  # keeps each row's index: its data row - 1, for messages
    targets, concrete, names = _targets(last, task, origin, target_column, labelled)
    return RawData(sequences, targets, concrete, "numeric", class_names=names, split=split, origin=origin,
                   ids=ids, feature_names=features, description={**description, "classes": names})


def from_wide(df: pd.DataFrame, *, origin: str, task: str, id_column: str | None,
              step_columns: list[str] | None, target_column: str | None, split_column: str | None = None,
              labelled: bool) -> RawData:
    """Wide form: one row per sequence, one column per step (a single feature). Empty cells at
    the end of a row make that sequence shorter; an empty cell between values is a NaN. For
    `forecast` each row is one series and `target_column` is not used. With `labelled=False` the
    target column may be missing."""
    if df.empty:
        raise DataError(f"{origin}: no rows")
    df = df.reset_index(drop=True)  # position = data row - 1, for messages
    if task != "forecast" and target_column is None:
        raise DataError(f"{origin}: wide form needs a target_column for task {task}")
    unlabelled = task != "forecast" and _unlabelled(target_column, df.columns, labelled)
    require_columns(df, [id_column, split_column, *([target_column] if task != "forecast" and not unlabelled else []),
                         *(step_columns or [])], origin)
    reserved = {id_column, split_column, target_column}
    steps = step_columns or [c for c in df.columns if c not in reserved]
    if not steps:
        raise DataError(f"{origin}: no step columns; columns found: {', '.join(map(str, df.columns))}")
    values = _numeric(df, steps, origin)
    # trailing empty cells end a shorter sequence
    present = ~np.isnan(values)
    lengths = np.where(present.any(axis=1), values.shape[1] - np.argmax(present[:, ::-1], axis=1), 0)
    ids = [_plain(v) for v in df[id_column]] if id_column else [f"data row {i + 1}" for i in range(len(df))]
    if id_column and df[id_column].duplicated().any():
        row = int(np.argmax(df[id_column].duplicated().to_numpy()))
        raise DataError(f"{origin}: data row {row + 1}: duplicate id {ids[row]!r} in column '{id_column}'; "
                        "wide form has one row per sequence")
    if (lengths == 0).any():
        row = int(np.argmax(lengths == 0))
        raise DataError(f"{origin}: data row {row + 1}: sequence {ids[row]!r} has no values; give each row one value "
                        "or more")
    ragged = bool((lengths != values.shape[1]).any())
    sequences: Any = [values[i, : lengths[i], None] for i in range(len(values))] if ragged else values[..., None]
    split = _split(df[split_column], origin, split_column) if split_column else None
    description = {"file": origin, "format": "wide", "sequences": len(df), "steps": len(steps)}
    if task == "forecast":
        seqs = list(sequences) if not ragged else sequences
        return RawData(seqs, np.zeros(0, np.float32), "forecast", "numeric", origin=origin, ids=ids,
                       feature_names=["value"], description=description)
    if unlabelled:
        targets, concrete = _no_targets(task)
        return RawData(sequences, targets, concrete, "numeric", origin=origin, ids=ids, feature_names=["value"],
                       description=description)
    assert target_column is not None, "required above for every task but forecast"
    targets, concrete, names = _targets(df[target_column], task, origin, target_column, labelled)
    return RawData(sequences, targets, concrete, "numeric", class_names=names, split=split, origin=origin,
                   ids=ids, feature_names=["value"], description={**description, "classes": names})


def from_text(df: pd.DataFrame, *, origin: str, task: str, text_column: str, label_column: str | None,
              split_column: str | None = None, labelled: bool) -> RawData:
    """Text rows; the core tokenizes them (TextVectorization fit on the training split). With
    `labelled=False` the label column may be missing."""
    if df.empty:
        raise DataError(f"{origin}: no rows")
    df = df.reset_index(drop=True)  # position = data row - 1, for messages
    unlabelled = task != "next_token" and _unlabelled(label_column, df.columns, labelled)
    require_columns(df, [text_column, split_column, label_column if task != "next_token" and not unlabelled else None],
                    origin)
    texts = df[text_column]
    empty = texts.isna().to_numpy() | (texts.astype(str).str.strip() == "").to_numpy()
    if empty.any():
        row = int(np.argmax(empty))
        raise DataError(f"{origin}: data row {row + 1}: empty text in column '{text_column}'; every row needs a text")
    split = _split(df[split_column], origin, split_column) if split_column else None
    description = {"file": origin, "format": "text", "rows": len(df)}
    sequences = texts.astype(str).tolist()
    ids = [f"data row {i + 1}" for i in range(len(df))]
    if task == "next_token":
        return RawData(sequences, np.zeros(len(df), np.int32), "next_token", "text", split=split, origin=origin,
                       ids=ids, description=description)
    if unlabelled:
        return RawData(sequences, np.zeros(0, np.int32), "multiclass", "text", origin=origin, ids=ids,
                       description=description)
    assert label_column is not None, "required above unless the file is unlabelled"
    targets, names = encode_labels(df[label_column], origin, label_column, labelled=labelled)
    concrete: TaskName = "binary" if len(names) == 2 else "multiclass"
    return RawData(sequences, targets, concrete, "text", class_names=names, split=split, origin=origin, ids=ids,
                   description={**description, "classes": names})


def from_arrays(
    arrays: dict[str, np.ndarray], *, origin: str, task: str, x_key: str = "X", y_key: str = "y", labelled: bool
) -> RawData:
    """NPZ contents: `X` (n, timesteps[, features]) and `y`, or official `X_train`/`y_train`/
    `X_test`/`y_test`. A regression/classification target per sequence. With `labelled=False`
    the target arrays may be missing."""
    import pandas as pd

    keys = sorted(arrays)
    if f"{x_key}_train" in arrays and f"{x_key}_test" in arrays:
        parts = ["train", "test"]
        pairs = [(f"{x_key}_{p}", f"{y_key}_{p}") for p in parts]
    else:
        parts = [None]  # type: ignore[list-item]  # one unsplit part
        pairs = [(x_key, y_key)]
    xs, ys, split = [], [], []
    for part, (xk, yk) in zip(parts, pairs):
        unlabelled = _unlabelled(yk, arrays, labelled)
        for k in (xk, None if unlabelled else yk):
            if k is not None and k not in arrays:
                raise DataError(f"{origin}: array '{k}' not found; arrays found: {', '.join(keys)}")
        x = arrays[xk]
        y = np.full(len(x), np.nan) if unlabelled else np.asarray(arrays[yk])
        if x.dtype == object:
            raise DataError(
                f"{origin}: '{xk}' is ragged (sequences of different lengths); store a padded "
                "(n, timesteps[, features]) array, or use the csv long form for variable lengths"
            )
        if x.ndim not in (2, 3):
            raise DataError(f"{origin}: '{xk}' must be (n, timesteps) or (n, timesteps, features), got shape {x.shape}")
        if 0 in x.shape[1:]:
            what = "no steps" if x.shape[1] == 0 else "no features"
            raise DataError(f"{origin}: array '{xk}' has shape {x.shape}: {what}; each sequence needs at least one "
                            "step of at least one feature")
        _check_array(x, origin, xk)
        if not unlabelled and np.iscomplexobj(y):
            raise DataError(f"{origin}: array '{yk}' holds complex numbers (dtype {y.dtype}); store real targets")
        if y.ndim != 1 or len(y) != len(x):
            raise DataError(f"{origin}: '{yk}' must be 1-D with one target per sequence: shape {y.shape} for {len(x)} sequences")
        xs.append(x)
        ys.append(y)
        split += [part] * len(x)
    if len(xs) == 2 and xs[0].shape[1:] != xs[1].shape[1:]:
        raise DataError(f"{origin}: train and test sequences differ in shape: {xs[0].shape[1:]} vs {xs[1].shape[1:]}")
    x = np.concatenate(xs) if len(xs) > 1 else xs[0]
    if not np.issubdtype(x.dtype, np.number):
        raise DataError(f"{origin}: '{x_key}' must be numeric, got dtype {x.dtype}")
    x = x.astype(np.float32, copy=False)
    y_all = np.concatenate(ys) if len(ys) > 1 else ys[0]
    if _unlabelled(y_key if parts[0] is None else f"{y_key}_train", arrays, labelled):
        targets, concrete = _no_targets(task)
        return RawData(x, targets, concrete, "numeric", origin=origin, description={"file": origin, "format": "npz"})
    targets, concrete, names = _targets(pd.Series(y_all), task, origin, y_key, labelled)
    return RawData(
        x, targets, concrete, "numeric", class_names=names,
        split=np.asarray(split) if parts[0] is not None else None, origin=origin,
        description={"file": origin, "format": "npz", "sequences": int(len(x)), "official_split": parts[0] is not None},
    )


def _check_array(x: np.ndarray, origin: str, key: str) -> None:
    """Refuse complex arrays and finite values float32 cannot hold, naming the first one's index."""
    if np.iscomplexobj(x):
        raise DataError(f"{origin}: array '{key}' holds complex numbers (dtype {x.dtype}); store real numbers "
                        "(e.g. real and imaginary parts as two features)")
    at = beyond_float32(x)
    if at is not None:
        raise DataError(f"{origin}: array '{key}' at {list(at)}: {float(x[at]):.6g} is beyond float32 range "
                        f"(+-{FLOAT32_MAX:.3g}), the type of the prepared arrays; rescale the data")


class TableOptions(BaseModel):
    """The options of the csv and parquet sources: a table in long or wide form."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="the file (set as data.path)")
    format: Literal["long", "wide"] = Field("long", description="long: one row per step; wide: one row per sequence")
    task: Literal["regression", "classification", "forecast"] = Field(
        "regression", description="classification becomes binary or multiclass by the number of labels"
    )
    id_column: str | None = Field("id", description="sequence id (long form: required, forecast: null = one series)")
    time_column: str | None = Field("time", description="long form: orders the rows of a sequence (null: file order)")
    feature_columns: list[str] | None = Field(None, description="long form: feature columns (null: all others)")
    step_columns: list[str] | None = Field(None, description="wide form: step columns in order (null: all others)")
    target_column: str | None = Field("target", description="target or label column; forecast: the column to forecast")
    split_column: str | None = Field(None, description="optional train/test column: an official split (forecast: per row)")
    future_covariates: list[str] = Field([], description=FUTURE_HELP)
    static_covariates: list[str] = Field([], description=STATIC_HELP)
    calendar: CalendarOption = Field(False, description=CALENDAR_HELP)


def from_table(df: pd.DataFrame, options: TableOptions, *, labelled: bool) -> RawData:
    """A csv/parquet table in long or wide form, as `options` describe it."""
    if options.format == "long":
        if (options.id_column is None and options.task != "forecast") or options.target_column is None:
            raise DataError(f"{options.path}: long form needs id_column and target_column (forecast: target_column; "
                            "id_column null reads one series)")
        return from_long(
            df, origin=options.path, task=options.task, id_column=options.id_column,
            time_column=options.time_column, feature_columns=options.feature_columns, **covariates_of(options),
            target_column=options.target_column, split_column=options.split_column, labelled=labelled,
        )
    return from_wide(
        df, origin=options.path, task=options.task, id_column=options.id_column,
        step_columns=options.step_columns, target_column=options.target_column, split_column=options.split_column,
        labelled=labelled, **covariates_of(options),  # {} or refused: covariates need the long form
    )

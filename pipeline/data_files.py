"""How a data file is checked and read, for the file sources and the core alike: what a path is
(`check_file`), rows as the user counts them (`data_row`), times ordered as times (`time_order`),
numbers within float32 (the prepared arrays' type). No pandas import at module level."""
from __future__ import annotations

import os
import re
import stat
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from seqpipe.errors import DataError

if TYPE_CHECKING:
    import pandas as pd


# Prepared arrays are float32: a finite value beyond this becomes inf when cast, so it is refused.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def beyond_float32(array: np.ndarray) -> tuple[int, ...] | None:
    """The index of the first finite value too large for float32 (chunked, so a large array is
    never copied whole), or None. Integer and float32 arrays always fit."""
    if array.dtype.kind != "f" or array.dtype.itemsize <= 4:
        return None
    for start in range(0, len(array), 16384):
        chunk = array[start : start + 16384]
        huge = np.isfinite(chunk) & (np.abs(chunk) > FLOAT32_MAX)
        if huge.any():
            at = np.argwhere(huge)[0]
            return (int(at[0]) + start, *(int(i) for i in at[1:]))
    return None


def check_file(path: str | Path, setting: str = "data.path") -> Path:
    """`path` as a Path, or a one-line DataError saying what it is instead of a readable file
    (missing, a directory, a FIFO or device, unreadable); `setting` is where the user named it."""
    path = Path(path)
    hint = f"set {setting} to your data file"
    try:
        mode = path.stat().st_mode  # stat, not open: opening a FIFO would block
    except FileNotFoundError:
        raise DataError(f"{path}: file not found ({hint})") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read: {exc.strerror or exc} ({hint})") from None
    if stat.S_ISDIR(mode):
        raise DataError(f"{path}: is a directory, not a data file ({hint})")
    if not stat.S_ISREG(mode):
        raise DataError(f"{path}: is not a regular file (a FIFO, socket or device); {hint}, a regular file")
    if not os.access(path, os.R_OK):
        raise DataError(f"{path}: cannot be read: permission denied ({hint}, or make it readable)")
    return path


def data_row(index: Any, position: int) -> int:
    """The 1-based data row of the row at `position`: its integer index label + 1, else position + 1."""
    label = index[position]
    return int(label) + 1 if isinstance(label, (int, np.integer)) else position + 1


_NUMBER = re.compile(r"(\d+)")


def _natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """'t10' -> ((1, 0, 't'), (0, 10, '')): runs of digits compare as numbers, so t2 < t10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _NUMBER.split(text) if part)


def time_order(values: pd.Series, origin: str, column: str) -> pd.Series:
    """A sort key that orders a time column as times, not as text. Numbers and datetimes order as
    they are; text in one date format pandas recognises (`2024-01-05`, `01/05/2024`: month first
    when ambiguous, as pandas reads it) as dates; other text naturally: runs of digits compare as
    numbers (`t2` before `t10`, `step 9` before `step 10`). An empty time is refused."""
    import pandas as pd
    from pandas.tseries.api import guess_datetime_format

    missing = values.isna().to_numpy()
    if missing.any():
        raise DataError(f"{origin}: data row {data_row(values.index, int(np.argmax(missing)))}: empty time in "
                        f"column '{column}'; every row needs its step's time")
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values
    text = values.astype(str).str.strip()
    fmt = guess_datetime_format(text.iloc[0]) if len(text) else None
    if fmt is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dates = pd.to_datetime(text, format=fmt, errors="coerce")
        if dates.notna().all():
            return dates
    ranks = {value: i for i, value in enumerate(sorted(text.unique(), key=_natural_key))}
    return text.map(ranks)

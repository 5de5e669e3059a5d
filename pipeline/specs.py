"""The value types that cross the plugin boundary, and the rules for what a data source reads and
hands over: `check_file`, data rows counted from 1 (`data_row`), times ordered as times
(`time_order`), numbers within float32. No keras or pandas import here: listing stays fast."""
from __future__ import annotations

import keyword
import os
import re
import stat
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
from pydantic import BaseModel

from seqpipe.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

TaskName = Literal["regression", "binary", "multiclass", "forecast", "next_token"]
InputKind = Literal["numeric", "tokens", "text"]
TASKS: tuple[str, ...] = ("regression", "binary", "multiclass", "forecast", "next_token")
# What an encoder can receive: "text" is tokenized by the core, so architectures see "tokens".
INPUT_KINDS: tuple[str, ...] = ("numeric", "tokens")


# Names appear in params.yaml, dvc.yaml matrix keys, file names (models/<arch>.keras) and CLI
# arguments, so they must be safe in all of them: lowercase Python identifiers.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
NAME_RULE = "a lowercase Python identifier (a-z first, then a-z, 0-9 or _; not a keyword), such as my_model"


def valid_name(name: object) -> bool:
    """Whether `name` may name an architecture or dataset: see NAME_RULE."""
    return isinstance(name, str) and bool(NAME_PATTERN.match(name)) and not keyword.iskeyword(name)


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


def first_line(text: str | None) -> str:
    """The first non-empty line of a docstring, for one-line descriptions."""
    for line in (text or "").strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


@dataclass(frozen=True)
class InputSpec:
    """What an encoder receives: `(batch, timesteps, features)` float tensors.

    For token inputs `features` is the embedding width chosen by the core. `masked` tells the
    encoder that padded steps carry a keras mask (only for architectures that support masks).
    """

    timesteps: int
    features: int
    masked: bool = False


@dataclass(frozen=True)
class Architecture:
    """A sequence architecture offered by a plugin."""

    name: str
    build: Callable[[InputSpec, Any], Any]
    params: type[BaseModel]
    description: str = ""
    input_kinds: Sequence[str] = INPUT_KINDS
    tasks: Sequence[str] = TASKS
    supports_masking: bool = False
    # Keras classes the saved model needs to load (custom layers); called lazily.
    custom_objects: Callable[[], dict[str, Any]] | None = None
    # The shortest input (timesteps) the encoder is built for, given its hyperparameters, e.g. a
    # convolution's kernel span; params with a shorter data.maxlen or window are refused up front.
    min_timesteps: Callable[[Any], int] | None = None
    # Whether XLA (`jit_compile=True`) speeds this architecture up on CPU, as measured by
    # bench/tuning_jit.py; `train.jit_compile: auto` follows it. None: no measurement, Keras decides.
    jit_compile: bool | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "description", first_line(self.description))


@dataclass
class RawData:
    """Sequences and targets as a data source returns them, before padding/splitting/scaling.

    `sequences` is either a float array `(n, timesteps, features)` or, for token inputs or
    variable-length series, a list of 1-D int arrays / 2-D float arrays. Token id 0 is reserved
    for padding. `targets` is `(n,)`: floats for regression, integer class ids otherwise.

    - `input_kind="text"`: `sequences` is a list of strings; the core fits a Keras
      `TextVectorization` on the training split only and turns them into token ids.
    - `task="forecast"`: `sequences` are whole series `(T_i, features)` (or `(T_i,)`), `targets`
      is ignored; the core cuts sliding windows (lookback, horizon, stride) and splits by time.
      `forecast_feature` is the column being forecast.
    - `task="next_token"`: `sequences` are token contexts and `targets` the next token id
      (`vocab_size` classes); with `input_kind="text"` the core cuts the contexts itself.

    `split` (optional, one entry per sequence: "train" or "test") is an official split that the
    core respects (validation is carved out of "train"). `origin` names the file the data came
    from and `ids` the sequence ids, so data errors can say where the problem is.
    """

    sequences: np.ndarray | list[np.ndarray]
    targets: np.ndarray
    task: TaskName
    input_kind: InputKind
    vocab_size: int | None = None
    class_names: list[str] | None = None
    description: dict[str, Any] = field(default_factory=dict)
    split: np.ndarray | None = None
    origin: str | None = None
    ids: list[Any] | None = None
    feature_names: list[str] | None = None
    forecast_feature: int = 0


class Loader(Protocol):
    """`Dataset.load` of a source that reads no file (a synthetic generator)."""

    def __call__(self, options: Any, seed: int) -> RawData: ...


class FileLoader(Protocol):
    """`Dataset.load` of a file source (`reads_path=True`).

    `labelled=False` is how `seqpipe predict` reads new files: the target/label column is then
    optional (when absent, return RawData with an empty `targets` array) and a single class is
    not an error. The table helpers of `seqpipe.tables` take the same argument: pass it on.
    """

    def __call__(self, options: Any, seed: int, *, labelled: bool = True) -> RawData: ...


@dataclass(frozen=True)
class Dataset:
    """A data source offered by a plugin: options schema plus a loader."""

    name: str
    load: Loader | FileLoader
    params: type[BaseModel]
    description: str = ""
    tasks: Sequence[str] = TASKS
    # True for file sources: the core passes params.yaml's `data.path` as the option `path`
    # (a DVC dependency of prepare), and `load` must take the keyword `labelled` (FileLoader).
    # The plugin itself knows nothing of DVC.
    reads_path: bool = False
    # The tasks that validated options can produce, a subset of `tasks` (e.g. a file source whose
    # option `task: forecast` gives ("forecast",)); None: any of `tasks`. Lets params be checked
    # (forecast windows against data.maxlen) before any data is read.
    tasks_for: Callable[[Any], Sequence[str]] | None = None
    # How many sequences `load` returns for validated options (before the core cuts forecast
    # windows or next-token contexts); None, or returning None: not known before loading. Lets
    # train.batch_size be checked against the training split before any data is read.
    size_for: Callable[[Any], int | None] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "description", first_line(self.description))

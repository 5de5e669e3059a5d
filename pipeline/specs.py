"""The value types that cross the plugin boundary. No keras or pandas import here: listing stays fast."""
from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    pass

TaskName = Literal["regression", "binary", "multiclass", "forecast", "next_token"]
InputKind = Literal["numeric", "tokens", "text"]
# calendar features the core derives from dated timestamps (forecast covariates)
CalendarFeature = Literal["hour", "day_of_week", "day_of_month", "day_of_year", "week_of_year", "month", "quarter"]
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


class Recipe(BaseModel):
    """The training settings an architecture needs, as its paper's recipe states them.

    Every field is a `train.*` setting of params.yaml (seqpipe.config.params.TrainParams) and is
    optional: only the fields a recipe sets apply, and a field set to None (`clipnorm=None`,
    `max_batch_fraction=None`) sets that setting to null. Precedence, lowest first: the schema's
    defaults, params.yaml's `train:`, this recipe, params.yaml's `models.<arch>.train:`;
    `train.recipes: false` ignores every recipe. Values are checked against the `train.*` bounds
    when the plugin registers. `reference` says where the recipe comes from (`seqpipe show`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    optimizer: Literal["adam", "adamw"] | None = None
    learning_rate: float | None = None
    lr_schedule: Literal["constant", "cosine", "plateau"] | None = None
    weight_decay: float | None = None
    clipnorm: float | None = None
    batch_size: int | None = None
    max_batch_fraction: float | None = None
    epochs: int | Literal["auto"] | None = None
    min_steps: int | None = None
    min_epochs: int | None = None
    max_epochs: int | None = None
    patience: int | None = None
    difference: Literal["data", "none", "first", "seasonal"] | None = None
    strategy: Literal["auto", "direct", "recursive"] | None = None
    reference: str = Field("", description="where the recipe comes from (a paper, a reference implementation)")

    def settings(self) -> dict[str, Any]:
        """The `train.*` settings this recipe sets, in field order."""
        return {k: getattr(self, k) for k in type(self).model_fields if k in self.model_fields_set and k != "reference"}


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
    # The Keras backend that trained this architecture fastest on CPU, as measured by
    # bench/backends.py; `train.backend: auto` follows it. None: TensorFlow.
    backend: str | None = None
    # The training settings the architecture needs (its paper's recipe); None: params.yaml's `train:`.
    recipe: Recipe | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "description", first_line(self.description))


@dataclass
class Covariates:
    """Covariates of forecast series, declared in a file source's options and used by the core.

    `future` names columns known at every step, also over the forecast horizon (promotions,
    prices set in advance); `values` holds them per series, `(T_i, len(future))` over the
    series' steps, and `after` the rows that follow each series' last target (target empty: the
    future that `seqpipe predict` forecasts over), with their timestamps in `after_times`.
    `static` names columns constant within a series; `static_values` holds one value per series
    and column (numbers, or labels that the core one-hot encodes from the training series).
    `calendar` asks the core for calendar features of the timestamps: True (chosen by the
    frequency) or feature names (`seqpipe.data.calendar.FEATURES`); False: none.
    """

    future: list[str] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)
    after: list[np.ndarray] = field(default_factory=list)
    after_times: list[np.ndarray] | None = None
    static: list[str] = field(default_factory=list)
    static_values: list[list[Any]] = field(default_factory=list)
    calendar: bool | list[str] = False

    def take(self, keep: Sequence[int]) -> Covariates:
        """The covariates of the series at positions `keep`, in that order."""
        def pick(items: list[Any]) -> list[Any]:
            return [items[i] for i in keep] if items else items

        return Covariates(self.future, pick(self.values), pick(self.after),
                          None if self.after_times is None else pick(self.after_times), self.static,
                          pick(self.static_values), self.calendar)

    def shorten(self, steps: int) -> Covariates:
        """Every series `steps` steps shorter (an earlier forecast origin); the cut steps become its future."""
        if steps <= 0:
            return self
        return Covariates(self.future, [v[: len(v) - steps] for v in self.values],
                          [np.concatenate([v[len(v) - steps :], a]) for v, a in zip(self.values, self.after)],
                          None, self.static, self.static_values, self.calendar)


@dataclass
class RawData:
    """Sequences and targets as a data source returns them, before padding/splitting/scaling.

    `sequences` is either a float array `(n, timesteps, features)` or, for token inputs or
    variable-length series, a list of 1-D int arrays / 2-D float arrays. Token id 0 is reserved
    for padding. `targets` is `(n,)`: floats for regression, integer class ids otherwise.

    - `input_kind="text"`: `sequences` is a list of strings; the core fits a vocabulary as Keras
      `TextVectorization` does on the training split only and turns them into token ids.
    - `task="forecast"`: `sequences` are whole series `(T_i, features)` (or `(T_i,)`), `targets`
      is ignored; the core cuts sliding windows (lookback, horizon, stride) and splits by time.
      `forecast_feature` is the column being forecast.
    - `task="next_token"`: `sequences` are token contexts and `targets` the next token id
      (`vocab_size` classes); with `input_kind="text"` the core cuts the contexts itself.

    `split` (optional, one entry per sequence: "train" or "test") is an official split that the
    core respects (validation is carved out of "train"). `origin` names the file the data came
    from and `ids` the sequence ids, so data errors can say where the problem is.

    Forecast sources may also give `times` (one array per series: its steps' timestamps, numbers
    or numpy datetime64, in order), from which the core infers the season, cuts at
    `data.window.cutoff` and continues the timestamps in `seqpipe predict`; and `test_start` (one
    step index per series: where its official test range begins, its length when it has none).
    `covariates` (forecasts only) are the series' future and static covariates (`Covariates`).
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
    times: list[np.ndarray] | None = None
    test_start: list[int] | None = None
    covariates: Covariates | None = None


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
    # The length of every sequence `load` returns for validated options (a fixed-length synthetic
    # source); None, or returning None: not known before loading. With data.maxlen: null, lets an
    # architecture's min_timesteps be checked before any data is read.
    timesteps_for: Callable[[Any], int | None] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "description", first_line(self.description))

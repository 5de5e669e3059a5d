"""`spec.json`: what prepare made of the data, the typed interface every later stage reads.

One frozen pydantic model, read and written here only; each fact is stored once (the sequence
length is `timesteps`, not also a padding or window field).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from seqpipe.errors import DataError
from seqpipe.specs import TaskName

Side = Literal["pre", "post"]  # where padding or truncation happens, as in `keras.utils.pad_sequences`
InputKindPrepared = Literal["numeric", "tokens"]  # text is tokens once prepared


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SplitCounts(_Frozen):
    """One number per split (sequences, truncated sequences)."""

    train: int = 0
    val: int = 0
    test: int = 0

    def total(self) -> int:
        return self.train + self.val + self.test


class PaddingSpec(_Frozen):
    """How sequences were brought to `timesteps` steps (`keras.utils.pad_sequences` semantics)."""

    side: Side = "pre"
    truncating: Side = "pre"
    value: float = 0.0  # of padded numeric steps, kept exactly after scaling; token padding is id 0
    padded: bool = False  # whether any sequence was padded (masking then matters)
    resampled: bool = False  # data.lengths resample: unequal lengths were interpolated to `timesteps`, not padded
    maxlen_from: str = "data.maxlen"  # where the length came from, for messages and the report


class ScalerSpec(_Frozen):
    """Per-feature standardisation fitted on the training split."""

    mean: list[float]
    scale: list[float]


class TargetScale(_Frozen):
    """Regression targets' mean and standard deviation on the training split. The regression head's
    Dense output is in standard units and a Rescaling layer maps it back to the data's units, so
    predictions, loss and metrics read in the units of the file (as the forecast head does)."""

    mean: float
    std: float


class CovariateSpec(_Frozen):
    """Forecast covariates (`seqpipe.data.covariates`): what each input channel after the series'
    own is, and the training statistics that standardise them. Inputs are then `timesteps +
    horizon` steps: the lookback, then the horizon, whose series channels are zero."""

    series_features: int  # the series' own channels (the forecast column and input features) come first
    future: list[str] = Field(default_factory=list)  # future covariate columns, then 2 channels per calendar feature
    calendar: list[str] = Field(default_factory=list)  # calendar features (sin and cos of each)
    static: list[str] = Field(default_factory=list)  # static covariate columns
    categories: dict[str, list[str]] = Field(default_factory=dict)  # label columns: one-hot order
    mean: list[float] = Field(default_factory=list)  # per future channel, training range
    scale: list[float] = Field(default_factory=list)
    static_mean: list[float] = Field(default_factory=list)  # per static channel, over the series
    static_scale: list[float] = Field(default_factory=list)

    @property
    def future_channels(self) -> int:
        return len(self.future) + 2 * len(self.calendar)

    @property
    def static_channels(self) -> int:
        return len(self.static_mean)


class ForecastSpec(_Frozen):
    """Forecasting: the window (its lookback is `timesteps`), how it was evaluated and target statistics."""

    horizon: int
    stride: int = 1
    season: int = 1
    season_from: str = "data.window.season"  # how the season was chosen, for the log and the report
    protocol: Literal["cutoff", "sliding"] = "sliding"
    test_from: str = ""  # where each series' test range begins, in words
    val_from: str = ""  # cutoff protocol: how many validation windows per series, and why
    until_from: str = ""  # cutoff protocol, data.window.train_until auto: where training windows end, and why
    normalize: Literal["last", "mean", "seasonal", "none"] = "none"  # per-window normalisation inside the model
    log: bool = False  # the forecast column in logs inside the model (data.window.log)
    log_from: str = "data.window.log"  # how it was chosen (auto), for the log
    difference: Literal["none", "first", "seasonal"] = "none"  # the model sees and forecasts changes
    difference_from: str = "data.window.difference"  # how it was chosen (auto), for the log
    linear_skip: bool = False  # the head adds a linear map of the normalised window (data.window.linear_skip)
    freq: str | None = None  # pandas frequency of the timestamps (dates), to continue them in predict
    feature: int = 0  # the forecast column among the features
    feature_name: str = "0"
    series: int = 1
    mase_scale: float = 1.0  # mean absolute seasonal difference on the training range
    # the head maps the encoder's output to the data's units with these (training range)
    target_mean: float = 0.0
    target_std: float = 1.0
    covariates: CovariateSpec | None = None  # future and static covariates (data.options)


class PreparedSpec(_Frozen):
    """Task, input shape and every preprocessing statistic of the prepared data."""

    task: TaskName
    input_kind: InputKindPrepared
    timesteps: int = Field(ge=1)
    features: int = Field(1, ge=1)  # 1 for token ids
    vocab_size: int | None = None
    n_classes: int | None = None
    class_names: list[str] | None = None
    sizes: SplitCounts = Field(default_factory=SplitCounts)
    official_split: bool = False
    # how the validation split was drawn when it could not be stratified (seqpipe.data.splits); None: as usual
    split_note: str | None = None
    padding: PaddingSpec = Field(default_factory=PaddingSpec)
    truncated: SplitCounts = Field(default_factory=SplitCounts)
    coverage: float = 1.0  # share of sequences that fit without truncation
    class_balance: dict[str, list[int]] | None = None  # split -> count per class
    scaler: ScalerSpec | None = None
    target: TargetScale | None = None  # regression: the head's mapping back to the targets' units
    znorm: bool = False  # data.znorm: each series was z-normalised over its own steps before padding and scaling
    # data.znorm: levels (explicit only): each series' mean and log std per feature appended as constant
    # channels, so `features` is 3x the data's; written to spec.json only when true
    znorm_levels: bool = False
    znorm_from: str | None = None  # how data.znorm was chosen (auto), for the log; only where it was asked
    vocabulary: str | None = None  # file name of the saved vocabulary, beside spec.json
    forecast: ForecastSpec | None = None
    source: dict[str, Any] = Field(default_factory=dict)  # what the data source said about the data

    @property
    def tokens(self) -> bool:
        return self.input_kind == "tokens"

    def label(self, class_id: int) -> str:
        """The name of a class id (its number when the data had no names)."""
        return self.class_names[class_id] if self.class_names else str(class_id)

    @property
    def data_features(self) -> int:
        """Features per step of the data itself (new data for predict), before any level channels."""
        return self.features // 3 if self.znorm_levels else self.features

    def why_not_recursive(self) -> str | None:
        """Why this data cannot be forecast one step at a time, each forecast fed back as the next
        input (`train.strategy: recursive`, seqpipe.data.one_step); None: it can."""
        f = self.forecast
        if f is None:
            return f"the task is {self.task}, not forecast"
        if f.covariates is not None:
            return "the data has covariates, whose future values a fed-back forecast does not supply"
        if self.features != 1:
            return (f"the series have {self.features} columns, and a fed-back forecast supplies only the forecast "
                    f"column '{f.feature_name}'")
        return None

    def to_json(self) -> str:
        fields = self.model_dump(mode="json")
        for key, default in (("znorm_levels", False), ("znorm_from", None)):  # the spec of data without them
            if fields[key] == default:  # stays byte-identical
                del fields[key]
        return json.dumps(fields, indent=2) + "\n"

    @classmethod
    def read(cls, path: str | Path) -> PreparedSpec:
        path = Path(path)
        if not path.is_file():
            raise DataError(f"{path}: not found; run the prepare stage first (dvc repro prepare)")
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise DataError(f"{path}: not a spec.json of this seqpipe version ({where}: {first['msg']}); "
                            "run `dvc repro prepare` again") from None

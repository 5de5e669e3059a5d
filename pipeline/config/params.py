"""params.yaml: one pydantic schema per section, validated before any work.

Errors name the dotted key, the value and what is allowed, in one line. Reading the file is
`seqpipe.config.yaml_file`, strict validation `seqpipe.config.validation` (both re-exported here:
`read_yaml`, `validate`).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from seqpipe.config.validation import validate
from seqpipe.config.yaml_file import read_yaml

PARAMS_FILE = "params.yaml"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SplitParams(Strict):
    val: float = Field(0.15, gt=0.0, lt=0.5, description="fraction of sequences held out for validation")
    test: float = Field(0.15, gt=0.0, lt=0.5, description="fraction of sequences held out for the test")


class WindowParams(Strict):
    """Windows of the forecast task and how they are evaluated."""

    lookback: int = Field(24, ge=1, description="past steps the model sees")
    horizon: int = Field(1, ge=1, description="future steps it predicts, all at once (a direct multi-horizon head)")
    stride: int = Field(1, ge=1, description="steps between consecutive training windows")
    season: int | Literal["auto"] = Field(
        "auto",
        description="season length of the seasonal naive baseline and MASE (1 = last value); auto: from the "
        "timestamps' frequency (monthly 12, quarterly 4, weekly 52, daily 7, hourly 24, else 1)",
    )
    protocol: Literal["cutoff", "sliding"] = Field(
        "cutoff",
        description="cutoff: test = the last horizon steps of each series (or the steps after data.window.cutoff "
        "or the split column's test rows), forecast in one shot, val = the horizon steps before; sliding: "
        "windows everywhere, split by the time fractions of data.split",
    )
    cutoff: str | float | None = Field(
        None,
        description="cutoff protocol: the last time (a date or number) before the test range; null: the last "
        "horizon steps, or the csv/parquet split column",
    )
    normalize: Literal["last", "mean", "seasonal", "none"] = Field(
        "last",
        description="per-window normalisation inside the model: subtract each input window's last value, mean or "
        "(seasonal) last season's mean and divide by its spread, reversed on the forecast (seasonal: added to "
        "the window's seasonal naive forecast); bench/forecast_norm.py",
    )

    train_until: Literal["auto", "val", "test"] = Field(
        "auto",
        description="cutoff protocol: val = training windows end before the validation window; test = they run "
        "up to the test range, so the most recent steps are trained on too (validation is then in-sample: a "
        "monitor, not early stopping); auto: test, but val for train.quantiles (calibrated on held-out windows)")
    val_windows: int | Literal["auto"] = Field(
        1,
        description="cutoff protocol: validation windows per series, the last window starts before the test range, "
        "one step apart (their forecasts overlap); training windows end before the first one's forecast. auto: "
        "enough for early stopping (30 in all, seqpipe.config.budget) where each series keeps 3/4 of its windows "
        "for training, else 1 (prepare says which). 1 by default: with auto the goal held on 1 of 7 offline "
        "series against 3 (bench/RESULTS.md, \"Forecast quality: several validation windows\")",
    )
    log: Literal["auto"] | bool = Field(
        "auto",
        description="take the forecast column in logs inside the model before the per-window normalisation and "
        "exponentiate the forecast (a multiplicative trend or season becomes additive; positive data only); "
        "auto: where each season's swing grows with its level on the training range (prepare says which)",
    )
    difference: Literal["auto", "none", "first", "seasonal"] = Field(
        "auto",
        description="the model sees each window's changes of the forecast column (first: over one step; "
        "seasonal: over one season) and forecasts changes, summed back onto the window's last values "
        "(after log, before the per-window normalisation); auto: season > 1: statsforecast's unit-root tests "
        "(nsdiffs, ndiffs) on the training range decide seasonal, first or none (seasonal needs a lookback of "
        "season + 2 steps, else first); season 1: none (prepare says which)",
    )
    linear_skip: bool = Field(
        False,
        description="the forecast head adds a linear map of the normalised input window to every architecture's "
        "output (DLinear-style)",
    )

    @field_validator("season", mode="before")
    @classmethod
    def _season_word_or_count(cls, value: Any) -> Any:
        if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            return value
        raise PydanticCustomError("season", "must be auto or a whole number of steps >= 1")

    @field_validator("log", mode="before")
    @classmethod
    def _log_word_or_switch(cls, value: Any) -> Any:
        if value == "auto" or isinstance(value, bool):
            return value
        raise PydanticCustomError("log", "must be auto, true or false")

    @field_validator("cutoff", mode="before")
    @classmethod
    def _date_as_text(cls, value: Any) -> Any:
        """YAML reads an unquoted 1958-12-31 as a date: keep it as its ISO text."""
        import datetime

        return value.isoformat() if isinstance(value, datetime.date) else value

    @field_validator("cutoff")
    @classmethod
    def _cutoff_needs_its_protocol(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("protocol") == "sliding":
            raise PydanticCustomError("cutoff", "is used by protocol cutoff only; set data.window.protocol: cutoff "
                                      "or cutoff: null")
        return value

    @field_validator("train_until")
    @classmethod
    def _train_until_needs_cutoff(cls, value: Any, info: ValidationInfo) -> Any:
        if value == "test" and info.data.get("protocol") == "sliding":
            raise PydanticCustomError("train_until", "test is used by protocol cutoff only; set "
                                      "data.window.protocol: cutoff or train_until: val")
        return value

    @field_validator("val_windows", mode="before")
    @classmethod
    def _val_windows_word_or_count(cls, value: Any, info: ValidationInfo) -> Any:
        if not (value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and value >= 1)):
            raise PydanticCustomError("val_windows", "must be auto or a whole number of windows >= 1")
        if value != 1 and info.data.get("protocol") == "sliding":
            raise PydanticCustomError("val_windows", "is used by protocol cutoff only (sliding splits by "
                                      "data.split.val); set data.window.protocol: cutoff or val_windows: 1")
        return value

    @field_validator("linear_skip", "log", "difference")
    @classmethod
    def _needs_normalisation(cls, value: Any, info: ValidationInfo) -> Any:
        if value not in (False, "none", "auto") and info.data.get("normalize") == "none":
            raise PydanticCustomError("normalisation", "needs per-window normalisation; set data.window.normalize "
                                      f"to last, mean or seasonal, or {info.field_name}: "
                                      + ("none" if info.field_name == "difference" else "false"))
        return value


class TextParams(Strict):
    """Keras TextVectorization's settings (seqpipe.data.text gives its ids), fit on the training split only."""

    vocab_size: int = Field(5000, ge=3, description="largest vocabulary, including padding and OOV")
    standardize: Literal["lower_and_strip_punctuation", "lower", "strip_punctuation", "none"] = Field(
        "lower_and_strip_punctuation", description="text standardisation before splitting"
    )
    split: Literal["whitespace", "character"] = Field("whitespace", description="how text is cut into tokens")
    stride: int = Field(1, ge=1, description="next_token on text: positions between consecutive contexts")


class DataParams(Strict):
    source: str = Field("adding", description="registered dataset name (`seqpipe list`)")
    path: str = Field(
        "plugins/adding.py",
        description="the input file of file sources; a DVC dependency of prepare (synthetic sources ignore it)",
    )
    options: dict[str, Any] = Field(default_factory=dict, description="the dataset's own options")
    split: SplitParams = Field(default_factory=SplitParams)
    scale: bool = Field(True, description="standardise numeric features with train-split statistics")
    znorm: Literal["auto", "levels"] | bool = Field(
        "auto", description="z-normalise each numeric series over its own steps, feature by feature, before "
        "lengths/padding and scale (classification and regression; UCR-style data); levels: and keep each series' "
        "mean and log std per feature as extra constant channels; auto: numeric classification only, on unless "
        "the train series are z-normalised already or their level (mean, std) predicts the class better than "
        "their z-normalised shape, both cross-validated on the train split (prepare says which)")
    maxlen: int | None = Field(None, ge=1, description="pad/truncate to this length; null = see maxlen_percentile")
    maxlen_percentile: float = Field(
        100.0, gt=0.0, le=100.0, description="with maxlen null: this percentile of train-split lengths"
    )
    lengths: Literal["resample", "pad"] = Field(
        "resample", description="numeric series of unequal lengths: resample each to maxlen steps (linear "
        "interpolation) or pad/truncate them (padding, truncating, pad_value); equal lengths and tokens: always pad")
    padding: Literal["pre", "post"] = "pre"
    truncating: Literal["pre", "post"] = "pre"
    pad_value: float = Field(0.0, description="value of padded steps of numeric series (token padding is id 0)")
    nan_policy: Literal["error", "drop", "fill"] = Field(
        "error", description="NaN/inf in numeric data: stop, drop the sequence, or replace by fill_value"
    )
    fill_value: float = Field(0.0, description="replacement for NaN/inf with nan_policy fill")
    window: WindowParams = Field(default_factory=WindowParams)
    text: TextParams = Field(default_factory=TextParams)

    @field_validator("znorm", mode="before")
    @classmethod
    def _znorm_word_or_switch(cls, value: Any) -> Any:
        if value in ("auto", "levels") or isinstance(value, bool):
            return value
        raise PydanticCustomError("znorm", "must be auto, levels, true or false")

    @field_validator("pad_value", "fill_value")
    @classmethod
    def _fits_float32(cls, value: float) -> float:
        """Both are written into the float32 arrays: NaN, inf or a value beyond float32 would be too."""
        from seqpipe.data_files import FLOAT32_MAX

        if not math.isfinite(value) or abs(value) > FLOAT32_MAX:
            raise PydanticCustomError(
                "float32", f"must be a finite number within +-{FLOAT32_MAX:.3g} (the prepared arrays are float32)"
            )
        return value


class TrainParams(Strict):
    # Defaults chosen by bench/tuning_defaults.py, bench/defaults.py and bench/budget.py (see bench/RESULTS.md).
    epochs: int | Literal["auto"] = Field(
        "auto",
        description="epochs to train; auto: enough for train.min_steps optimizer steps, within "
        "train.min_epochs..train.max_epochs (seqpipe.config.budget)",
    )
    # bench/budget.py (bench/RESULTS.md, "budget"): on 42 training series (3 steps per epoch) every
    # architecture was at chance after 90 steps and near its best only after ~1000-3000.
    min_steps: int = Field(1000, ge=1, le=10_000_000, description="epochs: auto trains at least this many steps")
    min_epochs: int = Field(10, ge=1, le=10_000, description="epochs: auto trains at least this many epochs")
    max_epochs: int = Field(1000, ge=1, le=10_000, description="epochs: auto trains at most this many epochs")
    batch_size: int = Field(16, ge=1)
    max_batch_fraction: float | None = Field(
        None, gt=0.0, le=1.0,
        description="cap batch_size at this fraction of the training sequences (at least 1; dl-4-tsc's FCN and "
        "ResNet use 0.1); null: no cap",
    )
    optimizer: Literal["adam", "adamw"] = Field("adam", description="adam, or adamw (decoupled weight decay)")
    weight_decay: float = Field(0.004, ge=0.0, le=1.0, description="adamw's weight decay (Keras' default); adam has none")
    learning_rate: float = Field(2e-3, gt=0.0, le=10.0)
    lr_schedule: Literal["constant", "cosine", "plateau"] = Field(
        "cosine",
        description="learning rate over the run: constant; cosine decay from learning_rate to 0 at the last epoch; "
        "plateau: halve it after 50 epochs without a lower training loss, down to 1e-4 (dl-4-tsc)",
    )
    recipes: bool = Field(
        True, description="apply each architecture's recipe (its plugin's training settings, `seqpipe show ARCH`)"
    )
    clipnorm: float | None = Field(
        1.0, gt=0.0, description="clip each gradient to this norm (stabilises relu RNNs); null: no clipping"
    )
    steps_per_execution: int = Field(
        16, ge=1, le=10_000,
        description="training steps per call into the compiled graph; more cut the per-step Python cost of small "
        "models (single-device runs; train.distribute runs use 1)",
    )
    patience: int = Field(10, ge=0, description="early-stopping patience in epochs; 0 disables")
    embedding_dim: int = Field(32, ge=1, description="width of the token embedding (token inputs)")
    repeats: int = Field(
        1, ge=1, le=100, description="train each architecture with seeds seed, seed+1, ...; >1 adds mean/std and "
        "tests; left out: 3 for a forecast, 1 for other tasks (seqpipe.config.seeds)"
    )
    ensemble: bool = Field(
        False,
        description="predict with the mean of the train.repeats seeds' outputs (values, class probabilities, each "
        "quantile level): evaluate, backtest cells, interval calibration and `seqpipe predict` use that ensemble; "
        "needs train.repeats >= 2; per architecture under models.<arch>.train; left out: true for a forecast "
        "of 2+ seeds, false otherwise",
    )
    jit_compile: Literal["auto", True, False] = Field(
        "auto",
        description="XLA compilation: auto = the architecture's measured choice on CPU (Keras decides on GPU); "
        "an architecture XLA cannot compile falls back with a warning",
    )
    backend: Literal["auto", "tensorflow", "jax", "torch"] = Field(
        "auto",
        description="Keras backend: auto = the architecture's measured fastest on CPU (bench/backends.py), "
        "TensorFlow where that one is not installed, on a GPU or with train.distribute; KERAS_BACKEND, if set, wins over auto",
    )
    precision: Literal["float32", "mixed_float16", "mixed_bfloat16"] = Field(
        "float32", description="dtype policy: mixed_float16 for NVIDIA GPUs (loss scaling), mixed_bfloat16 for TPUs/CPUs"
    )
    distribute: Literal["none", "mirrored", "multi_worker"] = Field(
        "none",
        description="tf.distribute strategy: mirrored = all GPUs of this machine, multi_worker = machines in "
        "TF_CONFIG; batch_size is per replica",
    )
    quantiles: list[float] | None = Field(
        None,
        description="forecast task: quantile levels to forecast, e.g. [0.1, 0.5, 0.9] (increasing, in (0, 1), with "
        "the median 0.5 as the point forecast); the head gives one forecast per level, trained with the pinball "
        "loss; null: a point forecast trained with mse",
    )
    difference: Literal["data", "none", "first", "seasonal"] = Field(
        "data",
        description="forecast task: the differencing this architecture's model forecasts with; data: "
        "data.window.difference as prepare resolved it; none, first or seasonal: that one for this model (a "
        "recipe may set it: linear's is none; set it per architecture under models.<arch>.train)",
    )
    strategy: Literal["auto", "direct", "recursive"] = Field(
        "auto", description="forecast task: direct = one output per horizon step; recursive = a one-step model "
        "applied step by step, each forecast fed back as an input (seqpipe.training.recursive: point forecasts of one "
        "column without covariates); auto: recursive where it can run, else direct (the train log says which; "
        "seqpipe.training.strategy); a recipe or models.<arch>.train may set it")
    least_squares: bool = Field(
        True, description="solve the head by least squares where that is the exact minimum of the mse loss: its "
        "head's are the model's only trainable weights and its output is affine in them (seqpipe.training."
        "least_squares); false: train it by gradient steps like any other")
    conformal: bool = Field(
        True,
        description="quantile forecasts: calibrate each central interval on the validation windows after training "
        "(conformalised quantile regression, seqpipe.conformal), so the 10-90% interval covers about 80% of new "
        "values; false: the quantile head's intervals as trained",
    )

    @field_validator("epochs", mode="before")
    @classmethod
    def _epochs_word_or_count(cls, value: Any) -> Any:
        """One message for every wrong value, instead of one per member of the union."""
        if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 10_000):
            return value
        raise PydanticCustomError("epochs", "must be auto or a whole number of epochs from 1 to 10000")

    @field_validator("quantiles")
    @classmethod
    def _quantile_levels(cls, value: list[float] | None) -> list[float] | None:
        """Increasing, unique levels in (0, 1) with the median (the point forecast that MASE scores)."""
        if value is None:
            return None
        problem = None
        if not value:
            problem = "must list at least the median, e.g. [0.1, 0.5, 0.9], or be null"
        elif any(not 0.0 < q < 1.0 for q in value):
            problem = "levels must lie strictly between 0 and 1"
        elif value != sorted(set(value)):
            problem = "levels must be unique and in increasing order"
        elif 0.5 not in value:
            problem = "must include 0.5, the median that is the point forecast"
        if problem:
            raise PydanticCustomError("quantiles", problem)
        return value

    @field_validator("max_epochs")
    @classmethod
    def _max_not_below_min(cls, value: int, info: ValidationInfo) -> int:
        low = info.data.get("min_epochs")
        if low is not None and value < low:
            raise PydanticCustomError("epochs", f"must be at least train.min_epochs ({low})")
        return value

    @field_validator("jit_compile", mode="before")
    @classmethod
    def _jit_words(cls, value: Any) -> Any:
        """`-S train.jit_compile=True` and quoted 'false' mean the booleans (0 and 1 are refused
        before this runs, as for every boolean: see `_check_fields`)."""
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return value


class BacktestParams(Strict):
    """Rolling-origin backtesting of the forecast task (README "Backtesting")."""

    origins: list[int] = Field(
        default_factory=list,
        description="extra forecast origins: origin k cuts every series k * step steps earlier and repeats the "
        "main run's protocol there (origin 0 is the main run); one DVC cell per architecture and origin; [] = off",
    )
    step: int | None = Field(None, ge=1, description="steps between consecutive origins; null: data.window.horizon")

    @field_validator("origins")
    @classmethod
    def _positive_and_unique(cls, values: list[int]) -> list[int]:
        if any(v < 1 for v in values):
            raise PydanticCustomError("origins", "must be whole numbers >= 1 (origin 0 is the main run), e.g. [1, 2]")
        if len(set(values)) != len(values):
            raise PydanticCustomError("origins", "must not repeat an origin")
        return values


class Params(Strict):
    seed: int = Field(42, ge=0, lt=2**32)
    architectures: list[str] = Field(min_length=1)
    data: DataParams = Field(default_factory=DataParams)
    train: TrainParams = Field(default_factory=TrainParams)
    models: dict[str, dict[str, Any] | None] = Field(default_factory=dict)
    backtest: BacktestParams = Field(default_factory=BacktestParams)

    @field_validator("architectures")
    @classmethod
    def _unique(cls, names: list[str]) -> list[str]:
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"names must be unique, repeated: {', '.join(duplicates)}")
        return names



def load(path: str | Path = PARAMS_FILE) -> Params:
    """Read and validate the core sections of params.yaml."""
    return validate(Params, read_yaml(path), source=str(path))


__all__ = ["PARAMS_FILE", "BacktestParams", "DataParams", "Params", "TextParams", "TrainParams", "WindowParams", "load", "read_yaml",
           "validate"]

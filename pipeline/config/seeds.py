"""How many seeds each architecture trains: the defaults of `train.repeats` and `train.ensemble`.

Two rules give an ensemble of 3 seeds (predicting with the mean of their outputs,
seqpipe.training.ensemble) where params.yaml leaves both out; every other run trains one seed, as
the schema's defaults say:

- a forecast, always (`by_task`, from the data source before any data is read): on the small
  series forecasts are made from, the seed moves the error as much as the architecture does;
- classification and regression on a SMALL training split, at most SMALL_TRAIN sequences
  (`by_size`, from the prepared data's size, so at train time: `TrainSettings.for_data`, which
  every stage, `seqpipe predict` and the report call with the prepared spec). On 36-62 training
  series an ensemble gained 1-5 points of accuracy over its seeds' mean (never less), and its log
  loss was much lower; on ~3,400-9,000 training reviews under a point. Under the line `epochs:
  auto` trains each seed its floor of `train.min_steps` steps, so 3 seeds cost 3 short runs; the
  default experiment (adding problem, 4,199 training sequences) keeps one seed.

bench/RESULTS.md ("Seed ensembles", "A forecast's default", "Seed ensembles by default on small
training sets") has the figures and the cost. Explicit values always win: `train.repeats` or
`train.ensemble` written in params.yaml (even at the schema's value, e.g. `repeats: 1`) is kept,
and `models.<arch>.train.ensemble` overrides per architecture. The `ensemble` default is true only
with two or more seeds, so `repeats: 1` alone means one plain seed.
"""
from __future__ import annotations

from collections.abc import Collection
from typing import Any

from seqpipe.config.params import TrainParams

FORECAST_REPEATS = 3  # bench/RESULTS.md, "A forecast's default": 5 seeds gained nothing on the series at the line
SOURCE = "default for a forecast"  # recipes.TrainSettings' source of a setting this module chose
WHY = (f"a forecast trains {FORECAST_REPEATS} seeds and predicts with their mean unless params.yaml sets "
       "train.repeats or train.ensemble (seqpipe.config.seeds)")
# bench/RESULTS.md, "Seed ensembles by default on small training sets": gains on 36-62 training series,
# under a point on 3,400-9,000; each seed of a split this small trains only epochs: auto's floor of steps
SMALL_TRAIN = 1000
SMALL_REPEATS = 3
SMALL_TASKS = ("binary", "multiclass", "regression")  # tasks.TASKS' classification and regression
SMALL_SOURCE = "default for a small training set"
SMALL_WHY = (f"classification and regression train {SMALL_REPEATS} seeds and predict with their mean where the training "
             f"split has at most {SMALL_TRAIN:,} sequences (else one seed), unless params.yaml sets train.repeats or "
             "train.ensemble (seqpipe.config.seeds)")


def task_defaults(train: TrainParams, forecast: bool) -> dict[str, Any]:
    """The settings `train` leaves unset that the task gives another default: {} but for a forecast."""
    if not forecast:
        return {}
    chosen: dict[str, Any] = {}
    if "repeats" not in train.model_fields_set:
        chosen["repeats"] = FORECAST_REPEATS
    if "ensemble" not in train.model_fields_set and chosen.get("repeats", train.repeats) >= 2:
        chosen["ensemble"] = True
    return chosen


def by_task(train: TrainParams, forecast: bool) -> TrainParams:
    """`train` with its task's defaults for what params.yaml leaves unset; those stay unset in
    `model_fields_set`, so `chosen(...)` and the train log can tell them from the user's values."""
    chosen = task_defaults(train, forecast)
    if not chosen:
        return train
    return TrainParams.model_construct(_fields_set=set(train.model_fields_set), **{**dict(train), **chosen})


def chosen(train: TrainParams) -> set[str]:
    """The settings of a `by_task` result that its task chose: unset, yet not the schema's default."""
    return {key for key in ("repeats", "ensemble")
            if key not in train.model_fields_set and getattr(train, key) != TrainParams.model_fields[key].default}


def left_out(train: TrainParams) -> set[str]:
    """`repeats` and `ensemble` where params.yaml leaves them out and no forecast default chose them."""
    return {key for key in ("repeats", "ensemble") if key not in train.model_fields_set} - chosen(train)


def small(task: str | None, n_train: int) -> bool:
    """Whether a `task` run on `n_train` training sequences gets the small training set's seeds."""
    return task in SMALL_TASKS and n_train <= SMALL_TRAIN


def small_note(n_train: int) -> str:
    """Why a small training set's seeds were chosen, beside the value in the train log and fit.json."""
    return f"{n_train:,} training sequences, at most {SMALL_TRAIN:,}"


def by_size(train: TrainParams, task: str | None, n_train: int, unset: Collection[str] | None = None) -> dict[str, Any]:
    """The settings a small training split gives another default ({} for any other run): `repeats`
    and `ensemble` where they are in `unset` (default: left out of params.yaml and not chosen by
    `by_task`; an architecture's settings pass the keys still at the schema's default)."""
    if not small(task, n_train):
        return {}
    if unset is None:
        unset = left_out(train)
    picked: dict[str, Any] = {}
    if "repeats" in unset:
        picked["repeats"] = SMALL_REPEATS
    if "ensemble" in unset and picked.get("repeats", train.repeats) >= 2:
        picked["ensemble"] = True
    return picked

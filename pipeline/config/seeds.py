"""How many seeds each architecture trains, by task: the defaults of `train.repeats` and `train.ensemble`.

A forecast trains FORECAST_REPEATS seeds per architecture and predicts with their ensemble (the
mean of their outputs, seqpipe.training.ensemble); every other task trains one seed, as the
schema's defaults say. On the small series forecasts are made from, the seed moves the error as
much as the architecture does, and an ensemble's error is at most its seeds' mean error
(bench/RESULTS.md, "Seed ensembles" and "A forecast's default" for the figures and the cost).
Classification and regression keep one seed: their ensembles were not measured to pay for tripled
training (the default experiment, the adding problem, trains 4,200 sequences).

Explicit values always win: `train.repeats` or `train.ensemble` written in params.yaml (even at
the schema's value, e.g. `repeats: 1`) is kept, and `models.<arch>.train.ensemble` overrides
per architecture. A forecast's `ensemble` default is true only with two or more seeds, so
`repeats: 1` alone means one plain seed.
"""
from __future__ import annotations

from typing import Any

from seqpipe.config.params import TrainParams

FORECAST_REPEATS = 3  # bench/RESULTS.md, "A forecast's default": 5 seeds gained nothing on the series at the line
SOURCE = "default for a forecast"  # recipes.TrainSettings' source of a setting this module chose
WHY = (f"a forecast trains {FORECAST_REPEATS} seeds and predicts with their mean unless params.yaml sets "
       "train.repeats or train.ensemble (seqpipe.config.seeds)")


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

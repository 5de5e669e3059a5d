"""Calendar features of dated timestamps (`data.options.calendar`), future covariates the core derives.

Each feature is a position in a cycle (the hour in the day, the day in the week, the month in the
year...) given as the sine and cosine of its angle, so December sits next to January and a model
sees no jump at the turn of the cycle. `calendar: true` picks the features by the data's pandas
frequency (`FOR_FREQUENCY`); a list names them. The same function serves prepare (the series'
own timestamps) and `seqpipe predict` (the timestamps after each series' end), so both agree.
"""
from __future__ import annotations

from typing import Any, get_args

import numpy as np

from seqpipe.errors import DataError
from seqpipe.specs import CalendarFeature

FEATURES: tuple[str, ...] = get_args(CalendarFeature)

# pandas offset class name prefixes -> the features `calendar: true` gives
FOR_FREQUENCY: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("Nano", "Micro", "Milli", "Second", "Minute", "Hour", "BusinessHour"), ("hour", "day_of_week")),
    (("Day", "BusinessDay", "CustomBusinessDay"), ("day_of_week", "day_of_year")),
    (("Week",), ("week_of_year",)),
    (("Month", "SemiMonth", "BusinessMonth"), ("month",)),
    (("Quarter", "BusinessQuarter"), ("quarter",)),
)


def features_for(request: bool | list[str], freq: str | None) -> list[str]:
    """The calendar features asked for: a list as given, or for `true` those of the frequency."""
    if request is False:
        return []
    if request is not True:
        return list(dict.fromkeys(request))
    import pandas as pd

    if freq is None:
        raise DataError("data.options.calendar: true picks features by the timestamps' frequency, and pandas "
                        f"infers none (irregular dates); list the features instead, from: {', '.join(FEATURES)}")
    kind = type(pd.tseries.frequencies.to_offset(freq)).__name__
    for prefixes, chosen in FOR_FREQUENCY:
        if any(kind.startswith(p) for p in prefixes) and not kind.startswith(("Year", "BusinessYear")):
            return list(chosen)
    raise DataError(f"data.options.calendar: the data's frequency '{freq}' has no calendar cycle shorter than the "
                    f"series' step (yearly data); set calendar: false")


def values(times: np.ndarray, features: list[str]) -> np.ndarray:
    """(steps,) datetime64 -> (steps, 2 * len(features)) float32: sin and cos of each feature's angle."""
    import pandas as pd

    stamps = pd.DatetimeIndex(times)
    columns = []
    for name in features:
        fraction = _fraction(stamps, name)
        columns += [np.sin(2 * np.pi * fraction), np.cos(2 * np.pi * fraction)]
    if not columns:
        return np.zeros((len(times), 0), np.float32)
    return np.stack(columns, axis=1).astype(np.float32)


def channel_names(features: list[str]) -> list[str]:
    return [f"{name}_{part}" for name in features for part in ("sin", "cos")]


def _fraction(s: Any, name: str) -> np.ndarray:
    """The position of each timestamp (a pandas DatetimeIndex) in the feature's cycle, in [0, 1)."""
    if name == "hour":
        return np.asarray(s.hour + s.minute / 60.0) / 24.0
    if name == "day_of_week":
        return s.dayofweek / 7.0
    if name == "day_of_month":
        return (s.day - 1) / s.days_in_month
    if name == "day_of_year":
        return (s.dayofyear - 1) / (365.0 + s.is_leap_year)
    if name == "week_of_year":
        return (s.isocalendar().week.to_numpy(np.float64) - 1) / 52.1775
    if name == "month":
        return (s.month - 1) / 12.0
    if name == "quarter":
        return (s.quarter - 1) / 4.0
    raise ValueError(f"unknown calendar feature {name!r}")

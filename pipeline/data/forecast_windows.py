"""Where the forecast windows of each split begin: the cutoff protocol and the sliding one.

A window is (series index, first forecast step); its inputs are the `lookback` steps before and
its targets the `horizon` steps from there.

- cutoff (the published protocol): each series' test range begins at its cutoff (the last
  `horizon` steps, the steps after `data.window.cutoff`, or the split column's test rows) and is
  forecast in blocks of `horizon` from there, in one shot each; validation is the last
  `val_windows` windows before the test range, one step apart (one: the `horizon` steps just
  before it, the default); training windows end before the first validation window's forecast
  begins. `data.window.val_windows: auto` takes enough for early stopping (budget.MIN_VALIDATION
  over all series) where every series keeps at least 1 - MAX_VAL_SHARE of its windows for
  training, else 1. It is not the default: on seven offline series it lost as often as it won
  (sunspots 1.05 -> 1.25, co2 0.98 -> 1.12 x the better of ETS/ARIMA; elec_equip 1.65 -> 1.22;
  bench/RESULTS.md, "Forecast quality: several validation windows").
- sliding: windows everywhere, each series cut by time fractions (data.split.val/test).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seqpipe.config.budget import MIN_VALIDATION
from seqpipe.config.params import WindowParams
from seqpipe.data.naming import origin_prefix, sequence_name
from seqpipe.data.splits import SPLITS
from seqpipe.errors import DataError
from seqpipe.specs import RawData


@dataclass
class WindowPlan:
    """The windows of every split and the end of each series' training range (exclusive)."""

    origins: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: {s: [] for s in SPLITS})
    train_end: list[int] = field(default_factory=list)
    test_start: list[int] = field(default_factory=list)  # cutoff protocol: where each series' test range begins
    test_from: str = ""  # where the test range begins, in words
    val_from: str = ""  # how many validation windows per series, and why
    until_from: str = ""  # data.window.train_until auto: where the training windows end, and why
    dropped: int = 0  # test steps after the last whole block of `horizon`, left out


# auto's validation windows may take at most this share of a series' windows before its test range
MAX_VAL_SHARE = 0.25

UNTIL_TEST = ("data.window.train_until auto: training windows run up to the test range, so the validation "
              "windows are in-sample (early stopping's monitor, not a held-out score); train_until: val holds them out")


def point_forecast_until(window: WindowParams, quantiles: list[float] | None) -> tuple[WindowParams, str]:
    """`window` with train_until auto resolved for the stage's forecast, and a line for the log.

    auto trains up to the test range: with recursive forecasts (train.strategy auto) that met issue
    15's goal on 16 of 18 offline series against 11 (bench/RESULTS.md, "Recursive by default").
    Quantile forecasts keep held-out validation windows: their intervals are calibrated on them."""
    if window.train_until != "auto" or window.protocol != "cutoff" or not quantiles:
        return window, ""
    return (window.model_copy(update={"train_until": "val"}),
            "prepare: data.window.train_until auto: val, training windows end before the validation windows, "
            "which stay held out to calibrate train.quantiles' intervals")


def validation_windows(window: WindowParams, before: list[int]) -> tuple[int, str]:
    """Validation windows per series under the cutoff protocol, and why; `before` is each series'
    count of window starts before its test range (lookback .. test start - horizon)."""
    if window.val_windows != "auto":
        k = int(window.val_windows)
        return k, "" if k == 1 else (f"data.window.val_windows {k}: the last {k} window starts of each series before "
                                     "the test range, one step apart")
    if window.train_until != "val":
        return 1, "auto: 1, training runs up to the test range (train_until), so validation is in-sample"
    k = -(-MIN_VALIDATION // max(1, len(before)))
    spare = min(before) if before else 0
    if k == 1:
        return 1, f"auto: 1 per series, {len(before)} series give early stopping's {MIN_VALIDATION}"
    if k <= MAX_VAL_SHARE * spare:
        return k, (f"auto: the last {k} window starts of each series before the test range, one step apart, "
                   f"{k * len(before)} in all for early stopping (>= {MIN_VALIDATION})")
    return 1, (f"auto: 1, the {k} per series early stopping needs (>= {MIN_VALIDATION} in all) would take over "
               f"{MAX_VAL_SHARE:.0%} of the shortest series' {spare} windows; training keeps them")


def window_starts(length: int, lookback: int, horizon: int, stride: int) -> np.ndarray:
    """First forecast step of every window of one series (inputs are the `lookback` steps before)."""
    return np.arange(lookback, length - horizon + 1, stride)


def sliding(lengths: list[int], window: WindowParams, val: float, test: float) -> WindowPlan:
    """In every series the first `1 - val - test` of the steps give training windows, the next
    `val` validation and the last `test` test windows; a window belongs to a split only if its
    forecast steps all lie inside that split's range."""
    plan = WindowPlan(test_from=f"the last {test:g} of each series' steps (data.split.test)")
    for i, t in enumerate(lengths):
        t_train, t_val = int(t * (1.0 - val - test)), int(t * (1.0 - test))
        plan.train_end.append(t_train)
        ranges = {"train": (0, t_train), "val": (t_train, t_val), "test": (t_val, t)}
        for start in window_starts(t, window.lookback, window.horizon, window.stride):
            for split, (lo, hi) in ranges.items():
                if start >= lo and start + window.horizon <= hi:
                    plan.origins[split].append((i, int(start)))
    return plan


def _position(raw: RawData, i: int, length: int, cutoff: str | float) -> int:
    """How many steps of series `i` lie at or before `cutoff` (its times, or step numbers 0..)."""
    import pandas as pd

    times = raw.times[i] if raw.times is not None else np.arange(length)
    if np.issubdtype(times.dtype, np.datetime64):
        try:
            at = pd.Timestamp(str(cutoff)).to_datetime64().astype(times.dtype)
        except (ValueError, TypeError):
            raise DataError(f"data.window.cutoff: {cutoff!r} is not a date; the time column holds dates, e.g. "
                            f"{pd.Timestamp(times[-1]).date()}") from None
        return int(np.searchsorted(times, at, side="right"))
    try:
        number = float(cutoff)
    except ValueError:
        what = "numbers" if raw.times is not None else "no times (steps are numbered from 0)"
        raise DataError(f"data.window.cutoff: {cutoff!r} is not a number; the series have {what}") from None
    return int(np.searchsorted(times, number, side="right"))


def cutoff(raw: RawData, lengths: list[int], window: WindowParams) -> WindowPlan:
    """The cutoff protocol (see the module docstring)."""
    lookback, horizon, stride = window.lookback, window.horizon, window.stride
    if window.cutoff is not None:
        starts = [_position(raw, i, t, window.cutoff) for i, t in enumerate(lengths)]
        plan = WindowPlan(test_from=f"after data.window.cutoff {window.cutoff}")
    elif raw.test_start is not None:
        starts, plan = list(raw.test_start), WindowPlan(test_from="the split column's test rows")
    else:
        starts = [t - horizon for t in lengths]
        plan = WindowPlan(test_from=f"the last {horizon} steps of each series (data.window.horizon)")
    if window.train_until == "auto":
        plan.until_from = UNTIL_TEST
    where = origin_prefix(raw)
    k, plan.val_from = validation_windows(window, [t0 - horizon - lookback + 1 for t0 in starts])
    for i, (t, t0) in enumerate(zip(lengths, starts)):
        after = t - t0
        if 0 < after < horizon:
            raise DataError(f"{where}{sequence_name(raw, i)} has {after} steps in its test range, fewer than "
                            f"data.window.horizon {horizon}; lower the horizon to {after} or move the cutoff earlier")
        blocks = after // horizon
        plan.test_start.append(t0)
        plan.origins["test"] += [(i, t0 + k * horizon) for k in range(blocks)]
        plan.dropped += after - blocks * horizon
        v0 = t0 - horizon - (k - 1)  # the first validation window's forecast begins here
        if v0 < lookback:
            what = "window" if k == 1 else f"{k} windows (data.window.val_windows)"
            raise DataError(f"{where}{sequence_name(raw, i)}: {t0} steps before its test range leave {max(v0, 0)} "
                            f"before the validation {what} ({horizon + k - 1} steps), fewer than data.window.lookback "
                            f"{lookback}; lower data.window.lookback, data.window.horizon or val_windows, or drop the "
                            "series")
        plan.origins["val"] += [(i, v0 + j) for j in range(k)]
        last = v0 - horizon if window.train_until == "val" else t0 - horizon  # auto: test (point_forecast_until)
        plan.origins["train"] += [(i, int(s)) for s in range(last, lookback - 1, -stride)][::-1]
        plan.train_end.append(v0)
    if not plan.origins["test"]:
        raise DataError(f"{where}no series has steps after the cutoff ({plan.test_from}); move the cutoff earlier")
    if not plan.origins["train"]:
        shortest = min(plan.train_end)
        raise DataError(f"{where}no complete training windows: the shortest series has {shortest} steps before its "
                        f"validation window, fewer than lookback + horizon = {lookback + horizon}; lower "
                        f"data.window.lookback to {max(shortest - horizon, 1)} or less")
    return plan

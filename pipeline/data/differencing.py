"""Which differencing the forecast model gets (`data.window.difference`), `auto` resolved here.

`auto` differences seasonal data (a season longer than one step): over one season where the
lookback holds at least two changes over it (season + 2 steps), else over one step; data
without a season (season 1: yearly, numbered steps) are not differenced; nor is anything under
`normalize: none` (differencing needs the per-window statistics). Chosen by
bench/forecast_quality.py over six offline series (bench/RESULTS.md, "Forecast quality:
differencing"): seasonal differences won on airline and the example, first differences on
ShampooSales (season 12, lookback 12) and lost on the three series of season 1 (Lynx, Nile, M1
yearly). The layers are seqpipe.training.differencing.
"""
from __future__ import annotations

from typing import Literal

from seqpipe.config.params import WindowParams
from seqpipe.errors import DataError

Difference = Literal["none", "first", "seasonal"]


def lag_of(mode: str, season: int) -> int:
    """Steps each change is taken over (0: none)."""
    return {"none": 0, "first": 1, "seasonal": season}[mode]


def choose(window: WindowParams, season: int) -> tuple[Difference, str]:
    """(none | first | seasonal, how it was chosen, for the log); a lookback too short for an
    explicit choice is a DataError naming the key."""
    mode = window.difference
    if mode == "auto":
        if window.normalize == "none":
            return "none", "auto: normalize none"
        if season == 1:
            return "none", "auto: season 1"
        if window.lookback >= season + 2:
            return "seasonal", f"auto: season {season}, lookback {window.lookback}"
        if window.lookback >= 3:
            return "first", f"auto: season {season}, lookback {window.lookback} < season + 2"
        return "none", f"auto: lookback {window.lookback} < 3"
    lag = lag_of(mode, season)
    if lag and window.lookback < lag + 2:
        raise DataError(f"data.window.difference {mode}: lookback {window.lookback} leaves fewer than 2 changes "
                        f"over {lag} step(s); set data.window.lookback to {lag + 2} or more, or difference: auto")
    return mode, "data.window.difference"

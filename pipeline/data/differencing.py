"""Which differencing the forecast model gets (`data.window.difference`), `auto` resolved here.

`auto` on data with a season (longer than one step) asks statsforecast's unit-root tests on each
series' training range, in logs where the model takes logs (`seqpipe.data.unit_root`: a seasonal
difference where the season is strong, else a first difference where KPSS rejects a stationary
level, else none) and takes the answer of most series; a seasonal answer becomes `first` where the
lookback cannot hold two changes over the season (season + 2 steps), and series too short to test
get `seasonal` (`first` under that lookback). Data without a season (season 1: yearly, numbered
steps) are not differenced; nor is anything under `normalize: none` (differencing needs the
per-window statistics). Measured with bench/forecast_quality.py on twelve offline series, 3 seeds
(bench/RESULTS.md, "Forecast quality on twelve series"): the tests change the choice on real GDP
(seasonally adjusted: first, not seasonal; 1.12 -> 1.03 x the better of ETS/ARIMA) and Uschange
(stationary growth rates: none; 1.55 -> 1.06) and nowhere else; for season 1 they would ask first
differences on Nile and M1 yearly, which lost there (0.99 -> 1.14, 0.83 -> 1.29), so season 1 stays
undifferenced. The layers are seqpipe.training.differencing.
"""
from __future__ import annotations

from typing import Literal

import numpy as np

from seqpipe.config.params import WindowParams
from seqpipe.data import unit_root
from seqpipe.errors import DataError

Difference = Literal["none", "first", "seasonal"]


def lag_of(mode: str, season: int) -> int:
    """Steps each change is taken over (0: none)."""
    return {"none": 0, "first": 1, "seasonal": season}[mode]


def choose(window: WindowParams, season: int, train_ranges: list[np.ndarray], log: bool) -> tuple[Difference, str]:
    """(none | first | seasonal, how it was chosen, for the log). `train_ranges`: each series'
    forecast column over its training range (the unit-root tests read them); `log`: whether the
    model takes logs. A lookback too short for an explicit choice is a DataError naming the key."""
    mode = window.difference
    if mode == "auto":
        if window.normalize == "none":
            return "none", "auto: normalize none"
        if season == 1:
            return "none", "auto: season 1"
        if window.lookback < 3:
            return "none", f"auto: lookback {window.lookback} < 3"
        found = unit_root.verdict(train_ranges, season, log)
        if not found.tested:
            wanted, why = "seasonal", f"auto: season {season}, too short for the unit-root tests"
        else:
            wanted = found.majority()
            why = (f"auto: unit-root tests (statsforecast nsdiffs, ndiffs) on {found.tested} series' training range: "
                   f"seasonal {found.seasonal}, first {found.first}, none {found.none}")
        if wanted == "seasonal" and window.lookback < season + 2:
            return "first", f"{why}; lookback {window.lookback} < season + 2"
        return wanted, why  # type: ignore[return-value]
    lag = lag_of(mode, season)
    if lag and window.lookback < lag + 2:
        raise DataError(f"data.window.difference {mode}: lookback {window.lookback} leaves fewer than 2 changes "
                        f"over {lag} step(s); set data.window.lookback to {lag + 2} or more, or difference: auto")
    return mode, "data.window.difference"

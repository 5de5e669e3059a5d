"""Which differencing the forecast model gets (`data.window.difference`), `auto` resolved here.

`auto` takes seasonal differences where the season is longer than one step and the lookback
holds at least two changes over it (season + 2 steps), else FALLBACK; `none` under
`normalize: none` (differencing needs the per-window statistics). Chosen by
bench/forecast_quality.py over six offline series (bench/RESULTS.md, "Forecast quality:
differencing"). The layers are seqpipe.training.differencing.
"""
from __future__ import annotations

from typing import Literal

from seqpipe.config.params import WindowParams
from seqpipe.errors import DataError

Difference = Literal["none", "first", "seasonal"]
FALLBACK: Difference = "none"  # auto where seasonal differencing does not apply


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
        if season > 1 and window.lookback >= season + 2:
            return "seasonal", f"auto: season {season}, lookback {window.lookback}"
        return FALLBACK, f"auto: season {season}, lookback {window.lookback} < season + 2" if season > 1 \
            else "auto: season 1"
    lag = lag_of(mode, season)
    if lag and window.lookback < lag + 2:
        raise DataError(f"data.window.difference {mode}: lookback {window.lookback} leaves fewer than 2 changes "
                        f"over {lag} step(s); set data.window.lookback to {lag + 2} or more, or difference: auto")
    return mode, "data.window.difference"

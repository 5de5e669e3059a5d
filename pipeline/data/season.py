"""The season of forecast series from their timestamps' frequency (`data.window.season: auto`).

The frequency is pandas' (`pandas.infer_freq`, the library's own reading of a DatetimeIndex);
the season is the number of steps in the natural cycle above it: monthly 12, quarterly 4,
weekly 52, daily 7, business-daily 5, hourly 24, half-hourly 48, minutely 60; yearly data,
numbers and series without timestamps have none (1, the last-value forecast).
"""
from __future__ import annotations

import numpy as np

# pandas offset name prefixes (`DateOffset.name`, e.g. "MS", "ME", "QS-OCT", "W-SUN", "YE-DEC")
# -> steps per cycle at a multiple of 1.
_CYCLES = (("BH", 8), ("B", 5), ("W", 52), ("Q", 4), ("BQ", 4), ("BM", 12), ("SM", 24), ("M", 12), ("C", 5),
           ("D", 7), ("h", 24), ("H", 24), ("min", 60), ("T", 60), ("Y", 1), ("A", 1), ("BY", 1), ("BA", 1))
_NAMES = {12: "monthly", 4: "quarterly", 52: "weekly", 7: "daily", 5: "business-daily", 24: "hourly", 60: "minutely"}


def infer_season(times: list[np.ndarray] | None) -> tuple[int, str]:
    """(season, how it was found) from the series' timestamps; the longest series decides."""
    import pandas as pd
    from pandas.tseries.frequencies import to_offset

    if not times:
        return 1, "no timestamps (no time column): season 1, the last value"
    stamps = max(times, key=len)
    if not np.issubdtype(stamps.dtype, np.datetime64):
        return 1, "numeric timestamps: season 1, the last value"
    freq = pd.infer_freq(pd.DatetimeIndex(stamps)) if len(stamps) >= 3 else None
    if freq is None:
        return 1, "the timestamps have no regular frequency (pandas.infer_freq): season 1, the last value"
    offset = to_offset(freq)
    base = offset.name.split("-")[0]
    cycle = next((steps for prefix, steps in sorted(_CYCLES, key=lambda c: -len(c[0]))
                  if base.startswith(prefix) and (len(base) == len(prefix) or base[len(prefix):] in ("S", "E"))), 1)
    n = abs(int(offset.n)) or 1
    season = cycle // n if cycle % n == 0 else 1
    name = _NAMES.get(cycle, "yearly" if base[:1] in ("Y", "A") or base[:2] in ("BY", "BA") else freq)
    every = name if n == 1 else f"{n} x {name}"
    return season, f"inferred from the timestamps' frequency: {every} (pandas.infer_freq '{freq}')"

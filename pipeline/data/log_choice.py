"""Whether the forecast model takes the target in logs (`data.window.log`), `auto` resolved here.

Logs turn a multiplicative season (its swing grows with the level, as in airline passengers) into
an additive one that seasonal differences then remove; on an additive season they only bend the
data. `auto` therefore asks the training range: over each full season, does the swing (standard
deviation within the season) rise with the level (the season's mean)? Logs when the median, over
the series with at least MIN_SEASONS whole seasons, of that correlation is at least MULTIPLICATIVE,
and every value is positive; never for season 1. Measured with bench/forecast_quality.py
(bench/RESULTS.md, "Forecast quality: `log: true` on top of `difference: auto`" and "log auto"):
logs won on airline (correlation 0.95 on its training range) and were a wash or worse on
ShampooSales (too short to tell: 2.5 seasons) and the store example (-0.29); the electrical
equipment series of statsmodels is at 0.50. 0.8 leaves room on both sides.
"""
from __future__ import annotations

import numpy as np

from seqpipe.config.params import WindowParams
from seqpipe.errors import DataError

MIN_SEASONS = 3
MULTIPLICATIVE = 0.8


def swing_level_correlation(train_range: np.ndarray, season: int) -> float | None:
    """Correlation of each whole season's standard deviation with its mean, over the last whole
    seasons of one series' training range; None with fewer than MIN_SEASONS or a constant level."""
    k = len(train_range) // season
    if season <= 1 or k < MIN_SEASONS:
        return None
    cycles = np.asarray(train_range[len(train_range) - k * season:], dtype=np.float64).reshape(k, season)
    level, swing = cycles.mean(axis=1), cycles.std(axis=1)
    if level.std() == 0 or swing.std() == 0:
        return None
    return float(np.corrcoef(level, swing)[0, 1])


def choose(window: WindowParams, targets: list[np.ndarray], train_end: list[int], season: int,
           names: list[str]) -> tuple[bool, str]:
    """(logs or not, how it was chosen, for the log). `targets`: each series' forecast column;
    `names`: how errors name each series. An explicit `log: true` on a value <= 0 is a DataError."""
    if window.log is True:
        for values, name in zip(targets, names):
            if not (values > 0).all():
                raise DataError(f"data.window.log: {name} has values <= 0 (smallest {float(values.min()):g}); "
                                "logs need positive values; set log: false or auto")
        return True, "data.window.log"
    if window.log is False:
        return False, "data.window.log"
    if window.normalize == "none":
        return False, "auto: normalize none"
    if season <= 1:
        return False, "auto: season 1"
    if not all((values > 0).all() for values in targets):
        return False, "auto: values <= 0"
    found = [r for values, end in zip(targets, train_end)
             if (r := swing_level_correlation(values[:end], season)) is not None]
    if not found:
        return False, f"auto: fewer than {MIN_SEASONS} whole seasons of training range"
    r = float(np.median(found))
    if r >= MULTIPLICATIVE:
        return True, f"auto: the season's swing grows with its level (correlation {r:.2f} >= {MULTIPLICATIVE:g})"
    return False, f"auto: the season's swing does not grow with its level (correlation {r:.2f} < {MULTIPLICATIVE:g})"

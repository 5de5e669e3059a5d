"""Unit-root tests on each series' training range: which differences make it stationary.

The tests are statsforecast's (`statsforecast.arima.nsdiffs` and `ndiffs`, the procedure its
AutoARIMA, like R's forecast::auto.arima, uses to pick D and d): `nsdiffs` asks for a seasonal
difference where the seasonal strength of an STL decomposition exceeds 0.64, `ndiffs` for a first
difference while the KPSS test rejects level stationarity at 5 %. `seqpipe.data.differencing`
turns the answers into `difference: auto` for data with a season.
"""
from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np

# the longest series are tested (a vote over thousands of short series says no more than over these)
MAX_SERIES = 200


@dataclass(frozen=True)
class Verdict:
    """How many tested series want seasonal, first or no differences."""

    seasonal: int
    first: int
    none: int

    @property
    def tested(self) -> int:
        return self.seasonal + self.first + self.none

    def majority(self) -> str:
        """The most common answer; a tie goes to fewer differences (none, then first)."""
        votes = {"none": self.none, "first": self.first, "seasonal": self.seasonal}
        return max(votes, key=lambda mode: votes[mode])


def _answer(x: np.ndarray, season: int) -> str:
    from statsforecast.arima import ndiffs, nsdiffs

    if nsdiffs(x, period=season) > 0:
        return "seasonal"
    return "first" if ndiffs(x) > 0 else "none"


def verdict(train_ranges: list[np.ndarray], season: int, log: bool) -> Verdict:
    """Each series' answer (seasonal, first or none) on its training range, in logs when the model
    takes logs; series shorter than two seasons plus two steps are not tested."""
    usable = sorted((r for r in train_ranges if len(r) >= 2 * season + 2), key=len, reverse=True)[:MAX_SERIES]
    answers: Counter[str] = Counter()
    with warnings.catch_warnings():  # KPSS warns where its p-value is off its table's range: the answer holds
        warnings.simplefilter("ignore")
        for values in usable:
            x = np.asarray(values, dtype=np.float64)
            answers[_answer(np.log(x) if log else x, season)] += 1
    return Verdict(answers["seasonal"], answers["first"], answers["none"])

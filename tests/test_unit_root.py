"""`data.window.difference: auto` on data with a season: statsforecast's unit-root tests on each series' training range."""
import numpy as np

from seqpipe.config.params import WindowParams
from seqpipe.data import differencing, unit_root

STEPS = np.arange(120)
RNG = np.random.default_rng(0)
SEASONAL = 10 * np.sin(2 * np.pi * STEPS / 12)


def _choose(*series: np.ndarray, lookback: int = 24, log: bool = False) -> tuple[str, str]:
    return differencing.choose(WindowParams(lookback=lookback, horizon=12), 12, [s[:96] for s in series], log)


def test_a_strong_season_is_differenced_over_the_season_and_the_log_says_why():
    mode, why = _choose(100 + 0.5 * STEPS + SEASONAL + RNG.normal(0, 1, STEPS.size))
    assert mode == "seasonal"
    assert why == "auto: unit-root tests (statsforecast nsdiffs, ndiffs) on 1 series' training range: seasonal 1, first 0, none 0"
    assert _choose(100 + SEASONAL, lookback=12)[0] == "first"  # the lookback cannot hold two seasonal changes


def test_a_random_walk_without_a_season_gets_first_differences_and_noise_none():
    walk = 100 + np.cumsum(RNG.normal(0, 1, STEPS.size))
    noise = RNG.normal(0, 1, STEPS.size)
    assert _choose(walk)[0] == "first"
    assert _choose(noise)[0] == "none"
    # a vote over the series; a tie goes to fewer differences
    assert _choose(walk, noise, noise)[0] == "none"
    assert unit_root.verdict([walk[:96], noise[:96]], 12, False).majority() == "none"


def test_season_one_short_series_and_explicit_choices_keep_their_rules():
    walk = 100 + np.cumsum(RNG.normal(0, 1, STEPS.size))
    assert differencing.choose(WindowParams(lookback=24, horizon=2), 1, [walk], False) == ("none", "auto: season 1")
    assert _choose(walk[:20] + SEASONAL[:20]) == ("seasonal", "auto: season 12, too short for the unit-root tests")
    assert differencing.choose(WindowParams(lookback=24, horizon=2, difference="first"), 12, [walk], False) == (
        "first", "data.window.difference")

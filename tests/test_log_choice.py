"""`data.window.log: auto`: logs where each season's swing grows with its level, as a user's series shows it."""
import numpy as np
import pytest

from seqpipe.config.params import WindowParams
from seqpipe.data import log_choice
from seqpipe.errors import DataError

STEPS = np.arange(120)
SEASON = np.sin(2 * np.pi * STEPS / 12)


def _choose(values: np.ndarray, **window) -> tuple[bool, str]:
    return log_choice.choose(WindowParams(lookback=24, horizon=12, **window), [values], [96], 12, ["sequence 's'"])


def test_a_season_that_grows_with_the_level_is_taken_in_logs():
    growing = (100 + 3 * STEPS) * (1 + 0.2 * SEASON)  # airline-like: the swing is a share of the level
    assert _choose(growing) == (True, "auto: the season's swing grows with its level (correlation 1.00 >= 0.8)")


def test_a_season_of_constant_swing_is_not():
    rng = np.random.default_rng(0)
    constant = 100 + 3 * STEPS + 20 * SEASON + rng.normal(0, 1, STEPS.size)
    logs, why = _choose(constant)
    assert not logs and why.startswith("auto: the season's swing does not grow with its level")


def test_auto_never_logs_what_it_cannot_and_an_explicit_choice_is_kept():
    growing = (100 + 3 * STEPS) * (1 + 0.2 * SEASON)
    assert _choose(growing - 200) == (False, "auto: values <= 0")
    assert log_choice.choose(WindowParams(lookback=24, horizon=12), [growing], [30], 12, ["s"]) == (
        False, "auto: fewer than 3 whole seasons of training range")
    assert log_choice.choose(WindowParams(lookback=24, horizon=12), [growing], [96], 1, ["s"]) == (False, "auto: season 1")
    assert _choose(growing, log=False) == (False, "data.window.log")
    assert _choose(growing, log=True) == (True, "data.window.log")
    with pytest.raises(DataError, match=r"data.window.log: sequence 's' has values <= 0 \(smallest -100\)"):
        _choose(growing - 200, log=True)

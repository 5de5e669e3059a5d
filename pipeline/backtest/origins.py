"""Rolling-origin backtesting: the data of one earlier forecast origin, without leakage.

Origin 0 is the main run (`prepare`'s cutoff protocol). Origin k repeats that protocol with every
series ending `k * step` steps earlier: the steps after the shifted end are dropped before
anything is computed, so the windows, the scaler, the MASE scale and the season of origin k see
nothing of what follows its test range. Its test range is the main one's, `k * step` steps
earlier (the same number of steps per series), its validation window the `horizon` steps before
it, its training windows everything before that.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from seqpipe.config.params import BacktestParams, WindowParams
from seqpipe.data import forecast_windows
from seqpipe.errors import ParamsError
from seqpipe.specs import RawData


def step_of(backtest: BacktestParams, window: WindowParams) -> int:
    """Steps between consecutive origins: `backtest.step`, else the horizon."""
    return backtest.step if backtest.step is not None else window.horizon


def check_task(raw: RawData, window: WindowParams) -> None:
    """Backtesting needs forecast series and the cutoff protocol: one line naming the key otherwise."""
    if raw.task != "forecast":
        raise ParamsError(f"backtest.origins: rolling-origin backtesting needs a forecast task; the data source "
                          f"gives task {raw.task}; set backtest.origins: []")
    if window.protocol != "cutoff":
        raise ParamsError("backtest.origins: rolling-origin backtesting moves the cutoff, so it needs "
                          "data.window.protocol: cutoff (it is sliding); set backtest.origins: [] or protocol cutoff")


def test_starts(raw: RawData, window: WindowParams) -> tuple[list[int], str]:
    """Where each series' main test range begins (step index), as the cutoff protocol puts it,
    and that place in words."""
    lengths = [len(s) for s in raw.sequences]
    plan = forecast_windows.cutoff(raw, lengths, window)
    return plan.test_start, plan.test_from


def fitting(starts: list[int], window: WindowParams, step: int) -> int:
    """How many origins fit before the main one: each series keeps a validation window and its
    lookback before its shifted test range, and at least one series a training window too."""
    lookback, horizon = window.lookback, window.horizon
    by_validation = (min(starts) - lookback - horizon) // step
    by_training = (max(starts) - lookback - 2 * horizon) // step
    return max(0, min(by_validation, by_training))


def check_fits(raw: RawData, window: WindowParams, origins: list[int], step: int) -> int:
    """The number of origins that fit; a one-line error naming `backtest.origins` when `origins` ask for more."""
    fit = fitting(test_starts(raw, window)[0], window, step)
    too_far = [k for k in origins if k > fit]
    if too_far:
        allowed = f"1..{fit}" if fit else "none"
        far = max(too_far)
        allowed = f"1 to {fit}" if fit else "none; the series are too short to move the cutoff"
        raise ParamsError(
            f"backtest.origins: origin {far} moves the cutoff {far * step} steps earlier (backtest.step {step}); "
            f"the series leave room for {fit} origins (each keeps lookback {window.lookback} + a validation window "
            f"of horizon {window.horizon} before its test range), allowed: {allowed}; remove origins or lower "
            "backtest.step"
        )
    return fit


def cut(raw: RawData, window: WindowParams, k: int, step: int) -> RawData:
    """The data of origin `k`: every series (and its times) ending `k * step` steps earlier, its
    test range starting `k * step` steps before the main one. Origin 0 is `raw` itself."""
    if k == 0:
        return raw
    shift = k * step
    starts, _ = test_starts(raw, window)
    sequences = [np.asarray(s)[: len(s) - shift] for s in raw.sequences]
    times = [t[: len(t) - shift] for t in raw.times] if raw.times is not None else None
    covariates = None if raw.covariates is None else raw.covariates.shorten(shift)
    return dataclasses.replace(raw, sequences=sequences, times=times, test_start=[t - shift for t in starts],
                               covariates=covariates)


def window_at(window: WindowParams) -> WindowParams:
    """The window settings of an earlier origin: its test range comes from `cut`, not data.window.cutoff."""
    return window.model_copy(update={"cutoff": None})

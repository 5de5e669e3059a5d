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

An architecture may forecast with other differencing than the data's: `train.difference` (a recipe,
or `models.<arch>.train.difference`) other than `data` replaces it for that model (`for_model`), e.g.
linear's recipe says `none`, as NLinear is published. The choice is built into the saved model's
layers, so evaluation, the backtest, conformal calibration and `seqpipe predict` use the model's own.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from seqpipe.config.params import PARAMS_FILE, WindowParams
from seqpipe.data import unit_root
from seqpipe.data.spec import ForecastSpec, PreparedSpec
from seqpipe.errors import DataError, ParamsError

if TYPE_CHECKING:
    from seqpipe.config.experiment import ArchitectureChoice

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


def for_model(spec: PreparedSpec, wanted: str, origin: str, key: str, source: str = PARAMS_FILE) -> PreparedSpec:
    """The prepared spec one model is built with: `wanted` (its `train.difference`) in place of the
    data's differencing unless it is `data`; `origin` (where the setting came from, e.g. `recipe of
    linear`) goes into `difference_from`. Other tasks are returned as they are. A choice the window
    cannot take is a ParamsError naming `key` (the params.yaml key that changes it) in `source`."""
    f = spec.forecast
    if f is None or wanted == "data":
        return spec
    if wanted != "none" and f.normalize == "none":
        raise ParamsError(f"{source}: {key}: {wanted} needs per-window normalisation; set data.window.normalize to "
                          f"last, mean or seasonal, or {key}: none")
    lag = lag_of(wanted, f.season)
    if lag and spec.timesteps < lag + 2:
        raise ParamsError(f"{source}: {key}: {wanted}: lookback {spec.timesteps} leaves fewer than 2 changes over "
                          f"{lag} step(s); set data.window.lookback to {lag + 2} or more, or {key}: data")
    over = "" if wanted == f.difference else f", over data.window.difference's {f.difference} ({f.difference_from})"
    return spec.model_copy(update={"forecast": f.model_copy(update={"difference": wanted,
                                                                    "difference_from": origin + over})})


def for_choice(choice: ArchitectureChoice, spec: PreparedSpec, wanted: str | None = None,
               source: str = PARAMS_FILE) -> PreparedSpec:
    """`for_model` for one architecture: `wanted` defaults to its effective `train.difference`;
    errors name `models.<arch>.train.difference` or `train.difference`, whichever sets it."""
    s = choice.settings
    wanted = choice.train().difference if wanted is None else wanted
    origin, key = (s.origin("difference"), s.key("difference")) if s is not None else ("train", "train.difference")
    return for_model(spec, wanted, origin, key, source)


def describe(f: ForecastSpec) -> str:
    """`forecasts seasonal changes (auto: ...)` or `forecasts values, not differenced (recipe of linear, ...)`."""
    what = f"{f.difference} changes" if f.difference != "none" else "values, not differenced"
    return f"forecasts {what} ({f.difference_from})"


def record(f: ForecastSpec) -> dict[str, str]:
    """For models/<arch>.fit.json: {"value": "none", "from": "recipe of linear, over ..."}."""
    return {"value": f.difference, "from": f.difference_from}

"""Rolling-origin backtesting: a user lists earlier forecast origins in `backtest.origins`; each
origin's data is the main run's protocol on series that end k * step steps earlier (nothing after
its test range is seen), bad origins fail with one line, and the report averages the origins."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from seqpipe import layout
from seqpipe.backtest import origins
from seqpipe.config import params as params_mod
from seqpipe.config.params import BacktestParams, WindowParams
from seqpipe.data import api as data
from seqpipe.errors import ParamsError
from seqpipe.reporting import backtest as report
from seqpipe.reporting.results import ClassicalResult, Results
from seqpipe.specs import RawData

LOOKBACK, HORIZON = 6, 3
WINDOW = WindowParams(lookback=LOOKBACK, horizon=HORIZON, stride=1, season=1)


def _raw(lengths: tuple[int, ...] = (40, 30)) -> RawData:
    """Each step's value is its own index plus 1000 * the series: a value tells where it came from."""
    series = [np.arange(n, dtype=np.float32) + 1000 * i for i, n in enumerate(lengths)]
    return RawData(series, np.zeros(0, np.float32), "forecast", "numeric")


def _prepare(raw: RawData, window: WindowParams = WINDOW):
    return data.prepare(raw, val=0.2, test=0.2, seed=0, scale=False, window=window)


@pytest.mark.parametrize("until", ["val", "auto"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_origin_k_tests_the_horizon_k_steps_earlier_and_sees_nothing_after_it(k, until):
    raw = _raw()
    window = WINDOW.model_copy(update={"train_until": until})
    prepared = _prepare(origins.cut(raw, window, k, step=2), origins.window_at(window))
    a = prepared.arrays
    for i, n in enumerate((40, 30)):
        end = n - 2 * k  # the origin's series end: its test range is the `horizon` steps before
        rows = a["origin_test"][:, 0] == i
        assert a["y_test"][rows].tolist() == [[1000 * i + t for t in range(end - HORIZON, end)]]
        # no input, target or history of any split reaches past the origin's end
        seen = np.concatenate([a[f"{x}_{s}"][a[f"origin_{s}"][:, 0] == i].ravel()
                               for s in ("train", "val", "test") for x in ("X", "y")])
        assert seen.max() == 1000 * i + end - 1
        assert a["series_lengths"][i] == end
        # training targets end before the validation window (auto: before the test range)
        train_targets = a["y_train"][a["origin_train"][:, 0] == i]
        held_out = a["y_val"] if until == "val" else a["y_test"]
        assert train_targets.max() < held_out[a[f"origin_{'val' if until == 'val' else 'test'}"][:, 0] == i].min()


def test_an_origin_moves_a_dated_cutoff_by_steps_and_keeps_the_test_length():
    import pandas as pd

    raw = _raw((40,))
    raw.times = [pd.date_range("2000-01", periods=40, freq="MS").values]
    window = WINDOW.model_copy(update={"cutoff": "2002-06-01"})  # 30 steps up to it: a test range of 10 steps
    main = _prepare(raw, window)
    shifted = _prepare(origins.cut(raw, window, 2, step=3), origins.window_at(window))
    assert len(shifted.arrays["y_test"]) == len(main.arrays["y_test"]) == 3  # blocks of the horizon
    assert shifted.arrays["origin_test"][0, 1] == main.arrays["origin_test"][0, 1] - 6


def test_too_many_origins_fail_with_one_line_saying_how_many_fit():
    raw = _raw()  # the shorter series: 27 steps before its test range
    step = 3
    fit = origins.fitting(origins.test_starts(raw, WINDOW)[0], WINDOW, step)
    assert fit == (27 - LOOKBACK - HORIZON) // step == 6
    _prepare(origins.cut(raw, WINDOW, fit, step), origins.window_at(WINDOW))  # the last one that fits prepares
    origins.check_fits(raw, WINDOW, [1, fit], step)
    with pytest.raises(ParamsError) as err:
        origins.check_fits(raw, WINDOW, [1, fit + 1], step)
    assert str(err.value).startswith(f"backtest.origins: origin {fit + 1} moves the cutoff 21 steps earlier")
    assert "room for 6 origins" in str(err.value) and "allowed: 1 to 6" in str(err.value)


def test_backtesting_other_tasks_or_the_sliding_protocol_is_refused_naming_the_key():
    with pytest.raises(ParamsError, match=r"^backtest.origins: .*needs a forecast task; .* gives task regression"):
        origins.check_task(RawData([np.zeros(3)], np.zeros(1), "regression", "numeric"), WINDOW)
    with pytest.raises(ParamsError, match=r"^backtest.origins: .*needs data.window.protocol: cutoff"):
        origins.check_task(_raw(), WINDOW.model_copy(update={"protocol": "sliding"}))


@pytest.mark.parametrize(("value", "message"), [
    ([0, 1], "backtest.origins: must be whole numbers >= 1 (origin 0 is the main run), e.g. [1, 2], got [0, 1]"),
    ([2, 2], "backtest.origins: must not repeat an origin, got [2, 2]"),
    (3, "backtest.origins: "),
])
def test_bad_origins_params_are_one_line_naming_the_key(value, message):
    with pytest.raises(ParamsError) as err:
        params_mod.validate(BacktestParams, {"origins": value}, prefix="backtest")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_the_default_is_no_backtest_and_the_step_defaults_to_the_horizon():
    params = params_mod.load(layout.PARAMS_FILE)
    assert params.backtest.origins == [] and params.backtest.step is None
    assert origins.step_of(params.backtest, WINDOW) == HORIZON
    assert origins.step_of(BacktestParams(step=5), WINDOW) == 5


def test_the_report_lists_every_origin_and_the_mean_over_them(in_tmp_cwd):
    def cell(name: str, k: int, body: dict) -> None:
        path = layout.backtest_path(name, k)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"origin": k, "test_from": "...", **body}))

    for k, mase in ((1, 2.0), (2, 3.0)):
        cell("lstm", k, {"mase": mase, "smape": 10.0, "mape": 0.1, "mae": 1.0, "rmse": 1.0})
        cell(layout.BASELINES, k, {"baselines": {"auto_ets": {"description": "AutoETS", "mase": mase / 2}}})
    results = Results({"lstm": {"mase": 1.0, "smape": 10.0, "mape": 0.1, "mae": 1.0, "rmse": 1.0, "params": 9}},
                      {}, {}, {}, {}, [ClassicalResult("auto_ets", "AutoETS", {"mase": 0.5}, 0.1, None)])
    tested = report.backtest(results, "forecast", [2, 1], step=3)
    assert tested is not None
    assert tested.per_origin[["model", "origin", "mase"]].values.tolist() == [
        ["lstm", 0, 1.0], ["lstm", 1, 2.0], ["lstm", 2, 3.0],
        ["auto_ets", 0, 0.5], ["auto_ets", 1, 1.0], ["auto_ets", 2, 1.5]]
    assert tested.summary == {"lstm.backtest_mase": 2.0, "lstm.backtest_mase_std": 1.0,
                              "auto_ets.backtest_mase": 1.0, "auto_ets.backtest_mase_std": 0.5}
    table = tested.blocks[2].content
    assert list(table.columns) == ["model", "origin 0", "origin 1", "origin 2", "mean mase ± std"]
    assert table.iloc[0].tolist() == ["classical: auto_ets", "0.5", "1", "1.5", "1 ± 0.5"]
    assert "k × 3 steps earlier" in tested.blocks[1].content
    assert report.backtest(results, "forecast", [], step=3) is None  # off: no section, no keys
    layout.backtest_path("lstm", 2).unlink()
    with pytest.raises(Exception, match=r"metrics/backtest/lstm-o2.json: not found; run `dvc repro`"):
        report.backtest(results, "forecast", [1, 2], step=3)
    assert isinstance(tested.mean, pd.DataFrame)

"""Backtesting end to end: a forecast project with two backtest origins runs, a third origin
trains only its own cells, and the report and summary metrics list every origin and the mean."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

pytestmark = pytest.mark.e2e

SINE = {"source": "sine", "path": "plugins/sine.py", "options": {"n_series": 2, "length": 80, "period": 12, "noise": 0.1},
        "window": {"lookback": 12, "horizon": 4, "stride": 2, "season": 12}}


def test_adding_an_origin_trains_only_that_origin_and_the_report_averages_them(project):
    params = project.params()
    params["data"]["options"] = {}  # the adding problem's options are not the sine source's
    (project.path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    project.set_params({"architectures": ["cnn"], "data": SINE, "backtest": {"origins": [1, 2], "step": None}})
    ran = project.repro()
    assert {"train@cnn", "backtest@cnn-1", "backtest@cnn-2", "backtest_baselines@1", "backtest_baselines@2"} <= set(ran)
    first = json.loads((project.path / "metrics/backtest/cnn-o1.json").read_text())
    assert first["origin"] == 1 and first["test_windows"] == 2 and "4 steps earlier" in first["test_from"]

    project.set_params({"backtest": {"origins": [1, 2, 3]}})
    assert project.stale() == {"backtest@cnn-3", "backtest_baselines@3", "report"}
    assert project.repro() == ["backtest@cnn-3", "backtest_baselines@3", "report"]

    per_origin = pd.read_csv(project.path / "reports/backtest.csv")
    assert sorted(per_origin.loc[per_origin["model"] == "cnn", "origin"]) == [0, 1, 2, 3]
    assert set(per_origin["model"]) == {"cnn", "seasonal_naive", "auto_ets", "auto_arima"}
    summary = json.loads((project.path / "summary/metrics.json").read_text())
    cnn = per_origin.loc[per_origin["model"] == "cnn", "mase"]
    assert summary["cnn.backtest_mase"] == pytest.approx(cnn.mean(), rel=1e-5)
    assert summary["cnn.backtest_mase_std"] == pytest.approx(cnn.std(ddof=1), rel=1e-5)
    assert "auto_ets.backtest_mase" in summary
    report = (project.path / "reports/report.md").read_text()
    section = report[report.index("## Backtesting"):]
    header = section.splitlines()[4]  # the heading, a blank line, the sentence, a blank line, the table
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "model", "origin 0", "origin 1", "origin 2", "origin 3", "mean mase ± std"]


def test_an_origin_the_series_cannot_hold_fails_with_one_line(project):
    params = project.params()
    params["data"]["options"] = {}
    (project.path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    project.set_params({"architectures": ["cnn"], "data": SINE, "backtest": {"origins": [30]}})
    result = project.run("dvc", "repro", "backtest_baselines@30", check=False)
    assert result.returncode != 0
    assert ("seqpipe: error: backtest.origins: origin 30 moves the cutoff 120 steps earlier (backtest.step 4); "
            "the series leave room for 14 origins") in result.stderr + result.stdout

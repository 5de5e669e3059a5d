"""End to end: linear's recipe (`difference: none`) beside an architecture on the data's
differencing; the log, fit.json, the report, the backtest and `seqpipe predict` follow each model's
own; changing it for one architecture reruns only that one; mistakes are one line."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

pytestmark = pytest.mark.e2e

SINE = {"source": "sine", "path": "plugins/sine.py", "options": {"n_series": 2, "length": 80, "period": 12, "noise": 0.1},
        "window": {"lookback": 12, "horizon": 4, "stride": 2, "season": 12}}


def _fit(project, arch: str) -> dict:
    return json.loads((project.path / "models" / f"{arch}.fit.json").read_text())


def test_each_model_forecasts_with_its_own_differencing_and_only_its_change_reruns_it(project):
    params = project.params()
    params["data"]["options"] = {}  # the adding problem's options are not the sine source's
    (project.path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    project.set_params({"architectures": ["cnn", "linear"], "models": {"linear": {}}, "data": SINE,
                        "backtest": {"origins": [1]}, "train": {"quantiles": [0.1, 0.5, 0.9], "recipes": True}})
    ran, out = project.repro_logged()
    assert {"train@cnn", "train@linear", "backtest@linear-1"} <= set(ran)
    data = _fit(project, "cnn")["difference"]  # the data's: auto, a lookback of 12 holds first differences only
    assert data["value"] == "first" and data["from"].startswith("auto: ")
    linear = _fit(project, "linear")["difference"]
    assert linear == {"value": "none", "from": f"recipe of linear, over data.window.difference's first ({data['from']})"}
    said = f"forecasts values, not differenced ({linear['from']})"
    assert said in out and f"backtest linear: {said}" in out
    assert f"forecasts first changes ({data['from']})" in out
    report = (project.path / "reports" / "report.md").read_text()
    rows = [line for line in report.splitlines() if line.startswith("| differencing of")]
    assert len(rows) == 1 and rows[0].startswith("| differencing of linear ") and said in rows[0], rows

    # evaluate, conformal calibration and predict use the saved model, which holds its own differencing
    from seqpipe.training.model import load_model

    layers = {a: {layer.name for layer in load_model(str(project.path / "models" / f"{a}.keras")).layers}
              for a in ("cnn", "linear")}
    assert "difference" in layers["cnn"] and "difference" not in layers["linear"]
    project.run("seqpipe", "predict", "--arch", "linear", "--split", "test", "-o", "linear.csv")
    predicted = pd.read_csv(project.path / "linear.csv")
    evaluated = pd.read_csv(project.path / "predictions" / "linear.csv")
    assert len(predicted) and predicted.select_dtypes("number").sum().sum() != 0
    assert len(predicted) == len(evaluated)

    # one architecture's differencing reruns that architecture only
    project.set_params({"models": {"linear": {"train": {"difference": "data"}}}})
    assert project.stale() == {"train@linear", "backtest@linear-1"}  # not train@cnn (dvc status: direct changes)

    # a choice the window cannot take, or a value that does not exist, is one line naming the key
    for value, message in (("seasonal", "seqpipe: error: params.yaml: models.linear.train.difference: seasonal: "
                            "lookback 12 leaves fewer than 2 changes over 12 step(s); set data.window.lookback to "
                            "14 or more, or models.linear.train.difference: data"),
                           ("sideways", "seqpipe: error: params.yaml: models.linear.train.difference: input should "
                            "be 'data', 'none', 'first' or 'seasonal'")):
        project.set_params({"models": {"linear": {"train": {"difference": value}}}})
        failed = project.run("dvc", "repro", "train@linear", check=False)
        assert failed.returncode != 0
        lines = [line for line in (failed.stderr + failed.stdout).splitlines() if line.startswith("seqpipe: error:")]
        assert len(lines) == 1 and lines[0].startswith(message), lines

"""Every example in examples/ runs end to end (prepare, train, evaluate, report) on tiny settings.

The stages run in this process (one TensorFlow start-up for all examples) in a temporary
directory holding a copy of examples/ and the example's params with tiny settings. One example
also runs through `dvc repro`, to show that the data file is a dependency of prepare.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import ROOT, TINY_PARAMS, merge

EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/params.yaml"))
# one or two architectures per example, so that each is covered on some source
ARCHS = {
    "csv-forecast": ["lstm"],
    "csv-forecast-covariates": ["gru"],
    "csv-long-regression": ["gru"],
    "csv-wide-classification": ["rnn"],
    "npz-classification": ["cnn"],
    "parquet-long-classification": ["transformer"],
    "patterns-next-token": ["gru"],
    "sine-forecast": ["cnn"],
    "text-classification": ["lstm"],
    "text-next-token": ["transformer"],
}
METRICS = {
    "regression": {"mse", "rmse", "mae", "r2"},
    "binary": {"accuracy", "f1", "macro_f1", "roc_auc", "log_loss", "average_precision", "ece"},
    "multiclass": {"accuracy", "macro_f1", "log_loss", "roc_auc", "average_precision", "ece"},
    "forecast": {"mae", "rmse", "smape", "mape", "mase"},
    "next_token": {"accuracy", "top5_accuracy", "perplexity"},
}


# examples that train their default seeds (seqpipe.config.seeds): the forecasts' ensemble of 3, and one small
# classification set's; the others train one seed (TINY_PARAMS' repeats: 1, a speed setting)
DEFAULT_SEEDS = {"csv-forecast", "csv-forecast-covariates", "sine-forecast", "csv-wide-classification"}


def tiny(params: dict, archs: list[str], default_seeds: bool = False) -> dict:
    options = params["data"]["options"]
    for key, small in (("n_samples", 240), ("length", 160), ("n_series", 2)):
        if key in options:
            options[key] = small
    train = {k: v for k, v in TINY_PARAMS["train"].items() if not (default_seeds and k == "repeats")}
    return merge(params, {"architectures": archs, "train": train, "models": TINY_PARAMS["models"]})


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_example_has_a_small_data_file_or_a_generator():
    assert len(EXAMPLES) >= 9 and set(EXAMPLES) == set(ARCHS)
    for name in EXAMPLES:
        params = yaml.safe_load((ROOT / "examples" / name / "params.yaml").read_text())
        files = [p for p in (ROOT / "examples" / name).iterdir() if p.name != "params.yaml"]
        assert all(p.stat().st_size < 64_000 for p in files)
        assert (ROOT / params["data"]["path"]).is_file()


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs_end_to_end(name, tmp_path, monkeypatch, capsys):
    from seqpipe.stages import baselines, evaluate, prepare, report, train

    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for synthetic in ("plugins",):  # synthetic sources point data.path at their generator
        (tmp_path / synthetic).mkdir()
    params = yaml.safe_load((ROOT / "examples" / name / "params.yaml").read_text())
    if params["data"]["path"].startswith("plugins/"):
        shutil.copy(ROOT / params["data"]["path"], tmp_path / params["data"]["path"])
    params = tiny(params, ARCHS[name], default_seeds=name in DEFAULT_SEEDS)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    before = _digest(tmp_path / "examples")
    monkeypatch.chdir(tmp_path)

    prepare.main([])
    for arch in params["architectures"]:
        train.main(["--arch", arch])
        evaluate.main(["--arch", arch])
    logged = capsys.readouterr().out
    baselines.main([])
    report.main([])

    spec = json.loads(Path("data/prepared/spec.json").read_text())
    for arch in params["architectures"]:
        metrics = json.loads(Path(f"metrics/{arch}.json").read_text())
        # repeats and ensemble left out: a forecast and a small training set (this one's 240 sequences or
        # fewer) train an ensemble of 3 seeds; written repeats: 1 trains one
        ensembled = name in DEFAULT_SEEDS
        extra = {"repeats", "ensemble", *(f"{m}_std" for m in METRICS[spec["task"]])} if ensembled else set()
        assert set(metrics) == METRICS[spec["task"]] | {"params"} | extra
        if ensembled:
            assert metrics["ensemble"] == metrics["repeats"] == 3
            assert pd.read_csv(f"scores/{arch}.csv")["seed"].tolist() == ["42", "43", "44", "ensemble"]
        assert Path(f"plots/{arch}/confusion.csv").is_file()
    if ensembled and spec["task"] != "forecast":  # the train log says which rule chose the seeds
        assert (f"  from default for a small training set: repeats 3 ({spec['sizes']['train']} training sequences, "
                "at most 1,000), ensemble true") in logged
    text = Path("reports/report.md").read_text()
    assert "## Leaderboard" in text and "| coverage " in text and "without truncation" in text
    if ensembled:  # the figures draw the ensemble's predictions, and the report says so
        assert "an ensemble of 3 seeds" in text and f"({params['architectures'][0]}: the ensemble of the seeds)" in text
    if spec["task"] == "forecast":
        assert "| baseline: " in text and "| classical: AutoARIMA " in text
        assert "(forecasts.png)" in text and Path("reports/forecasts.png").is_file()
    assert _digest(tmp_path / "examples") == before  # input files are never modified


@pytest.mark.e2e
def test_the_data_file_of_an_example_is_a_dependency_of_prepare(tmp_path):
    from tests.conftest import make_project

    project = make_project(tmp_path / "proj")
    params = tiny(yaml.safe_load((ROOT / "examples/csv-wide-classification/params.yaml").read_text()), ["cnn"])
    (project.path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert project.repro("prepare") == ["fingerprint", "prepare"]
    assert project.repro("prepare") == []
    data_file = project.path / "examples/csv-wide-classification/trends.csv"
    lines = data_file.read_text().splitlines()
    data_file.write_text("\n".join(lines[:-1]) + "\n")  # drop one sequence
    status = json.loads(project.run("dvc", "status", "--json").stdout)
    changed = [d for entry in status["prepare"] for d in entry.get("changed deps", {})]
    assert changed == ["examples/csv-wide-classification/trends.csv"]
    assert project.repro("prepare") == ["prepare"]
    spec = json.loads((project.path / "data/prepared/spec.json").read_text())
    assert sum(spec["sizes"].values()) == 119

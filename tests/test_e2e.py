"""End to end: `dvc repro` in a temporary git repository, as a user would run it."""
from __future__ import annotations

import json

import pytest

from seqpipe import warm
from tests.test_warm import WARM_LINE, left_after

pytestmark = pytest.mark.e2e

# Three of the default experiment's five: enough for ranking, overlays and per-architecture reruns.
# Every built-in architecture is trained, saved and reloaded on every task by test_model, and
# checked by the conformance kit (test_plugin_authors).
ALL = ["lstm", "transformer", "cnn"]
MYMODEL = '''"""MyModel - a GRU followed by a dense projection (written by a test)."""
from pydantic import BaseModel, ConfigDict, Field

from seqpipe import Architecture, hookimpl


class MyParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    units: int = Field(3, ge=1)


def build(spec, hp):
    from keras import layers

    def encoder(x):
        return layers.Dense(hp.units)(layers.GRU(hp.units)(x))

    return encoder


@hookimpl
def register_architectures(register):
    register(Architecture("mymodel", build, MyParams, description=__doc__))
'''


def _output_bytes(project) -> dict[str, bytes]:
    """What must be identical across reruns: prepared data, model files and metrics (not timings)."""
    files = [*sorted((project.path / "data" / "prepared").iterdir()),
             *(project.path / "models" / f"{a}.keras" for a in ALL), *(project.path / "metrics" / f"{a}.json" for a in ALL),
             *(project.path / name for name in ("metrics/baselines.json", "summary/metrics.json", "diagnostics/checks.json"))]
    return {str(f.relative_to(project.path)): f.read_bytes() for f in files}


def test_repro_trains_evaluates_ranks_and_caches_precisely(project):
    project.set_params({"architectures": ALL})
    ran, log = project.repro_logged()
    assert set(ran) == {"fingerprint", "prepare", "baselines", "report",
                        *(f"{s}@{a}" for s in ("train", "evaluate") for a in ALL)}
    # Every train stage ran in a warm worker (Keras imported once per backend), and the workers
    # ended with the repro. The last retrain below runs without them and gives the same bytes.
    assert log.count(WARM_LINE) == len(ALL), log
    assert log.count(": evaluation cache)") == len(ALL), log  # each train stage evaluated for its evaluate stage
    # The stages that need no Keras ran in the plain worker (pandas, scikit-learn, matplotlib loaded once).
    served = (project.path / ".seqpipe" / "warm" / "plain.log").read_text()
    assert all(f"seqpipe.stages.evaluate --arch {a}\n" in served for a in ALL), served
    assert "seqpipe.stages.baselines" in served and "seqpipe.stages.report" in served, served
    assert left_after(project.path) == []

    for arch in ALL:
        metrics = json.loads((project.path / "metrics" / f"{arch}.json").read_text())
        assert set(metrics) == {"mse", "rmse", "mae", "r2", "params"}
        timings = json.loads((project.path / "timings" / f"{arch}.json").read_text())
        assert timings["epochs_run"] == 1 and timings["inference_ms_per_sample"] > 0
    report = (project.path / "reports" / "report.md").read_text()
    assert "## Leaderboard" in report and all(f"| {a} " in report for a in ALL)
    # The classical baseline: scored like the models, an unranked row, and one line on whether the best beats it.
    classical = json.loads((project.path / "metrics" / "baselines.json").read_text())
    assert set(classical["summary_ridge"]) == {"description", "mse", "rmse", "mae", "r2"}
    assert "| classical: summary features + ridge regression " in report
    assert "the classical baseline (summary features + ridge regression) on mse" in report
    assert (project.path / "reports" / "learning_curves.png").stat().st_size > 10_000
    html = (project.path / "reports" / "report.html").read_text()
    # learning curves, score against cost and (regression) predicted against true
    assert html.count("src='data:image/png;base64,") == 3 and "Versions and environment" in html
    # train.backend: auto trains each architecture on its measured fastest backend on CPU (lstm: JAX)
    assert json.loads((project.path / "environment" / "lstm.json").read_text())["keras_backend"] == "jax"
    assert json.loads((project.path / "models" / "lstm.fit.json").read_text())["backend"] == "jax"
    assert (project.path / "curves" / "val_loss.tsv").read_text().startswith("epoch\t" + "\t".join(ALL))
    overlay = json.loads(project.run("dvc", "plots", "show", "--json").stdout)["data"]["curves/val_loss.tsv"]
    assert {row["field"] for row in overlay[0]["content"]["data"]["values"]} == set(ALL)
    summary = json.loads((project.path / "reports" / "summary.json").read_text())
    assert sorted(summary["ranking"]) == sorted(ALL)
    # The one DVC metrics file is the summary; the per-architecture files are plain outputs in git.
    shown = project.run("dvc", "metrics", "show", "--json").stdout
    assert "summary/metrics.json" in shown and not any(f"metrics/{a}.json" in shown for a in ALL)
    detail = project.run("dvc", "metrics", "show", "metrics", "timings", "--json").stdout
    assert all(f"metrics/{a}.json" in detail for a in ALL) and "metrics/baselines.json" in detail
    # The environment is a dependency of evaluate: drift shows as its hash in `dvc exp show`.
    assert "environment/lstm.json" in project.run("dvc", "exp", "show", "--csv").stdout.splitlines()[0]
    # The summary metrics: one short key per architecture and metric, DVC's default view reads it whole.
    summary_metrics = json.loads((project.path / "summary" / "metrics.json").read_text())
    assert [k for k in summary_metrics if k.endswith(".rank")] == [f"{a}.rank" for a in ALL]
    assert "summary/metrics.json" in shown and "dvclive/" not in shown
    first = _output_bytes(project)

    # A second repro does nothing.
    assert project.repro() == []

    # One architecture's hyperparameters rerun only that architecture and the report.
    project.set_params({"models": {"lstm": {"units": 5}}})
    assert set(project.repro()) == {"train@lstm", "evaluate@lstm", "report"}
    diff = json.loads(project.run("dvc", "metrics", "diff", "--json").stdout)
    assert "lstm.mse" in diff["summary/metrics.json"]
    assert "metrics/lstm.json" in project.run("dvc", "metrics", "diff", "--targets", "metrics", "--json").stdout

    # Editing one in-tree plugin file reruns only that architecture.
    cnn_file = project.path / "plugins" / "cnn.py"
    original_cnn = cnn_file.read_text()
    cnn_file.write_text(original_cnn + "\n# a harmless edit\n")
    assert set(project.repro()) == {"fingerprint", "train@cnn", "evaluate@cnn", "report"}

    # Changing the data params invalidates everything downstream of prepare.
    project.set_params({"data": {"options": {"n_samples": 260}}})
    assert project.repro("prepare") == ["prepare"]
    assert project.stale() == {"baselines", "report", *(f"{s}@{a}" for s in ("train", "evaluate") for a in ALL)}

    # Back to the first params: a forced rerun of lstm's chain (fingerprint, prepare, train,
    # evaluate) retrains it from scratch, in its own process this time (no warm worker), and
    # reproduces prepared data, model and metrics byte for byte. (Every other built-in
    # architecture: tests/test_reliability.py, in one process.)
    project.set_params({"data": {"options": {"n_samples": 240}}, "models": {"lstm": {"units": 4}}})
    cnn_file.write_text(original_cnn)
    project.extra_env = {warm.SWITCH: "0"}
    assert set(project.repro("-f", "evaluate@lstm")) == {"fingerprint", "prepare", "train@lstm", "evaluate@lstm"}
    # The baselines and the report, rerun in their own processes, write what the plain worker's children wrote.
    assert project.repro("-f", "-s", "baselines") == ["baselines"]
    assert project.repro("-f", "-s", "report") == ["report"]
    again = _output_bytes(project)
    rerun = ("metrics/baselines.json", "summary/metrics.json", "diagnostics/checks.json")
    retrained = [name for name in first if "lstm" in name or "prepared" in name or name in rerun]
    assert {name: again[name] for name in retrained} == {name: first[name] for name in retrained}


def test_a_new_plugin_file_and_its_name_are_enough(project):
    (project.path / "plugins" / "mymodel.py").write_text(MYMODEL)
    project.set_params({"architectures": ["mymodel"]})

    # Without a models entry, the first error is seqpipe's one-line fix, not a traceback.
    failed = project.run("dvc", "repro", check=False)
    assert failed.returncode != 0
    assert "seqpipe: error: params.yaml: models.mymodel: missing; add `mymodel: {}` under `models:`" in failed.stderr
    assert "Traceback" not in failed.stderr
    listed = project.run("seqpipe", "list").stdout
    assert "mymodel" in listed and "plugins/mymodel.py" in listed

    project.set_params({"models": {"mymodel": {}}})
    ran = project.repro()
    assert {"train@mymodel", "evaluate@mymodel", "report"} <= set(ran)
    assert json.loads((project.path / "reports" / "summary.json").read_text())["ranking"] == ["mymodel"]


def test_an_unknown_architecture_stops_before_any_output(project):
    project.set_params({"architectures": ["lstm", "lstmm"], "models": {"lstmm": {}}})
    failed = project.run("dvc", "repro", check=False)
    assert failed.returncode != 0
    assert "unknown architecture 'lstmm'; available: cnn, fcn, gru, inceptiontime, linear, lstm, resnet, rnn, tcn, transformer" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert not (project.path / "data" / "prepared").exists()

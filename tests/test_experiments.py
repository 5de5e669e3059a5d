"""End to end: experiments as a DVC user runs them: a queued sweep, exp show, the leaderboard,
plots diff, metrics diff and exp apply, in a temporary git repository."""
from __future__ import annotations

import csv
import io
import json
import time

import pytest

pytestmark = pytest.mark.e2e


def _wait_for_queue(project, timeout: float = 480.0) -> str:
    """Poll `dvc queue status` until nothing is queued or running; return the last status."""
    deadline = time.monotonic() + timeout
    while True:
        status = project.run("dvc", "queue", "status").stdout
        busy = any(word in status for word in ("Queued", "Running"))
        if not busy:
            return status
        if time.monotonic() > deadline:
            project.run("dvc", "queue", "kill", "--all", check=False)
            raise AssertionError(f"the queue did not finish in {timeout:.0f}s:\n{status}")
        time.sleep(8)  # each `dvc queue status` costs CPU the workers need


def test_a_queued_two_point_sweep_shows_up_in_exp_show_and_the_leaderboard(project):
    project.set_params({"architectures": ["lstm"]})
    for key, value in (("user.name", "t"), ("user.email", "t@t")):
        project.run("git", "config", key, value)
    project.run("git", "commit", "-qam", "one architecture")

    # A grid over one hyperparameter: two queued experiments, run by two workers.
    project.run("dvc", "exp", "run", "--queue", "-S", "models.lstm.units=3,5")
    queued = project.run("dvc", "queue", "status").stdout
    assert queued.count("Queued") == 2, queued
    try:
        project.run("dvc", "queue", "start", "-j", "2")
        status = _wait_for_queue(project)
    finally:
        project.run("dvc", "queue", "stop", check=False)
    assert "Failed" not in status, status

    shown = json.loads(project.run("dvc", "exp", "show", "--json").stdout)
    baseline = next(entry for entry in shown if entry["rev"] != "workspace")
    exps = [state for exp_range in baseline["experiments"] or [] for state in exp_range["revs"]]
    assert len(exps) == 2
    units = sorted(s["data"]["params"]["params.yaml"]["data"]["models"]["lstm"]["units"] for s in exps)
    assert units == [3, 5]
    # the one DVC metrics file, two short columns per architecture
    assert all(set(s["data"]["metrics"]) == {"summary/metrics.json"} for s in exps)
    assert all("lstm.mse" in s["data"]["metrics"]["summary/metrics.json"]["data"] for s in exps)

    # seqpipe leaderboard: one row per (experiment, architecture), ranked, CSV on request.
    table = project.run("seqpipe", "leaderboard", "--csv").stdout
    rows = list(csv.DictReader(io.StringIO(table)))
    names = sorted(s["name"] for s in exps)
    assert sorted(r["experiment"] for r in rows if r["kind"] == "experiment") == names
    # every score and timing of each experiment, read from its commit (plain outputs in git)
    assert all(r["r2"] and r["cpu_s"] for r in rows)
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    mse = [float(r["mse"]) for r in rows]
    assert mse == sorted(mse)

    # Curves of both experiments in one plot, metrics compared between them.
    plots = json.loads(project.run("dvc", "plots", "diff", names[0], names[1], "--json").stdout)
    revisions = plots["data"]["curves/val_loss.tsv"][0]["revisions"]
    assert sorted(revisions) == names
    diff = json.loads(project.run("dvc", "metrics", "diff", names[0], names[1], "--json").stdout)
    assert "lstm.mse" in diff["summary/metrics.json"]
    detail = json.loads(project.run("dvc", "metrics", "diff", names[0], names[1], "--targets", "metrics", "timings",
                                    "--json").stdout)
    assert "mse" in detail["metrics/lstm.json"] and "train_seconds" in detail["timings/lstm.json"]

    # Apply the second experiment to the workspace: its params and results become current.
    project.run("dvc", "exp", "apply", names[1])
    applied = next(s for s in exps if s["name"] == names[1])
    assert project.params()["models"]["lstm"]["units"] == applied["data"]["params"]["params.yaml"]["data"]["models"]["lstm"]["units"]
    summary = applied["data"]["metrics"]["summary/metrics.json"]["data"]
    assert json.loads((project.path / "summary" / "metrics.json").read_text()) == summary
    assert json.loads((project.path / "metrics" / "lstm.json").read_text())["mse"] == pytest.approx(summary["lstm.mse"], rel=1e-5)

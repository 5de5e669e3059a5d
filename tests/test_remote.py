"""A team shares results through a DVC remote: one clone trains and pushes, another pulls and
has nothing left to run."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e

GIT_USER = ("-c", "user.name=t", "-c", "user.email=t@t")


def test_a_second_clone_pulls_the_shared_cache_and_reproduces_nothing(project, tmp_path):
    # Alice: one architecture, trained once, results committed and pushed to the shared remote.
    project.set_params({"architectures": ["cnn"]})
    assert "train@cnn" in project.repro()
    remote = tmp_path / "shared-cache"
    project.run("dvc", "remote", "add", "-d", "shared", str(remote))
    project.run("git", "add", "-A")
    project.run("git", *GIT_USER, "commit", "-qm", "trained cnn")
    project.run("dvc", "push")

    # Bob: a fresh clone has the code, params and dvc.lock, and the small results (metrics,
    # timings, curves, environments: in git), but no models until it pulls.
    clone = type(project)(tmp_path / "bob")
    project.run("git", "clone", "-q", str(project.path), str(clone.path))
    assert not (clone.path / "models").exists()
    # metrics/<arch>.json is a plain output in git, not a DVC metric: named with --targets
    diff = json.loads(clone.run("dvc", "metrics", "diff", "--json", "--all", "--targets", "metrics").stdout)
    assert diff["metrics/cnn.json"]["mse"]["old"] == json.loads((project.path / "metrics/cnn.json").read_text())["mse"]
    assert diff["metrics/cnn.json"]["mse"]["diff"] == 0
    rows = json.loads(clone.run("seqpipe", "leaderboard", "--json").stdout)
    # the clone's workspace is the commit: one complete row, not a workspace copy beside it
    assert [(r["architecture"], r["kind"], r["experiment"].endswith("[workspace]")) for r in rows] == [
        ("cnn", "baseline", True)]
    clone.run("dvc", "pull")

    # Everything is up to date: nothing to retrain, and the same results as Alice's.
    assert clone.repro() == []
    for name in ("metrics/cnn.json", "timings/cnn.json", "models/cnn.keras", "reports/summary.json"):
        assert (clone.path / name).read_bytes() == (project.path / name).read_bytes()

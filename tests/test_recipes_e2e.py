"""End to end: one architecture's training settings rerun only that architecture; the train log and
models/<arch>.fit.json say where each setting came from."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e

WITH_RECIPE = '''"""Paced - a GRU with its own training recipe (written by a test)."""
from pydantic import BaseModel, ConfigDict, Field

from seqpipe import Architecture, Recipe, hookimpl


class PacedParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    units: int = Field(3, ge=1)


def build(spec, hp):
    from keras import layers

    return layers.GRU(hp.units)


@hookimpl
def register_architectures(register):
    register(Architecture("paced", build, PacedParams, description=__doc__,
                          recipe=Recipe(learning_rate=0.005, lr_schedule="plateau", reference="a test")))
'''


def _settings(project, arch: str) -> dict:
    return json.loads((project.path / "models" / f"{arch}.fit.json").read_text())["train_settings"]


def test_per_architecture_training_settings_rerun_only_their_architecture(project):
    (project.path / "plugins" / "paced.py").write_text(WITH_RECIPE)
    project.set_params({"architectures": ["cnn", "paced"], "models": {"paced": {}}, "train": {"recipes": True}})
    out = project.run("dvc", "repro").stdout
    assert "training settings of paced (highest first: models.paced.train > recipe of paced > train > default" in out
    assert "  from recipe of paced: learning_rate 0.005 (over train.learning_rate 0.002), lr_schedule plateau" in out
    assert _settings(project, "paced")["learning_rate"] == {"value": 0.005,
                                                           "from": "recipe of paced, over train.learning_rate 0.002"}
    assert _settings(project, "cnn")["learning_rate"] == {"value": 0.002, "from": "train"}
    timings = json.loads((project.path / "timings" / "paced.json").read_text())
    assert "train_settings" not in timings  # settings are not timings: `dvc metrics show` stays numeric
    report = (project.path / "reports" / "report.md").read_text()
    assert '"learning_rate": "0.005 (recipe of paced, over train.learning_rate 0.002)"' in report

    # One architecture's own settings rerun only that architecture (and the report).
    project.set_params({"models": {"cnn": {"train": {"learning_rate": 0.01, "batch_size": 16}}}})
    assert set(project.repro()) == {"train@cnn", "evaluate@cnn", "report"}
    assert _settings(project, "cnn")["batch_size"] == {"value": 16, "from": "models.cnn.train"}

    # A global train setting reruns every architecture; train.recipes: false drops the recipe.
    project.set_params({"train": {"recipes": False}})
    assert set(project.repro()) == {"train@cnn", "evaluate@cnn", "train@paced", "evaluate@paced", "report"}
    assert _settings(project, "paced")["learning_rate"] == {"value": 0.002, "from": "train"}

    # A mistake is one line naming the dotted key, before any work.
    project.set_params({"models": {"paced": {"train": {"batch_size": 0}}}})
    failed = project.run("dvc", "repro", check=False)
    assert failed.returncode != 0
    assert "seqpipe: error: params.yaml: models.paced.train.batch_size: input should be greater than or equal to 1, got 0" \
        in failed.stderr + failed.stdout

"""Every params file in examples/ works when copied verbatim: `cp examples/X/params.yaml params.yaml
&& dvc exp run`. DVC refuses to run a stage whose tracked params key is absent from params.yaml
("Parameters 'train' are missing from 'params.yaml'"), so each file needs every key dvc.yaml tracks
or interpolates; `seqpipe validate` names the one that is missing before DVC does. No TensorFlow.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.conftest import ROOT, env

PARAMS_FILES = sorted((ROOT / "examples").glob("*/params.yaml")) + [ROOT / "examples/params-zoo.yaml"]


def _interpolated() -> set[str]:
    text = (ROOT / "dvc.yaml").read_text()
    return {key for key in re.findall(r"\$\{([^}]+)\}", text) if not key.startswith("item.")}


def _keys_dvc_yaml_needs(params: dict) -> set[str]:
    keys = _interpolated()
    for stage in yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"].values():
        for key in stage.get("params", []):
            keys |= {key.replace("${item.arch}", arch) for arch in params["architectures"]}
    return keys


def _has(params: dict, key: str) -> bool:
    node = params
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_there_are_examples_to_check():
    assert len(PARAMS_FILES) >= 10


@pytest.mark.parametrize("path", PARAMS_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_example_params_file_has_every_key_dvc_yaml_tracks(path):
    params = yaml.safe_load(path.read_text())
    assert sorted(key for key in _keys_dvc_yaml_needs(params) if not _has(params, key)) == []


def test_the_keys_validate_requires_beyond_stage_params_are_those_dvc_yaml_interpolates():
    from seqpipe.config.tracked import INTERPOLATED

    assert set(INTERPOLATED) == _interpolated()


def test_dvc_itself_finds_every_tracked_param_of_an_example_copied_verbatim(tmp_path):
    # DVC's own check (ParamsDependency.get_hash, which `dvc repro` runs when it saves a stage) on
    # every stage of dvc.yaml; nothing runs, so this stays in the fast lane.
    from dvc.dependency.param import MissingParamsError, ParamsDependency
    from dvc.repo import Repo

    Repo.init(str(tmp_path), no_scm=True).close()
    shutil.copy(ROOT / "dvc.yaml", tmp_path / "dvc.yaml")
    example = (ROOT / "examples/csv-long-regression/params.yaml").read_text()

    def check() -> None:
        with Repo(str(tmp_path)) as repo:
            deps = [d for stage in repo.index.stages for d in stage.deps if isinstance(d, ParamsDependency)]
            assert len(deps) >= 7
            for dep in deps:
                dep.get_hash()

    (tmp_path / "params.yaml").write_text(example)
    check()
    (tmp_path / "params.yaml").write_text(example.replace("train: {quantiles: null}", "train: {epochs: 3}"))
    with pytest.raises(MissingParamsError, match="train.quantiles"):  # the check can fail
        check()


@pytest.mark.parametrize(("edit", "line"), [
    (("train: {quantiles: null}", "train: {epochs: 3}"),
     "train.quantiles: missing; DVC tracks it for the prepare and baselines stages (dvc.yaml); add it (null = off)"),
    (("train: {quantiles: null}", ""),
     "train: missing; DVC tracks it for the train and backtest stages (dvc.yaml); add it; "
     "`train: {quantiles: null}` keeps the schema's defaults"),
    (("backtest: {origins: [], step: null}", "backtest: {origins: []}"),
     "backtest.step: missing; DVC tracks it for the backtest and backtest_baselines stages (dvc.yaml); "
     "add it (null = data.window.horizon)"),
])
def test_validate_names_a_key_dvc_tracks_that_params_yaml_lacks(tmp_path, edit, line):
    text = (ROOT / "examples/csv-long-regression/params.yaml").read_text()
    assert edit[0] in text
    (tmp_path / "params.yaml").write_text(text.replace(edit[0], edit[1]))
    result = subprocess.run([sys.executable, "-m", "seqpipe.cli", "validate", "--params", str(tmp_path / "params.yaml")],
                            cwd=ROOT, env=env(), capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"seqpipe: error: {tmp_path / 'params.yaml'}: {line}"]

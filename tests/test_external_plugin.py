"""A plugin published as its own package: pip-installed, listed with its distribution, trained by DVC.

The package is installed with `pip install --target` into a temporary directory that the test
puts on PYTHONPATH for every command it runs (and DVC passes it on to the stages), so the test
environment gains the plugin without the shared virtual environment being modified.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, env

pytestmark = pytest.mark.e2e
EXAMPLE = ROOT / "examples" / "seqpipe-plugin-example"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> str:
    """A directory holding the installed example package, ready for PYTHONPATH."""
    work = tmp_path_factory.mktemp("example")
    source = work / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))  # keep the repo clean
    target = work / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(source)],
        check=True, capture_output=True, text=True, env=env(),
    )
    return str(target)


def test_the_installed_package_is_listed_with_its_distribution_and_passes_the_kit(project, site):
    project.extra_env = {"PYTHONPATH": site}
    listed = json.loads(project.run(sys.executable, "-m", "seqpipe.cli", "list", "--json").stdout)
    convgru = {a["name"]: a for a in listed["architectures"]}["convgru"]
    assert convgru["origin"] == "seqpipe-plugin-example 0.1.0"
    assert convgru["description"].startswith("ConvGRU - ")
    assert convgru["defaults"] == {"filters": 16, "kernel_size": 3, "units": 16}
    assert listed["broken"] == []

    checked = project.run(sys.executable, "-m", "seqpipe.cli", "check", "convgru")
    assert "convgru: all checks passed" in checked.stdout


def test_dvc_repro_trains_a_package_architecture_and_tracks_its_source(project, site):
    project.extra_env = {"PYTHONPATH": site}
    project.set_params({"architectures": ["convgru"], "models": {"convgru": {"filters": 3, "units": 3}}})
    assert set(project.repro()) == {"fingerprint", "prepare", "baselines", "train@convgru", "evaluate@convgru", "report"}
    metrics = json.loads((project.path / "metrics" / "convgru.json").read_text())
    assert set(metrics) == {"mse", "rmse", "mae", "r2", "params"}
    fingerprint = json.loads((project.path / "sources" / "convgru.json").read_text())
    assert fingerprint["origin"] == "seqpipe-plugin-example 0.1.0"

    # Nothing changed: nothing runs.
    assert project.repro() == []

    # A new version of the package (here: an edited installed module) is outside the project:
    # re-fingerprinting picks it up and retrains only its architecture.
    module = Path(site) / "seqpipe_plugin_example" / "__init__.py"
    original = module.read_text()
    try:
        module.write_text(original + "\n# version 0.1.1\n")
        assert project.repro("-f", "fingerprint") == ["fingerprint"]
        assert set(project.repro()) == {"train@convgru", "evaluate@convgru", "report"}
    finally:
        module.write_text(original)

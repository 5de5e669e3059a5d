"""The house: the package layout a newcomer reads, kept true by tests.

`pipeline/` is the import package `seqpipe` (and `plugins/` is `seqpipe.plugins`); its folders
mirror the pipeline's steps; modules stay small; `pipeline/stages/` holds exactly the stage
modules (tests/test_dvc_deps.py); the stages refuse to run code other than the project's.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, env

FOLDER = ROOT / "pipeline"
LIMIT, STAGE_LIMIT = 400, 120  # lines per module, per stage module


def test_every_subfolder_of_pipeline_is_a_package_of_the_distribution():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    on_disk = {"seqpipe", "seqpipe.plugins"} | {
        "seqpipe." + ".".join(p.parent.relative_to(FOLDER).parts)
        for p in FOLDER.rglob("__init__.py") if p.parent != FOLDER
    }
    assert set(config["packages"]) == on_disk
    assert config["package-dir"] == {"seqpipe": "pipeline", "seqpipe.plugins": "plugins"}


def test_modules_are_small_and_stage_modules_thin():
    sizes = {p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in FOLDER.rglob("*.py")}
    too_long = {p: n for p, n in sizes.items() if n > (STAGE_LIMIT if "/stages/" in p else LIMIT)}
    assert not too_long, f"split these modules (limits: {LIMIT} lines, {STAGE_LIMIT} for stages): {too_long}"


def test_no_module_imports_the_folder_names_instead_of_seqpipe():
    offenders = [p.relative_to(ROOT).as_posix() for base in ("pipeline", "plugins", "tests", "bench", "examples")
                 for p in (ROOT / base).rglob("*.py")
                 if any(line.lstrip().startswith(("from pipeline", "import pipeline", "from plugins", "import plugins"))
                        for line in p.read_text(encoding="utf-8").splitlines())]
    assert not offenders


def test_the_task_table_and_the_leaderboard_import_without_scikit_learn_or_keras():
    code = ("import sys, seqpipe.tasks, seqpipe.reporting.experiments, seqpipe.data.spec\n"
            "print(sorted(m for m in ('sklearn', 'keras', 'tensorflow') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], env=env(), capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_stage_refuses_to_run_when_the_project_code_is_not_the_code_that_runs(tmp_path):
    shutil.copytree(FOLDER, tmp_path / "pipeline")
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    run = [sys.executable, "-m", "seqpipe.stages.fingerprint"]
    same = subprocess.run(run, cwd=tmp_path, env=env(), capture_output=True, text=True)
    assert same.returncode == 0, same.stderr  # an identical copy (as in the e2e tests) is fine
    edited = tmp_path / "pipeline" / "layout.py"
    edited.write_text(edited.read_text() + "# a local edit DVC would hash\n")
    refused = subprocess.run(run, cwd=tmp_path, env=env(), capture_output=True, text=True)
    assert refused.returncode == 1
    assert refused.stderr.startswith("seqpipe: error: ") and len(refused.stderr.strip().splitlines()) == 1
    assert "differs from the seqpipe code that runs" in refused.stderr and "pip install -e ." in refused.stderr


@pytest.mark.e2e
def test_the_wheel_holds_seqpipe_only(tmp_path):
    source = tmp_path / "src"  # a copy: building in place would leave build/ in the repository
    for name in subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split():
        if name.startswith(("pipeline/", "plugins/")) or name in ("pyproject.toml", "README.md"):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(source)],
                   check=True, capture_output=True, env=env())
    wheel = next(tmp_path.glob("seqpipe_dvc-*.whl"))
    tops = {Path(name).parts[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"seqpipe"}
    names = zipfile.ZipFile(wheel).namelist()
    assert "seqpipe/plugins/lstm.py" in names and "seqpipe/stages/train.py" in names

"""The baselines cache (seqpipe.baselines.outputs): prepare fits the classical baselines in its own
process and the baselines stage copies them, byte-identical to fitting them itself, without
importing pandas or scikit-learn; when prepare could not store them, the stage fits them."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import env

OUTPUTS = ("metrics/baselines.json", "predictions/baselines/summary_ridge.csv")
IMPORTS = '''
import sys
from seqpipe.stages import baselines
baselines.main([])
print([m for m in ("pandas", "sklearn", "tensorflow", "keras") if m in sys.modules])
'''


def _stage(project, module: str, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", f"seqpipe.stages.{module}"], cwd=project.path,
                          env={**env(), **extra_env}, capture_output=True, text=True)


@pytest.mark.e2e
def test_the_baselines_stage_copies_what_prepare_fitted_and_fits_them_itself_on_a_miss(project):
    prepared = _stage(project, "prepare")
    assert prepared.returncode == 0, prepared.stderr
    assert len(list((project.path / ".seqpipe" / "baselines").iterdir())) == 1

    # a hit, in a fresh process: the outputs, the baselines' log lines, and no pandas or scikit-learn
    out = subprocess.run([sys.executable, "-c", IMPORTS], cwd=project.path, env=env(), capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert out[0].startswith("baseline summary_ridge: ") and "r2=" in out[0]
    assert json.loads(out[-1].replace("'", '"')) == []
    hit = {name: (project.path / name).read_bytes() for name in OUTPUTS}

    # a miss (the cache cleared, as in a fresh clone): fitted by the stage, the same bytes
    shutil.rmtree(project.path / ".seqpipe" / "baselines")
    missed = _stage(project, "baselines")
    assert missed.returncode == 0 and missed.stdout.startswith("baseline summary_ridge: "), missed.stderr
    assert {name: (project.path / name).read_bytes() for name in OUTPUTS} == hit


@pytest.mark.e2e
def test_prepare_says_when_it_cannot_store_the_baselines_and_the_stage_still_fits_them(project):
    (project.path / ".seqpipe").mkdir(exist_ok=True)
    (project.path / ".seqpipe" / "baselines").write_text("not a folder\n")  # the cache cannot be written
    prepared = _stage(project, "prepare")
    assert prepared.returncode == 0, prepared.stderr
    assert "note: baselines not cached" in prepared.stdout and "the baselines stage will fit them" in prepared.stdout
    fitted = _stage(project, "baselines")
    assert fitted.returncode == 0 and (project.path / OUTPUTS[0]).is_file(), fitted.stderr


@pytest.mark.e2e
def test_with_the_cache_off_prepare_fits_nothing(project):
    prepared = _stage(project, "prepare", SEQPIPE_EVALUATION_CACHE="off")
    assert prepared.returncode == 0, prepared.stderr
    assert not (project.path / ".seqpipe" / "baselines").exists()

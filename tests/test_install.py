"""Installs: the core holds no Keras backend, `cpu` (the default of `make install`), `gpu` and `jax`
extras each bring one, and without any a command that needs Keras ends with one line naming them."""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import ROOT, env

BACKENDS = ("tensorflow", "tensorflow-cpu", "jax", "torch")


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~;\s]", requirement, maxsplit=1)[0].lower()


def test_the_core_has_no_backend_and_each_extra_brings_one_that_does_not_fight_the_others():
    """`pip install --dry-run ".[gpu]"` resolved to tensorflow 2.21.0 and the nvidia-* wheels without
    tensorflow-cpu (bench/RESULTS.md, "Installs"); this checks the declarations that make it so."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not [r for r in project["dependencies"] if _name(r) in BACKENDS]
    extras = project["optional-dependencies"]
    # the CPU builds of both backends `train.backend: auto` chooses from on a CPU
    assert [_name(r) for r in extras["cpu"]] == ["tensorflow-cpu", "seqpipe-dvc"]
    assert "seqpipe-dvc[jax]" in extras["cpu"]
    assert extras["gpu"] == ["tensorflow[and-cuda]==2.21.*"]  # the CUDA build, same version as cpu's
    assert [_name(r) for r in extras["jax"]] == ["jax"]
    # the test extra goes beside a backend extra: it must not pull tensorflow-cpu into a GPU install
    assert not [r for r in extras["test"] if "tensorflow" in r or "[cpu" in r]


def _install_commands(*args: str) -> str:
    """What `make install` would run from scratch (`make -n -B`: printed, not run)."""
    return subprocess.run(["make", "-n", "-B", "install", *args], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout


def test_make_installs_the_cpu_build_by_default_and_the_readme_installs_a_gpu_with_one_command():
    assert '-e ".[cpu,test]"' in _install_commands()  # `make repro` and `make test`, as before
    assert '-e ".[gpu,test]"' in _install_commands("BACKEND=gpu")
    readme = (ROOT / "README.md").read_text()
    gpu = readme.split("### One GPU", 1)[1].split("\n### ", 1)[0]
    block = gpu.split("```bash", 1)[1].split("```", 1)[0]
    assert block.lstrip().startswith("make repro BACKEND=gpu") and "uninstall" not in block


def _no_tensorflow(tmp_path: Path) -> dict[str, str]:
    """The environment of a process where `import tensorflow` fails as if it were not installed."""
    fake = tmp_path / "no-backend" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('raise ModuleNotFoundError("No module named \'tensorflow\'", name="tensorflow")\n')
    return {**env(), "PYTHONPATH": str(fake.parent), "KERAS_BACKEND": "tensorflow"}


def test_without_a_backend_list_and_validate_work_and_building_a_model_is_one_line_naming_the_extras(tmp_path):
    no_tf = _no_tensorflow(tmp_path)

    def seqpipe(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "seqpipe.cli", *args], cwd=ROOT, env=no_tf,
                              capture_output=True, text=True, timeout=300)

    assert seqpipe("list").returncode == 0
    assert seqpipe("validate").returncode == 0
    for command in (["list", "--build"], ["check", "lstm"]):
        run = seqpipe(*command)
        assert run.returncode == 1 and run.stdout == "", run.stdout
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1, run.stderr  # no traceback, no line per plugin or check
        assert lines[0].startswith("seqpipe: error: Keras' backend `tensorflow` (KERAS_BACKEND) needs the "
                                   "`tensorflow` package, which is not installed")
        assert all(f'"seqpipe-dvc[{extra}]"' in lines[0] for extra in ("cpu", "gpu", "jax"))

"""Shared fixtures: fresh plugin registries, and throw-away copies of the project for e2e tests."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = str(Path(sys.executable).parent)

# Tiny settings: every architecture trains for one epoch on a few hundred short sequences.
TINY_PARAMS = {
    "data": {"options": {"n_samples": 240, "timesteps": 12}},
    # one step per execution: a multi-step loop costs ~1 s more to trace than it saves on 6 batches;
    # no recipes: fcn, resnet and inceptiontime would otherwise train their 3000 steps (epochs: auto)
    # repeats: 1 is a speed setting: 240 sequences are a small training set, which trains 3 seeds and
    # their ensemble by default (seqpipe.config.seeds); tests about that default leave it out
    "train": {"epochs": 1, "batch_size": 32, "patience": 0, "steps_per_execution": 1, "recipes": False, "repeats": 1},
    "models": {
        "rnn": {"units": 4},
        "lstm": {"units": 4},
        "gru": {"units": 4},
        "transformer": {"d_model": 4, "num_heads": 1, "ff_dim": 4, "num_blocks": 1},
        "cnn": {"filters": 4, "kernel_size": 3, "num_layers": 1},
    },
}


def merge(base: dict, update: dict) -> dict:
    out = dict(base)
    for key, value in update.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PATH"] = BIN + os.pathsep + e.get("PATH", "")
    e["TF_CPP_MIN_LOG_LEVEL"] = "3"
    e.pop("PYTHONPATH", None)
    return e


class Project:
    """A copy of the repository in its own git repo, with helpers to edit params and run commands."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.extra_env: dict[str, str] = {}  # e.g. PYTHONPATH for a plugin package installed with --target

    def run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(cmd, cwd=self.path, env={**env(), **self.extra_env}, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def params(self) -> dict:
        return yaml.safe_load((self.path / "params.yaml").read_text())

    def set_params(self, update: dict) -> None:
        (self.path / "params.yaml").write_text(yaml.safe_dump(merge(self.params(), update), sort_keys=False))

    def repro(self, *args: str) -> list[str]:
        """Run `dvc repro` and return the names of the stages that actually ran."""
        return self.repro_logged(*args)[0]

    def repro_logged(self, *args: str) -> tuple[list[str], str]:
        """Run `dvc repro`: the names of the stages that actually ran, and its output."""
        out = self.run("dvc", "repro", *args).stdout
        return [line.split("'")[1] for line in out.splitlines() if line.startswith("Running stage")], out

    def stale(self) -> set[str]:
        """Stages `dvc status` reports as changed."""
        return set(json.loads(self.run("dvc", "status", "--json").stdout))


def make_project(dest: Path) -> Project:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    (dest / "dvc.lock").unlink(missing_ok=True)
    project = Project(dest)
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"],
                ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "copy"]):
        project.run(*cmd)
    return project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A tiny-settings copy of the project, ready for `dvc repro`."""
    p = make_project(tmp_path / "proj")
    p.set_params(TINY_PARAMS)
    return p


@pytest.fixture
def in_tmp_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# `make test` runs pytest-xdist with --maxschedchunk 1: each worker is handed the next test in
# collection order as it finishes one (by default the first quarter goes out in consecutive chunks,
# which put every slow test on one worker). The slowest go first, longest first, so that they run
# side by side and the quick ones fill in at the end: a long test handed out last would run alone
# while the other worker idles. SLOWEST is ordered by `pytest --durations` one file at a time
# (bench/RESULTS.md, "The test suite's cost, test by test"); a test missing from it only starts later.
SLOWEST = (
    "test_the_readme_commands_run_in_a_fresh_copy_of_the_project",
    "test_repro_trains_evaluates_ranks_and_caches_precisely",
    "test_a_queued_two_point_sweep_shows_up_in_exp_show_and_the_leaderboard",
    "test_every_built_in_architecture_retrains_byte_identically",
    "test_per_architecture_training_settings_rerun_only_their_architecture",
    "test_each_model_forecasts_with_its_own_differencing_and_only_its_change_reruns_it",
    "test_adding_an_origin_trains_only_that_origin_and_the_report_averages_them",
    "test_killed_stages_lose_nothing_and_training_resumes_bit_identical",
    "test_a_recursive_architecture_trains_on_one_step_windows_and_forecasts_the_horizon",
    "test_every_architecture_trains_predicts_saves_and_reloads_on_jax_without_tensorflow",
    "test_dvc_repro_trains_a_package_architecture_and_tracks_its_source",
    "test_the_train_stage_solves_linear_says_so_and_the_switch_retrains_only_linear",
)


# Test modules that train, build or load Keras models (or run stages that do). The others form the
# fast lane, `make check` (`-m "not keras and not e2e"`), which must not import TensorFlow: the
# session fails if one of them does (pytest_sessionfinish below).
KERAS_MODULES = {
    "test_acceleration", "test_bad_inputs", "test_data", "test_examples", "test_jax_backend", "test_model",
    "test_plugin_authors", "test_predict", "test_properties", "test_schedules", "test_sources",
}


@pytest.fixture(autouse=True)
def keras_on_tensorflow(request: pytest.FixtureRequest) -> Iterator[None]:
    """In-process Keras tests run on TensorFlow, whatever test came first in this worker.

    A stage's main() run in-process (tests/test_examples.py) picks `train.backend: auto`'s backend
    and, where Keras is not loaded yet, sets KERAS_BACKEND (lstm: jax) before importing it. Every
    later Keras test in that worker then ran on JAX, op by op (the conformance kit 2-5x slower),
    and every subprocess it started inherited KERAS_BACKEND (the multi-worker tests failed). So
    Keras is imported on TensorFlow before the first such test, unless KERAS_BACKEND names one,
    and no test leaves KERAS_BACKEND behind for the next.
    """
    before = os.environ.get("KERAS_BACKEND")
    if request.node.get_closest_marker("keras") and "keras" not in sys.modules and not before:
        os.environ["KERAS_BACKEND"] = "tensorflow"
        try:
            import keras  # noqa: F401  # the backend is fixed at the first import
        finally:
            del os.environ["KERAS_BACKEND"]
    yield
    if os.environ.get("KERAS_BACKEND") != before:
        if before is None:
            os.environ.pop("KERAS_BACKEND", None)
        else:
            os.environ["KERAS_BACKEND"] = before


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The fast lane does not even import the Keras modules: collecting them loads TensorFlow (~5 s
    in each xdist worker), only for the marker to deselect every test in them."""
    expression = config.getoption("markexpr", "") or ""
    if "not keras" in expression and collection_path.suffix == ".py" and collection_path.stem in KERAS_MODULES:
        return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.module is not None and item.module.__name__.rpartition(".")[2] in KERAS_MODULES:
            item.add_marker(pytest.mark.keras)

    def position(item: pytest.Item) -> tuple[int, int]:
        if item.name in SLOWEST:
            return 0, SLOWEST.index(item.name)
        if item.get_closest_marker("e2e"):
            return 1, 0
        return (2, 0) if item.get_closest_marker("keras") else (3, 0)

    items.sort(key=position)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The fast lane stays fast: a run that deselects `keras` tests must not have imported TensorFlow."""
    expression = session.config.getoption("markexpr", "") or ""
    if "not keras" in expression and ("tensorflow" in sys.modules or "keras" in sys.modules):
        session.config.get_terminal_writer().line(
            "the fast lane imported TensorFlow/Keras: add the test module to KERAS_MODULES in tests/conftest.py",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

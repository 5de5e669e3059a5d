"""What a plugin author does: list, show, scaffold and check architectures, and survive broken plugins."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pydantic import BaseModel, ConfigDict, Field, field_validator

from seqpipe.registry import build_registry
from seqpipe.testing import CheckFailed, check_hyperparameters, run_checks
from tests.conftest import ROOT, env

ZOO = {"tcn", "fcn", "resnet", "inceptiontime"}


def seqpipe(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seqpipe.cli", *args], cwd=cwd, env=env(), capture_output=True, text=True)


def test_list_shows_the_zoo_with_sources_tasks_and_defaults():
    payload = json.loads(seqpipe("list", "--json").stdout)
    by_name = {a["name"]: a for a in payload["architectures"]}
    assert set(by_name) >= ZOO
    assert by_name["tcn"]["origin"] == "plugins/tcn.py"
    assert by_name["resnet"]["tasks"] == ["regression", "binary", "multiclass", "forecast", "next_token"]
    assert by_name["inceptiontime"]["defaults"]["kernel_size"] == 40
    text = seqpipe("list").stdout
    assert "fcn" in text and "plugins/fcn.py" in text and "FCN - fully convolutional network" in text


def test_show_prints_the_hyperparameter_schema():
    result = seqpipe("show", "transformer")
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "one of 'learned', 'sinusoidal'" in lines["positions"] and "learned" in lines["positions"]
    assert ">= 2, <= 4096" in lines["d_model"] and "width of the token representations" in lines["d_model"]
    schema = json.loads(seqpipe("show", "lstm", "--json").stdout)
    units = {h["name"]: h for h in schema["hyperparameters"]}["units"]
    assert units == {"name": "units", "type": "int", "default": 32, "bounds": ">= 1, <= 4096",
                     "description": "hidden size of each recurrent layer"}
    missing = seqpipe("show", "lstmm")
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        "seqpipe: error: unknown architecture 'lstmm'; available: "
        "cnn, fcn, gru, inceptiontime, linear, lstm, resnet, rnn, tcn, transformer"
    ]


def test_new_writes_a_plugin_that_passes_check_and_refuses_to_overwrite(project):
    made = seqpipe("new", "my_model", cwd=project.path)
    assert made.returncode == 0, made.stderr
    plugin = project.path / "plugins" / "my_model.py"
    test = project.path / "tests" / "test_plugin_my_model.py"
    assert plugin.is_file() and test.is_file()
    assert '"my_model"' in plugin.read_text() and "class MyModelParams" in plugin.read_text()

    again = seqpipe("new", "my_model", cwd=project.path)
    assert again.returncode == 1
    assert again.stderr.strip() == "seqpipe: error: 'my_model' is already registered by plugins/my_model.py; choose another name"
    for bad, reason in [("lstm", "already registered by plugins/lstm.py"), ("adding", "already registered by plugins/adding.py"),
                        ("2fast", "not a valid plugin name"), ("my-model", "not a valid plugin name"),
                        ("lambda", "not a valid plugin name")]:
        refused = seqpipe("new", bad, cwd=project.path)
        assert refused.returncode == 1 and reason in refused.stderr and "Traceback" not in refused.stderr
    assert not (project.path / "plugins" / "2fast.py").exists()

    checked = seqpipe("check", "my_model", cwd=project.path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "masking" in checked.stdout and "my_model: all checks passed" in checked.stdout
    collected = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", str(test)],
                               cwd=project.path, env=env(), capture_output=True, text=True)
    assert "test_plugin_my_model.py::test_my_model_passes_every_conformance_check" in collected.stdout


def test_new_refuses_to_overwrite_an_existing_file(project):
    (project.path / "tests" / "test_plugin_solo.py").write_text("# mine\n")
    refused = seqpipe("new", "solo", cwd=project.path)
    assert refused.returncode == 1
    assert "tests/test_plugin_solo.py already exists; not overwriting" in refused.stderr
    assert not (project.path / "plugins" / "solo.py").exists()
    assert (project.path / "tests" / "test_plugin_solo.py").read_text() == "# mine\n"


BROKEN_PLUGINS = {
    "no_import": "import not_a_module_anywhere\n",
    "dupe": (
        "from pydantic import BaseModel\nfrom seqpipe import Architecture, hookimpl\n"
        "class P(BaseModel):\n    pass\n"
        "@hookimpl\ndef register_architectures(register):\n"
        "    register(Architecture('lstm', lambda spec, hp: None, P))\n"
    ),
    "typo": "from seqpipe import hookimpl\n@hookimpl\ndef register_architecture(register):\n    pass\n",
    "nonlayer": (
        "from pydantic import BaseModel, ConfigDict\nfrom seqpipe import Architecture, hookimpl\n"
        "class P(BaseModel):\n    model_config = ConfigDict(extra='forbid')\n"
        "@hookimpl\ndef register_architectures(register):\n"
        "    register(Architecture('nonlayer', lambda spec, hp: 'not a layer', P))\n"
    ),
}


def test_broken_plugins_are_listed_by_name_and_break_only_themselves(project):
    for name, code in BROKEN_PLUGINS.items():
        (project.path / "plugins" / f"{name}.py").write_text(code)
    listed = seqpipe("list", "--json", cwd=project.path)
    assert listed.returncode == 0, listed.stderr
    payload = json.loads(listed.stdout)
    broken = {b["plugin"]: b["reason"] for b in payload["broken"]}
    # dupe.py sorts before lstm.py: neither may win the name 'lstm', whatever the order.
    assert set(broken) == {"no_import", "dupe", "lstm", "typo"}
    assert broken["no_import"].startswith("failed to import (ModuleNotFoundError")
    assert broken["lstm"] == "architecture 'lstm' is already registered by plugins/dupe.py"
    assert broken["dupe"] == "architecture 'lstm' is also registered by plugins/lstm.py"
    assert "register_architecture" in broken["typo"]
    names = {a["name"] for a in payload["architectures"]}
    assert {"gru", "rnn", "nonlayer"} <= names and "lstm" not in names
    text = seqpipe("list", cwd=project.path).stdout
    assert "broken plugins:" in text and "no_import" in text

    # A build that returns something other than a layer: `list --build` builds every architecture
    # on a toy batch and lists it as broken, by name; the others stay listed.
    built = json.loads(seqpipe("list", "--json", "--build", cwd=project.path).stdout)
    broken_after_build = {b["plugin"]: b["reason"] for b in built["broken"]}
    assert broken_after_build["nonlayer"] == (
        "build failed with its default hyperparameters: build() returned str, expected a keras Layer "
        "or a callable on keras tensors")
    assert set(broken_after_build) == set(broken) | {"nonlayer"}
    assert {"gru", "rnn", "tcn", "transformer"} <= {a["name"] for a in built["architectures"]}

    # The kit catches it too, check by check.
    checked = seqpipe("check", "nonlayer", cwd=project.path)
    assert checked.returncode == 1
    assert "FAIL  shape[regression]" in checked.stdout
    assert "plugin 'nonlayer': build() returned str, expected a keras Layer" in checked.stdout

    # Not selected: everything works. Selected: one line, no traceback, no output.
    project.set_params({"architectures": ["rnn", "gru"], "models": {"no_import": {}}})
    validated = seqpipe("validate", cwd=project.path)
    assert validated.returncode == 0, validated.stderr
    for selected, message in [
        ("lstm", "architecture 'lstm' is registered by both plugins/dupe.py and plugins/lstm.py; remove or rename one"),
        ("no_import", "plugin 'no_import' is broken: failed to import (ModuleNotFoundError"),
        ("typo", "plugin 'typo' is broken: invalid hook implementation"),
    ]:
        project.set_params({"architectures": [selected], "models": {selected: {}}})
        failed = project.run("dvc", "repro", check=False)
        assert failed.returncode != 0
        errors = [line for line in failed.stderr.splitlines() if line.startswith("seqpipe: error:")]
        assert len(errors) == 1 and message in errors[0], failed.stderr
        assert "Traceback" not in failed.stderr
        assert not (project.path / "data" / "prepared").exists()


@pytest.mark.parametrize("name", sorted(build_registry().architectures))
def test_every_built_in_architecture_passes_the_conformance_kit(name):
    arch = build_registry().architecture(name)
    results = list(run_checks(arch, arch.params(**TINY_HP.get(name, {}))))
    failed = [f"{r.name}: {r.reason}" for r in results if not r.passed]
    assert not failed, failed
    expected = {"hyperparameters", "determinism", *(f"{c}[{t}]" for c in ("shape", "training_step", "save_load") for t in arch.tasks)}
    assert expected | ({"masking"} if arch.supports_masking else set()) == {r.name for r in results}


# Tiny but not degenerate: the kit checks behaviour, not capacity.
TINY_HP = {
    "rnn": {"units": 3, "num_layers": 2, "bidirectional": True},
    "lstm": {"units": 3, "num_layers": 2, "bidirectional": True},
    "gru": {"units": 3, "num_layers": 2, "bidirectional": True},
    "transformer": {"d_model": 4, "num_heads": 2, "ff_dim": 4, "num_blocks": 1, "positions": "sinusoidal"},
    "cnn": {"filters": 3, "kernel_size": 3},
    "tcn": {"filters": 3, "num_blocks": 2},
    "fcn": {"filters": 3},
    "resnet": {"filters": 3, "num_blocks": 2},
    "inceptiontime": {"filters": 2, "bottleneck": 2, "kernel_size": 8, "depth": 3},
    "linear": {},
}


def test_the_kit_catches_a_layer_that_ignores_the_mask():
    leaky = build_registry().architecture("cnn")
    from dataclasses import replace

    results = {r.name: r for r in run_checks(replace(leaky, supports_masking=True), leaky.params(filters=3))}
    assert not results["masking"].passed
    assert "changing masked (padded) steps changed the encoding" in results["masking"].reason
    assert results["shape[regression]"].passed


def test_the_kit_catches_schemas_that_do_not_enforce_their_bounds():
    class Open(BaseModel):
        units: int = Field(4, ge=1)

    with pytest.raises(CheckFailed, match="unknown keys are accepted"):
        check_hyperparameters(Open)

    class Clamping(BaseModel):
        model_config = ConfigDict(extra="forbid")
        units: int = Field(4, ge=1)

        @field_validator("units", mode="wrap")
        @classmethod
        def _clamp(cls, value, handler):
            return handler(max(1, value))  # silently fixes out-of-range values

    with pytest.raises(CheckFailed, match=r"units=0 is accepted although the field declares >= 1"):
        check_hyperparameters(Clamping)

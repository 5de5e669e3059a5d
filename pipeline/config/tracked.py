"""The params DVC tracks for each stage, and the check that they stayed put while it ran.

DVC records in dvc.lock the params it reads from params.yaml after a stage ends, not those the
stage read at its start. An edit in between (say `models.lstm.units` while `train@lstm` runs)
would record the new value beside a model trained with the old one. So a stage remembers its
tracked values when it starts and reads the file again before its outputs count as done.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from seqpipe.config.yaml_file import read_yaml
from seqpipe.errors import ParamsError

# dvc.yaml's `params:` of each stage that reads params.yaml (tests check the two agree). evaluate
# tracks environment/<arch>.json, written by train, not params.yaml.
STAGE_PARAMS: dict[str, tuple[str, ...]] = {
    "prepare": ("seed", "data"),
    "fingerprint": ("architectures", "data.source"),
    "train": ("seed", "train", "models.{arch}"),
    "baselines": ("train.quantiles",),
    "backtest": ("seed", "data", "train", "models.{arch}", "backtest.step"),
    "backtest_baselines": ("seed", "data", "backtest.step"),
    "report": ("architectures", "backtest.origins"),
}
_ABSENT = "<absent>"


def _lookup(raw: dict[str, Any], key: str) -> Any:
    node: Any = raw
    for part in key.split("."):
        node = node.get(part, _ABSENT) if isinstance(node, dict) else _ABSENT
    return node


def tracked_values(raw: dict[str, Any], stage: str, arch: str | None = None) -> dict[str, Any]:
    """The values of `stage`'s tracked keys in the raw params mapping (dotted key -> value)."""
    keys = [template.format(arch=arch) for template in STAGE_PARAMS[stage]]
    return {key: _lookup(raw, key) for key in keys}


def check_unchanged(params_file: str | Path, started: dict[str, Any]) -> None:
    """Refuse to finish a run whose tracked params were edited since it started (`started`:
    what `tracked_values` gave then)."""
    try:
        raw = read_yaml(params_file)
        changed = [key for key, value in started.items() if _lookup(raw, key) != value]
    except ParamsError:  # unreadable now: certainly not what the run used
        changed = list(started)
    if changed:
        raise ParamsError(
            f"{params_file}: changed during the run ({', '.join(changed)}); this run used the values it started "
            "with, so its outputs were not kept; rerun `dvc repro`"
        )

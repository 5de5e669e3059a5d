"""The params DVC tracks for each stage, the check that params.yaml has them all, and the check
that they stayed put while a stage ran.

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
    "prepare": ("seed", "data", "train.quantiles"),  # data.window.train_until auto reads it
    "fingerprint": ("architectures", "data.source"),
    "train": ("seed", "train", "models.{arch}"),
    "baselines": ("train.quantiles",),
    "backtest": ("seed", "data", "train", "models.{arch}", "backtest.step"),
    "backtest_baselines": ("seed", "data", "backtest.step"),
    "report": ("architectures", "backtest.origins"),
}
# The params keys dvc.yaml interpolates (`${data.path}`, the matrices' lists): DVC cannot even read
# dvc.yaml without them (tests check this list against dvc.yaml too).
INTERPOLATED: dict[str, str] = {
    "data.path": "prepare's dependency ${data.path}",
    "architectures": "the matrix of train, evaluate and backtest",
    "backtest.origins": "the matrix of backtest and backtest_baselines",
}
# What to add for a missing key, where a value is not obvious from its name.
_ADD = {
    "train": "add it; `train: {quantiles: null}` keeps the schema's defaults",
    "train.quantiles": "add it (null = off)",
    "backtest": "add it; `backtest: {origins: [], step: null}` = off",
    "backtest.origins": "add it ([] = off)",
    "backtest.step": "add it (null = data.window.horizon)",
    "models": "add it, with `<arch>: {}` (the plugin's defaults) for each architecture",
    "data.path": "add it (the data file; synthetic sources: their plugin, e.g. plugins/adding.py)",
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


def check_complete(raw: dict[str, Any], source: str | Path) -> None:
    """Refuse a params mapping that lacks a key dvc.yaml tracks or interpolates: DVC would stop at
    that stage with "Parameters '<key>' are missing" (or fail to read dvc.yaml at all)."""
    archs = raw.get("architectures")
    archs = [a for a in archs if isinstance(a, str)] if isinstance(archs, list) else []
    needed: dict[str, list[str]] = {key: [why] for key, why in INTERPOLATED.items()}
    for stage, templates in STAGE_PARAMS.items():
        for template in templates:
            for key in dict.fromkeys(template.format(arch=a) for a in archs) if "{arch}" in template else [template]:
                needed.setdefault(key, []).append(stage)
    for key in sorted(needed, key=lambda k: k.count(".")):  # stable: `train` before `train.quantiles`
        parts = key.split(".")
        absent = next((".".join(parts[:n]) for n in range(1, len(parts) + 1)
                       if _lookup(raw, ".".join(parts[:n])) is _ABSENT), None)
        if absent is None:
            continue
        stages = [use for use in needed[key] if use in STAGE_PARAMS]
        named = "it" if absent == key else key
        why = (f"DVC tracks {named} for the {' and '.join(stages)} stage{'s' if len(stages) > 1 else ''} (dvc.yaml)"
               if stages else f"dvc.yaml reads {named} ({needed[key][0]})")
        add = _ADD.get(absent) or ("add it ({} = the plugin's defaults)" if absent.startswith("models.") else "add it")
        raise ParamsError(f"{source}: {absent}: missing; {why}; {add}")


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

"""The rows of `seqpipe leaderboard`: one per distinct trained model found in `dvc exp show --json`.

An architecture that an experiment did not retrain has the same model (the same `models/<arch>.keras`
hash in that revision's dvc.lock) as the revision it came from: it is one row, marked as shared by
every revision it appears in, under the revision it comes from (the baseline commit before its
experiments, the workspace last). A workspace equal to a revision (after `dvc exp apply`, or a
fresh clone) is that revision, marked `[workspace]`, not a second copy. The params that differ
between the revisions read become columns (`models.lstm.units`), each only on the rows of the
architecture it applies to. No TensorFlow import.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqpipe import layout, tasks
from seqpipe.reporting.diagnostics import CHECKS

KINDS = ("baseline", "experiment", "workspace")  # which revision a shared model is listed under, first to last
# Params that are not a property of one trained model: the list of architectures makes rows, not a column.
NOT_A_COLUMN = {"architectures"}


def _per_architecture(folder: Path) -> re.Pattern[str]:
    """`<folder>/<arch>.json` as `dvc exp show` names it, capturing the architecture."""
    return re.compile(rf"^{re.escape(folder.as_posix())}/(?P<arch>[^/]+)\.json$")


METRICS_FILE = _per_architecture(layout.METRICS_DIR)
TIMINGS_FILE = _per_architecture(layout.TIMINGS_DIR)
ENV_FILE = _per_architecture(layout.ENV_DIR)


@dataclass
class State:
    """One revision `dvc exp show` reported with results: the workspace, a commit or an experiment."""

    label: str
    kind: str  # one of KINDS
    rev: str  # 7 hex digits, or "workspace"
    data: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)  # params.yaml, flattened to dotted keys
    architectures: list[str] | None = None  # params.yaml's list, when it has one


@dataclass
class Trained:
    """One architecture's results in one revision."""

    state: State
    arch: str
    scores: dict[str, float]
    model: str  # what identifies the trained model: its file's hash, else its params and scores


def states(payload: list[dict]) -> list[State]:
    """Every revision with results, in the payload's order (workspace, then each commit and its experiments)."""
    out = []
    for entry, label, kind in _walk(payload):
        data = entry.get("data") or {}
        if entry.get("error") or not data:
            continue
        rev = "workspace" if kind == "workspace" else str(entry.get("rev", ""))[:7]
        params = ((data.get("params") or {}).get(layout.PARAMS_FILE.as_posix()) or {}).get("data") or {}
        names = params.get("architectures") if isinstance(params, dict) else None
        out.append(State(label, kind, rev, data, dict(_flatten(params)),
                         [str(n) for n in names] if isinstance(names, list) else None))
    return out


def failed(payload: list[dict]) -> list[str]:
    """A line for each revision `dvc exp show` reports with an error (a failed or unreadable run)."""
    out = []
    for entry, label, _ in _walk(payload):
        error = entry.get("error")
        if error:
            message = error.get("msg") if isinstance(error, dict) else error
            out.append(f"{label}: dvc exp show reports an error ({message or 'no message'}), so it has no rows; "
                       "see `dvc exp show` (and `dvc queue logs <name>` for a queued run)")
    return out


def _walk(payload: list[dict]) -> Iterator[tuple[dict, str, str]]:
    for entry in payload:
        rev = entry.get("rev", "")
        if rev == "workspace":
            yield entry, "workspace", "workspace"
            continue
        label = entry.get("name") or rev[:7]
        yield entry, f"{label} ({rev[:7]})" if entry.get("name") else label, "baseline"
        for exp_range in entry.get("experiments") or []:
            for state in exp_range.get("revs") or []:
                name = state.get("name") or exp_range.get("name") or state.get("rev", "")[:7]
                yield state, name, "experiment"


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if not prefix and key in NOT_A_COLUMN:
                continue
            yield from _flatten(inner, f"{prefix}{key}.")
    else:
        yield prefix[:-1], json.dumps(value) if isinstance(value, list) else value


def applies(key: str, arch: str) -> bool:
    """Whether a params key can change `arch`'s model: every key but another architecture's `models.<name>.*`."""
    parts = key.split(".")
    return not (parts[0] == "models" and len(parts) > 1 and parts[1] != arch)


def _file_data(files: dict[str, Any] | None, pattern: re.Pattern) -> dict[str, dict]:
    out = {}
    for path, result in (files or {}).items():
        match = pattern.match(path.replace("\\", "/"))
        # metrics/baselines.json holds the classical baselines, which are not architectures
        if match and match["arch"] == layout.BASELINES:
            continue
        if match and isinstance(result, dict) and isinstance(result.get("data"), dict):
            out[match["arch"]] = result["data"]
    return out


def _hash(section: dict[str, Any] | None, path: Path) -> str | None:
    entry = (section or {}).get(path.as_posix())
    return str(entry["hash"]) if isinstance(entry, dict) and entry.get("hash") else None


def _trained(state: State) -> list[Trained]:
    out = []
    for arch, scores in _file_data(state.data.get("metrics"), METRICS_FILE).items():
        if state.architectures is not None and arch not in state.architectures:
            continue  # another file in metrics/ (a summary), or one left from an architecture no longer run
        numbers = {k: v for k, v in scores.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        model = _hash(state.data.get("outs"), layout.model_path(arch))
        if model is None:  # a payload without dvc.lock hashes: the params and code that made it, and its scores
            own = {k: v for k, v in state.params.items() if applies(k, arch)}
            code = _hash(state.data.get("deps"), layout.fingerprint_path(arch))
            model = json.dumps([own, code, numbers], sort_keys=True, default=str)
        out.append(Trained(state, arch, numbers, model))
    return out


def _workspace_twin(found: list[State], trained: dict[int, list[Trained]]) -> State | None:
    """The revision the workspace equals (same models with the same scores), if any."""
    workspace = next((s for s in found if s.kind == "workspace"), None)
    if workspace is None or not trained[id(workspace)]:
        return None

    def fingerprint(state: State) -> list[tuple[str, str, str]]:
        return sorted((t.arch, t.model, json.dumps(t.scores, sort_keys=True)) for t in trained[id(state)])

    mine = fingerprint(workspace)
    return next((s for s in found if s is not workspace and fingerprint(s) == mine), None)


def rows(payload: list[dict]) -> list[dict[str, Any]]:
    """One row per (architecture, distinct trained model), in no particular order; `experiment` is
    the revision it is listed under, `shared` the other revisions that have the same model."""
    found = states(payload)
    trained = {id(s): _trained(s) for s in found}
    twin = _workspace_twin(found, trained)
    if twin is not None:
        twin.label += " [workspace]"
        found = [s for s in found if s.kind != "workspace"]
    groups: dict[tuple[str, str], list[Trained]] = {}
    for state in sorted(found, key=lambda s: KINDS.index(s.kind)):  # stable: payload order within a kind
        for t in trained[id(state)]:
            groups.setdefault((t.arch, t.model), []).append(t)
    differing = _differing([s for s in found if trained[id(s)]])
    order = {id(s): i for i, s in enumerate(found)}
    return [_row(members, differing, order) for members in groups.values()]


def _differing(found: list[State]) -> list[str]:
    """The params keys whose value is not the same in every revision (a missing key counts as a value)."""
    keys = list(dict.fromkeys(k for s in found for k in s.params))
    return [k for k in keys if len({repr(s.params.get(k)) for s in found}) > 1]


def _row(members: list[Trained], differing: list[str], order: dict[int, int]) -> dict[str, Any]:
    first = members[0]
    state, arch = first.state, first.arch
    timing = _file_data(state.data.get("metrics"), TIMINGS_FILE).get(arch, {})
    env = _hash(state.data.get("outs"), layout.environment_path(arch))
    checks = {c for t in members for c, on in (_checks(t.state).get(arch) or {}).items() if on}
    params = {}
    for key in differing:
        if applies(key, arch):
            values = {repr(t.state.params.get(key)) for t in members}
            # a key whose value differs between revisions that share this model did not change it
            params[key] = state.params.get(key) if len(values) == 1 else None
    task = tasks.task_of_metrics([k for k in first.scores if not k.endswith("_std")])
    others = sorted((t.state for t in members[1:]), key=lambda s: order[id(s)])
    return {
        "task": task.name if task else "unknown",
        "architecture": arch,
        "experiment": state.label,
        "kind": state.kind,
        "rev": state.rev,
        **first.scores,
        **params,
        "train_s": timing.get("train_seconds"),
        "cpu_s": timing.get("cpu_seconds"),
        "latency_ms": timing.get("inference_ms_per_sample"),
        "env": env[:8] if env else None,
        "checks": ", ".join(c for c in _known_order(checks)) or None,
        # timings/<arch>.json says whether training or the latency measurement ran under load
        "contended": CONTENDED if timing.get("contended") else None,
        "shared": ", ".join(dict.fromkeys(s.label for s in others)) or None,
    }


CONTENDED = "yes"


def _checks(state: State) -> dict[str, dict[str, Any]]:
    """The report's diagnostics of this revision (`layout.DIAGNOSTICS_FILE`): {arch: {check id: 1}}."""
    entry = (state.data.get("metrics") or {}).get(layout.DIAGNOSTICS_FILE.as_posix())
    data = entry.get("data") if isinstance(entry, dict) else None
    return {a: c for a, c in data.items() if isinstance(c, dict)} if isinstance(data, dict) else {}


def _known_order(checks: set[str]) -> list[str]:
    order = list(CHECKS)
    return sorted(checks, key=lambda c: (order.index(c) if c in order else len(order), c))

"""Each revision's per-architecture result files, read from git, added to `dvc exp show --json`.

metrics/<arch>.json, timings/<arch>.json and diagnostics/checks.json are plain outputs kept in git
(`cache: false`), not DVC metrics: as metrics, `dvc exp show` had one column per key of every file
(~70 with five architectures, ~2,250 characters). Only summary/metrics.json is a DVC metric. Every
revision DVC lists is a git commit that holds these files (an experiment is a commit under
refs/exps), so one `git cat-file --batch` process reads them all, and the workspace's are read from
disk. They go into the payload where `dvc exp show --json` put metrics files (`data.metrics[path]`),
so `exp_rows` reads a revision the same way whichever DVC version or dvc.yaml wrote it.
No TensorFlow import.
"""
from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seqpipe import layout


def _revisions(payload: list[dict]) -> Iterator[dict]:
    """Every entry of the payload that can hold results: the workspace, commits and their experiments."""
    for entry in payload:
        yield entry
        for exp_range in entry.get("experiments") or []:
            yield from exp_range.get("revs") or []


def _paths(data: dict[str, Any]) -> list[str]:
    """The result files of the architectures in this revision's params.yaml."""
    params = ((data.get("params") or {}).get(layout.PARAMS_FILE.as_posix()) or {}).get("data") or {}
    names = params.get("architectures") if isinstance(params, dict) else None
    if not isinstance(names, list):
        return []
    files = [d / f"{n}.json" for n in names for d in (layout.METRICS_DIR, layout.TIMINGS_DIR)]
    return [p.as_posix() for p in [*files, layout.DIAGNOSTICS_FILE]]


def _parse(text: bytes | str | None) -> dict | None:
    try:
        value = json.loads(text) if text is not None else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _git_files(wanted: list[tuple[str, str]], cwd: Path) -> dict[tuple[str, str], dict]:
    """(rev, path) -> the file's JSON at that git revision, for those git has; one process for all."""
    if not wanted:
        return {}
    request = "".join(f"{rev}:./{path}\n" for rev, path in wanted).encode()
    try:
        result = subprocess.run(["git", "cat-file", "--batch"], input=request, cwd=cwd, capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if result.returncode != 0:
        return {}
    out, pos, data = {}, 0, result.stdout
    for key in wanted:
        end = data.index(b"\n", pos)
        header = data[pos:end].split()
        pos = end + 1
        if len(header) == 3:  # `<oid> <type> <size>`, then the object and a newline; else `<name> missing`
            size = int(header[2])
            parsed = _parse(data[pos:pos + size]) if header[1] == b"blob" else None
            pos += size + 1
            if parsed is not None:
                out[key] = parsed
    return out


def add_result_files(payload: list[dict], cwd: Path = Path("."), workspace: bool = True) -> list[dict]:
    """`payload` (parsed `dvc exp show --json`) with each revision's result files added to its
    `data.metrics` where DVC did not report them; a file a revision lacks is left out. `workspace`:
    also read the workspace's from disk (not for a payload saved earlier). Returns the payload."""
    wanted: list[tuple[str, str]] = []
    targets: list[tuple[dict, str, str]] = []
    for entry in _revisions(payload):
        data = entry.get("data")
        if entry.get("error") or not isinstance(data, dict):
            continue
        rev = str(entry.get("rev", ""))
        if rev == "workspace" and not workspace:
            continue
        if not isinstance(data.get("metrics"), dict):
            data["metrics"] = {}
        metrics = data["metrics"]
        for path in _paths(data):
            if path in metrics:
                continue  # a revision whose dvc.yaml declared it a metric: DVC read it
            targets.append((metrics, rev, path))
            if rev != "workspace":
                wanted.append((rev, path))
    found = _git_files(wanted, cwd)
    for metrics, rev, path in targets:
        if rev == "workspace":
            file = cwd / path
            value = _parse(file.read_text(encoding="utf-8")) if file.is_file() else None
        else:
            value = found.get((rev, path))
        if value is not None:
            metrics[path] = {"data": value}
    return payload

"""Is a path the user's? A command asks here before it writes a file the user named.

User-owned means: an existing directory, a file the command reads (params, inputs), a file git
tracks, or a path DVC tracks (a dependency or output in dvc.yaml or dvc.lock, or a `.dvc` file
and what it tracks). A command refuses such an output with one line, unless the user says
`--force`; even then a directory is never replaced by a file.
"""
from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from seqpipe.errors import OutputError

DVC_FILES = ("dvc.yaml", "dvc.lock")


def check_output(
    output: str | Path,
    *,
    reads: Mapping[str, str | Path] | None = None,
    force: bool = False,
    option: str = "--output",
    example: str | None = None,
    root: str | Path = ".",
    variables: Mapping[str, Any] | None = None,
) -> None:
    """Raise OutputError when writing `output` would replace something the user owns.

    `reads` maps a description ("the params file") to each file the command reads; `example`
    is a path that would work, quoted in the message; `variables` resolve `${...}` in dvc.yaml
    (the params mapping). `force` allows replacing a file, never a directory.
    """
    output = Path(output)
    hint = f" (for example {example})" if example else ""
    if output.is_dir():
        raise OutputError(
            f"{output}: {option} is an existing directory; name a file to write{hint} "
            f"(--force never replaces a directory)"
        )
    if force:
        return
    reason = owner(output, reads=reads, root=root, variables=variables)
    if reason:
        raise OutputError(f"{output}: {option} would overwrite {reason}; name a new file{hint}, or add --force")


def owner(
    path: str | Path,
    *,
    reads: Mapping[str, str | Path] | None = None,
    root: str | Path = ".",
    variables: Mapping[str, Any] | None = None,
) -> str | None:
    """Why `path` belongs to the user ("the params file", "a file tracked by git", ...), or None."""
    path = Path(path)
    for what, read in (reads or {}).items():
        if _same(path, Path(read)):
            return what
    if _git_tracked(path):
        return "a file tracked by git"
    return _dvc_owner(path, Path(root), variables or {})


def _same(a: Path, b: Path) -> bool:
    """One file under two names (symlinks and `./` resolved); a missing file by its resolved path."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _git_tracked(path: Path) -> bool:
    """`git ls-files --error-unmatch`: False outside a repository or without git."""
    parent = path.resolve().parent
    while not parent.is_dir():  # the output's folder may not exist yet
        parent = parent.parent
    try:
        done = subprocess.run(
            ["git", "ls-files", "--error-unmatch", "--", str(path.resolve())],
            cwd=parent, capture_output=True, timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _dvc_owner(path: Path, root: Path, variables: Mapping[str, Any]) -> str | None:
    target = path.resolve()
    if target.name in DVC_FILES or target.suffix == ".dvc":
        return "a DVC file"
    for folder in [target, *target.parents]:  # data.csv.dvc tracks data.csv; images.dvc all of images/
        if folder.name and folder.with_name(folder.name + ".dvc").is_file():
            return f"a path tracked by DVC ({folder.name}.dvc)"
    root = root.resolve()
    for name in DVC_FILES:
        for stage, pattern in _dvc_paths(root / name, variables):
            if _matches(target, root, pattern):
                return f"a path DVC tracks ({name}: stage {stage}: {pattern})"
    return None


def _dvc_paths(file: Path, variables: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    """(stage, path) of every dependency, output, metric, plot and params file a DVC file names."""
    if not file.is_file():
        return []
    try:
        from ruamel.yaml import YAML

        data = YAML(typ="safe").load(file.read_text(encoding="utf-8"))
    except Exception:  # a broken dvc.yaml: DVC itself reports it; nothing to match here
        return []
    if not isinstance(data, dict):
        return []
    found: list[tuple[str, str]] = []
    declared = data.get("stages")
    stages: dict[Any, Any] = declared if isinstance(declared, dict) else {}
    for stage, body in stages.items():
        if not isinstance(body, dict):
            continue
        body = body.get("do", body) if isinstance(body.get("do"), dict) else body  # foreach: ... do:
        declared_wdir = body.get("wdir")
        wdir = declared_wdir if isinstance(declared_wdir, str) else "."
        for key in ("deps", "outs", "metrics", "plots", "params"):
            for entry in _entries(body.get(key)):
                found.append((str(stage), os.path.normpath(_interpolate(os.path.join(wdir, entry), variables))))
    for key in ("metrics", "plots", "params"):  # top-level sections of dvc.yaml
        for entry in _entries(data.get(key)):
            found.append(("(top level)", os.path.normpath(_interpolate(entry, variables))))
    return found


def _entries(section: Any) -> list[str]:
    """Paths of a deps/outs/params list: plain strings, `{path: {...}}`, dvc.lock `{path: ...}`."""
    if isinstance(section, dict):  # dvc.lock params: {params.yaml: {...}}
        return [str(k) for k in section]
    paths = []
    for item in section if isinstance(section, list) else []:
        if isinstance(item, str):
            paths.append(item)
        elif isinstance(item, dict):
            if isinstance(item.get("path"), str):
                paths.append(item["path"])
            else:
                paths.extend(str(k) for k in item)
    return paths


def _interpolate(text: str, variables: Mapping[str, Any]) -> str:
    """`${data.path}` from the params; `${item.arch}` and other loop variables stay for `_matches`."""

    def lookup(match: re.Match[str]) -> str:
        value: Any = variables
        for part in match.group(1).strip().split("."):
            if not isinstance(value, Mapping) or part not in value:
                return match.group(0)
            value = value[part]
        return str(value) if isinstance(value, (str, int, float)) else match.group(0)

    return re.sub(r"\$\{([^}]*)\}", lookup, text)


def _matches(target: Path, root: Path, pattern: str) -> bool:
    """`target` is the path or inside it; an unresolved `${...}` stands for any one name part."""
    pieces = re.split(r"\$\{[^}]*\}", pattern)
    if len(pieces) == 1:
        tracked = (root / pattern).resolve()
        return target == tracked or tracked in target.parents
    regex = "[^/]*".join(re.escape(p) for p in pieces)
    relative = os.path.relpath(target, root)
    return re.fullmatch(rf"{regex}(/.*)?", relative) is not None

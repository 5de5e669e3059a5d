"""A content hash of a plugin's code: what `train@<arch>` depends on instead of a file DVC can name.

An architecture from an installed package has no file in this project, so the fingerprint stage
writes `sources/<arch>.json` (where the plugin comes from and a SHA-256 of its source files) and
DVC depends on that.

A plugin module may keep private helpers beside it (`plugins/_recurrent.py`) and import them
relatively (`from ._recurrent import ...`); those files are part of its fingerprint, found by
reading the module's relative imports (transitively), so editing a helper reruns exactly the
architectures that use it. Absolute imports are other packages, not the plugin's own code.
"""
from __future__ import annotations

import ast
import hashlib
import inspect
import os
import sys
from pathlib import Path

from seqpipe.registry import Registry


def source_files(plugin: object) -> list[Path]:
    """The Python files of a plugin: its module file and the modules it imports relatively, or
    every module of its package."""
    module = plugin if inspect.ismodule(plugin) else sys.modules.get(getattr(plugin, "__module__", ""), None)
    file = getattr(module, "__file__", None)
    if not file:
        return []
    file = Path(file).resolve()
    if file.name == "__init__.py":
        return sorted(file.parent.rglob("*.py"))
    return [file, *sorted(relative_imports(file))]


def relative_imports(file: Path) -> set[Path]:
    """Every existing .py file that `file` imports relatively (`from ._helper import x`,
    `from . import _helper`), followed transitively; imports inside functions count too."""
    seen: set[Path] = set()
    todo = [file.resolve()]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            tree = ast.parse(current.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue  # an unreadable helper is reported by the import itself, not here
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                todo += _resolve(current, node)
    seen.discard(file.resolve())
    return seen


def _resolve(importer: Path, node: ast.ImportFrom) -> list[Path]:
    """The files a relative `from ... import ...` in `importer` can load."""
    package = importer.parent
    for _ in range(node.level - 1):
        package = package.parent
    base = package.joinpath(*node.module.split(".")) if node.module else package
    found = [candidate.resolve() for candidate in (base.with_suffix(".py"), base / "__init__.py")
             if node.module and candidate.is_file()]
    for alias in node.names:  # `from . import _helper` names a module, not an attribute
        candidate = (base / alias.name).with_suffix(".py")
        if alias.name != "*" and candidate.is_file():
            found.append(candidate.resolve())
    return found


def fingerprint(registry: Registry, name: str, kind: str = "architecture") -> dict[str, str]:
    """Where architecture (or dataset) `name` comes from and a SHA-256 over its source files."""
    entry = (registry.architectures if kind == "architecture" else registry.datasets)[name]
    plugin = registry.manager.get_plugin(entry.plugin) if registry.manager else None
    files = source_files(plugin)
    digest = hashlib.sha256()
    # Names relative to the folder holding all the files: a lone module hashes as "lstm.py".
    root = Path(os.path.commonpath([p.parent for p in files])) if files else Path()
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return {kind: name, "plugin": entry.plugin, "origin": entry.origin, "sha256": digest.hexdigest()}

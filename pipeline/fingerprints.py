"""A content hash of a plugin's code: what `train@<arch>` depends on instead of a file DVC can name.

An architecture from an installed package has no file in this project, so the fingerprint stage
writes `sources/<arch>.json` (where the plugin comes from and a SHA-256 of its source files) and
DVC depends on that.
"""
from __future__ import annotations

import hashlib
import inspect
import sys
from pathlib import Path

from seqpipe.registry import Registry


def source_files(plugin: object) -> list[Path]:
    """The Python files of a plugin: its module file, or every module of its package."""
    module = plugin if inspect.ismodule(plugin) else sys.modules.get(getattr(plugin, "__module__", ""), None)
    file = getattr(module, "__file__", None)
    if not file:
        return []
    file = Path(file)
    if file.name == "__init__.py":
        return sorted(file.parent.rglob("*.py"))
    return [file]


def fingerprint(registry: Registry, name: str, kind: str = "architecture") -> dict[str, str]:
    """Where architecture (or dataset) `name` comes from and a SHA-256 over its source files."""
    entry = (registry.architectures if kind == "architecture" else registry.datasets)[name]
    plugin = registry.manager.get_plugin(entry.plugin) if registry.manager else None
    files = source_files(plugin)
    digest = hashlib.sha256()
    for path in files:
        root = files[0].parent
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return {kind: name, "plugin": entry.plugin, "source": entry.source, "sha256": digest.hexdigest()}

"""Stages `fingerprint@<arch>` and `fingerprint_data`: a content hash of a plugin's code.

DVC can only depend on files it can name in dvc.yaml, and an architecture from an installed
package has no file in this project (`plugins/<arch>.py` exists only for in-tree plugins). So
this stage, which DVC runs on every `dvc repro` (`always_changed`, no TensorFlow, well under a
second), writes `sources/<arch>.json`: where the plugin comes from and a SHA-256 of its source
files. `train@<arch>` depends on that file instead of the plugin file: DVC reruns the training
only when the hash changes, so editing `plugins/cnn.py` or upgrading a plugin package reruns
exactly the architectures it provides, and an unchanged plugin reruns nothing.
`fingerprint_data` does the same for the data source (`sources/data-source.json`, a prepare dep).
"""
from __future__ import annotations

import hashlib
import inspect
import sys
from pathlib import Path

from pipeline import atomic, stage
from pipeline.errors import ParamsError, user_errors_exit
from pipeline.registry import Registry

SOURCES_DIR = Path("sources")
# Not a possible architecture file name ("-" is not allowed in a plugin module name).
DATA_FINGERPRINT = SOURCES_DIR / "data-source.json"


def fingerprint_path(arch: str) -> Path:
    return SOURCES_DIR / f"{arch}.json"


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


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    ap = stage.parser(__doc__)
    which = ap.add_mutually_exclusive_group(required=True)
    which.add_argument("--arch", help="architecture name from params.yaml")
    which.add_argument("--data", action="store_true", help="the data source named by data.source")
    args = ap.parse_args(argv)
    ctx = stage.context(args.params)
    if args.data:
        atomic.write_json(DATA_FINGERPRINT, fingerprint(ctx.registry, ctx.dataset.name, kind="dataset"))
        return
    if args.arch not in ctx.architectures:
        raise ParamsError(f"--arch {args.arch}: not in params.yaml architectures ({', '.join(ctx.architectures)})")
    atomic.write_json(fingerprint_path(args.arch), fingerprint(ctx.registry, args.arch))


if __name__ == "__main__":
    main()

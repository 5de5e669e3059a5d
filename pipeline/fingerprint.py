"""Stage `fingerprint`: a content hash of the code of every plugin that params.yaml selects.

DVC can only depend on files it can name in dvc.yaml, and an architecture from an installed
package has no file in this project (`plugins/<arch>.py` exists only for in-tree plugins). So
this stage (no TensorFlow, well under a second) writes `sources/<arch>.json` per architecture and
`sources/data-source.json` for the data source: where the plugin comes from and a SHA-256 of its
source files. `train@<arch>` depends on its own file only, so editing `plugins/cnn.py` reruns
this stage and then only the CNN; an unchanged plugin reruns nothing, and a second `dvc repro`
does nothing at all. The stage depends on the `plugins/` folder and the names in params.yaml;
code in an installed package is outside the project, so after upgrading or editing a plugin
package run `dvc repro -f fingerprint` (or `make repro`, which does) to pick it up.
"""
from __future__ import annotations

import hashlib
import inspect
import sys
from pathlib import Path

from pipeline import atomic, stage
from pipeline.errors import user_errors_exit
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
    args = stage.parser(__doc__).parse_args(argv)
    ctx = stage.context(args.params)
    with atomic.atomic_path(SOURCES_DIR) as tmp:
        tmp.mkdir(parents=True)
        for name in ctx.architectures:
            atomic.write_json(tmp / fingerprint_path(name).name, fingerprint(ctx.registry, name))
        atomic.write_json(tmp / DATA_FINGERPRINT.name, fingerprint(ctx.registry, ctx.dataset.name, kind="dataset"))


if __name__ == "__main__":
    main()
    stage.skip_final_collection()

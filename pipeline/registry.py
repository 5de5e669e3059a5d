"""The one place that builds the plugin manager and the registries of architectures and datasets.

Discovery order: modules of the `plugins` package (sorted by name, files starting with `_`
skipped), then entry points of the group `seqpipe`. A plugin that fails to import, misspells a
hook, raises while registering or registers something invalid is recorded in `broken` under its
own name; the others stay usable. A name registered by two plugins marks both broken and is
usable from neither, so the outcome never depends on discovery order. Asking for a name that a
broken plugin would have provided raises that plugin's error.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from pydantic import BaseModel

from pipeline import hookspecs
from pipeline.errors import PluginError, one_line
from pipeline.specs import Architecture, Dataset

ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME
IN_TREE_PACKAGE = "plugins"


@dataclass(frozen=True)
class Registered:
    """An architecture or dataset with where it came from."""

    item: Any
    plugin: str  # plugin name: in-tree module name or entry-point name
    source: str  # "plugins/lstm.py" or "dist-name 1.2.3"


@dataclass
class Registry:
    """Everything the plugins registered, plus the reasons some plugins could not be used."""

    architectures: dict[str, Registered] = field(default_factory=dict)
    datasets: dict[str, Registered] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)  # plugin name -> one-line reason
    # Names registered by more than one plugin: neither wins, whatever the discovery order.
    ambiguous: dict[str, str] = field(default_factory=dict)  # architecture/dataset name -> reason
    manager: pluggy.PluginManager | None = None

    def architecture(self, name: str) -> Architecture:
        """The architecture called `name`, or a PluginError naming what is available."""
        return self._lookup(self.architectures, name, "architecture").item

    def dataset(self, name: str) -> Dataset:
        """The dataset source called `name`, or a PluginError naming what is available."""
        return self._lookup(self.datasets, name, "dataset").item

    def source_of(self, name: str) -> str:
        entry = self.architectures.get(name) or self.datasets.get(name)
        return entry.source if entry else "unknown"

    def _lookup(self, table: dict[str, Registered], name: str, kind: str) -> Registered:
        if name in table:
            return table[name]
        if name in self.ambiguous:
            raise PluginError(self.ambiguous[name])
        if name in self.broken:
            raise PluginError(f"plugin '{name}' is broken: {self.broken[name]}")
        known = ", ".join(sorted(table)) or "none"
        hint = ""
        if self.broken:
            hint = "; broken plugins: " + ", ".join(f"{p} ({r})" for p, r in sorted(self.broken.items()))
        raise PluginError(f"unknown {kind} '{name}'; available: {known}{hint}")


def _in_tree_modules(package_name: str) -> list[tuple[str, Path | None, Callable[[], ModuleType]]]:
    """(plugin name, file, importer) for each public module of the in-tree plugins package."""
    _prefer_project_dir()
    try:
        package = importlib.import_module(package_name)
    except ModuleNotFoundError:
        return []
    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        qualified = f"{package_name}.{info.name}"
        file = Path(package.__path__[0]) / f"{info.name}.py"
        found.append((info.name, file, lambda q=qualified: importlib.import_module(q)))
    return found


def _prefer_project_dir() -> None:
    """Make the current project's `plugins/` win over an installed copy.

    Stage commands run from the project root (`python -m` puts it first on sys.path already);
    the `seqpipe` console script does not, so add it when the directory looks like a project.
    """
    cwd = str(Path.cwd())
    if (Path(cwd) / IN_TREE_PACKAGE / "__init__.py").is_file() and cwd not in sys.path[:1]:
        sys.path.insert(0, cwd)
        loaded = sys.modules.get(IN_TREE_PACKAGE)
        if loaded is not None and Path(loaded.__path__[0]).resolve() != (Path(cwd) / IN_TREE_PACKAGE).resolve():
            for mod in [m for m in sys.modules if m == IN_TREE_PACKAGE or m.startswith(IN_TREE_PACKAGE + ".")]:
                del sys.modules[mod]


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def build_registry(
    *,
    package: str | None = IN_TREE_PACKAGE,
    entry_points: bool = True,
    extra_plugins: list[tuple[str, object]] | None = None,
) -> Registry:
    """Build a fresh plugin manager and collect every registration.

    `extra_plugins` (name, module-or-object) pairs are registered after the others; tests use it
    to add inline plugins without touching the file system.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    registry = Registry(manager=manager)

    candidates: list[tuple[str, str, Callable[[], object]]] = []
    if package:
        for name, file, importer in _in_tree_modules(package):
            candidates.append((name, _relative(file) if file else name, importer))
    if entry_points:
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = ep.dist
            source = f"{dist.metadata['Name']} {dist.version}" if dist else ep.value
            candidates.append((ep.name, source, ep.load))
    for name, obj in extra_plugins or []:
        candidates.append((name, f"<{name}>", lambda o=obj: o))

    sources: dict[str, str] = {}
    for name, source, load in candidates:
        try:
            plugin = load()
        except Exception as exc:  # any failure in a plugin's import is that plugin's problem
            registry.broken[name] = f"failed to import ({type(exc).__name__}: {one_line(str(exc))})"
            continue
        if manager.has_plugin(name):
            registry.broken[name] = f"plugin name '{name}' is already used by {sources[name]}"
            continue
        try:
            manager.register(plugin, name=name)
            manager.check_pending()
        except pluggy.PluginValidationError as exc:
            manager.unregister(name=name)
            registry.broken[name] = f"invalid hook implementation ({one_line(str(exc))})"
            continue
        sources[name] = source

    _collect(registry, "register_architectures", registry.architectures, Architecture, sources)
    _collect(registry, "register_datasets", registry.datasets, Dataset, sources)
    return registry


def _collect(
    registry: Registry,
    hook_name: str,
    table: dict[str, Registered],
    kind: type,
    sources: dict[str, str],
) -> None:
    """Call one hook plugin by plugin, so every registration is attributed to its plugin."""
    hook = getattr(registry.manager.hook, hook_name)
    for impl in hook.get_hookimpls():  # registration (= discovery) order
        plugin = impl.plugin_name
        if plugin in registry.broken:
            continue
        pending: list[Registered] = []

        def register(item: object, _plugin: str = plugin) -> None:
            if not isinstance(item, kind):
                raise PluginError(f"registered {type(item).__name__}, expected {kind.__name__}")
            if not (isinstance(item.params, type) and issubclass(item.params, BaseModel)):
                raise PluginError(f"'{item.name}': params must be a pydantic BaseModel class")
            if not callable(getattr(item, "build", None) or getattr(item, "load", None)):
                raise PluginError(f"'{item.name}': builder is not callable")
            pending.append(Registered(item, _plugin, sources[_plugin]))

        try:
            impl.function(register=register)
        except Exception as exc:
            registry.broken[plugin] = f"{hook_name} raised {type(exc).__name__}: {one_line(str(exc))}"
            continue
        for entry in pending:
            name = entry.item.name
            label = f"{kind.__name__.lower()} '{name}'"
            if name in registry.ambiguous:
                registry.broken[plugin] = f"{label} is already registered by more than one plugin"
            elif name in table:
                # A clash is ambiguous: letting the first plugin (in file-name order) win would let
                # a stray file shadow a built-in. Both plugins are reported and the name is unusable.
                first = table.pop(name)
                registry.broken[plugin] = f"{label} is already registered by {first.source}"
                registry.broken.setdefault(first.plugin, f"{label} is also registered by {entry.source}")
                registry.ambiguous[name] = (
                    f"{label} is registered by both {first.source} and {entry.source}; remove or rename one"
                )
            else:
                table[name] = entry

"""The one place that builds the plugin manager and the registries of architectures and datasets.

Discovery order: plugin modules (sorted by name, files starting with `_` skipped): the built-ins
(`seqpipe.plugins`, this repository's `plugins/` folder) and the current project's own `plugins/`
folder, imported by path under a private name, whose files replace built-ins of the same name;
then entry points of the group `seqpipe`. A plugin that fails to import, misspells a
hook, raises while registering or registers something invalid is recorded in `broken` under its
own name; the others stay usable. Registrations are checked here, not trusted: names must be
lowercase Python identifiers (they become file names, dvc.yaml keys and params.yaml keys), params
a pydantic model, and a file source's load must take `labelled`. A name registered by two plugins marks both broken and is
usable from neither, so the outcome never depends on discovery order. Asking for a name that a
broken plugin would have provided raises that plugin's error.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import importlib.metadata
import importlib.util
import inspect
import io
import os
import pkgutil
import re
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from pydantic import BaseModel

from seqpipe import hookspecs, layout
from seqpipe.errors import PluginError, SeqpipeError, one_line
from seqpipe.specs import NAME_RULE, Architecture, Dataset, Recipe, valid_name

ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME
# The project's own plugins: a folder beside params.yaml, imported by path (not an installed package).
PLUGINS_DIR = Path("plugins")
BUILTIN_PACKAGE = "seqpipe.plugins"  # the same folder of this repository, installed with seqpipe
PRIVATE_PREFIX = "_seqpipe_project_plugins_"
# A plugin whose import blocks (a network call, a lock, input()) is marked broken after this long.
IMPORT_TIMEOUT_ENV = "SEQPIPE_PLUGIN_IMPORT_TIMEOUT"
DEFAULT_IMPORT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Registered:
    """An architecture or dataset with where it came from."""

    item: Any
    plugin: str  # plugin name: in-tree module name or entry-point name
    origin: str  # where the plugin comes from: "plugins/lstm.py" or "dist-name 1.2.3"


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

    def origin_of(self, name: str) -> str:
        entry = self.architectures.get(name) or self.datasets.get(name)
        return entry.origin if entry else "unknown"

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


def _builtin_plugins() -> dict[str, tuple[Path, Callable[[], ModuleType]]]:
    """The plugins that ship with seqpipe: the repository's plugins/ folder, installed as `seqpipe.plugins`."""
    try:
        package = importlib.import_module(BUILTIN_PACKAGE)
    except ModuleNotFoundError:
        return {}
    folder = Path(package.__path__[0])
    return {
        info.name: (folder / f"{info.name}.py", functools.partial(importlib.import_module, f"{BUILTIN_PACKAGE}.{info.name}"))
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name)
        if not info.name.startswith("_")
    }


def _plugin_modules(plugins_dir: Path | None, builtins: bool) -> list[tuple[str, Path, Callable[[], ModuleType]]]:
    """Built-in plugins, then the project's own: a project file named like a built-in replaces it
    (a project may carry edited copies of the built-ins, as a clone of this repository does)."""
    found = _builtin_plugins() if builtins else {}
    if plugins_dir is not None and plugins_dir.is_dir():
        shipped = Path(importlib.import_module(BUILTIN_PACKAGE).__path__[0]) if found else None
        if shipped is None or shipped.resolve() != plugins_dir.resolve():
            found.update({name: (file, load) for name, file, load in _project_plugins(plugins_dir)})
    return [(name, file, load) for name, (file, load) in sorted(found.items())]


def _project_plugins(folder: Path) -> list[tuple[str, Path, Callable[[], ModuleType]]]:
    """(plugin name, file, importer) for each public module of the project's plugins folder.

    The folder is imported by path as a package with a private name derived from its location,
    so it never collides with an installed package called `plugins`, and two projects used by
    one process (tests) stay apart. Modules in it may import private helpers relatively
    (`from ._recurrent import build`); files starting with `_` are not plugins themselves.
    """
    if not (folder / "__init__.py").is_file():
        return []
    package = _import_folder(folder)
    found: list[tuple[str, Path, Callable[[], ModuleType]]] = []
    for info in sorted(pkgutil.iter_modules([str(folder)]), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        qualified = f"{package}.{info.name}"
        found.append((info.name, folder / f"{info.name}.py", functools.partial(importlib.import_module, qualified)))
    return found


def _import_folder(folder: Path) -> str:
    """Import `folder` (a directory with __init__.py) as a package; returns its private name."""
    resolved = folder.resolve()
    name = f"{PRIVATE_PREFIX}{hashlib.sha256(str(resolved).encode()).hexdigest()[:12]}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, resolved / "__init__.py", submodule_search_locations=[str(resolved)]
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # what `import` itself does: submodules find their parent here
        spec.loader.exec_module(module)
    importlib.invalidate_caches()  # a plugin file written since the last scan is found
    return name


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def build_registry(
    *,
    builtins: bool = True,
    plugins_dir: Path | None = PLUGINS_DIR,
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

    timeout = import_timeout()
    candidates: list[tuple[str, str, Callable[[], object]]] = []
    with _stdout_to_stderr(PLUGINS_DIR.name):  # the project's plugins/__init__.py runs here
        modules = _plugin_modules(None if plugins_dir is None else Path(plugins_dir), builtins)
    for name, file, importer in modules:
        candidates.append((name, _relative(file), importer))
    if entry_points:
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = ep.dist
            origin = f"{dist.metadata['Name']} {dist.version}" if dist else ep.value
            candidates.append((ep.name, origin, ep.load))
    for name, obj in extra_plugins or []:
        candidates.append((name, f"<{name}>", functools.partial(_given, obj)))

    origins: dict[str, str] = {}
    for name, origin, load in candidates:
        try:
            with _stdout_to_stderr(name):
                plugin = _bounded(load, timeout)
        except _ImportTimeout:
            registry.broken[name] = (f"import did not finish within {timeout:g} s (is it waiting for something?); "
                                     f"fix the plugin, or allow longer with {IMPORT_TIMEOUT_ENV}=<seconds>")
            continue
        except Exception as exc:  # any failure in a plugin's import is that plugin's problem
            # the private package name means nothing to the user: say `plugins._helper`, as written
            reason = re.sub(rf"{PRIVATE_PREFIX}[0-9a-f]{{12}}", PLUGINS_DIR.name, one_line(str(exc)))
            registry.broken[name] = f"failed to import ({type(exc).__name__}: {reason})"
            continue
        if manager.has_plugin(name):
            registry.broken[name] = f"plugin name '{name}' is already used by {origins[name]}"
            continue
        try:
            manager.register(plugin, name=name)
            manager.check_pending()
        except pluggy.PluginValidationError as exc:
            manager.unregister(name=name)
            registry.broken[name] = f"invalid hook implementation ({one_line(str(exc))})"
            continue
        origins[name] = origin

    _collect(registry, "register_architectures", registry.architectures, Architecture, origins)
    _collect(registry, "register_datasets", registry.datasets, Dataset, origins)
    return registry


def _collect(
    registry: Registry,
    hook_name: str,
    table: dict[str, Registered],
    kind: type[Architecture] | type[Dataset],
    origins: dict[str, str],
) -> None:
    """Call one hook plugin by plugin, so every registration is attributed to its plugin."""
    assert registry.manager is not None, "built by build_registry"
    hook = getattr(registry.manager.hook, hook_name)
    for impl in hook.get_hookimpls():  # registration (= discovery) order
        plugin = impl.plugin_name
        if plugin in registry.broken:
            continue
        pending: list[Registered] = []

        def register(item: object, _plugin: str = plugin, _pending: list[Registered] = pending) -> None:
            check_registration(item, kind)
            _pending.append(Registered(item, _plugin, origins[_plugin]))

        try:
            with _stdout_to_stderr(plugin):
                impl.function(register=register)
        except InvalidRegistration as exc:  # the host's own check: its message says it all
            registry.broken[plugin] = str(exc)
            continue
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
                registry.broken[plugin] = f"{label} is already registered by {first.origin}"
                registry.broken.setdefault(first.plugin, f"{label} is also registered by {entry.origin}")
                registry.ambiguous[name] = (
                    f"{label} is registered by both {first.origin} and {entry.origin}; remove or rename one"
                )
            else:
                table[name] = entry


def import_timeout() -> float:
    """Seconds one plugin's import may take: $SEQPIPE_PLUGIN_IMPORT_TIMEOUT, 30 by default."""
    raw = os.environ.get(IMPORT_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_IMPORT_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds > 0 or seconds == float("inf"):
        raise SeqpipeError(f"{IMPORT_TIMEOUT_ENV}: {raw[:40]!r} is not a number of seconds; use a positive number such as 30")
    return seconds


class _ImportTimeout(Exception):
    pass


def _bounded(load: Callable[[], object], timeout: float) -> object:
    """`load()` in a worker thread, waiting at most `timeout` seconds.

    A thread, not SIGALRM: it bounds any kind of blocking (C code that ignores signals too) and
    works off the main thread. A plugin that never returns is left behind in a daemon thread,
    which does not keep the process alive.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["plugin"] = load()
        except BaseException as exc:  # handed to the caller, which decides what is the plugin's fault
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="seqpipe-plugin-import", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise _ImportTimeout
    if "error" in outcome:
        raise outcome["error"]
    return outcome["plugin"]


@contextlib.contextmanager
def _stdout_to_stderr(plugin: str) -> Iterator[None]:
    """What a plugin prints while it loads or registers goes to stderr, marked with its name:
    on stdout it would corrupt `seqpipe list --json` and `seqpipe show --json`. (Only Python's
    sys.stdout is captured; a plugin writing to file descriptor 1 itself is not.)"""
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            yield
    finally:
        for line in buffer.getvalue().splitlines():
            print(f"seqpipe: plugin '{plugin}' printed: {line}", file=sys.stderr)


class InvalidRegistration(PluginError):
    """What `register` refuses; the plugin is marked broken with this one-line reason."""


def _given(obj: object) -> object:
    """The importer of a plugin handed over as an object (tests' inline plugins)."""
    return obj


def check_registration(given: object, kind: type[Architecture] | type[Dataset]) -> None:
    """Refuse an Architecture/Dataset that the core could not use, with a one-line reason."""
    if not isinstance(given, kind):
        raise InvalidRegistration(f"registered {type(given).__name__}, expected {kind.__name__}")
    item: Architecture | Dataset = given
    label = kind.__name__.lower()
    if not valid_name(item.name):
        raise InvalidRegistration(f"{label} name {item.name!r} is not allowed; a name must be {NAME_RULE}")
    if isinstance(item, Architecture) and item.name == layout.BASELINES:
        raise InvalidRegistration(f"architecture name {item.name!r} is taken: metrics/{item.name}.json holds the "
                                  "classical baselines; choose another name")
    if not (isinstance(item.params, type) and issubclass(item.params, BaseModel)):
        raise InvalidRegistration(f"'{item.name}': params must be a pydantic BaseModel class")
    if not callable(getattr(item, "build", None) or getattr(item, "load", None)):
        raise InvalidRegistration(f"'{item.name}': builder is not callable")
    if isinstance(item, Architecture):
        _check_recipe(item)
    if isinstance(item, Dataset):
        for hint in ("tasks_for", "size_for", "timesteps_for"):
            if getattr(item, hint) is not None and not callable(getattr(item, hint)):
                raise InvalidRegistration(f"'{item.name}': {hint} must be a function of the options or None")
        if item.reads_path and not _takes_labelled(item.load):
            raise InvalidRegistration(
                f"'{item.name}': reads_path=True, so load must take the keyword argument labelled: "
                "load(options, seed, *, labelled=True); seqpipe predict passes labelled=False for files "
                "without their target column"
            )


def _check_recipe(arch: Architecture) -> None:
    """`models.<name>.train` is the architecture's own train settings, so no hyperparameter may be
    called `train`; a recipe's settings must be valid `train.*` values."""
    from pydantic import ValidationError

    from seqpipe.config.params import TrainParams

    if "train" in arch.params.model_fields:
        raise InvalidRegistration(f"'{arch.name}': a hyperparameter may not be called 'train' "
                                  f"(models.{arch.name}.train holds its training settings)")
    if arch.recipe is None:
        return
    if not isinstance(arch.recipe, Recipe):
        raise InvalidRegistration(f"'{arch.name}': recipe must be a seqpipe.Recipe, got {type(arch.recipe).__name__}")
    try:
        TrainParams.model_validate(arch.recipe.settings())
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise InvalidRegistration(f"'{arch.name}': recipe: {key}: {one_line(err['msg'])}, got {err.get('input')!r}") from None


def _takes_labelled(load: Callable[..., Any]) -> bool:
    """Whether `load(options, seed, labelled=...)` is a valid call (a `labelled` keyword or **kwargs)."""
    try:
        parameters = inspect.signature(load).parameters.values()
    except (TypeError, ValueError):  # no signature to read (some builtins): cannot tell, so trust it
        return True
    return any(
        (p.name == "labelled" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)) or p.kind is p.VAR_KEYWORD
        for p in parameters
    )

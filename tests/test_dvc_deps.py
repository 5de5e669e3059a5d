"""dvc.yaml is honest: every stage depends on all the project code it runs.

The import closure of each stage's module (every `seqpipe.*` module it imports, at module level or
inside functions, followed transitively) is computed from the source, and each module's file must
lie under one of the stage's `deps`. A module missing from the deps would let DVC report "up to
date" with outputs the code no longer produces.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

PACKAGE, FOLDER = "seqpipe", ROOT / "pipeline"
# Code that cannot change a stage's outputs, so editing it need not rerun the stage.
EXEMPT = {
    "pipeline/progress.py": "progress display: phase lines and bars on the terminal",
    "pipeline/errors.py": "error classes and the one-line wording of user errors",
    "pipeline/install_hint.py": "the one-line message when Keras' backend is not installed",
    "pipeline/process.py": "argument parsing, the running-code check, TensorFlow log level, on/off switches, exiting fast",
    "pipeline/stage_progress.py": "the repro's stage counter and time-left line",
    "pipeline/stages/__init__.py": "the package docstring and the stage's hand-off to its warm worker",
    **{f"pipeline/warm/{name}.py": "warm workers: where a stage's process runs, not what it computes "
                                   "(tests/test_warm.py: the same outputs with and without)"
       for name in ("__init__", "client", "handoff", "launch", "server")},
}
# Code one stage runs whose results are none of that stage's DVC outputs: stage -> {folder: why}.
STAGE_EXEMPT = {
    "train": {"pipeline/evaluation/": "fills the evaluation cache (.seqpipe/), not a DVC output: evaluate@<arch> "
                                       "depends on this code, and the cache key hashes it"},
    "prepare": {prefix: "fills the baselines cache (.seqpipe/), not a DVC output: the baselines stage depends on "
                        "this code, and the cache key hashes it" for prefix in (
                    "pipeline/baselines/", "pipeline/evaluation/", "pipeline/training/__init__.py",
                    "pipeline/training/resilience.py")},
}


def module_file(name: str) -> Path | None:
    """pipeline/<...>.py or pipeline/<...>/__init__.py for the import name `seqpipe.<...>`."""
    if name != PACKAGE and not name.startswith(PACKAGE + "."):
        return None
    parts = name.split(".")[1:]
    base = FOLDER.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under `if TYPE_CHECKING:`, which never run."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return [node for node in ast.walk(tree) if id(node) not in skipped]


def imported_names(file: Path, module: str) -> set[str]:
    """Every module name an import statement in `file` may load, relative imports resolved."""
    tree = ast.parse(file.read_text(encoding="utf-8"))
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return names


def plugin_imports() -> set[str]:
    """What the project's plugins import from seqpipe: building the registry runs all of it."""
    names: set[str] = set()
    for file in sorted((ROOT / "plugins").glob("*.py")):
        names |= imported_names(file, f"plugins.{file.stem}")
    return names


def closure(module: str) -> set[Path]:
    """The files of every project module `module` imports, directly or not (itself included)."""
    seen: set[Path] = set()
    todo = [module]
    registry = FOLDER / "registry.py"
    while todo:
        name = todo.pop()
        file = module_file(name)
        if file is None or file in seen:
            continue
        seen.add(file)
        if file.parent == FOLDER / "warm":
            continue  # what the warm workers import runs in the launcher and the worker, not in a stage's code
        # importing a.b.c runs a/__init__ and a/b/__init__ first
        parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
        todo += parents + sorted(imported_names(file, name))
        if file == registry:
            todo += sorted(plugin_imports())
    return seen


def stages() -> dict[str, tuple[str, list[str]]]:
    """stage name -> (module its cmd runs, its deps)."""
    spec = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    out = {}
    for name, stage in spec.items():
        cmd = stage["cmd"].split()
        out[name] = (cmd[cmd.index("-m") + 1], [str(d) for d in stage.get("deps", [])])
    return out


def covered(file: Path, deps: list[str]) -> bool:
    relative = file.relative_to(ROOT).as_posix()
    return any(relative == d.rstrip("/") or relative.startswith(d.rstrip("/") + "/") for d in deps)


@pytest.mark.parametrize("stage", sorted(stages()))
def test_every_module_a_stage_runs_is_one_of_its_dvc_deps(stage):
    module, deps = stages()[stage]
    assert module.startswith("seqpipe.stages."), f"{stage}: cmd must run a seqpipe.stages module"
    files = closure(module)
    assert len(files) > 3, f"{stage}: the import closure of {module} looks empty; is the analysis broken?"
    exempt = STAGE_EXEMPT.get(stage, {})
    missing = sorted(f.relative_to(ROOT).as_posix() for f in files
                     if not covered(f, deps) and f.relative_to(ROOT).as_posix() not in EXEMPT
                     and not any(f.relative_to(ROOT).as_posix().startswith(prefix) for prefix in exempt))
    assert not missing, f"dvc.yaml stage {stage!r} runs these files but does not depend on them: {missing}"


def test_the_closure_analysis_sees_function_level_and_package_imports():
    # `seqpipe.cli.predict.main` imports the model loader inside the function
    files = {f.relative_to(ROOT).as_posix() for f in closure("seqpipe.cli.predict")}
    assert "pipeline/training/model.py" in files
    assert "pipeline/cli/__init__.py" in files and "pipeline/__init__.py" in files
    # every stage builds the registry, which imports the plugins, which use the public table helpers
    assert "pipeline/tables.py" in {f.relative_to(ROOT).as_posix() for f in closure("seqpipe.stages.train")}


def test_exempt_files_exist_and_each_stage_module_is_a_stage():
    assert all((ROOT / path).is_file() for path in EXEMPT)
    modules = {module for module, _ in stages().values()}
    on_disk = {f"seqpipe.stages.{p.stem}" for p in (FOLDER / "stages").glob("*.py") if p.stem != "__init__"}
    assert modules == on_disk, "pipeline/stages/ holds exactly one module per dvc.yaml stage"

"""Plugin commands: `seqpipe list`, `show`, `new` (scaffold) and `check` (the conformance kit)."""
from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from pathlib import Path

from seqpipe.registry import Registry, build_registry


def _defaults(schema) -> dict:
    return {name: field.default for name, field in schema.model_fields.items()}


def list_payload(registry: Registry) -> dict:
    def entries(table, extra):
        return [
            {
                "name": name,
                "origin": entry.origin,
                "description": entry.item.description,
                **extra(entry.item),
                "defaults": _defaults(entry.item.params),
            }
            for name, entry in sorted(table.items())
        ]

    return {
        "architectures": entries(
            registry.architectures,
            lambda a: {"tasks": list(a.tasks), "inputs": list(a.input_kinds), "masking": a.supports_masking},
        ),
        "datasets": entries(registry.datasets, lambda d: {"tasks": list(d.tasks)}),
        "broken": [{"plugin": p, "reason": r} for p, r in sorted(registry.broken.items())],
    }


def print_list(payload: dict) -> None:
    for section in ("architectures", "datasets"):
        print(f"{section}:")
        for e in payload[section]:
            print(f"  {e['name']:<14} {e['origin']:<28} {e['description']}")
            print(f"  {'':<14} tasks: {', '.join(e['tasks'])}")
            defaults = ", ".join(f"{k}={v}" for k, v in e["defaults"].items())
            print(f"  {'':<14} defaults: {defaults}")
    if payload["broken"]:
        print("broken plugins:")
        for b in payload["broken"]:
            print(f"  {b['plugin']:<14} {b['reason']}")


def add_build_problems(registry: Registry) -> None:
    """Move every architecture that cannot be built into `registry.broken`, with the reason.

    Plain `seqpipe list` only imports plugins (fast, no TensorFlow), so a build() that returns
    the wrong thing is only seen when something builds it: `--build`, `seqpipe check` or training.
    """
    from seqpipe.install_hint import require_keras
    from seqpipe.testing import build_problem

    require_keras()

    for name, entry in sorted(registry.architectures.items()):
        problem = build_problem(entry.item)
        if problem is not None:
            registry.broken[name] = f"build failed with its default hyperparameters: {problem}"
            del registry.architectures[name]


def _type_name(annotation: object) -> str:
    if typing.get_origin(annotation) is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(annotation))
    members = typing.get_args(annotation)
    if members and typing.get_origin(annotation) in (typing.Union, types.UnionType):  # int | Literal["auto"]
        return " or ".join(_type_name(member).removeprefix("one of ") for member in members)
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def _bounds(field) -> str:
    symbols = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    parts = []
    for meta in field.metadata:
        for attr, symbol in symbols.items():
            if hasattr(meta, attr):
                parts.append(f"{symbol} {getattr(meta, attr)}")
    return ", ".join(parts)


def schema_payload(registry: Registry, name: str) -> dict:
    """One architecture's hyperparameter schema: names, types, defaults, bounds and meaning."""
    arch = registry.architecture(name)  # raises the one-line error for unknown or broken names
    entry = registry.architectures[name]
    return {
        "name": name,
        "origin": entry.origin,
        "description": arch.description,
        "tasks": list(arch.tasks),
        "inputs": list(arch.input_kinds),
        "masking": arch.supports_masking,
        "hyperparameters": [
            {
                "name": key,
                "type": _type_name(field.annotation),
                "default": field.default,
                "bounds": _bounds(field),
                "description": field.description or "",
            }
            for key, field in arch.params.model_fields.items()
        ],
        "recipe": None if arch.recipe is None else {
            "settings": arch.recipe.settings(), "reference": arch.recipe.reference,
        },
    }


def print_schema(payload: dict) -> None:
    from tabulate import tabulate

    print(f"{payload['name']} ({payload['origin']}): {payload['description']}")
    print(f"tasks: {', '.join(payload['tasks'])}; inputs: {', '.join(payload['inputs'])}; "
          f"masking: {'yes' if payload['masking'] else 'no'}")
    rows = [[h["name"], h["type"], h["default"], h["bounds"], h["description"]] for h in payload["hyperparameters"]]
    if rows:
        print(tabulate(rows, headers=["hyperparameter", "type", "default", "bounds", "meaning"]))
    else:
        print("no hyperparameters")
    print(f"set them under `models: {payload['name']}:` in params.yaml")
    recipe = payload["recipe"]
    name = payload["name"]
    if recipe is None:
        print(f"recipe: none (trains with params.yaml's `train:`; set its own under `models: {name}: train:`)")
        return
    shown = ", ".join(f"{k} {'null' if v is None else v}" for k, v in recipe["settings"].items())
    print(f"recipe (training settings over params.yaml's `train:`): {shown}")
    if recipe["reference"]:
        print(f"  from: {recipe['reference']}")
    print(f"  override under `models: {name}: train:`; `train.recipes: false` ignores every recipe")


def cmd_show(args: argparse.Namespace) -> int:
    payload = schema_payload(build_registry(), args.name)
    if args.json:
        json.dump(payload, sys.stdout, indent=2, default=str)
        print()
    else:
        print_schema(payload)
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from seqpipe.cli.scaffold import new_plugin

    root = Path.cwd()
    written = new_plugin(args.name, build_registry(), root)
    for path in written:
        print(f"wrote {path.relative_to(root)}")
    print(f"next: edit {written[0].relative_to(root)}, run `seqpipe check {args.name}`, "
          f"then add `{args.name}` to `architectures` and `{args.name}: {{}}` under `models:` in params.yaml")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from seqpipe.config import params as params_mod
    from seqpipe.config import recipes
    from seqpipe.install_hint import require_keras
    from seqpipe.testing import run_checks

    registry = build_registry()
    arch = registry.architecture(args.name)
    hp = None
    if args.params:
        raw = params_mod.read_yaml(args.params).get("models", {}) or {}
        hp_raw, _ = recipes.split_entry(raw.get(args.name))
        hp = params_mod.validate(arch.params, hp_raw, prefix=f"models.{args.name}", source=args.params)
    require_keras()
    print(f"checking {args.name} ({registry.origin_of(args.name)})", flush=True)
    failed = 0
    for result in run_checks(arch, hp):
        failed += not result.passed
        print(f"  {'PASS' if result.passed else 'FAIL'}  {result.name:<24} {result.reason}", flush=True)
    if failed:
        print(f"{args.name}: {failed} check(s) failed")
        return 1
    print(f"{args.name}: all checks passed")
    return 0


def add_plugin_author_commands(sub) -> None:
    show = sub.add_parser("show", help="one architecture's hyperparameters: types, defaults, bounds, meaning")
    show.add_argument("name", help="architecture name (see `seqpipe list`)")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(handler=cmd_show)
    new = sub.add_parser("new", help="write plugins/NAME.py and tests/test_plugin_NAME.py from a template")
    new.add_argument("name", help="the new architecture's name: a lowercase Python identifier")
    new.set_defaults(handler=cmd_new)
    check = sub.add_parser("check", help="run the conformance kit on one architecture (imports TensorFlow)")
    check.add_argument("name", help="architecture name (see `seqpipe list`)")
    check.add_argument(
        "--params", metavar="FILE", help="check with the hyperparameters under models.NAME in FILE (default: the plugin's defaults)"
    )
    check.set_defaults(handler=cmd_check)

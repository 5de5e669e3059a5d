"""The `seqpipe` command: list plugins and validate params without importing TensorFlow;
`leaderboard` and `predict` live in their own modules (predict imports TensorFlow when it runs)."""
from __future__ import annotations

import argparse
import json
import sys

from pipeline import leaderboard, predict
from pipeline import params as params_mod
from pipeline.errors import user_errors_exit
from pipeline.experiment import validate_experiment
from pipeline.registry import Registry, build_registry


def _defaults(schema) -> dict:
    return {name: field.default for name, field in schema.model_fields.items()}


def list_payload(registry: Registry) -> dict:
    def entries(table, extra):
        return [
            {
                "name": name,
                "source": entry.source,
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
            print(f"  {e['name']:<14} {e['source']:<28} {e['description']}")
            print(f"  {'':<14} tasks: {', '.join(e['tasks'])}")
            defaults = ", ".join(f"{k}={v}" for k, v in e["defaults"].items())
            print(f"  {'':<14} defaults: {defaults}")
    if payload["broken"]:
        print("broken plugins:")
        for b in payload["broken"]:
            print(f"  {b['plugin']:<14} {b['reason']}")


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="seqpipe", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="architectures and datasets, their source and default hyperparameters")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    val = sub.add_parser("validate", help="check params.yaml and the plugins it names, without training")
    val.add_argument("--params", default=params_mod.PARAMS_FILE)
    leaderboard.add_parser(sub)
    predict.add_parser(sub)
    args = ap.parse_args(argv)

    if args.command == "list":
        payload = list_payload(build_registry())
        if args.json:
            json.dump(payload, sys.stdout, indent=2, default=str)
            print()
        else:
            print_list(payload)
    elif args.command == "validate":
        params = params_mod.load(args.params)
        dataset, choices = validate_experiment(params, build_registry(), args.params)
        names = ", ".join(c.name for c in choices)
        print(f"{args.params}: ok (data: {dataset.name}; architectures: {names})")
    elif args.command == "leaderboard":
        leaderboard.main(args)
    elif args.command == "predict":
        predict.main(args)


if __name__ == "__main__":
    main()

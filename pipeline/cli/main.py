"""The `seqpipe` command: list, show, scaffold and check plugins, validate params, rank
experiments (`leaderboard`) and predict with a trained model (`predict`).

Only `check` and `predict` import TensorFlow; the other commands answer in well under a second.
"""
from __future__ import annotations

import json
import os
import sys

from seqpipe import process
from seqpipe.cli import leaderboard, plugins, predict
from seqpipe.config import checks, seeds, tracked
from seqpipe.config import params as params_mod
from seqpipe.config.experiment import validate_experiment
from seqpipe.errors import user_errors_exit
from seqpipe.registry import build_registry


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    process.quiet_tensorflow()  # before anything imports it (check, predict, list --build)
    ap = process.Parser(prog="seqpipe", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="architectures and datasets, their source and default hyperparameters")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.add_argument("--build", action="store_true",
                    help="also build every architecture on a toy batch (imports TensorFlow) and report the ones "
                         "that fail, e.g. a build() that returns no layer")
    val = sub.add_parser("validate", help="check params.yaml and the plugins it names, without training")
    val.add_argument("--params", default=params_mod.PARAMS_FILE)
    leaderboard.add_parser(sub)
    predict.add_parser(sub)
    plugins.add_plugin_author_commands(sub)
    args = ap.parse_args(argv)

    if getattr(args, "handler", None):
        sys.exit(args.handler(args))

    if args.command == "list":
        registry = build_registry()
        if args.build:
            plugins.add_build_problems(registry)
        payload = plugins.list_payload(registry)
        if args.json:
            json.dump(payload, sys.stdout, indent=2, default=str)
            print()
        else:
            plugins.print_list(payload)
    elif args.command == "validate":
        params = params_mod.load(args.params)
        params, dataset, choices = validate_experiment(params, build_registry(), args.params)
        tracked.check_complete(params_mod.read_yaml(args.params), args.params)  # before DVC refuses the stage
        checks.check_experiment(params, dataset, choices, args.params)
        names = ", ".join(c.name for c in choices)
        print(f"{args.params}: ok (data: {dataset.name}; architectures: {names})")
        if seeds.chosen(params.train):
            print(f"train.repeats {params.train.repeats}, train.ensemble {str(params.train.ensemble).lower()}: {seeds.WHY}")
        elif set(checks.source_tasks(dataset)) & set(seeds.SMALL_TASKS) and seeds.left_out(params.train):
            # the prepared split's size decides, at train time; the train log and fit.json say what it chose
            print(f"train.repeats, train.ensemble: chosen at train time by the prepared training split's size: {seeds.SMALL_WHY}")
    elif args.command == "leaderboard":
        leaderboard.main(args)
    elif args.command == "predict":
        predict.main(args)


def run() -> None:
    """The `seqpipe` command: main(), then exit without the shutdown collection (`predict` loads Keras)."""
    try:
        main()
        sys.stdout.flush()
    except BrokenPipeError:  # `seqpipe list | head`: the reader left; stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    process.skip_final_collection()


if __name__ == "__main__":
    run()

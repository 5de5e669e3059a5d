"""`seqpipe leaderboard`: architecture × experiment from `dvc exp show --json`, one ranked table per task."""
from __future__ import annotations

import sys


def main(args) -> None:
    """The `seqpipe leaderboard` subcommand (args from the CLI parser)."""
    # here, not at the top: pandas' import (~0.3 s of CPU) would slow every other command's start
    from seqpipe.reporting.experiments import build, environments, exp_show_json, parse_json_text, render
    from seqpipe.reporting.rev_files import add_result_files

    if args.input:
        with open(args.input, encoding="utf-8") as fh:
            payload = add_result_files(parse_json_text(fh.read()), workspace=False)
    else:
        payload = add_result_files(exp_show_json(["-A"] if args.all_commits else None))
    rankings, left_out = build(payload, args.metric)
    fmt = "csv" if args.csv else "md" if args.md else "json" if args.json else "text"
    sys.stdout.write(render(rankings, fmt))
    for line in left_out:
        print(f"seqpipe: warning: {line}", file=sys.stderr)
    differing = environments(rankings)
    if differing:
        print(
            f"seqpipe: warning: these runs of {', '.join(sorted(differing))} were trained in different environments "
            "(column env); compare their environment/<arch>.json, e.g. `dvc diff <rev-a> <rev-b>`, `dvc exp apply`",
            file=sys.stderr,
        )


def add_parser(sub) -> None:
    lb = sub.add_parser("leaderboard", help="one ranked table of architecture × experiment from `dvc exp show --json`")
    out = lb.add_mutually_exclusive_group()
    out.add_argument("--md", action="store_true", help="Markdown table")
    out.add_argument("--csv", action="store_true", help="CSV")
    out.add_argument("--json", action="store_true", help="JSON records, one per row")
    lb.add_argument("--metric", help="rank by this metric (default: each task's primary metric, one table per task)")
    lb.add_argument("--input", help="read saved `dvc exp show --json` output instead of running dvc "
                    "(each revision's metrics/ and timings/ files are read from this git repository)")
    lb.add_argument("-A", "--all-commits", action="store_true", help="include experiments of all commits")

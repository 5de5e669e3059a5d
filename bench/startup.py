"""Start-up cost of the commands that do not train: `seqpipe list`, `seqpipe validate`, a no-op `dvc repro`.

Run from the project root after one complete `dvc repro` (so the no-op has nothing to do):

    .venv/bin/python bench/startup.py [--repeats 5]

Prints a table and writes bench/results/startup.json. Goals (issue 6): <= 1 s, <= 1 s, <= 1.5 s.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
COMMANDS = {
    "seqpipe list": [str(BIN / "seqpipe"), "list"],
    "seqpipe validate": [str(BIN / "seqpipe"), "validate"],
    "dvc repro (no-op)": [str(BIN / "dvc"), "repro"],
}
GOALS = {"seqpipe list": 1.0, "seqpipe validate": 1.0, "dvc repro (no-op)": 1.5}


def time_command(cmd: list[str], repeats: int) -> list[float]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = subprocess.run(cmd, capture_output=True, text=True, env=env)
        runs.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {result.stderr.strip()}")
        if "dvc" in cmd[0] and "Running stage" in result.stdout:
            raise SystemExit("dvc repro was not a no-op: run `dvc repro` once before benchmarking")
    return runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    rows = []
    for name, cmd in COMMANDS.items():
        runs = time_command(cmd, args.repeats)
        median = statistics.median(runs)
        rows.append({"command": name, "median_s": round(median, 3), "min_s": round(min(runs), 3),
                     "goal_s": GOALS[name], "meets_goal": median <= GOALS[name]})
    print(f"{'command':<20} {'median s':>9} {'min s':>7} {'goal s':>7}  ok")
    for r in rows:
        print(f"{r['command']:<20} {r['median_s']:>9.3f} {r['min_s']:>7.3f} {r['goal_s']:>7.1f}  {'yes' if r['meets_goal'] else 'NO'}")
    out = Path("bench/results/startup.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"repeats": args.repeats, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Where a no-op `dvc repro` spends its time: imports, opening the repo, loading dvc.yaml/dvc.lock,
the graph, and the status of every stage, timed inside one fresh process per repeat.

Run from the project root after a complete `dvc repro` (like bench/startup.py):

    .venv/bin/python bench/dvc_phases.py [--repeats 5]

Prints min and median per phase and writes bench/results/dvc_phases.json.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

PHASES = r'''
import json, time
t0 = time.perf_counter()
import dvc.cli, dvc.repo, dvc.repo.reproduce, networkx  # what `dvc repro` imports before any work
t1 = time.perf_counter()
from dvc.repo import Repo
repo = Repo(".")
t2 = time.perf_counter()
with repo.lock:
    stages = repo.index.stages  # dvc.yaml (matrix, interpolation) and dvc.lock, schema-validated
    t3 = time.perf_counter()
    repo.index.graph
    t4 = time.perf_counter()
    changed = [s.addressing for s in stages if s.changed()]  # hashes deps/outs, reads params
    t5 = time.perf_counter()
print(json.dumps({"phases": {"imports": t1 - t0, "open repo": t2 - t1, "load dvc.yaml + dvc.lock": t3 - t2,
                             "graph": t4 - t3, f"status of {len(stages)} stages": t5 - t4}, "changed": changed}))
'''


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    runs = []
    for _ in range(args.repeats):
        out = subprocess.run([sys.executable, "-c", PHASES], capture_output=True, text=True, check=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    if runs[0]["changed"]:
        raise SystemExit(f"not a no-op: {', '.join(runs[0]['changed'])} changed; run `dvc repro` first")
    rows = []
    for phase in runs[0]["phases"]:
        values = [r["phases"][phase] for r in runs]
        rows.append({"phase": phase, "min_s": round(min(values), 3), "median_s": round(statistics.median(values), 3)})
    total = sum(r["min_s"] for r in rows)
    print(f"{'phase':<28} {'min s':>7} {'median s':>9} {'share':>6}")
    for r in rows:
        print(f"{r['phase']:<28} {r['min_s']:>7.3f} {r['median_s']:>9.3f} {r['min_s'] / total:>6.0%}")
    out = Path("bench/results/dvc_phases.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"repeats": args.repeats, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()

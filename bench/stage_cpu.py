"""Each stage process's wall and CPU seconds, for two checkouts of seqpipe, interleaved (issue 18).

On a shared machine a wall second is mostly waiting for a core and even CPU seconds drift between
minutes, so a change's effect is measured by running the same stages with each checkout's code in
turn, round after round, in one finished project (`bench/fixed_cost.py --keep` makes one):

    .venv/bin/python bench/fixed_cost.py --archs fcn --epochs 5 --keep      # prints `kept <project>`
    .venv/bin/python bench/stage_cpu.py <project> /path/to/checkout-a /path/to/checkout-b --rounds 3

Before each checkout's turn its `pipeline/` and `dvc.yaml` are copied into the project (a stage
refuses to run code that is not the project's) and its own `.venv` runs the stages. Prints the
median wall and CPU (user + sys) seconds per stage and checkout.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import time
from pathlib import Path

STAGES = (["fingerprint"], ["prepare"], ["train", "--arch", "{arch}"], ["evaluate", "--arch", "{arch}"],
          ["baselines"], ["report"])


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("project", type=Path, help="a finished project (bench/fixed_cost.py --keep)")
    ap.add_argument("checkouts", type=Path, nargs="+", help="seqpipe checkouts, each with its own .venv")
    ap.add_argument("--arch", default="fcn")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    runs: dict[tuple[str, str], list[tuple[float, float]]] = {}
    load = [os.getloadavg()[0]]
    for _ in range(args.rounds):
        for checkout in args.checkouts:
            shutil.rmtree(args.project / "pipeline")
            shutil.copytree(checkout / "pipeline", args.project / "pipeline")
            shutil.copy(checkout / "dvc.yaml", args.project / "dvc.yaml")
            bin_dir = checkout / ".venv" / "bin"
            env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "TF_CPP_MIN_LOG_LEVEL": "3"}
            for stage in STAGES:
                argv = [a.format(arch=args.arch) for a in stage]
                name = " ".join(argv)
                runs.setdefault((checkout.name, name), []).append(
                    timed([str(bin_dir / "python"), "-m", f"seqpipe.stages.{argv[0]}", *argv[1:]], args.project, env))
            runs.setdefault((checkout.name, "seqpipe list"), []).append(
                timed([str(bin_dir / "seqpipe"), "list"], args.project, env))
    load.append(os.getloadavg()[0])
    names = list(dict.fromkeys(name for _, name in runs))
    print(f"{'stage':<22}" + "".join(f" {c.name + ' wall':>16} {c.name + ' CPU':>16}" for c in args.checkouts))
    for name in names:
        cells = []
        for c in args.checkouts:
            values = runs[(c.name, name)]
            cells.append(f" {statistics.median(v[0] for v in values):>16.2f} {statistics.median(v[1] for v in values):>16.2f}")
        print(f"{name:<22}" + "".join(cells))
    print(f"medians of {args.rounds} interleaved rounds; load average {load[0]:.2f} -> {load[1]:.2f}")


if __name__ == "__main__":
    main()

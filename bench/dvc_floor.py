"""DVC's own cost of a no-op `dvc repro`, without seqpipe: bare projects of S stages with D file
dependencies each, next to this project's tree.

Each bare project is a fresh `git init` + `dvc init` in a temporary directory (analytics off,
the same venv), whose stages only copy a file; after one `dvc repro` and a commit, the no-op is
timed. "seqpipe" is a no-op `dvc repro` in the project root: run it after a complete `dvc repro`,
like bench/startup.py. Shapes are measured round-robin, so machine noise hits them alike.

    .venv/bin/python bench/dvc_floor.py [--shapes 1x1 13x1 13x9] [--repeats 5]

Prints the median and min per shape and writes bench/results/dvc_floor.json.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from common import ROOT, print_table, save_results

DVC = str(Path(sys.executable).parent / "dvc")


def bare_project(stages: int, deps: int) -> Path:
    """A committed DVC project of `stages` copy stages with `deps` dependencies each, reproduced once."""
    path = Path(tempfile.mkdtemp(prefix=f"dvc-floor-{stages}x{deps}-"))
    def sh(*cmd: str) -> None:
        subprocess.run(cmd, cwd=path, check=True, capture_output=True)
    sh("git", "init", "-q")
    sh(DVC, "init", "-q")
    sh(DVC, "config", "core.analytics", "false")
    for j in range(deps):
        (path / f"in{j}.txt").write_text(f"{j}\n")
    dvc_yaml = {"stages": {f"s{i}": {"cmd": f"cp in0.txt out{i}.txt",
                                     "deps": [f"in{j}.txt" for j in range(deps)], "outs": [f"out{i}.txt"]}
                           for i in range(stages)}}
    (path / "dvc.yaml").write_text(yaml.safe_dump(dvc_yaml))
    sh(DVC, "repro", "-q")
    sh("git", "add", "-A")
    sh("git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm", "bench")
    return path


def no_op_seconds(cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([DVC, "repro", "-q"], cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", nargs="+", default=["1x1", "13x1", "13x9"], help="STAGESxDEPS of bare projects")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    projects = {}
    try:
        for shape in args.shapes:
            stages, deps = (int(n) for n in shape.split("x"))
            projects[f"bare {shape}"] = bare_project(stages, deps)
        projects["seqpipe"] = ROOT
        times: dict[str, list[float]] = {name: [] for name in projects}
        for _ in range(args.repeats):
            for name, path in projects.items():
                times[name].append(no_op_seconds(path))
    finally:
        for path in projects.values():
            if path != ROOT:
                shutil.rmtree(path, ignore_errors=True)
    rows = [{"project": name, "median_s": round(statistics.median(t), 3), "min_s": round(min(t), 3)}
            for name, t in times.items()]
    print_table(rows, [("project", "project (stages x deps)", "<24"), ("median_s", "median s", ">8.3f"),
                       ("min_s", "min s", ">7.3f")])
    save_results("dvc_floor", {"args": vars(args), "rows": rows})


if __name__ == "__main__":
    main()

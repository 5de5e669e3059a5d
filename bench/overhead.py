"""Does the pipeline cost anything over plain Keras? The `train` stage against bench/plain_keras.py.

For each architecture, runs `python -m pipeline.train --arch A` (registry, params validation,
dvclive, early-stopping hooks, atomic save) and the plain script on the same prepared arrays for
the same epochs, interleaved A/B/A/B, in a scratch copy of the project. Reports the median ratio
plain/pipeline of whole-run wall time and of steady-state (median) epoch time; >= 0.97 means the
pipeline adds nothing measurable.

    .venv/bin/python bench/overhead.py [--archs lstm gru] [--rounds 3] [--epochs 3] [--samples 4000]

Prints a table and writes bench/results/overhead.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from common import save_results

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def scratch_project(samples: int, epochs: int) -> Path:
    """A copy of the tracked project files with prepared data for `samples` sequences."""
    dest = Path(tempfile.mkdtemp(prefix="seqpipe-overhead-"))
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    params = yaml.safe_load((dest / "params.yaml").read_text())
    params["data"]["options"]["n_samples"] = samples
    params["train"].update({"epochs": epochs, "patience": 0})
    (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["python", "-m", "pipeline.prepare"], dest)
    return dest


def run(cmd: list[str], cwd: Path) -> tuple[float, str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "TF_CPP_MIN_LOG_LEVEL": "3"}
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stderr[-2000:]}")
    return elapsed, result.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", nargs="+", default=["rnn", "lstm", "gru", "transformer", "cnn"])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--samples", type=int, default=4000)
    args = ap.parse_args()
    project = scratch_project(args.samples, args.epochs)
    batch = yaml.safe_load((project / "params.yaml").read_text())["train"]["batch_size"]
    rows = []
    try:
        for arch in args.archs:
            wall = {"pipeline": [], "plain": []}
            epoch = {"pipeline": [], "plain": []}
            for _ in range(args.rounds):
                t, _ = run(["python", "-m", "pipeline.train", "--arch", arch], project)
                wall["pipeline"].append(t)
                epoch["pipeline"].append(json.loads((project / "models" / f"{arch}.fit.json").read_text())["seconds_per_epoch"])
                t, out = run(["python", str(ROOT / "bench" / "plain_keras.py"), arch, str(args.epochs), str(batch)], project)
                wall["plain"].append(t)
                epoch["plain"].append(statistics.median(json.loads(out.strip().splitlines()[-1])["epoch_seconds"]))
            rows.append({
                "architecture": arch,
                "wall_pipeline_s": round(statistics.median(wall["pipeline"]), 2),
                "wall_plain_s": round(statistics.median(wall["plain"]), 2),
                "wall_ratio": round(statistics.median(p / q for p, q in zip(wall["plain"], wall["pipeline"])), 3),
                "epoch_pipeline_s": round(statistics.median(epoch["pipeline"]), 3),
                "epoch_plain_s": round(statistics.median(epoch["plain"]), 3),
                "epoch_ratio": round(statistics.median(p / q for p, q in zip(epoch["plain"], epoch["pipeline"])), 3),
            })
            print(json.dumps(rows[-1]), flush=True)
    finally:
        shutil.rmtree(project, ignore_errors=True)
    header = f"{'architecture':<12} {'wall pipe':>9} {'wall plain':>10} {'ratio':>6} {'epoch pipe':>10} {'epoch plain':>11} {'ratio':>6}"
    print(header)
    for r in rows:
        print(f"{r['architecture']:<12} {r['wall_pipeline_s']:>9.2f} {r['wall_plain_s']:>10.2f} {r['wall_ratio']:>6.3f} "
              f"{r['epoch_pipeline_s']:>10.3f} {r['epoch_plain_s']:>11.3f} {r['epoch_ratio']:>6.3f}")
    save_results("overhead", {"args": vars(args), "rows": rows})


if __name__ == "__main__":
    main()

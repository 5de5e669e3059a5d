"""Does the pipeline cost anything over plain Keras? The `train` stage against bench/plain_keras.py.

For each architecture, runs `python -m seqpipe.stages.train --arch A` (registry, params validation,
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
import shutil
import statistics

import yaml
from common import ROOT, run_timed, save_results, scratch_project


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
                t, _ = run_timed(["python", "-m", "seqpipe.stages.train", "--arch", arch], project)
                wall["pipeline"].append(t)
                epoch["pipeline"].append(json.loads((project / "models" / f"{arch}.fit.json").read_text())["seconds_per_epoch"])
                t, out = run_timed(["python", str(ROOT / "bench" / "plain_keras.py"), arch, str(args.epochs), str(batch)], project)
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

"""seqpipe against its closest peer on a small dataset: aeon's FCNClassifier script against one
architecture's whole `dvc repro` (issue 18).

Both train FCN at the paper's widths (128-256-128 filters, kernels 8-5-3) on ArrowHead (from aeon's
wheel) for the same epochs at batch 16 on the same CPU:

- aeon: a fresh `python -c` script (imports included) that loads the official split with
  `aeon.datasets.load_arrow_head`, fits `FCNClassifier(n_epochs, batch_size)` and predicts the
  test split; timed whole, and its `fit` alone;
- seqpipe: a git-initialised scratch copy (bench/realdata.py's) with `architectures: [fcn]` and
  `models.fcn.train: {epochs: N, batch_size: 16, max_batch_fraction: null}`; the whole `dvc repro`
  (fingerprint, prepare, train, evaluate, baselines, report) timed, and its fit
  (models/fcn.fit.json's `train_seconds`).

Not the same training: aeon trains on all 36 training series, seqpipe on 30 (prepare holds out 6
for validation), and the two libraries' learning-rate schedules differ; the accuracies are printed
to show both learned, not to rank them. Rounds alternate aeon and seqpipe.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/peer_aeon.py [--epochs 100] [--rounds 1]

Prints a table and writes bench/results/peer_aeon.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import yaml
from common import print_table, save_results
from fixed_cost import ENV, LAST_CPU, children_cpu, stage_times, timed_repro
from realdata import project_for

AEON = '''
import json, tempfile, time
t0 = time.perf_counter()
import numpy as np
from aeon.classification.deep_learning import FCNClassifier
from aeon.datasets import load_arrow_head
x, y = load_arrow_head(split="train")
xt, yt = load_arrow_head(split="test")
t1 = time.perf_counter()
clf = FCNClassifier(n_epochs={epochs}, batch_size={batch}, random_state=0, file_path=tempfile.mkdtemp() + "/")
clf.fit(x, y)
t2 = time.perf_counter()
accuracy = float(np.mean(clf.predict(xt) == yt))
print(json.dumps({{"imports_s": t1 - t0, "fit_s": t2 - t1, "predict_s": time.perf_counter() - t2,
                  "accuracy": accuracy}}))
'''


def run_aeon(epochs: int, batch: int) -> dict:
    cpu = children_cpu()
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", AEON.format(epochs=epochs, batch=batch)], env=ENV,
                         capture_output=True, text=True)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"the aeon script failed:\n{out.stderr[-2000:]}")
    return {"whole_s": wall, "cpu_s": round(children_cpu() - cpu, 2), **json.loads(out.stdout.strip().splitlines()[-1])}


def run_seqpipe(epochs: int, batch: int) -> dict:
    project = project_for("ArrowHead", ["fcn"], epochs)
    try:
        path = project / "params.yaml"
        params = yaml.safe_load(path.read_text())
        params["models"]["fcn"]["train"].update({"batch_size": batch, "max_batch_fraction": None})
        path.write_text(yaml.safe_dump(params, sort_keys=False))
        subprocess.run(["git", "commit", "-qam", "batch"], cwd=project, check=True, capture_output=True)
        wall, lines = timed_repro(project)
        fit = json.loads((project / "models" / "fcn.fit.json").read_text())
        accuracy = json.loads((project / "metrics" / "fcn.json").read_text())["accuracy"]
        return {"whole_s": wall, "cpu_s": LAST_CPU["repro_s"], "fit_s": fit["train_seconds"], "accuracy": accuracy,
                "stages_s": {k: round(v, 2) for k, v in stage_times(lines, wall).items()}}
    finally:
        shutil.rmtree(project, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--no-warm", action="store_true", help="SEQPIPE_WARM=0: the train stage imports Keras itself")
    args = ap.parse_args()
    if args.no_warm:
        ENV["SEQPIPE_WARM"] = "0"
    runs: dict[str, list[dict]] = {"aeon": [], "seqpipe": []}
    load = [os.getloadavg()[0]]
    for _ in range(args.rounds):
        runs["aeon"].append(run_aeon(args.epochs, args.batch))
        print("aeon", json.dumps(runs["aeon"][-1]), flush=True)
        runs["seqpipe"].append(run_seqpipe(args.epochs, args.batch))
        print("seqpipe", json.dumps(runs["seqpipe"][-1]), flush=True)
    load.append(os.getloadavg()[0])
    rows = [{"tool": tool, "whole_s": statistics.median(r["whole_s"] for r in rs),
             "cpu_s": statistics.median(r["cpu_s"] for r in rs),
             "fit_s": statistics.median(r["fit_s"] for r in rs), "accuracy": rs[-1]["accuracy"]}
            for tool, rs in runs.items()]
    print_table(rows, [("tool", "tool", "<8"), ("whole_s", "whole s", ">8.1f"), ("cpu_s", "CPU s", ">7.1f"), ("fit_s", "fit s", ">7.1f"),
                       ("accuracy", "test accuracy", ">13.3f")])
    whole = rows[0]["whole_s"] / rows[1]["whole_s"]
    print(f"seqpipe's whole dvc repro is {whole:.2f}x as fast as aeon's script (>1: faster); "
          f"fit {rows[0]['fit_s'] / rows[1]['fit_s']:.2f}x; load average {load[0]:.2f} -> {load[1]:.2f}")
    save_results("peer_aeon", {"args": vars(args), "runs": runs, "rows": rows, "load": load})


if __name__ == "__main__":
    main()

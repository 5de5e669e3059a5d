"""How many optimizer steps does a small dataset need? Test accuracy against the training budget.

ArrowHead-like data, made here so the run needs no download: 3 classes told apart by the
frequency of a noisy sine (random phase, amplitude and noise), an official split of 50 train and
150 test series, validation carved out of the train part as prepare does (42 train, 8 val).
Each architecture of params.yaml (its `models.<arch>` settings) trains in this process through
the pipeline's build_model/fit with early stopping off, once per budget of optimizer steps, and
is scored on the test part. Batch 16 on 42 series is 3 steps per epoch.

    .venv/bin/python bench/budget.py --steps 90 300 1000 3000

Prints a table and writes bench/results/budget.json.
"""
from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
import yaml
from common import ROOT


def arrowhead_like(n_train: int, n_test: int, timesteps: int, seed: int):
    from seqpipe import RawData

    rng = np.random.default_rng(seed)
    n = n_train + n_test
    labels = rng.integers(0, 3, size=n)
    t = np.linspace(0.0, 1.0, timesteps)
    cycles = np.array([2.0, 3.0, 4.0])[labels]
    phase = rng.uniform(0, 2 * np.pi, size=n)
    amplitude = rng.uniform(0.5, 1.5, size=n)
    x = amplitude[:, None] * np.sin(2 * np.pi * cycles[:, None] * t[None, :] + phase[:, None])
    x += rng.normal(scale=0.7, size=x.shape)
    split = np.array(["train"] * n_train + ["test"] * n_test)
    return RawData(sequences=x[..., None].astype(np.float32), targets=labels.astype(np.int32), task="multiclass",
                   input_kind="numeric", class_names=["a", "b", "c"], split=split)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, nargs="+", default=[90, 300, 1000, 3000])
    ap.add_argument("--archs", nargs="+")
    ap.add_argument("--train", type=int, default=50)
    ap.add_argument("--test", type=int, default=150)
    ap.add_argument("--timesteps", type=int, default=100)
    args = ap.parse_args()

    from seqpipe import tasks
    from seqpipe.config.experiment import choose_architecture
    from seqpipe.config.params import Params
    from seqpipe.data import api as data
    from seqpipe.evaluation import scoring as evaluation
    from seqpipe.registry import build_registry
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    raw_params = yaml.safe_load((ROOT / "params.yaml").read_text())
    archs = args.archs or raw_params["architectures"]
    prepared = data.prepare(arrowhead_like(args.train, args.test, args.timesteps, 0), val=0.15, test=0.15, seed=42)
    spec = prepared.spec
    per_epoch = math.ceil(spec.sizes.train / raw_params["train"]["batch_size"])
    registry = build_registry()
    rows = []
    for arch in archs:
        for steps in args.steps:
            epochs = math.ceil(steps / per_epoch)
            raw = {**raw_params, "architectures": [arch]}
            raw["train"] = {**raw_params["train"], "epochs": epochs, "patience": 0}
            params = Params.model_validate(raw)
            choice = choose_architecture(params, registry, arch)
            seed_everything(params.seed)
            start = time.perf_counter()
            model = build_model(choice, spec, params.train)
            fit(model, prepared.xy("train"), prepared.xy("val"), params.train, verbose=0)
            seconds = time.perf_counter() - start
            x_test, y_test = prepared.xy("test")
            scores = evaluation.score(spec.task, y_test, evaluation.predict(model, x_test, 256), spec)
            metric = tasks.get(spec.task).primary_metric
            rows.append({"architecture": arch, "steps": epochs * per_epoch, "epochs": epochs,
                         "seconds": round(seconds, 1), "metric": metric, "value": round(float(scores[metric]), 4)})
            print(json.dumps(rows[-1]), flush=True)
    print(f"sizes train/val/test = {spec.sizes.train}/{spec.sizes.val}/{spec.sizes.test}, {per_epoch} steps per epoch")
    print(f"{'architecture':<12} {'steps':>6} {'epochs':>6} {'seconds':>7} {'accuracy':>8}")
    for r in rows:
        print(f"{r['architecture']:<12} {r['steps']:>6} {r['epochs']:>6} {r['seconds']:>7.1f} {r['value']:>8.3f}")
    out = ROOT / "bench" / "results" / "budget.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()

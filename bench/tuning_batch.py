"""Which default batch size and learning rate? Time and test MSE per (architecture, batch size).

Trains each architecture (params.yaml hyperparameters) on the adding problem (N x 100 steps) through
the pipeline's build_model/fit for a fixed number of epochs with early stopping off, for each
batch size with the learning rate scaled by sqrt(batch / base batch) from `--lr`, and reports the
median epoch time, the total training time and the test MSE (0.167 = ignoring the sequence).

    .venv/bin/python bench/tuning_batch.py [--archs lstm gru cnn] [--batches 64 128 256]
                                           [--samples 3000] [--epochs 10] [--lr 0.002]

Prints a table and writes bench/results/tuning_batch.json.
"""
from __future__ import annotations

import argparse
import json
import math
import os

import yaml
from common import ROOT, adding_problem, save_results

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", nargs="+", default=["lstm", "gru", "cnn"])
    ap.add_argument("--batches", nargs="+", type=int, default=[64, 128, 256])
    ap.add_argument("--samples", type=int, default=3000)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=0.002, help="learning rate of the first batch size")
    args = ap.parse_args()

    import numpy as np

    from seqpipe.config.experiment import choose_architecture
    from seqpipe.config.params import Params, TrainParams
    from seqpipe.registry import build_registry
    from seqpipe.training import acceleration
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    acceleration.configure_threads()
    raw_params = yaml.safe_load((ROOT / "params.yaml").read_text())
    registry = build_registry()
    prepared = adding_problem(args.samples)
    x_test, y_test = prepared.xy("test")
    rows = []
    for name in args.archs:
        params = Params.model_validate({**raw_params, "architectures": [name]})
        choice = choose_architecture(params, registry, name)
        for batch in args.batches:
            lr = round(args.lr * math.sqrt(batch / args.batches[0]), 6)
            train = TrainParams(epochs=args.epochs, batch_size=batch, learning_rate=lr, patience=0,
                                jit_compile=False)
            seed_everything(0)
            model = build_model(choice, prepared.spec, train)
            summary = fit(model, prepared.xy("train"), prepared.xy("val"), train, verbose=0)
            mse = float(np.mean((model.predict(x_test, batch_size=512, verbose=0).reshape(-1) - y_test) ** 2))
            rows.append({"architecture": name, "batch_size": batch, "learning_rate": lr,
                         "epoch_s": summary.seconds_per_epoch, "train_s": summary.train_seconds,
                         "test_mse": round(mse, 5)})
            print(json.dumps(rows[-1]), flush=True)
    print(f"\n{'architecture':<12} {'batch':>5} {'lr':>8} {'epoch s':>8} {'train s':>8} {'test MSE':>9}")
    for r in rows:
        print(f"{r['architecture']:<12} {r['batch_size']:>5} {r['learning_rate']:>8.4g} {r['epoch_s']:>8.2f} "
              f"{r['train_s']:>8.1f} {r['test_mse']:>9.4f}")
    save_results("tuning_batch", {"args": vars(args), "rows": rows})


if __name__ == "__main__":
    main()

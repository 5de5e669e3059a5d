"""Per-window normalisation for forecasting: none vs last vs mean (`data.window.normalize`).

The forecasting series that ship inside aeon's wheel (pip install -e '.[bench]'), under the
cutoff protocol: the last `horizon` steps of each series are the test range, forecast in one
shot; the `horizon` steps before are validation. Each architecture is trained with its default
hyperparameters and the default train settings but train.min_steps (--min-steps), through the core
(prepare_forecast, build_model, fit), and scored like the evaluate stage; the seasonal naive
forecast is the row to beat.

    .venv/bin/python bench/forecast_norm.py [--archs lstm,cnn] [--datasets airline,shampoo,lynx] [--min-steps 300]
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

# name -> (loader name in aeon.datasets, first timestamp, pandas frequency, horizon, lookback)
DATASETS = {
    "airline": ("load_airline", "1949-01-01", "MS", 36, 24),  # the protocol: the last 36 months
    "shampoo": ("load_shampoo_sales", "1901-01-01", "MS", 6, 12),  # 36 months
    "lynx": ("load_lynx", "1821-01-01", "YS", 14, 20),  # 114 years, ~10-year cycle
}


def raw_series(name: str):
    import aeon.datasets

    from seqpipe.specs import RawData

    loader, start, freq, _, _ = DATASETS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = np.asarray(getattr(aeon.datasets, loader)(), dtype=np.float32).reshape(-1)
    times = pd.date_range(start, periods=len(y), freq=freq).to_numpy()
    return RawData([y[:, None]], np.zeros(0, np.float32), "forecast", "numeric", ids=[name],
                   feature_names=["value"], times=[times], origin=name)


def run(name: str, arch: str, normalize: str, min_steps: int, seed: int = 42) -> dict:
    from seqpipe import tasks
    from seqpipe.config.experiment import ArchitectureChoice
    from seqpipe.config.params import TrainParams, WindowParams
    from seqpipe.data.api import prepare
    from seqpipe.registry import build_registry
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    _, _, _, horizon, lookback = DATASETS[name]
    window = WindowParams(lookback=lookback, horizon=horizon, normalize=normalize)
    prepared = prepare(raw_series(name), val=0.15, test=0.15, seed=seed, window=window)
    spec = prepared.spec
    train = TrainParams(batch_size=min(16, spec.sizes.train), min_steps=min_steps)
    architecture = build_registry().architecture(arch)
    seed_everything(seed)
    model = build_model(ArchitectureChoice(arch, architecture, architecture.params()), spec, train)
    started = time.perf_counter()
    fit(model, prepared.xy("train"), prepared.xy("val"), train, verbose=0)
    x, y = prepared.xy("test")
    task = tasks.get("forecast")
    scores = task.score(y, np.asarray(model.predict(x, verbose=0)), spec)
    naive = task.baseline(prepared.arrays["y_train"], y, x, spec).scores
    return {"dataset": name, "arch": arch, "normalize": normalize, "mase": scores["mase"], "mape": scores["mape"],
            "naive_mase": naive["mase"], "naive_mape": naive["mape"], "seconds": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", default="lstm,cnn,transformer")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--modes", default="none,last,mean,seasonal")
    parser.add_argument("--min-steps", type=int, default=300,
                        help="train.min_steps (default 1000; 300 keeps the run to minutes on 2 shared cores)")
    args = parser.parse_args()
    from seqpipe import process

    process.quiet_tensorflow()
    print(f"{'dataset':<8} {'arch':<12} {'normalize':<9} {'MASE':>7} {'MAPE':>7} {'naive MASE':>10} "
          f"{'naive MAPE':>10} {'fit s':>6}", flush=True)
    rows = []
    for name in args.datasets.split(","):
        for arch in args.archs.split(","):
            for mode in args.modes.split(","):
                r = run(name, arch, mode, args.min_steps)
                rows.append(r)
                print(f"{r['dataset']:<8} {r['arch']:<12} {r['normalize']:<9} {r['mase']:>7.3f} {r['mape']:>7.3f} "
                      f"{r['naive_mase']:>10.3f} {r['naive_mape']:>10.3f} {r['seconds']:>6.1f}", flush=True)
    table = pd.DataFrame(rows)
    print("\nmean MASE over datasets and architectures, and how often each mode beat seasonal naive:")
    for mode, part in table.groupby("normalize", sort=False):
        wins = int((part["mase"] < part["naive_mase"]).sum())
        print(f"  {mode:<5} MASE {part['mase'].mean():.3f}  beats naive {wins}/{len(part)}")


if __name__ == "__main__":
    main()

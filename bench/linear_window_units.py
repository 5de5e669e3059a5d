"""linear's least-squares head: the mse in the data's units against the mse in each window's own units.

`train.least_squares` solves linear's head for the exact minimum of its loss, the mse in the data's
units, where a window of large spread weighs as its spread squared. The alternative scores every
window in its own units (its error over its spread: each window weighs alike, as the ridge proxy of
bench/difference_proxy.py did), with and without a ridge penalty on the kernel. Each is one
deterministic solve per series on the training windows (undifferenced, linear's recipe); the test
MASE is printed beside the better of AutoETS/AutoARIMA.

    .venv/bin/python bench/linear_window_units.py --series sunspots,elnino --ridge 0,1,10
"""
from __future__ import annotations

import argparse
import warnings

import numpy as np
from forecast_quality import SERIES, classical_rows, mae, mase_scale
from linear_difference_choice import build
from linear_optimum import affine_map, features, solve_features


def predict(u, a, c, w):
    ut = np.concatenate([u, np.ones((len(u), 1))], axis=1)
    return np.einsum("noh,nh->no", a, ut @ w) + c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", default=",".join(s for s in SERIES if s != "airline"))
    ap.add_argument("--ridge", default="0,1")
    ap.add_argument("--difference", default="none")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    from seqpipe import process

    process.quiet_tensorflow()
    ridges = [float(r) for r in args.ridge.split(",")]
    for name in args.series.split(","):
        classical = classical_rows(name)
        best_stat = min(classical[m]["mase"] for m in classical if m != "seasonal_naive")
        prepared, model = build(name, args.difference, 1)
        (xt, yt), (xs, ys) = prepared.xy("train"), prepared.xy("test")
        ut, (at, ct) = features(model, xt), affine_map(model, xt)
        us, (as_, cs) = features(model, xs), affine_map(model, xs)
        spread = np.sqrt(np.mean(at ** 2, axis=(1, 2)) * at.shape[1] / max(1, at.shape[1]))  # |A_i| per output
        row = []
        for label, weights in (("data units", np.ones(len(ut))), ("window units", 1.0 / np.maximum(spread, 1e-12))):
            for ridge in ridges:
                w = solve_features(ut, at, ct, yt, weights, ridge * (1.0 if label == "window units" else float(np.mean(spread ** 2))))
                test = mae(ys, predict(us, as_, cs, w).reshape(ys.shape)) / mase_scale(name)
                row.append(f"{label} ridge {ridge:g}: {test:.3f} ({test / best_stat:.2f})")
        print(f"{name:<10} ETS/ARIMA {best_stat:.3f} naive {classical['seasonal_naive']['mase']:.3f} | " + " | ".join(row),
              flush=True)


if __name__ == "__main__":
    main()

"""Forecast combination across architectures: each architecture's test forecast (its seeds' mean)
against the mean and the median of the architectures' forecasts, on the series of
bench/forecast_quality.py, beside the statistical baselines. Trains nothing: it reads the forecasts
a `bench/forecast_quality.py --out NAME` run saved (bench/results/NAME_forecasts.npz).

    .venv/bin/python bench/forecast_quality.py --archs gru,cnn,linear --ensemble --out comb
    .venv/bin/python bench/forecast_combination.py comb
"""
from __future__ import annotations

import argparse
import warnings

import numpy as np
from forecast_quality import ROOT, classical_rows, mae, mase_scale


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", help="comma-separated --out names of bench/forecast_quality.py runs")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    forecasts: dict[str, np.ndarray] = {}
    for name in args.runs.split(","):
        with np.load(ROOT / "bench" / "results" / f"{name}_forecasts.npz") as saved:
            forecasts.update({k: saved[k] for k in saved.files})
    series = list(dict.fromkeys(k.split("|")[0] for k in forecasts))
    goal = {"best architecture": 0, "mean": 0, "median": 0}
    print("MASE; ratio = / the better of AutoETS and AutoARIMA; goal = beats seasonal naive and ratio <= 1.10")
    for s in series:
        y = forecasts[f"{s}|y"]
        own = {k.split("|")[2]: v for k, v in forecasts.items() if k.startswith(f"{s}|") and k.count("|") == 2}
        classical = classical_rows(s)
        naive = classical["seasonal_naive"]["mase"]
        best_stat = min(classical["auto_ets"]["mase"], classical["auto_arima"]["mase"])
        scores = {arch: mae(y, p) / mase_scale(s) for arch, p in own.items()}
        stacked = np.stack(list(own.values()))
        rows = {"best architecture": min(scores.values()), "mean": mae(y, stacked.mean(axis=0)) / mase_scale(s),
                "median": mae(y, np.median(stacked, axis=0)) / mase_scale(s)}
        for key, value in rows.items():
            goal[key] += int(value < naive and value / best_stat <= 1.10)
        print(f"{s:<10} naive {naive:.3f} ETS/ARIMA {best_stat:.3f} | "
              + " ".join(f"{a} {v:.3f}" for a, v in scores.items())
              + " | " + " ".join(f"{k} {v:.3f} ({v / best_stat:.2f})" for k, v in rows.items()), flush=True)
    print(f"goal met on {len(series)} series: " + ", ".join(f"{k} {v}" for k, v in goal.items()))


if __name__ == "__main__":
    main()

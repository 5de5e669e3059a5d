"""Forecast covariates: the shipped forecast examples with and without their covariates, through
the core (prepare, build_model, fit with the example's own params: defaults, epochs auto).

- csv-forecast-covariates (four stores, dates): promotions planned ahead, store format, weekday;
  "none" gives the model the promotions over the lookback only (an input feature, as before
  covariates existed; the rows of the coming week, sales empty, left out), then each covariate
  is added;
- csv-forecast (three stores, day numbers): temperature as an input over the lookback (as
  shipped) against temperature as a future covariate (known over the horizon, e.g. a forecast).

Prints test MASE and MAE per variant and architecture (mean over seeds) beside the seasonal naive
forecast, and writes bench/results/covariates.json.

    .venv/bin/python bench/covariates.py [--archs gru,cnn] [--seeds 0,1,2]
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
BASE = {"future_covariates": [], "static_covariates": [], "calendar": False}
VARIANTS = {
    "csv-forecast-covariates": {
        "none (promo over the lookback only)": {**BASE, "feature_columns": ["promo"]},
        "future promo": {**BASE, "future_covariates": ["promo"], "feature_columns": []},
        "future promo + static format": {**BASE, "future_covariates": ["promo"], "static_covariates": ["format"]},
        "future promo + static format + weekday": {
            **BASE, "future_covariates": ["promo"], "static_covariates": ["format"], "calendar": ["day_of_week"]},
    },
    "csv-forecast": {
        "temperature over the lookback (as shipped)": {},
        "temperature as a future covariate": {"future_covariates": ["temperature"]},
    },
}


def run(example: str, options: dict, arch: str, seed: int) -> dict:
    from seqpipe.config.experiment import choose_architecture, choose_dataset
    from seqpipe.config.params import Params
    from seqpipe.data import api as data
    from seqpipe.data.loading import load_raw
    from seqpipe.registry import build_registry
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    raw_params = yaml.safe_load((ROOT / "examples" / example / "params.yaml").read_text())
    raw_params["data"]["options"].update(options)
    if raw_params["data"]["options"].get("feature_columns") == []:  # only the target over the lookback
        raw_params["data"]["options"]["feature_columns"] = [raw_params["data"]["options"]["target_column"]]
    path = ROOT / raw_params["data"]["path"]
    options = raw_params["data"]["options"]
    if not any(options.get(k) for k in BASE):  # no covariates: the rows of the coming week are no steps
        import pandas as pd

        table = pd.read_csv(path)
        path = Path(tempfile.mkdtemp()) / path.name
        table[table[options["target_column"]].notna()].to_csv(path, index=False)
    raw_params["data"]["path"] = str(path)
    raw_params["seed"] = seed
    params = Params.model_validate(raw_params)
    registry = build_registry()
    raw = load_raw(choose_dataset(params, registry), seed)
    d = params.data
    prepared = data.prepare(raw, val=d.split.val, test=d.split.test, seed=seed, scale=d.scale, window=d.window)
    spec = prepared.spec
    seed_everything(seed)
    started = time.perf_counter()
    model = build_model(choose_architecture(params, registry, arch), spec, params.train)
    fit(model, prepared.xy("train"), prepared.xy("val"), params.train, verbose=0)
    x, y = prepared.xy("test")
    error = np.abs(model.predict(x, verbose=0) - y)
    naive = data.seasonal_naive(data.forecast_history(spec, x), spec.forecast.horizon, spec.forecast.season)
    scale = spec.forecast.mase_scale
    return {"mase": float(error.mean() / scale), "mae": float(error.mean()),
            "naive_mase": float(np.abs(naive - y).mean() / scale), "fit_s": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", default="gru,cnn")
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    archs, seeds = args.archs.split(","), [int(s) for s in args.seeds.split(",")]
    results = []
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    for example, variants in VARIANTS.items():
        for name, options in variants.items():
            for arch in archs:
                runs = [run(example, options, arch, seed) for seed in seeds]
                row = {"example": example, "variant": name, "arch": arch,
                       **{k: round(float(np.mean([r[k] for r in runs])), 4) for k in runs[0]}}
                results.append(row)
                print(f"{example:24s} {name:42s} {arch:5s} mase {row['mase']:.3f} mae {row['mae']:.2f} "
                      f"(seasonal naive mase {row['naive_mase']:.3f}; fit {row['fit_s']:.0f}s)", flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    out = ROOT / "bench" / "results" / "covariates.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()

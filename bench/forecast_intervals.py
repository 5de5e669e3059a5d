"""Forecast intervals: coverage and MSIS of seqpipe's quantile forecasts before and after conformal
calibration (`train.conformal`, seqpipe.conformal), beside statsforecast's prediction intervals.

Each series of bench/forecast_quality.py (same protocol: cutoff, test = the last H steps forecast
in one shot, validation = the H steps before) is fitted once per architecture and seed with
`train.quantiles` through the core (prepare, build_model, fit); the same fitted model is scored on
the test range as trained ("raw") and with its intervals calibrated on the validation windows
("conformal", what the train stage now saves), so the difference is the calibration alone and
the median (MASE) is the same by construction. SeasonalNaive, AutoETS and AutoARIMA give the same
levels from their prediction intervals (the baselines stage's code).

    .venv/bin/python bench/forecast_intervals.py --archs gru,cnn --seeds 42,0 \
        --series airline,shampoo,lynx,nile,sunspots,elec_equip,m1_yearly,example

Results go to bench/results/forecast_intervals.json; `--table` prints an earlier run's table.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forecast_quality import ROOT, SERIES, prepared_for  # noqa: E402

LEVELS = (0.1, 0.5, 0.9)
KEYS = ("mase", "coverage_10_90", "msis", "pinball")
ARRAYS = ROOT / "bench" / "results" / "forecast_intervals"  # each fit's validation, test and training forecasts


def _scores(y: np.ndarray, forecast, spec) -> dict[str, float]:
    from seqpipe import tasks

    scores = tasks.get("forecast").scores(y, forecast, spec)
    return {k: float(scores[k]) for k in KEYS}


def classical_rows(name: str) -> dict[str, dict]:
    from seqpipe.baselines import forecast as statistical
    from seqpipe.data.history import histories

    prepared = prepared_for(name, {"normalize": "none"})
    rows = {}
    for model in statistical.MODELS:
        f = prepared.spec.forecast
        out = statistical.forecast_windows(model, histories(prepared.arrays, "test"),
                                           np.asarray(prepared.arrays["origin_test"])[:, 0], f.horizon, f.season,
                                           levels=LEVELS)
        rows[model] = _scores(prepared.arrays["y_test"], out.quantiles, prepared.spec)
    return rows


def run(name: str, arch: str, seed: int, min_steps: int) -> dict:
    from seqpipe.config.experiment import ArchitectureChoice
    from seqpipe.config.params import TrainParams
    from seqpipe.quantiles import QuantileForecast
    from seqpipe.registry import build_registry
    from seqpipe.training import quantile_head
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    prepared = prepared_for(name, {})
    spec = prepared.spec
    train = TrainParams(batch_size=min(16, spec.sizes.train), min_steps=min_steps, quantiles=list(LEVELS))
    architecture = build_registry().architecture(arch)
    seed_everything(seed)
    model = build_model(ArchitectureChoice(arch, architecture, architecture.params()), spec, train)
    started = time.perf_counter()
    fit(model, prepared.xy("train"), prepared.xy("val"), train, verbose=0)
    seconds = time.perf_counter() - started
    x_val, y_val = prepared.xy("val")
    calibrated, calibration = quantile_head.calibrated(model, x_val, y_val, train.batch_size)
    x, y = prepared.xy("test")
    test_raw = np.asarray(model.predict(x, verbose=0))
    raw = _scores(y, QuantileForecast(LEVELS, test_raw), spec)
    x_train, y_train = prepared.xy("train")
    arrays = {"y_val": y_val, "val": np.asarray(model.predict(x_val, verbose=0)), "y_test": y, "test": test_raw,
              "y_train": y_train, "train": np.asarray(model.predict(x_train, verbose=0)),
              **{f"origin_{split}": np.asarray(prepared.arrays[f"origin_{split}"]) for split in ("train", "val", "test")}}
    ARRAYS.mkdir(parents=True, exist_ok=True)  # for calibration variants without refitting
    np.savez_compressed(ARRAYS / f"{name}-{arch}-{seed}.npz", **arrays)
    conformal = _scores(y, QuantileForecast(LEVELS, np.asarray(calibrated.predict(x, verbose=0))), spec)
    assert calibration is not None, f"{name}: no validation windows to calibrate on"
    return {"series": name, "arch": arch, "seed": seed, "raw": raw, "conformal": conformal,
            "calibration_windows": calibration.windows, "per_step": calibration.per_step,
            "factor": float(np.mean(calibration.factors[0])), "val_before": calibration.before,
            "val_after": calibration.after, "test_values": int(np.size(y)), "seconds": seconds}


def _line(name: str, label: str, s: dict) -> str:
    return (f"{name:<10} {label:<26} MASE {s['mase']:6.3f} cover {s['coverage_10_90']:5.3f} "
            f"MSIS {s['msis']:7.3f} pinball {s['pinball']:9.4g}")


def table(rows: list[dict]) -> str:
    """Markdown: per series the baselines' coverage/MSIS and each architecture's raw -> conformal
    coverage and MSIS (mean over seeds, seeds listed), and its MASE (the same in both)."""
    out = ["| series | windows (cal.) | SeasonalNaive | AutoETS | AutoARIMA | arch | coverage raw -> conformal (per seed) "
           "| MSIS raw -> conformal (mean) | MASE (mean) |", "| --- " * 9 + "|"]
    series = list(dict.fromkeys(r["series"] for r in rows))
    for name in series:
        stat = {r["arch"]: r["classical"] for r in rows if r["series"] == name and "classical" in r}
        cells = [f"{stat[m]['coverage_10_90']:.2f} / {stat[m]['msis']:.2f}" if m in stat else "-"
                 for m in ("seasonal_naive", "auto_ets", "auto_arima")]
        runs = [r for r in rows if r["series"] == name and "raw" in r]
        for arch in dict.fromkeys(r["arch"] for r in runs):
            mine = [r for r in runs if r["arch"] == arch]
            cover = " ; ".join(f"{r['raw']['coverage_10_90']:.2f} -> {r['conformal']['coverage_10_90']:.2f}"
                               for r in mine)
            msis = (f"{np.mean([r['raw']['msis'] for r in mine]):.2f} -> "
                    f"{np.mean([r['conformal']['msis'] for r in mine]):.2f}")
            windows = f"{mine[0]['calibration_windows']} ({'per step' if mine[0]['per_step'] else 'pooled'})"
            out.append(f"| {name} | {windows} | {' | '.join(cells)} | {arch} | {cover} | {msis} | "
                       f"{np.mean([r['raw']['mase'] for r in mine]):.3f} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", default="gru,cnn")
    ap.add_argument("--series", default=",".join(SERIES))
    ap.add_argument("--seeds", default="42,0")
    ap.add_argument("--min-steps", type=int, default=300, help="train.min_steps (forecast_quality.py's default)")
    ap.add_argument("--out", default="forecast_intervals")
    ap.add_argument("--table", action="store_true", help="print the markdown table of an earlier run's --out file")
    args = ap.parse_args()
    out = ROOT / "bench" / "results" / f"{args.out}.json"
    if args.table:
        print(table(json.loads(out.read_text())["rows"]))
        return
    from seqpipe import process

    process.quiet_tensorflow()
    rows: list[dict] = []
    print(f"start {time.strftime('%H:%M')} UTC, load {os.getloadavg()[0]:.2f}", flush=True)
    for name in args.series.split(","):
        for model, s in classical_rows(name).items():
            print(_line(name, model, s), flush=True)
            rows.append({"series": name, "arch": model, "seed": None, "classical": s})
        for arch in args.archs.split(","):
            for seed in [int(s) for s in args.seeds.split(",")]:
                r = run(name, arch, seed, args.min_steps)
                rows.append(r)
                for label in ("raw", "conformal"):
                    print(_line(name, f"{arch} seed {seed} {label}", r[label]), flush=True)
                print(f"{name:<10} {arch} seed {seed}: {r['calibration_windows']} validation windows "
                      f"({'per step' if r['per_step'] else 'pooled'}), factor {r['factor']:+.2f}, validation coverage "
                      f"{r['val_before']:.2f} -> {r['val_after']:.2f}, {r['test_values']} test values, "
                      f"{r['seconds']:.0f} s, load {os.getloadavg()[0]:.2f}", flush=True)
    print(table(rows))
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "rows": rows, "load_at_end": os.getloadavg()[0]}, indent=1))
    print(f"wrote {out}, end {time.strftime('%H:%M')} UTC, load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

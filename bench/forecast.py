"""Forecasting on real series: seqpipe's best architecture beside seasonal naive, ETS and ARIMA.

The series ship offline inside installed wheels: Airline (the 144-month passenger series, Box &
Jenkins' series G), ShampooSales and Lynx in aeon's, sunspots and Nile in statsmodels' (a
dependency of statsforecast); co2, elnino, gdp and uschange as bench/forecast_quality.py reads them. For each: a scratch copy of the project (git-initialised, like
bench/realdata.py), the series written as a long CSV (one constant id), params.yaml changed in
`data.*` (csv source, `task: forecast`, window and split) and in which architectures run (plugin
defaults), then `dvc repro`. The `baselines` stage fits statsforecast's SeasonalNaive, AutoETS and
AutoARIMA on each series' whole history before every test window, on exactly the architectures'
windows, so both sides are scored by the task table on the same test windows.

The protocol is parametric: `--horizon`, `--lookback`, `--test-steps` (the last N steps are the
test range; val takes as many steps before them) and `--set KEY=VALUE` for any params.yaml key
(YAML values; e.g. a cutoff or a split column once the pipeline has them). Today's pipeline cuts
sliding windows (stride 1) inside each range, so a horizon needs test and val ranges of at least
that many steps. MAPE (mean |error| / |truth|, as a fraction) comes from the predictions CSVs of
both sides; MASE from the metrics files, scored by the task table.

    .venv/bin/pip install -e '.[bench]'            # aeon: only its data files are used
    .venv/bin/python bench/forecast.py --quick     # Airline, cnn and lstm, 5 epochs
    .venv/bin/python bench/forecast.py             # every series, four architectures, params.yaml's train
    .venv/bin/python bench/forecast.py --series airline --set 'train.quantiles=[0.1,0.5,0.9]'   # + intervals

Prints a table and writes bench/results/forecast.json (forecast-quick.json with --quick).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from common import copy_project, print_table, run_timed, save_results


def _aeon(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        try:
            import warnings

            from aeon import datasets
            warnings.filterwarnings("ignore", message=".*deprecated", category=FutureWarning)  # ShampooSales, in aeon 1.6
        except ImportError as error:
            raise SystemExit("aeon is not installed: .venv/bin/pip install -e '.[bench]' (only its data files are used)") from error
        return np.asarray(getattr(datasets, name)(return_array=True), dtype=np.float64).reshape(-1)
    return load


def _statsmodels(name: str, column: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from statsmodels import datasets
        return getattr(datasets, name).load_pandas().data[column].to_numpy(np.float64)
    return load


def _quality(name: str) -> Callable[[], np.ndarray]:
    """A single series of bench/forecast_quality.py's (co2 monthly means, El Nino, real GDP, Uschange)."""
    def load() -> np.ndarray:
        import forecast_quality
        return np.asarray(forecast_quality.SERIES[name][0]()[0], dtype=np.float64)
    return load


# name -> loader and the window: season (the data's period; 1 where a cycle has no fixed length),
# lookback, horizon and the test range in steps (the last ones; val takes as many before them)
SERIES: dict[str, dict] = {
    "airline": {"load": _aeon("load_airline"), "season": 12, "lookback": 24, "horizon": 12, "test_steps": 36},
    "shampoo": {"load": _aeon("load_shampoo_sales"), "season": 12, "lookback": 12, "horizon": 1, "test_steps": 6},
    "lynx": {"load": _aeon("load_lynx"), "season": 1, "lookback": 20, "horizon": 2, "test_steps": 14},
    "sunspots": {"load": _statsmodels("sunspots", "SUNACTIVITY"), "season": 1, "lookback": 33, "horizon": 5,
                 "test_steps": 44},
    "nile": {"load": _statsmodels("nile", "volume"), "season": 1, "lookback": 20, "horizon": 5, "test_steps": 15},
    # the protocol of bench/forecast_quality.py: the last `horizon` steps forecast in one shot from the cutoff
    "co2": {"load": _quality("co2"), "season": 12, "lookback": 36, "horizon": 24, "test_steps": 24},
    "elnino": {"load": _quality("elnino"), "season": 12, "lookback": 36, "horizon": 12, "test_steps": 12},
    "gdp": {"load": _quality("gdp"), "season": 4, "lookback": 16, "horizon": 8, "test_steps": 8},
    "uschange": {"load": _quality("uschange"), "season": 4, "lookback": 16, "horizon": 8, "test_steps": 8},
}
ARCHS = ["lstm", "gru", "cnn", "transformer"]
QUICK = {"series": ["airline"], "archs": ["cnn", "lstm"], "epochs": 5}
STATISTICAL = ["seasonal_naive", "auto_ets", "auto_arima"]


def _assign(params: dict, dotted: str, value: object) -> None:
    *path, last = dotted.split(".")
    node = params
    for key in path:
        node = node.setdefault(key, {})
    node[last] = value


def project_for(name: str, values: np.ndarray, window: dict, archs: list[str], epochs: int | None,
                overrides: list[tuple[str, object]]) -> Path:
    """A git-initialised scratch copy whose params.yaml forecasts `values` with the csv source."""
    dest = copy_project(prefix=f"seqpipe-forecast-{name}-")
    for stale in ("dvc.lock", "metrics", "dvclive", "curves", "plots", "timings", "environment"):
        target = dest / stale
        shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    (dest / "datasets").mkdir()
    pd.DataFrame({"id": name, "t": np.arange(len(values)), "y": values}).to_csv(dest / "datasets" / f"{name}.csv",
                                                                               index=False)
    params = yaml.safe_load((dest / "params.yaml").read_text())
    steps, length = window["test_steps"], len(values)
    params["data"].update({
        "source": "csv", "path": f"datasets/{name}.csv",
        "options": {"format": "long", "task": "forecast", "id_column": "id", "time_column": "t", "target_column": "y"},
        # prepare floors fractions of the length; half a step less than N / length gives exactly N steps
        "split": {"val": round(steps / length, 8), "test": round((steps - 0.5) / length, 8)},
        "window": {"lookback": window["lookback"], "horizon": window["horizon"], "stride": 1, "season": window["season"]},
    })
    params["architectures"] = archs
    params["models"] = {arch: {} for arch in archs}
    if epochs:
        params["train"]["epochs"] = epochs
    # a short series has few training windows: the batch may not be larger than them
    train_windows = length - 2 * steps - window["lookback"] - window["horizon"] + 1
    params["train"]["batch_size"] = max(1, min(params["train"]["batch_size"], train_windows))
    for key, value in overrides:
        _assign(params, key, value)
    (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"],
                ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm", "scratch"]):
        subprocess.run(cmd, cwd=dest, check=True, capture_output=True)
    return dest


def _mape(predictions: Path) -> float:
    frame = pd.read_csv(predictions)
    true = frame[[c for c in frame if c.startswith("y_true")]].to_numpy(float)
    pred = frame[[c for c in frame if c.startswith("y_pred")]].to_numpy(float)
    return float(np.mean(np.abs(true - pred) / np.abs(true)))


def _row(series: str, model: str, scores: dict, predictions: Path, **extra: object) -> dict:
    # MAPE from the predictions on both sides, as a fraction like the figures, whatever the metrics carry
    # with train.quantiles: the interval's coverage (nominal hi - lo), MSIS and the pinball loss
    intervals = {("coverage" if k.startswith("coverage_") else k): round(float(v), 4) for k, v in scores.items()
                 if k.startswith("coverage_") or k in ("msis", "pinball")}
    return {"series": series, "model": model, "mase": round(float(scores["mase"]), 4),
            "mape": round(_mape(predictions), 4), **intervals, **extra}


def run_series(name: str, archs: list[str], epochs: int | None, window: dict, overrides: list[tuple[str, object]],
               keep: bool) -> tuple[list[dict], str]:
    values = SERIES[name]["load"]()
    project = project_for(name, values, window, archs, epochs, overrides)
    load = os.getloadavg()[0]
    try:
        seconds, _ = run_timed(["dvc", "repro"], project)
        summary = json.loads((project / "reports" / "summary.json").read_text())
        spec = json.loads((project / "data" / "prepared" / "spec.json").read_text())
        best = summary["best"]
        common = {"steps": len(values), "test_windows": spec["sizes"]["test"], "horizon": window["horizon"],
                  "season": window["season"]}
        rows = [_row(name, f"seqpipe best: {best}", json.loads((project / "metrics" / f"{best}.json").read_text()),
                     project / "predictions" / f"{best}.csv", **common, repro_s=round(seconds, 1),
                     load_at_start=round(load, 2))]
        classical = json.loads((project / "metrics" / "baselines.json").read_text())
        for model in STATISTICAL:
            rows.append(_row(name, classical[model]["description"], classical[model],
                             project / "predictions" / "baselines" / f"{model}.csv", **common))
        verdict = next((line for line in (project / "reports" / "report.md").read_text().splitlines()
                        if "classical baseline" in line), "")
        backtest = project / "reports" / "backtest.csv"  # with --set 'backtest.origins=[1,2]' (README "Backtesting")
        if backtest.is_file():
            verdict += "\n" + _backtest_table(pd.read_csv(backtest))
        return rows, verdict
    finally:
        if keep:
            print(f"kept {project}")
        else:
            shutil.rmtree(project, ignore_errors=True)


def _backtest_table(per_origin: pd.DataFrame) -> str:
    """MASE and MAPE per origin (0 = the main cutoff) and their mean ± std over origins, per model."""
    lines = []
    for model, rows in per_origin.groupby("model", sort=False):
        cells = "  ".join(f"o{int(o)} {m:.3f}/{p:.3f}" for o, m, p in zip(rows["origin"], rows["mase"], rows["mape"]))
        lines.append(f"  {model:<15} MASE/MAPE {cells}  mean MASE {rows['mase'].mean():.3f} ± {rows['mase'].std():.3f}, "
                     f"MAPE {rows['mape'].mean():.3f} ± {rows['mape'].std():.3f}")
    return "backtest:\n" + "\n".join(lines)


def _override(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--set {text!r}: expected KEY=VALUE, e.g. data.window.horizon=36")
    return key, yaml.safe_load(value)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke run: airline, cnn and lstm, 5 epochs")
    ap.add_argument("--series", nargs="+", choices=sorted(SERIES), help="default: all")
    ap.add_argument("--archs", nargs="+", help=f"default: {' '.join(ARCHS)}")
    ap.add_argument("--epochs", type=int, help="override train.epochs (default: params.yaml's)")
    ap.add_argument("--horizon", type=int, help="forecast steps per window (default: per series)")
    ap.add_argument("--lookback", type=int, help="input steps per window (default: per series)")
    ap.add_argument("--test-steps", type=int, help="the test range: the last N steps (default: per series)")
    ap.add_argument("--set", dest="overrides", type=_override, action="append", default=[], metavar="KEY=VALUE",
                    help="any params.yaml key, applied last (repeatable), e.g. data.window.stride=3")
    ap.add_argument("--keep", action="store_true", help="keep the scratch projects")
    args = ap.parse_args()
    names = args.series or (QUICK["series"] if args.quick else list(SERIES))
    archs = args.archs or (QUICK["archs"] if args.quick else ARCHS)
    epochs = args.epochs or (QUICK["epochs"] if args.quick else None)
    start = time.time()
    rows: list[dict] = []
    verdicts = {}
    for name in names:
        window = {k: SERIES[name][k] for k in ("season", "lookback", "horizon", "test_steps")}
        window.update({k: v for k, v in (("horizon", args.horizon), ("lookback", args.lookback),
                                         ("test_steps", args.test_steps)) if v})
        try:
            found, verdicts[name] = run_series(name, archs, epochs, window, args.overrides, args.keep)
        except SystemExit as failure:  # one series the pipeline refuses does not stop the others
            verdicts[name] = f"not run: {str(failure).strip().splitlines()[-2:]}"
            print(f"{name}: {verdicts[name]}", flush=True)
            continue
        rows += found
        print(json.dumps(found[0]), flush=True)
    columns = [("series", "series", "<9"), ("model", "model", "<26"), ("mase", "MASE", ">7.3f"),
               ("mape", "MAPE", ">7.3f"), ("horizon", "H", ">3"), ("test_windows", "windows", ">7")]
    if rows and all("coverage" in r for r in rows):  # train.quantiles: every row has its interval's scores
        columns += [("coverage", "cover", ">6.3f"), ("msis", "MSIS", ">7.3f"), ("pinball", "pinball", ">8.3f")]
    print_table(rows, columns)
    for name, verdict in verdicts.items():
        print(f"{name}: {verdict}")
    if epochs:
        print(f"(train.epochs = {epochs}: a smoke run of the pipeline, not the comparison)")
    out = save_results("forecast-quick" if args.quick else "forecast", {
        "quick": args.quick, "epochs": epochs, "series": names, "archs": archs, "rows": rows, "verdicts": verdicts,
        "overrides": [f"{k}={v}" for k, v in args.overrides],
        "wall_s": round(time.time() - start, 1), "load_at_end": round(os.getloadavg()[0], 2)})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

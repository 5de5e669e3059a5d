"""Forecast quality: seqpipe's architectures through the core (prepare, build_model, fit) against
SeasonalNaive, AutoETS and AutoARIMA, on the offline series, for variants of the window settings.

The series ship in installed wheels (aeon 1.x: Airline, ShampooSales, Lynx, M1 yearly, Uschange;
statsmodels: sunspots, Nile, elec_equip, co2, elnino, macrodata) and the shipped examples/csv-forecast.
Protocol per series (SERIES below: horizon H = the test range, lookback, season):

    airline    monthly 1949-60, 144        H 36  lookback 24  season 12
    shampoo    monthly, 36                 H  6  lookback 12  season 12
    lynx       yearly 1821-1934, 114       H 14  lookback 20  season 1
    sunspots   yearly 1700-2008, 309       H 11  lookback 33  season 1
    nile       yearly 1871-1970, 100       H 10  lookback 20  season 1
    elec_equip monthly 1995-2016, 257      H 24  lookback 36  season 12
    m1_yearly  181 yearly series of 24+    H  6  lookback  6  season 1
    co2        Mauna Loa weekly 1958-2001 -> 526 monthly means (5 empty months interpolated)
                                           H 24  lookback 36  season 12
    elnino     monthly sea temperature 1950-2010, 732
                                           H 12  lookback 36  season 12
    gdp        macrodata realgdp, quarterly 1959 Q1 - 2009 Q3, 203 (the test range is the 2008 recession)
                                           H  8  lookback 16  season 4
    uschange   consumption's % change, quarterly 1970 Q1 - 2016 Q3, 187
                                           H  8  lookback 16  season 4
    example    examples/csv-forecast: 3 stores x 200 days
                                           H  3  lookback 14  season 7
    taylor     half-hourly electricity demand, 4032 (pmdarima's wheel: pip install --no-deps pmdarima)
                                           H 48  lookback 96  season 48
    held out as well, from pmdarima's wheel:
    wineind    monthly 1980-94, 176        H 18  lookback 36  season 12
    ausbeer    quarterly 1956-2008, 212    H  8  lookback 16  season 4
    woolyrnq   quarterly 1965-94, 119      H  8  lookback 16  season 4
    austres    quarterly 1971-93, 89       H  8  lookback 16  season 4
    heartrate  150 steps of 0.5 s          H 10  lookback 20  season 1
    a third held-out set (aeon's and statsmodels' wheels), first run 2026-12-08:
    pbs        monthly 1991-2008, 204 (counts of scripts, 0-14)
                                           H 18  lookback 36  season 12
    solar      half-hourly, 6 days, 289    H 48  lookback 96  season 48
    unemp      macrodata unemp, quarterly 1959-2009, 203
                                           H  8  lookback 16  season 4
    interest   interest_inflation R, quarterly 1972-98, 107 (and inflation: its Dp)
                                           H  8  lookback 16  season 4
    usproduction  Uschange's production % change, quarterly 1970-2016, 187
                                           H  8  lookback 16  season 4

Each is prepared with the cutoff protocol (test = the last `horizon` steps, forecast in one shot from the cutoff), each
architecture is trained with its plugin defaults, the train settings given and its recipe over them
(as the train stage does: linear's `difference: none`), and MASE/MAPE on
the test range are printed beside the statistical baselines (statsforecast, as the baselines stage).

    .venv/bin/python bench/forecast_quality.py --archs gru,cnn --series airline,shampoo \
        --variant last:normalize=last --variant mean:normalize=mean --min-steps 300 [--show]

A variant is NAME:KEY=VALUE,KEY=VALUE with keys of data.window (WindowParams) or train.
(TrainParams, prefixed `train.`). Results go to bench/results/forecast_quality.json. The summary
ends with issue 15's goal per series and variant (the best of the architectures run).

    .venv/bin/python bench/forecast_quality.py --archs gru,cnn,linear --ensemble   # the defaults: seeds 42-44, 1000 steps
    .venv/bin/python bench/forecast_quality.py --archs gru,cnn,linear --seeds 42,0 --min-steps 1000
    .venv/bin/python bench/forecast_quality.py --combine fq_a,fq_b --archs gru,cnn,linear   # earlier runs together
    .venv/bin/python bench/forecast_quality.py --archs linear --seeds 42,0,1 --min-steps 1000 --ensemble  # seed ensembles
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _aeon(loader: str) -> np.ndarray:
    import aeon.datasets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(getattr(aeon.datasets, loader)(), dtype=np.float32).reshape(-1)


def _m1_yearly(min_length: int) -> list[np.ndarray]:
    import aeon
    from aeon.datasets import load_from_tsf_file

    path = Path(aeon.__file__).parent / "datasets/data/m1_yearly_dataset/m1_yearly_dataset.tsf"
    frame, _ = load_from_tsf_file(str(path))
    return [np.asarray(v, np.float32) for v in frame.series_value if len(v) >= min_length]


def _statsmodels(name: str, column: str) -> np.ndarray:
    from statsmodels import datasets

    return getattr(datasets, name).load_pandas().data[column].to_numpy(np.float32)


def _elec_equip() -> np.ndarray:
    import statsmodels

    path = Path(statsmodels.__file__).parent / "datasets/elec_equip/elec_equip.csv"
    return pd.read_csv(path).iloc[:, 1].to_numpy(np.float32)


def _co2_monthly() -> np.ndarray:
    """Mauna Loa CO2, weekly 1958-2001 -> calendar-month means; the 5 months without a reading are
    interpolated linearly."""
    from statsmodels import datasets

    weekly = datasets.co2.load_pandas().data["co2"]
    return weekly.resample("MS").mean().interpolate().to_numpy(np.float32)


def _elnino() -> np.ndarray:
    """Monthly sea surface temperatures 1950-2010 (a year x month table, read row by row)."""
    from statsmodels import datasets

    return datasets.elnino.load_pandas().data.drop(columns="YEAR").to_numpy(np.float32).reshape(-1)


def _pmdarima(name: str) -> np.ndarray:
    """A series that ships inside pmdarima's wheel (`pip install --no-deps pmdarima`: only its data
    is read, from the module's source, so its compiled parts and dependencies are never imported)."""
    import importlib.util

    spec = importlib.util.find_spec("pmdarima")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{name} ships inside pmdarima's wheel: .venv/bin/pip install --no-deps pmdarima")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / f"{name}.py"
    source = path.read_text().replace("from ..compat import DTYPE", "DTYPE = np.float64")
    namespace: dict = {}
    exec(compile(source, str(path), "exec"), namespace)  # noqa: S102 (a wheel's own data module)
    values = np.asarray(namespace[f"load_{name}"](), dtype=np.float32)
    return values[: np.flatnonzero(np.isfinite(values))[-1] + 1]  # ausbeer ends with an empty quarter


def _uschange(channel: int) -> np.ndarray:
    """aeon's Uschange, quarterly 1970 Q1 - 2016 Q3; channel 0 = consumption's percentage change."""
    return np.asarray(_aeon_raw("load_uschange")[channel], np.float32)


def _aeon_raw(loader: str) -> np.ndarray:
    import aeon.datasets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(getattr(aeon.datasets, loader)())


def _example() -> tuple[list[np.ndarray], list[str]]:
    frame = pd.read_csv(ROOT / "examples/csv-forecast/sales.csv")
    groups = [g.sort_values("day") for _, g in frame.groupby("store", sort=True)]
    return [g[["sales", "temperature"]].to_numpy(np.float32) for g in groups], [str(g["store"].iloc[0]) for g in groups]


# name -> (series loader, first time, pandas frequency (None: step numbers), horizon, lookback, season)
SERIES = {
    "airline": (lambda: [_aeon("load_airline")], "1949-01-01", "MS", 36, 24, 12),
    "shampoo": (lambda: [_aeon("load_shampoo_sales")], "1901-01-01", "MS", 6, 12, 12),
    "lynx": (lambda: [_aeon("load_lynx")], "1821-01-01", "YS", 14, 20, 1),
    "sunspots": (lambda: [_statsmodels("sunspots", "SUNACTIVITY")], "1700-01-01", "YS", 11, 33, 1),
    "nile": (lambda: [_statsmodels("nile", "volume")], "1871-01-01", "YS", 10, 20, 1),
    "elec_equip": (lambda: [_elec_equip()], "1995-01-01", "MS", 24, 36, 12),
    "m1_yearly": (lambda: _m1_yearly(24), "1900-01-01", "YS", 6, 6, 1),
    "co2": (lambda: [_co2_monthly()], "1958-03-01", "MS", 24, 36, 12),
    "elnino": (lambda: [_elnino()], "1950-01-01", "MS", 12, 36, 12),
    "gdp": (lambda: [_statsmodels("macrodata", "realgdp")], "1959-01-01", "QS", 8, 16, 4),
    "uschange": (lambda: [_uschange(0)], "1970-01-01", "QS", 8, 16, 4),
    "example": (None, None, None, 3, 14, 7),
    # held out from the choices above (pmdarima's wheel): half-hourly electricity demand, 12 weeks from
    # Monday 2000-06-05 (Taylor 2003), a daily season on a stationary level; one day ahead
    "taylor": (lambda: [_pmdarima("taylor")], "2000-06-05", "30min", 48, 96, 48),
    # also held out (pmdarima's wheel), horizons as in the M3 competition (monthly 18, quarterly 8):
    # Australian wine sales, beer and wool production, residents; a patient's heart rate (no season)
    "wineind": (lambda: [_pmdarima("wineind")], "1980-01-01", "MS", 18, 36, 12),
    "ausbeer": (lambda: [_pmdarima("ausbeer")], "1956-01-01", "QS", 8, 16, 4),
    "woolyrnq": (lambda: [_pmdarima("woolyrnq")], "1965-01-01", "QS", 8, 16, 4),
    "austres": (lambda: [_pmdarima("austres")], "1971-04-01", "QS", 8, 16, 4),
    "heartrate": (lambda: [_pmdarima("heartrate")], None, None, 10, 20, 1),
    # a third held-out set, run once rules were fixed (2026-12-08): scripts of one drug per month (counts 0-14,
    # aeon's PBS_dataset), six days of half-hourly solar generation (aeon), US unemployment (macrodata), a
    # German interest rate and inflation (statsmodels' interest_inflation), US production's % change (Uschange)
    "pbs": (lambda: [_aeon("load_PBS_dataset")], "1991-07-01", "MS", 18, 36, 12),
    "solar": (lambda: [_aeon("load_solar")], "2021-05-01", "30min", 48, 96, 48),
    "unemp": (lambda: [_statsmodels("macrodata", "unemp")], "1959-01-01", "QS", 8, 16, 4),
    "interest": (lambda: [_statsmodels("interest_inflation", "R")], "1972-04-01", "QS", 8, 16, 4),
    "inflation": (lambda: [_statsmodels("interest_inflation", "Dp")], "1972-04-01", "QS", 8, 16, 4),
    "usproduction": (lambda: [_uschange(2)], "1970-01-01", "QS", 8, 16, 4),
}


# not among the twelve series the defaults were chosen on: a rule is checked on these before adoption
HELD_OUT = ("taylor", "wineind", "ausbeer", "woolyrnq", "austres", "heartrate",
            "pbs", "solar", "unemp", "interest", "inflation", "usproduction")


def raw_series(name: str):
    from seqpipe.specs import RawData

    load, start, freq, *_ = SERIES[name]
    if name == "example":
        seqs, ids = _example()
        times = [np.arange(len(s), dtype=np.float64) for s in seqs]
        return RawData(seqs, np.zeros(0, np.float32), "forecast", "numeric", ids=ids,
                       feature_names=["sales", "temperature"], times=times, origin=name)
    seqs = [s[:, None] for s in load()]
    times = [pd.date_range(start, periods=len(s), freq=freq).to_numpy() if freq else np.arange(len(s), dtype=np.float64)
             for s in seqs]
    return RawData(seqs, np.zeros(0, np.float32), "forecast", "numeric", ids=[f"{name}{i}" for i in range(len(seqs))],
                   feature_names=["value"], times=times, origin=name)


def _split(settings: dict) -> tuple[dict, dict]:
    window = {k: v for k, v in settings.items() if not k.startswith("train.")}
    train = {k[len("train."):]: v for k, v in settings.items() if k.startswith("train.")}
    return window, train


def prepared_for(name: str, window_settings: dict):
    from seqpipe.config.params import WindowParams
    from seqpipe.data.shaping import prepare

    _, _, _, horizon, lookback, season = SERIES[name]
    window = WindowParams(**{"lookback": lookback, "horizon": horizon, "season": season, **window_settings})
    return prepare(raw_series(name), val=0.15, test=0.15, seed=42, window=window)


@functools.cache
def mase_scale(name: str) -> float:
    """The MASE denominator every variant of a series is scored with: the training range's mean absolute
    seasonal difference under one validation window (data.window.val_windows 1), as in the tables before
    it existed; a variant's own spec would move it with its validation windows (a shorter training range)."""
    return prepared_for(name, {"normalize": "none", "val_windows": 1}).spec.forecast.mase_scale


def mae(y: np.ndarray, p: np.ndarray) -> float:
    from seqpipe.tasks import forecast_scores

    return forecast_scores(y, p, 1.0)["mae"]


def mape(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(np.abs(y - p) / np.maximum(np.abs(y), 1e-9)))


def classical_rows(name: str) -> dict[str, dict]:
    from seqpipe.baselines import forecast as statistical
    from seqpipe.data.history import histories

    prepared = prepared_for(name, {"normalize": "none"})
    f, y = prepared.spec.forecast, prepared.arrays["y_test"]
    rows = {}
    for model in statistical.MODELS:
        out = statistical.forecast_windows(model, histories(prepared.arrays, "test"),
                                           np.asarray(prepared.arrays["origin_test"])[:, 0], f.horizon, f.season)
        rows[model] = {"mase": mae(y, out.values) / mase_scale(name), "mape": mape(y, out.values)}
    return rows


def run(name: str, arch: str, settings: dict, seed: int, show: bool) -> dict:
    from seqpipe.config import recipes
    from seqpipe.config.experiment import ArchitectureChoice
    from seqpipe.config.params import TrainParams
    from seqpipe.data import differencing
    from seqpipe.registry import build_registry
    from seqpipe.training import strategy
    from seqpipe.training.run import forecaster, runaway

    window_settings, train_settings = _split(settings)
    prepared = prepared_for(name, window_settings)
    spec = prepared.spec
    architecture = build_registry().architecture(arch)
    # the settings as `train:`, then the architecture's recipe over them, as the train stage does
    # (linear's `difference: none`; `train.recipes=false` in a variant turns recipes off)
    chosen = recipes.effective(TrainParams(**{"batch_size": min(16, spec.sizes.train), **train_settings}), arch,
                               architecture)
    train = chosen.params
    choice = ArchitectureChoice(arch, architecture, architecture.params(), chosen)
    resolved = strategy.resolve(train, spec)
    started = time.perf_counter()
    fitted, model, summary = _fitted(choice, prepared, train, seed, resolved)
    fell_back = False
    if resolved.falls_back and fitted.spec is not spec:
        # as the train stage: auto's recursive model whose validation forecast runs away is fitted again as direct
        # (the stage refits every seed once one runs away; here each seed is judged on its own)
        finding = runaway(arch, model, prepared, fitted, 32, seed=seed)
        if finding is not None:
            print(f"  {name} {arch}: {finding.problem}: fitted again as direct", flush=True)
            fitted, model, summary = _fitted(choice, prepared, train, seed, strategy.after_runaway(seed))
            fell_back = True
    model = forecaster(model, spec, fitted)
    x_val, y_val = prepared.xy("val")
    val_mase = mae(y_val, np.asarray(model.predict(x_val, verbose=0))) / mase_scale(name)
    x, y = prepared.xy("test")
    pred = np.asarray(model.predict(x, verbose=0))
    if show:
        print(f"  truth    {np.round(y[0][:12], 1).tolist()}\n  forecast {np.round(pred[0][:12], 1).tolist()}")
    return {"series": name, "arch": arch, "seed": seed, "mase": mae(y, pred) / mase_scale(name), "mape": mape(y, pred),
            "val_mase": val_mase, "val_windows": fitted.spec.sizes.val, "train_windows": fitted.spec.sizes.train,
            "kept_epoch": f"{summary.best_epoch}/{summary.epochs_run}" if summary else "least squares", "lookback": spec.timesteps,
            "seconds": time.perf_counter() - started, "fell_back": fell_back,
            "difference": differencing.for_choice(choice, spec).forecast.difference,  # the model's own
            "pred": pred, "y": y, "spec": spec}


def _fitted(choice, prepared, train, seed: int, chosen):
    """One seed's model fitted with strategy `chosen` as the train stage fits it (one-step windows
    where recursive; a model affine in its head solved by least squares), with the data it saw and
    its fit summary (None where solved)."""
    from seqpipe.training import least_squares
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model
    from seqpipe.training.run import fit_data

    seed_everything(seed)
    fitted = fit_data(prepared, chosen)
    model = build_model(choice, fitted.spec, train)
    solved = least_squares.why_not(model, prepared.spec.task, train) is None and least_squares.solve(model,
                                                                                                     *fitted.xy("train"))
    summary = None if solved else fit(model, fitted.xy("train"), fitted.xy("val"), train, verbose=0)
    return fitted, model, summary


def seeds_for(given: str | None, settings: dict) -> list[int]:
    """`given` (--seeds), else the seeds the train stage trains for a forecast with these settings:
    params.yaml's seed 42, 43, ... for train.repeats, whose default depends on the task (seqpipe.config.seeds)."""
    from seqpipe.config import seeds
    from seqpipe.config.params import Params, TrainParams

    if given:
        return [int(s) for s in given.split(",")]
    train = seeds.by_task(TrainParams(**_split(settings)[1]), forecast=True)
    first = Params.model_fields["seed"].default
    return [first + i for i in range(train.repeats)]


def ensemble_forecast(runs: list[dict]) -> np.ndarray:
    """The seeds' mean forecast (one seed: its own), as `train.ensemble` makes it."""
    from seqpipe.training.ensemble import mean_output

    return np.asarray(mean_output([r["pred"] for r in runs]))


def ensemble(runs: list[dict]) -> dict:
    """The seeds' ensemble as `train.ensemble` makes it (seqpipe.training.ensemble: the mean of
    their forecasts), scored like one model's."""
    y = runs[0]["y"]
    pred = ensemble_forecast(runs)
    return {"mase": mae(y, pred) / mase_scale(runs[0]["series"]), "mape": mape(y, pred),
            "seeds": [r["seed"] for r in runs]}


def ensemble_table(rows: list[dict], classical: pd.DataFrame) -> None:
    """--ensemble: per series and architecture, each seed's MASE, their mean and the ensemble's
    (`+ens` rows), then issue 15's goal judged on single seeds' means and on the ensembles."""
    seeds = pd.DataFrame([r for r in rows if r["arch"] != "-" and "seed" in r and not pd.isna(r["seed"])])
    ens = pd.DataFrame([r for r in rows if str(r.get("variant", "")).endswith("+ens")])
    if ens.empty:
        print("\n--ensemble: no ensembles (give --seeds two or more)")
        return
    seeds = seeds.drop_duplicates(["series", "arch", "seed"], keep="last")
    ens = ens.drop_duplicates(["series", "arch"], keep="last").set_index(["series", "arch"])
    print("\nseed ensembles (train.ensemble): MASE per seed, their mean, the ensemble's; MAPE of the mean and the ensemble")
    gains = []
    for (series, arch), part in seeds.groupby(["series", "arch"], sort=False):
        if (series, arch) not in ens.index:
            continue
        e = ens.loc[(series, arch)]
        mean = part["mase"].mean()
        gains.append(e["mase"] / mean - 1)
        print(f"  {series:<10} {arch:<7} " + " / ".join(f"{v:.3f}" for v in part["mase"])
              + f"  mean {mean:.3f}  ensemble {e['mase']:.3f} ({100 * gains[-1]:+.1f}%)  MAPE {part['mape'].mean():.3f}"
              f" -> {e['mape']:.3f}", flush=True)
    print(f"  ensemble / seeds' mean: median {100 * np.median(gains):+.1f}%, better on {sum(g < 0 for g in gains)} "
          f"of {len(gains)}", flush=True)
    goal_table(seeds, classical, "single seeds")
    goal_table(ens.reset_index().assign(seed=-1), classical, "seed ensembles")


def goal_table(runs: pd.DataFrame, classical: pd.DataFrame, label: str) -> int:
    """Issue 15's goal per series, printed: the best architecture by mean MASE over the seeds beats
    seasonal naive and is within 10% of the better of AutoETS/AutoARIMA. Returns how many meet it."""
    best_stat = classical[["auto_ets", "auto_arima"]].min(axis=1)
    means = runs.groupby(["series", "arch"])["mase"].mean().unstack()
    single = runs["seed"].notna() & (runs["seed"] >= 0) if "seed" in runs else pd.Series(False, index=runs.index)
    judged = f"mean MASE over seeds {sorted(set(runs['seed']))}" if single.all() else "the ensembles' MASE"
    print(f"\nissue 15's goal, {label} (best of {', '.join(means.columns)} by {judged}; beats seasonal naive and "
          "<= 1.10 x the better of AutoETS/AutoARIMA)")
    met = 0
    for series, row in means.iterrows():
        best = row.idxmin()
        ratio = row[best] / best_stat[series]
        goal = row[best] < classical.loc[series, "seasonal_naive"] and ratio <= 1.10
        met += bool(goal)
        print(f"  {series:<10} " + " ".join(f"{a} {v:.3f}" for a, v in row.items())
              + f"  best {best} ratio {ratio:.2f} naive {classical.loc[series, 'seasonal_naive']:.3f} "
              f"ETS/ARIMA {best_stat[series]:.3f} goal {'yes' if goal else 'NO'}", flush=True)
    print(f"  goal met on {met} of {len(means)}", flush=True)
    return met


def combine(names: list[str], archs: list[str], ensembles: bool = False) -> None:
    """The goal table over the seed runs of earlier outputs (bench/results/<name>.json), whatever
    their variant labels, for the architectures `archs`; `ensembles`: the --ensemble tables instead."""
    rows = [r for n in names for r in json.loads((ROOT / "bench" / "results" / f"{n}.json").read_text())["rows"]]
    if ensembles:
        classical = pd.DataFrame([r for r in rows if r["arch"] == "-"]).drop_duplicates(["series", "variant"])
        ensemble_table([r for r in rows if r["arch"] in archs or r["arch"] == "-"],
                       classical.pivot(index="series", columns="variant", values="mase"))
        return
    runs = pd.DataFrame([r for r in rows if r["arch"] in archs and "seed" in r])
    runs = runs.drop_duplicates(["series", "arch", "seed"], keep="last")
    classical = pd.DataFrame([r for r in rows if r["arch"] == "-"]).drop_duplicates(["series", "variant"])
    goal_table(runs, classical.pivot(index="series", columns="variant", values="mase"), "from " + ", ".join(names))


def _variant(text: str) -> tuple[str, dict]:
    label, _, rest = text.partition(":")
    settings = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        settings[key] = yaml.safe_load(value)
    return label, settings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", default="gru,cnn")
    ap.add_argument("--series", default=",".join(s for s in SERIES if s not in HELD_OUT),
                    help="default: the twelve series (not " + ", ".join(HELD_OUT) + ", read from an extra wheel)")
    ap.add_argument("--variant", type=_variant, action="append", default=[])
    ap.add_argument("--min-steps", type=int, default=None,
                    help="train.min_steps (default: the schema's, 1000; 300 was quicker and scored worse on most "
                    "series with 100+ training windows; bench/RESULTS.md, \"Forecast quality on twelve series\")")
    ap.add_argument("--seeds", default=None, help="comma-separated seeds (default: those the pipeline trains for a "
                    "forecast, seed 42 and on: train.repeats' default, seqpipe.config.seeds); with several, their "
                    "forecasts' mean is scored too (the ensemble that train.ensemble predicts with, variant NAME+ens)")
    ap.add_argument("--ensemble", action="store_true", help="print each seed, the seeds' mean and their ensemble "
                    "(train.ensemble) side by side, and issue 15's goal judged both ways (with --combine too)")
    ap.add_argument("--show", action="store_true", help="print the first test window's forecast beside the truth")
    ap.add_argument("--out", default="forecast_quality")
    ap.add_argument("--combine", help="comma-separated earlier outputs (bench/results/NAME.json): print the goal "
                    "table over their runs of --archs, training nothing")
    args = ap.parse_args()
    if args.combine:
        combine(args.combine.split(","), args.archs.split(","), args.ensemble)
        return
    from seqpipe import process

    process.quiet_tensorflow()
    variants = args.variant or [("default", {})]
    rows: list[dict] = []
    forecasts: dict[str, np.ndarray] = {}  # the test forecast of each (series, variant, arch): the seeds' mean
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    print(f"start {time.strftime('%H:%M')} UTC, load {os.getloadavg()[0]:.2f}", flush=True)
    for name in args.series.split(","):
        for model, r in classical_rows(name).items():
            print(f"{name:<10} {model:<22} MASE {r['mase']:7.3f} MAPE {r['mape']:6.3f}", flush=True)
            rows.append({"series": name, "variant": model, "arch": "-", **r})
        for label, settings in variants:
            for arch in args.archs.split(","):
                runs = []
                budget = {} if args.min_steps is None else {"train.min_steps": args.min_steps}
                if settings.get("train.strategy") == "recursive":
                    why = prepared_for(name, _split(settings)[0]).spec.why_not_recursive()
                    if why is not None:  # the train stage refuses it in one line; the row is left out
                        print(f"{name:<10} {label + ' ' + arch:<22} not run: recursive cannot forecast it: {why}")
                        continue
                for seed in seeds_for(args.seeds, {**budget, **settings}):
                    r = run(name, arch, {**budget, **settings}, seed, args.show)
                    r["variant"] = label
                    runs.append(r)
                    print(f"{name:<10} {label + ' ' + arch:<22} MASE {r['mase']:7.3f} MAPE {r['mape']:6.3f} seed "
                          f"{seed:3d} val {r['val_mase']:6.3f} ({r['val_windows']}) kept {r['kept_epoch']} windows "
                          f"{r['train_windows']:4d} lookback {r['lookback']:3d} {r['difference']} {r['seconds']:5.1f} s",
                          flush=True)
                rows += [{k: v for k, v in r.items() if k not in ("pred", "y", "spec")} for r in runs]
                forecasts[f"{name}|{label}|{arch}"] = np.asarray(ensemble_forecast(runs))
                forecasts[f"{name}|y"] = np.asarray(runs[0]["y"])
                np.savez(ROOT / "bench" / "results" / f"{args.out}_forecasts.npz", **forecasts)  # for combinations
                if len(runs) > 1:
                    e = {"series": name, "arch": arch, "variant": label + "+ens", **ensemble(runs)}
                    rows.append(e)
                    print(f"{name:<10} {label + '+ens ' + arch:<22} MASE {e['mase']:7.3f} MAPE {e['mape']:6.3f}",
                          flush=True)
    table = pd.DataFrame([r for r in rows if r["arch"] != "-"])
    classical = pd.DataFrame([r for r in rows if r["arch"] == "-"]).pivot(index="series", columns="variant", values="mase")
    best_stat = classical[["auto_ets", "auto_arima"]].min(axis=1)
    print("\nper variant: mean over series of (best arch's mean MASE over seeds) / best of ETS,ARIMA; wins vs naive")
    for label, part in table.groupby("variant", sort=False):
        per = part.groupby(["series", "arch"])["mase"].mean().groupby("series").min()
        ratio = per / best_stat[per.index]
        naive = (per < classical.loc[per.index, "seasonal_naive"]).sum()
        print(f"  {label:<16} ratio mean {ratio.mean():.3f} max {ratio.max():.3f}  beats naive {naive}/{len(per)}  "
              + " ".join(f"{s}={v:.2f}" for s, v in ratio.items()), flush=True)
    for label, part in table.groupby("variant", sort=False):
        goal_table(part, classical, label)
    if args.ensemble:
        ensemble_table(rows, classical)
    out = ROOT / "bench" / "results" / f"{args.out}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"args": vars(args) | {"variant": [f"{a}:{b}" for a, b in variants]}, "rows": rows,
                               "load_at_end": os.getloadavg()[0]}, indent=1, default=str))
    print(f"wrote {out}, end {time.strftime('%H:%M')} UTC, load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

"""Direct or recursive, chosen per series and architecture on held-out validation windows (issue 15).

A rule for `train.strategy: auto` measured offline from bench/forecast_quality.py's outputs: fit
both strategies with the validation windows held out (`train_until: val`), keep the one with the
lower validation MASE, then judge that strategy's model trained up to the test range
(`train_until: test`) on the test range. Four cells per series and architecture, each a variant of
an earlier run (bench/results/<name>.json):

    .venv/bin/python bench/strategy_choice.py \
        --cell direct,val=comb:default,ho3:dirV --cell direct,test=until12:until_test,ho3:dirT \
        --cell recursive,val=recV12:recV,ho3:recV --cell recursive,test=recT:recT,recT_rest:recT,heldout2:recT,ho_recT:recT

It prints, per series, each rule's best architecture (by its test MASE of the 3-seed ensemble, as
issue 15's goal) and whether it meets the goal: beats seasonal naive, <= 1.10 x the better of
AutoETS/AutoARIMA. Rules: always one cell; `chosen` (the seeds' mean validation MASE decides);
`chosen, seed 42` (the first seed's alone, what a one-fit trial would see); `oracle` (the better
test MASE: the ceiling of any choice).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
STRATEGIES = ("direct", "recursive")


def load_cell(sources: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """`name:variant,name:variant`: the seeds' rows, the ensembles' rows and the classical rows."""
    seeds, ens, classical = [], [], []
    for source in sources.split(","):
        name, _, variant = source.partition(":")
        rows = json.loads((RESULTS / f"{name}.json").read_text())["rows"]
        seeds += [r for r in rows if r.get("variant") == variant and "seed" in r and r["arch"] != "-"]
        ens += [r for r in rows if r.get("variant") == f"{variant}+ens"]
        classical += [r for r in rows if r["arch"] == "-"]
    return (pd.DataFrame(seeds).drop_duplicates(["series", "arch", "seed"], keep="last"),
            pd.DataFrame(ens).drop_duplicates(["series", "arch"], keep="last").set_index(["series", "arch"]),
            pd.DataFrame(classical).drop_duplicates(["series", "variant"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cell", action="append", required=True, help="STRATEGY,UNTIL=name:variant,...")
    parser.add_argument("--archs", default="gru,cnn,linear")
    args = parser.parse_args()
    cells, classical = {}, []
    for text in args.cell:
        key, _, sources = text.partition("=")
        strategy, until = key.split(",")
        seeds, ens, stat = load_cell(sources)
        cells[(strategy, until)] = (seeds, ens)
        classical.append(stat)
    stat = pd.concat(classical).drop_duplicates(["series", "variant"]).pivot(index="series", columns="variant",
                                                                             values="mase")
    archs = args.archs.split(",")

    def test_mase(strategy: str, until: str, series: str, arch: str) -> float:
        ens = cells[(strategy, until)][1]
        return float(ens.loc[(series, arch), "mase"]) if (series, arch) in ens.index else np.nan

    def val_mase(strategy: str, series: str, arch: str, seed: int | None) -> float:
        seeds = cells[(strategy, "val")][0]
        part = seeds[(seeds.series == series) & (seeds.arch == arch)]
        if seed is not None:
            part = part[part.seed == seed]
        return float(part["val_mase"].mean()) if len(part) else np.nan

    def chosen(series: str, arch: str, seed: int | None) -> str:
        scores = {s: val_mase(s, series, arch, seed) for s in STRATEGIES}
        if any(np.isnan(v) for v in scores.values()):
            return "recursive" if np.isnan(scores["direct"]) else "direct"
        return min(scores, key=lambda s: scores[s])

    rules = {
        "direct, val (old default)": lambda s, a: test_mase("direct", "val", s, a),
        # today's default: recursive where it can run (not the example's extra column), up to the test range
        "default (recursive, test)": lambda s, a: np.nanmin([test_mase("recursive", "test", s, a),
                                                             test_mase("direct", "test", s, a)])
        if np.isnan(test_mase("recursive", "test", s, a)) else test_mase("recursive", "test", s, a),
        "direct, test": lambda s, a: test_mase("direct", "test", s, a),
        "chosen": lambda s, a: test_mase(chosen(s, a, None), "test", s, a),
        "chosen, seed 42": lambda s, a: test_mase(chosen(s, a, 42), "test", s, a),
        "oracle": lambda s, a: np.nanmin([test_mase(x, "test", s, a) for x in STRATEGIES]),
    }
    all_series = sorted(set().union(*(set(e.index.get_level_values(0)) for _, e in cells.values())))
    met = {rule: 0 for rule in rules}
    ratios: dict[str, list[float]] = {rule: [] for rule in rules}
    print("per series: each rule's best architecture, MASE (ratio to the better of AutoETS/AutoARIMA), goal")
    for series in all_series:
        best_stat = stat.loc[series, ["auto_ets", "auto_arima"]].min()
        naive = stat.loc[series, "seasonal_naive"]
        picks = {a: (chosen(series, a, None)[0], chosen(series, a, 42)[0]) for a in archs}
        print(f"{series:<10} naive {naive:.3f} ETS/ARIMA {best_stat:.3f}  chosen (mean, seed 42): "
              + " ".join(f"{a} {m}{f}" for a, (m, f) in picks.items()))
        for rule, score in rules.items():
            row = {a: score(series, a) for a in archs}
            row = {a: v for a, v in row.items() if not np.isnan(v)}
            if not row:
                continue
            best = min(row, key=lambda a: row[a])
            ratio = row[best] / best_stat
            goal = row[best] < naive and ratio <= 1.10
            met[rule] += goal
            ratios[rule].append(ratio)
            print(f"    {rule:<26} " + " ".join(f"{a} {v:.3f}" for a, v in row.items())
                  + f"  best {best} ({ratio:.2f}) {'yes' if goal else 'NO'}")
    pairs = [(s, a) for s in all_series for a in archs
             if not any(np.isnan(test_mase(x, "test", s, a)) or np.isnan(val_mase(x, s, a, None)) for x in STRATEGIES)]
    for seed, label in ((None, "the seeds' mean"), (42, "seed 42")):
        agree = sum(chosen(s, a, seed) == min(STRATEGIES, key=lambda x: test_mase(x, "test", s, a)) for s, a in pairs)
        print(f"\nthe validation windows ({label}) chose the strategy that is better on the test range in {agree} of "
              f"{len(pairs)} (series, architecture) pairs")
    print("\nrule: goal met / series; geometric mean of the best's ratio to ETS/ARIMA")
    for rule in rules:
        print(f"  {rule:<26} {met[rule]:2d} / {len(ratios[rule])}  {np.exp(np.mean(np.log(ratios[rule]))):.3f}")


if __name__ == "__main__":
    main()

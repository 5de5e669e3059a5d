"""Rolling-origin backtesting in the report: per-origin scores and their mean ± std over origins.

Origin 0 is the main run (metrics/<arch>.json, metrics/baselines.json); origins k >= 1 are the
backtest cells' files (metrics/backtest/<name>-o<k>.json, seqpipe.stages.backtest and
backtest_baselines). Every architecture and every statistical baseline gets one row per origin;
the mean and the standard deviation (ddof 1) over origins summarise them, in the report, in
reports/backtest.csv and, for the primary metric, in summary/metrics.json.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seqpipe import layout, tasks
from seqpipe.errors import DataError
from seqpipe.reporting.document import Block, fmt, mean_std
from seqpipe.reporting.results import Results

KEY = "backtest"  # summary/metrics.json: `<name>.backtest_<primary>` (the mean) and `..._std`


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise DataError(f"{path}: not found; run `dvc repro` so every backtest origin is scored")
    return json.loads(path.read_text(encoding="utf-8"))


def read_origins(results: Results, origins: list[int], metrics: list[str]) -> pd.DataFrame:
    """One row per (model, origin): `model`, `kind` (architecture | baseline), `origin`, then
    `metrics`; origin 0 from the main run's `results`, the others from the cells' files."""
    rows: list[dict[str, Any]] = []

    def add(model: str, kind: str, origin: int, scores: dict[str, Any]) -> None:
        rows.append({"model": model, "kind": kind, "origin": origin, **{m: scores.get(m, np.nan) for m in metrics}})

    for arch, scores in results.metrics.items():
        add(arch, "architecture", 0, scores)
        for k in origins:
            add(arch, "architecture", k, _read(layout.backtest_path(arch, k)))
    for c in results.classical:
        add(c.name, "baseline", 0, c.scores)
    for k in origins:
        for name, scores in _read(layout.backtest_path(layout.BASELINES, k)).get("baselines", {}).items():
            add(name, "baseline", k, scores)
    return pd.DataFrame(rows, columns=["model", "kind", "origin", *metrics])


def averaged(frame: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Per model: `origins` (how many), then each metric's mean and `<metric>_std` over origins."""
    out = []
    for (model, kind), rows in frame.groupby(["model", "kind"], sort=False):
        entry: dict[str, Any] = {"model": model, "kind": kind, "origins": len(rows)}
        for m in metrics:
            values = rows[m].astype(float)
            entry[m] = float(values.mean())
            entry[f"{m}_std"] = float(values.std(ddof=1)) if len(values) > 1 else np.nan
        out.append(entry)
    return pd.DataFrame(out)


def summary_keys(mean: pd.DataFrame, primary: str) -> dict[str, float]:
    """summary/metrics.json's backtest keys: each model's mean primary metric over origins and its std."""
    out: dict[str, float] = {}
    for _, row in mean.iterrows():
        out[f"{row['model']}.{KEY}_{primary}"] = float(f"{row[primary]:.6g}")
        if pd.notna(row[f"{primary}_std"]):
            out[f"{row['model']}.{KEY}_{primary}_std"] = float(f"{row[f'{primary}_std']:.6g}")
    return out


def blocks(frame: pd.DataFrame, mean: pd.DataFrame, primary: str, greater_is_better: bool,
           step: int) -> list[Block]:
    """The report's "Backtesting" section: the primary metric per origin with the mean ± std, best first."""
    origins = sorted(frame["origin"].unique())
    wide = frame.pivot_table(index="model", columns="origin", values=primary, sort=False)
    ranked = mean.sort_values(primary, ascending=not greater_is_better, kind="stable")
    table = pd.DataFrame({
        "model": [f"classical: {m}" if k == "baseline" else m for m, k in zip(ranked["model"], ranked["kind"])],
        **{f"origin {k}": [fmt(wide.loc[m, k]) if k in wide.columns else "" for m in ranked["model"]]
           for k in origins},
        f"mean {primary} ± std": [mean_std(r[primary], r[f"{primary}_std"]) for _, r in ranked.iterrows()],
    })
    best = ranked.iloc[0]
    return [
        Block("h2", "Backtesting"),
        Block("p", f"Test **{primary}** at {len(origins)} forecast origins: origin 0 is the main run above; origin "
                   f"k repeats its protocol with every series ending k × {step} steps earlier (`backtest.step`), "
                   "trained and scored on that data alone. Best mean over origins: "
                   f"**{best['model']}** ({mean_std(best[primary], best[f'{primary}_std'])}). Every metric per "
                   "origin: reports/backtest.csv."),
        Block("table", table),
    ]


@dataclass
class Backtest:
    """The report's backtest: per-origin rows, their averages and the section's blocks."""

    per_origin: pd.DataFrame
    mean: pd.DataFrame
    blocks: list[Block]
    summary: dict[str, float]


def backtest(results: Results, task_name: str, origins: list[int], step: int) -> Backtest | None:
    """The backtest of params.yaml's `backtest.origins` (None when there are none)."""
    if not origins:
        return None
    task = tasks.get(task_name)
    metrics = [m for m in task.metrics if all(m in s for s in results.metrics.values())]
    frame = read_origins(results, sorted(origins), metrics)
    mean = averaged(frame, metrics)
    return Backtest(frame, mean, blocks(frame, mean, task.primary_metric, task.greater_is_better, step),
                    summary_keys(mean, task.primary_metric))

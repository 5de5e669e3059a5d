"""summary/metrics.json: one experiment's result in a few flat keys, for `dvc exp show` and
`dvc metrics show/diff`.

Per-architecture files (metrics/<arch>.json, timings/<arch>.json) give every score and time,
but DVC shows each file's keys as columns of their own: `mse` of five files is five columns named by
path. Here each architecture gets `<arch>.<primary metric>` (and `<arch>.<primary>_std` with
repeats) and `<arch>.rank`, then `best` and the no-skill `baseline.<primary>`: unique short names,
in the order of params.yaml's `architectures`, so diffs line up across experiments.
"""
from __future__ import annotations

from typing import Any

import pandas as pd


def summary_metrics(table: pd.DataFrame, names: list[str], primary: str, baseline: float | None) -> dict[str, Any]:
    """The flat summary of the ranked leaderboard `table` for architectures `names` (params order)."""
    rows = {str(row["architecture"]): row for _, row in table.iterrows()}
    out: dict[str, Any] = {}
    for arch in names:
        row = rows.get(arch)
        if row is None:
            continue
        out[f"{arch}.{primary}"] = _number(row[primary])
        if f"{primary}_std" in row and pd.notna(row[f"{primary}_std"]):
            out[f"{arch}.{primary}_std"] = _number(row[f"{primary}_std"])
        out[f"{arch}.rank"] = int(row["rank"])
    if len(table):
        out["best"] = str(table.iloc[0]["architecture"])
    if baseline is not None:
        out[f"baseline.{primary}"] = _number(baseline)
    return out


def _number(value: Any) -> float:
    """Six significant digits, whatever the scale: an mse of 2.1345e-05 keeps its digits (a fixed
    number of decimals would leave 2e-05)."""
    return float(f"{float(value):.6g}")

"""summary/metrics.json: one experiment's result in a few flat keys, the project's only DVC metrics
file (`dvc exp show`, `dvc metrics show/diff`).

Per-architecture files (metrics/<arch>.json, timings/<arch>.json) give every score and time, but
DVC shows each metrics file's keys as columns of their own: `mse` of five files is five columns
named by path, and with timings ~70 columns for five architectures. They are plain outputs in git
(`seqpipe leaderboard` reads them per revision). Here each architecture gets `<arch>.<primary metric>` (and `<arch>.<primary>_std` with
repeats) and `<arch>.rank`, then `best` and the no-skill `baseline.<primary>`: unique short names,
in the order of params.yaml's `architectures`, so diffs line up across experiments.

Digits: the values keep six significant digits. `dvc exp show` prints five significant digits
(`f"{v:.5g}"`), but `dvc metrics show/diff` round to five decimal places (`round(v, 5)`; DVC tried
significant digits in 2.0.x and rolled it back, treeverse/dvc#5840, #5904), so an mse of 2.1345e-05
shows as `2e-05`. The values stay numbers, in their own unit, so `dvc exp show --sort-by` and
`dvc metrics diff` work; the report stage prints the `--precision` that shows three significant
digits when five decimals do not (`metrics_show_precision`).
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

DVC_DECIMALS = 5  # `dvc metrics show/diff` without --precision (dvc.commands.metrics.DEFAULT_PRECISION)


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


def metrics_show_precision(summary: dict[str, Any], digits: int = 3) -> int | None:
    """The `dvc metrics show --precision` (decimal places) that prints every float of `summary` with at
    least `digits` significant digits, or None when DVC's default of five decimals already does."""
    needed = [digits - 1 - math.floor(math.log10(abs(v))) for v in summary.values()
              if isinstance(v, float) and math.isfinite(v) and v != 0]
    most = max(needed, default=0)
    return most if most > DVC_DECIMALS else None


def precision_hint(summary: dict[str, Any], path: str) -> str | None:
    """One line for the report stage's log when `dvc metrics show` would hide digits of `summary`."""
    precision = metrics_show_precision(summary)
    if precision is None:
        return None
    key, value = min(((k, v) for k, v in summary.items() if isinstance(v, float) and v != 0 and math.isfinite(v)),
                     key=lambda kv: abs(kv[1]))
    return (f"{path}: `dvc metrics show --precision {precision}` shows three significant digits of every value "
            f"(DVC rounds to {DVC_DECIMALS} decimals: {key} {value:g} shows as {round(value, DVC_DECIMALS):g}); "
            "`dvc exp show` and `seqpipe leaderboard` show them as they are")

"""Calibration variants on the forecasts bench/forecast_intervals.py saved (no refitting): where the
calibration scores come from and how they are measured, scored on the same test ranges.

- `val_norm`: validation windows, score in units of the band's width, per horizon step from 20
  windows on, else pooled over the steps (the first version of seqpipe.conformal);
- `val_add` (adopted, seqpipe.conformal): the same windows, Romano et al.'s additive score in the
  data's units, widening only;
- `val_window`: additive within each window, in units of the window's mean band width across windows;
- `val_level`: additive within each window, in units of the window's level (mean |median|) across windows;
- `val_add_narrow_too`: as `val_add`, narrowing too (a negative correction kept; the band stops at the median);
- `val_add_pooled`: the additive score always pooled over the steps, narrowing too (one correction for every step);
- `val+train_end`: the validation windows plus the last `horizon` training windows of each series
  (in-sample: the weights were fitted on them), additive, per step from 20 windows on.

    .venv/bin/python bench/forecast_intervals_variants.py [--out forecast_intervals]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from seqpipe import conformal, quantiles
from seqpipe.quantiles import QuantileForecast

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forecast_quality import prepared_for  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LEVELS = (0.1, 0.5, 0.9)


def _width(v: np.ndarray) -> np.ndarray:
    return np.maximum(v[..., 2] - v[..., 0], 1e-9)


def _one(v: np.ndarray) -> np.ndarray:
    return np.ones(v.shape[:2])


def _window_width(v: np.ndarray) -> np.ndarray:
    return np.maximum(np.mean(v[..., 2] - v[..., 0], axis=1, keepdims=True), 1e-9) * np.ones(v.shape[:2])


def _level(v: np.ndarray) -> np.ndarray:
    return np.maximum(np.mean(np.abs(v[..., 1]), axis=1, keepdims=True), 1e-9) * np.ones(v.shape[:2])


def _calibrate(y: np.ndarray, cal: np.ndarray, test: np.ndarray, scale, per_step: bool) -> np.ndarray:
    """CQR of the 0.1-0.9 interval with scores max(L - y, y - U) / scale(forecast)."""
    scores = np.maximum(cal[..., 0] - y, y - cal[..., 2]) / scale(cal)
    q = conformal.conformal_quantile(scores, 0.8, axis=0 if per_step else None)
    out = test.copy()
    out[..., 0] -= q * scale(test)
    out[..., 2] += q * scale(test)
    return np.sort(out, axis=-1)


def _both_ways(y: np.ndarray, cal: np.ndarray, per_step: bool, horizon: int) -> np.ndarray:
    q = conformal.conformal_quantile(np.maximum(cal[..., 0] - y, y - cal[..., 2]), 0.8, axis=0 if per_step else None)
    return np.broadcast_to(q, (1, horizon))


def _train_end(d: dict, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """The last `horizon` training windows of each series (by origin)."""
    origin = d["origin_train"]
    keep = np.zeros(len(origin), bool)
    for s in np.unique(origin[:, 0]):
        rows = np.flatnonzero(origin[:, 0] == s)
        keep[rows[np.argsort(origin[rows, 1])][-horizon:]] = True
    return d["y_train"][keep], d["train"][keep]


def variants(d: dict) -> dict[str, np.ndarray]:
    y_val, val, test = d["y_val"], d["val"], d["test"]
    per_step = len(y_val) >= conformal.PER_STEP_WINDOWS
    y_end, end = _train_end(d, test.shape[1])
    both_y, both = np.concatenate([y_val, y_end]), np.concatenate([val, end])
    adopted = conformal.fit(y_val, QuantileForecast(LEVELS, val))
    assert adopted is not None
    return {"raw": test, "val_norm": _calibrate(y_val, val, test, _width, per_step),
            "val_add": conformal.apply(test, LEVELS, adopted.factors),
            "val_window": _calibrate(y_val, val, test, _window_width, per_step),
            "val_level": _calibrate(y_val, val, test, _level, per_step),
            "val_add_narrow_too": conformal.apply(test, LEVELS, _both_ways(y_val, val, per_step, test.shape[1])),
            "val_add_pooled": _calibrate(y_val, val, test, _one, False),
            "val+train_end": _calibrate(both_y, both, test, _one, len(both_y) >= conformal.PER_STEP_WINDOWS)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="forecast_intervals")
    args = ap.parse_args()
    scales: dict[str, float] = {}
    table: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for path in sorted((ROOT / "bench" / "results" / args.out).glob("*.npz"), key=lambda p: p.stat().st_mtime):
        series = path.stem.split("-")[0]
        if series not in scales:  # MASE's scale, as the bench scored with
            scales[series] = float(prepared_for(series, {}).spec.forecast.mase_scale)
        d = dict(np.load(path))
        y, scale = d["y_test"], scales[series]
        for name, values in variants(d).items():
            cover = quantiles.coverage(y, values[..., 0], values[..., 2])
            msis = quantiles.msis(y, values[..., 0], values[..., 2], 0.1, 0.9, scale)
            table.setdefault(series, {}).setdefault(name, []).append((cover, msis))
    names = list(next(iter(table.values())))
    print("| series | " + " | ".join(f"{n} cover / MSIS" for n in names) + " |")
    print("| --- " * (len(names) + 1) + "|")
    means: dict[str, list[float]] = {n: [] for n in names}
    msis_means: dict[str, list[float]] = {n: [] for n in names}
    for series, per in table.items():
        cells = []
        for n in names:
            cover, msis = np.mean([c for c, _ in per[n]]), np.mean([m for _, m in per[n]])
            means[n].append(abs(cover - 0.8))
            msis_means[n].append(msis)
            cells.append(f"{cover:.2f} / {msis:.2f}")
        print(f"| {series} | " + " | ".join(cells) + " |")
    print("| mean abs(coverage - 0.80) | " + " | ".join(f"{np.mean(means[n]):.3f}" for n in names) + " |")
    print("| mean MSIS over series | " + " | ".join(f"{np.mean(msis_means[n]):.3f}" for n in names) + " |")


if __name__ == "__main__":
    main()

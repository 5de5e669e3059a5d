"""A cheap proxy for choosing `data.window.difference` by validation error, without training a network.

For each candidate (none, first, seasonal) a ridge regression (scikit-learn) maps each training window,
taken as the model would see it (logs where `log` is on, differenced, less its last value, over its
spread), to the horizon's changes; its validation and test MAE over the MASE scale of
bench/forecast_quality.py are printed, and the candidate of lowest validation error. Measured against
the networks' own ranking (bench/RESULTS.md, "Forecast quality: several validation windows"): it
disagrees on airline, the example and Nile, so it was not adopted.

    .venv/bin/python bench/difference_proxy.py --series airline,example,elnino [--val-windows 1]
"""
from __future__ import annotations

import argparse
import warnings

import numpy as np
from forecast_quality import SERIES, mase_scale, prepared_for


def _summing(horizon: int, lag: int) -> np.ndarray:
    j, h = np.meshgrid(np.arange(horizon), np.arange(horizon), indexing="ij")
    return ((j <= h) & ((h - j) % lag == 0)).astype(float)


def _features(x: np.ndarray, y: np.ndarray | None, lag: int, log: bool):
    """(window as the model sees it, target changes in the same units, level, spread, the window in logs)."""
    if log:
        x, y = np.log(x), None if y is None else np.log(y)
    lookback = x.shape[1]
    z = x[:, lag:] - x[:, :-lag] if lag else x
    c = None
    if y is not None:
        full = np.concatenate([x, y], axis=1)
        c = full[:, lookback:] - full[:, lookback - lag: lookback - lag + y.shape[1]] if lag else y
    level = z[:, -1:]
    spread = z.std(axis=1, keepdims=True) + 1e-6 * np.sqrt((z ** 2).mean(axis=1, keepdims=True)) + 1e-12
    return (z - level) / spread, None if c is None else (c - level) / spread, level, spread, x


def forecast(x_train, y_train, x, lag: int, log: bool) -> np.ndarray:
    from sklearn.linear_model import Ridge

    u, v, *_ = _features(x_train, y_train, lag, log)
    model = Ridge(alpha=1.0).fit(u, v)
    u, _, level, spread, x = _features(x, None, lag, log)
    changes = model.predict(u) * spread + level
    horizon = changes.shape[1]
    if lag:
        base = np.tile(x[:, -lag:], (1, -(-horizon // lag)))[:, :horizon]
        changes = base + changes @ _summing(horizon, lag)
    return np.exp(changes) if log else changes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", default=",".join(SERIES))
    ap.add_argument("--val-windows", default="1", help="data.window.val_windows of the prepared data (a number or auto)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    val_windows = args.val_windows if args.val_windows == "auto" else int(args.val_windows)
    for name in args.series.split(","):
        prepared = prepared_for(name, {"val_windows": val_windows})
        f, a = prepared.spec.forecast, prepared.arrays
        lags = {"none": 0, "first": 1, **({"seasonal": f.season} if 1 < f.season <= prepared.spec.timesteps - 2 else {})}
        col = f.feature
        errors = {}
        for mode, lag in lags.items():
            errors[mode] = [np.abs(forecast(a["X_train"][..., col].astype(float), a["y_train"].astype(float),
                                            a[f"X_{s}"][..., col].astype(float), lag, f.log) - a[f"y_{s}"]).mean()
                            / mase_scale(name) for s in ("val", "test")]
        pick = min(errors, key=lambda m: errors[m][0])
        print(f"{name:<10} auto {f.difference:<8} val windows {prepared.spec.sizes.val:3d}  proxy picks {pick:<8} "
              + "  ".join(f"{m}: val {v[0]:.3f} test {v[1]:.3f}" for m, v in errors.items()), flush=True)


if __name__ == "__main__":
    main()

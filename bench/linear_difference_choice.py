"""Which differencing should `linear` forecast with, and can the data choose it? Closed-form solves.

`linear`'s output is affine in its head (bench/linear_optimum.py), so its least-squares head is one
deterministic answer per (series, differencing): no seeds, no training. For each of the offline
series of bench/forecast_quality.py and each differencing (none, first, seasonal where the season
is > 1), this solves the head on the training windows and prints the test MASE, and the validation
MASE under two validation designs: the protocol's one window before the test range
(`val_windows: 1`) and `val_windows: N` (the last N window starts before the test range). A rule
picks the differencing with the lowest validation MASE; the table says what each rule picks and
what that costs on the test range, beside refitting the chosen model on train + validation windows.

    .venv/bin/python bench/linear_difference_choice.py --series airline,sunspots --val-windows 1,auto
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from forecast_quality import SERIES, classical_rows, mae, mase_scale, prepared_for
from linear_optimum import affine_map, features, solve, solve_features


def rolling_origin(model, prepared, folds: int, scale: float) -> float:
    """Mean MASE over `folds` origins at the end of each series' training range, `horizon` apart; each
    fold is solved on the training windows whose targets end before its origin."""
    x, y = prepared.xy("train")
    origin = np.asarray(prepared.arrays["origin_train"])
    h = prepared.spec.forecast.horizon
    u, (a, c) = features(model, x), affine_map(model, x)
    last = {s: origin[origin[:, 0] == s, 1].max() for s in np.unique(origin[:, 0])}
    errors = []
    for k in range(folds):
        at = np.array([last[s] - k * h for s in origin[:, 0]])
        test, fit = origin[:, 1] == at, origin[:, 1] + h <= at
        if not test.any() or fit.sum() < 2 * u.shape[1]:
            break
        w = solve_features(u[fit], a[fit], c[fit], y[fit])
        ut = np.concatenate([u[test], np.ones((test.sum(), 1))], axis=1)
        pred = np.einsum("noh,nh->no", a[test], ut @ w) + c[test]
        errors.append(float(np.mean(np.abs(pred - y[test].reshape(pred.shape)))) / scale)
    return float(np.mean(errors)) if errors else float("nan")


def build(name: str, difference: str, val_windows: int | str):
    from seqpipe.config import recipes
    from seqpipe.config.experiment import ArchitectureChoice
    from seqpipe.config.params import TrainParams
    from seqpipe.registry import build_registry
    from seqpipe.training.model import build_model

    prepared = prepared_for(name, {"val_windows": val_windows})
    architecture = build_registry().architecture("linear")
    chosen = recipes.effective(TrainParams(batch_size=16), "linear", architecture, {"difference": difference})
    choice = ArchitectureChoice("linear", architecture, architecture.params(), chosen)
    return prepared, build_model(choice, prepared.spec, chosen.params)


def score(model, x, y, name: str) -> float:
    return mae(y, np.asarray(model.predict(x, verbose=0))) / mase_scale(name) if len(y) else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", default=",".join(SERIES))
    ap.add_argument("--val-windows", default="1,auto")
    ap.add_argument("--ridge", type=float, default=0.0)
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    from seqpipe import process

    process.quiet_tensorflow()
    from seqpipe.errors import ParamsError
    designs = [v if v == "auto" else int(v) for v in args.val_windows.split(",")]
    for name in args.series.split(","):
        season = SERIES[name][5]
        options = ["none", "first"] + (["seasonal"] if season > 1 else [])
        classical = classical_rows(name)
        best_stat = min(classical[m]["mase"] for m in classical if m != "seasonal_naive")
        print(f"== {name}: seasonal naive {classical['seasonal_naive']['mase']:.3f}, better of ETS/ARIMA {best_stat:.3f}",
              flush=True)
        tests = {}
        for design in designs:
            for difference in options:
                started = time.perf_counter()
                try:
                    prepared, model = build(name, difference, design)
                except ParamsError as exc:
                    print(f"{name:<10} {difference}: {exc}", flush=True)
                    continue
                (xt, yt), (xv, yv), (xs, ys) = prepared.xy("train"), prepared.xy("val"), prepared.xy("test")
                kernel, bias = solve(model, xt, yt, args.ridge)
                model.get_layer("head").set_weights([kernel, bias])
                val, test = score(model, xv, yv, name), score(model, xs, ys, name)
                cv = rolling_origin(model, prepared, args.folds, mase_scale(name)) if design == designs[0] else float("nan")
                if design == designs[0]:
                    tests[difference] = (cv, val, test, np.asarray(model.predict(xs, verbose=0)))
                both_x, both_y = np.concatenate([xt, xv]), np.concatenate([yt, yv])
                kernel, bias = solve(model, both_x, both_y, args.ridge)
                model.get_layer("head").set_weights([kernel, bias])
                refit = score(model, xs, ys, name)
                print(f"{name:<10} val_windows {design!s:<4} ({len(yv):>3} val, {len(yt):>4} train) {difference:<8} "
                      f"cv MASE {cv:.3f} val MASE {val:.3f}  test MASE {test:.3f} (ratio {test / best_stat:.2f})  "
                      f"refit on train+val: test {refit:.3f} (ratio {refit / best_stat:.2f})  "
                      f"{time.perf_counter() - started:.1f} s", flush=True)
        by_cv = min(tests, key=lambda k: tests[k][0])
        by_val = min(tests, key=lambda k: tests[k][1])
        both = mae(ys, (tests["none"][3] + tests["first"][3]) / 2) / mase_scale(name)
        every = mae(ys, np.mean([t[3] for t in tests.values()], axis=0)) / mase_scale(name)
        print(f"{name:<10} SUMMARY rolling-origin picks {by_cv} (test {tests[by_cv][2]:.3f}, ratio "
              f"{tests[by_cv][2] / best_stat:.2f}); one val window picks {by_val} (test {tests[by_val][2]:.3f}); "
              f"best {min(t[2] for t in tests.values()):.3f}; mean of none+first {both:.3f} (ratio {both / best_stat:.2f}); "
              f"mean of all {every:.3f} (ratio {every / best_stat:.2f})", flush=True)


if __name__ == "__main__":
    main()

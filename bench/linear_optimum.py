"""How far the trained `linear` forecaster is from its own optimum, and why.

`linear`'s model is one Dense layer (the core's head) on the flattened, normalised window: its
output is affine in the head's weights, out_i = A_i (W u_i + b) + c_i (A_i: the window's spread and
the differencing's summing; c_i: its level), so its training loss (mse) is a convex quadratic with
a closed-form minimum. This script trains the model as bench/forecast_quality.py does (prepare,
build_model, fit, the architecture's recipe), then solves the same loss by least squares on the
same features (read off the model itself: the head's inputs, and A_i, c_i by probing the head's
weights), and prints for each: the training mse, the test MASE, and the distance of the weights.

    .venv/bin/python bench/linear_optimum.py --series co2,elnino --seeds 42,43 --zero-head --ls-start \
        --variant before:train.recipes=false,train.difference=none --variant recipe: \
        --variant lr3e-2x2k:train.learning_rate=0.03,train.min_steps=2000

A variant is as in bench/forecast_quality.py (NAME:KEY=VALUE,...; `train.` keys are `train:`, which the
architecture's recipe overrides; `train.recipes=false` drops the recipe). `--zero-head` also trains
from a zeroed head, `--ls-start` from the least-squares head.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from forecast_quality import _split, _variant, mae, mase_scale, prepared_for


def affine_map(model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(A (n, H_out, H_head), c (n, H_out)) with out_i = A_i h_i + c_i, h_i the head's output."""
    head = model.get_layer("head")
    kernel, bias = head.get_weights()
    saved = [kernel.copy(), bias.copy()]
    head.set_weights([np.zeros_like(kernel), np.zeros_like(bias)])
    c = np.asarray(model.predict(x, verbose=0), np.float64)
    cols = []
    for j in range(bias.shape[0]):
        e = np.zeros_like(bias)
        e[j] = 1.0
        head.set_weights([np.zeros_like(kernel), e])
        cols.append(np.asarray(model.predict(x, verbose=0), np.float64) - c)
    head.set_weights(saved)
    return np.stack(cols, axis=-1), c


def features(model, x: np.ndarray) -> np.ndarray:
    import keras

    inner = keras.Model(model.inputs, model.get_layer("head").input)
    return np.asarray(inner.predict(x, verbose=0), np.float64)


def solve(model, x: np.ndarray, y: np.ndarray, ridge: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The head's (kernel, bias) minimising the model's mse on (x, y), plus `ridge` * |kernel|^2."""
    w = solve_features(features(model, x), *affine_map(model, x), y, ridge=ridge)
    return w[:-1].astype(np.float32), w[-1].astype(np.float32)


def solve_features(u: np.ndarray, a: np.ndarray, c: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None,
                   ridge: float = 0.0) -> np.ndarray:
    """The head's weights W~ = [kernel; bias] ((d+1, h)) from the head's inputs u, A and c (`affine_map`):
    the minimum of sum_i weights_i^2 |A_i W~^T u~_i + c_i - y_i|^2 + ridge |kernel|^2."""
    n, d = u.shape
    h = a.shape[2]
    ut = np.concatenate([u, np.ones((n, 1))], axis=1)  # (n, d+1)
    # out_i = A_i W~ u~_i + c_i = (u~_i^T kron A_i) vec(W~), vec column-major
    design = np.einsum("nk,noh->nokh", ut, a).reshape(n, a.shape[1], (d + 1) * h)
    target = y.reshape(n, -1) - c
    if weights is not None:
        design, target = design * weights[:, None, None], target * weights[:, None]
    design, target = design.reshape(-1, (d + 1) * h), target.reshape(-1)
    gram = design.T @ design
    if ridge:
        gram += ridge * np.diag(np.repeat(np.r_[np.ones(d), 0.0], h))
    theta = np.linalg.lstsq(gram, design.T @ target, rcond=None)[0]
    return theta.reshape(d + 1, h)  # rows: feature k (bias last), columns: head output


def mse(model, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((np.asarray(model.predict(x, verbose=0)) - y) ** 2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", default="elnino,co2,sunspots")
    ap.add_argument("--seeds", default="42,43")
    ap.add_argument("--arch", default="linear")
    ap.add_argument("--variant", type=_variant, action="append", default=[])
    ap.add_argument("--zero-head", action="store_true", help="also train from a zero head (kernel and bias 0)")
    ap.add_argument("--ls-start", action="store_true", help="also train from the least-squares head")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    from seqpipe import process

    process.quiet_tensorflow()
    from seqpipe.config import recipes
    from seqpipe.config.experiment import ArchitectureChoice
    from seqpipe.config.params import TrainParams
    from seqpipe.registry import build_registry
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    architecture = build_registry().architecture(args.arch)
    for name in args.series.split(","):
        for label, settings in args.variant or [("default", {})]:
            window, train_settings = _split(settings)
            prepared = prepared_for(name, window)
            spec = prepared.spec
            chosen = recipes.effective(TrainParams(**{"batch_size": min(16, spec.sizes.train), **train_settings}),
                                       args.arch, architecture)
            choice = ArchitectureChoice(args.arch, architecture, architecture.params(), chosen)
            (xt, yt), (xs, ys) = prepared.xy("train"), prepared.xy("test")
            scale = mase_scale(name)
            optimum = None
            starts = ["init"] + (["zero"] if args.zero_head else []) + (["ls"] if args.ls_start else [])
            for start in starts:
                for seed in [int(s) for s in args.seeds.split(",")]:
                    seed_everything(seed)
                    model = build_model(choice, spec, chosen.params)
                    if start == "zero":
                        head = model.get_layer("head")
                        head.set_weights([np.zeros_like(w) for w in head.get_weights()])
                    if optimum is None:
                        kernel, bias = solve(model, xt, yt)
                        saved = model.get_layer("head").get_weights()
                        model.get_layer("head").set_weights([kernel, bias])
                        optimum = (kernel, bias, mse(model, xt, yt),
                                   mae(ys, np.asarray(model.predict(xs, verbose=0))) / scale)
                        model.get_layer("head").set_weights(saved)
                        print(f"{name:<10} least squares           train mse {optimum[2]:.5g} test MASE {optimum[3]:.3f}",
                              flush=True)
                    if start == "ls":
                        model.get_layer("head").set_weights([optimum[0], optimum[1]])
                    started = time.perf_counter()
                    summary = fit(model, (xt, yt), prepared.xy("val"), chosen.params, verbose=0)
                    k = model.get_layer("head").get_weights()[0]
                    gap = float(np.linalg.norm(k - optimum[0]) / np.linalg.norm(optimum[0]))
                    print(f"{name:<10} {label + ' ' + start:<16} seed {seed} train mse "
                          f"{mse(model, xt, yt):.5g} test MASE {mae(ys, np.asarray(model.predict(xs, verbose=0))) / scale:.3f} "
                          f"|W-W*|/|W*| {gap:.3f} epochs {summary.epochs_run} x {summary.epochs_budget} "
                          f"{time.perf_counter() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()

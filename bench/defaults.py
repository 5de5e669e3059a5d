"""seqpipe's defaults against the seeds' configuration: time to a trained model and its test score.

The "seed script" is what a user would otherwise write from the Keras tutorials: a relu
SimpleRNN/LSTM/GRU, a plain Conv1D stack or a plain Transformer block of the same width as
params.yaml's `models.<arch>`, Adam with Keras' defaults, batch 16, a fixed number of epochs, no
XLA, no early stopping. The seqpipe side is what `train@<arch>` runs: seqpipe.training.model.build_model
and seqpipe.training.fit.fit with params.yaml's `train` section and `models.<arch>` (so it follows
whatever the defaults are: batch size, learning rate, early stopping, jit_compile ...).

Both sides get the same prepared arrays (the default adding problem, through the dataset plugin
and seqpipe.data.shaping.prepare) and run in a fresh process each, in alternating order. Time to a
trained model = build + compile + fit, measured inside the process (imports excluded, the
same for both). The test metric is the task's primary metric on the prepared test split.

    .venv/bin/python bench/defaults.py --quick          # 1000 sequences x 50 steps (4-5 min of CPU)
    .venv/bin/python bench/defaults.py                  # params.yaml's data as it is: 6000 x 100

Both sides train for params.yaml's `train.epochs` (the seed scripts for exactly that many, seqpipe
for at most that many, with its early stopping). --max-epochs caps both, but note that at an equal
epoch count a larger batch makes fewer updates, so a cap favours the seed scripts' batch 16.

Prints a table and writes bench/results/defaults.json. Goal (issue 6): >= 1.5x faster at an
equal or better test metric ("equal": within --tolerance, relative).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from common import ROOT, prepared_data

SEED_ARCHS = ("rnn", "lstm", "gru", "transformer", "cnn")
SIDES = ("seed", "seqpipe")


def seed_model(arch: str, hp: dict, spec: dict):
    """The tutorial model: relu recurrent layers, a plain Conv1D stack or one Transformer block."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(spec.timesteps, spec.features))
    if arch in ("rnn", "lstm", "gru"):
        cell = {"rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}[arch]
        x = cell(hp.get("units", 32), activation="relu")(inputs)
    elif arch == "cnn":
        x = inputs
        for _ in range(hp.get("num_layers", 2)):
            x = layers.Conv1D(hp.get("filters", 32), hp.get("kernel_size", 5), padding="same", activation="relu")(x)
        x = layers.GlobalAveragePooling1D()(x)
    elif arch == "transformer":
        # keras.io "Timeseries classification with a Transformer model": post-norm block, Conv1D feed-forward.
        d_model, heads = hp.get("d_model", 32), hp.get("num_heads", 4)
        x = layers.Dense(d_model)(inputs)
        for _ in range(hp.get("num_blocks", 1)):
            a = layers.MultiHeadAttention(heads, key_dim=d_model // heads)(x, x)
            x = layers.LayerNormalization(epsilon=1e-6)(x + a)
            f = layers.Conv1D(hp.get("ff_dim", 64), 1, activation="relu")(x)
            x = layers.LayerNormalization(epsilon=1e-6)(x + layers.Conv1D(d_model, 1)(f))
        x = layers.GlobalAveragePooling1D()(x)
    else:
        raise SystemExit(f"no seed script for '{arch}'; known: {', '.join(SEED_ARCHS)}")
    model = keras.Model(inputs, layers.Dense(1)(x))
    # No XLA on TensorFlow (graph mode). On JAX a tutorial script jits every step by default, and
    # jit_compile=False would run it op by op (~4x slower on 2 CPU cores): the comparison is unfair.
    model.compile(optimizer="adam", loss="mse", jit_compile=False if keras.backend.backend() == "tensorflow" else "auto")
    return model


def one(side: str, arch: str, data_dir: Path, seed_batch: int, seed_epochs: int | None, max_epochs: int | None) -> dict:
    """Train one model in this process; time to a trained model and the test metric."""
    import numpy as np

    from seqpipe import tasks
    from seqpipe.config.context import context
    from seqpipe.data import api as data
    from seqpipe.evaluation import scoring as evaluation
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    ctx = context(str(ROOT / "params.yaml"))
    prepared = data.load(data_dir)
    spec = prepared.spec
    train = ctx.params.train
    if max_epochs:
        train = train.model_copy(update={"epochs": min(train.epochs, max_epochs)})
    (x, y), val, (xt, yt) = prepared.xy("train"), prepared.xy("val"), prepared.xy("test")
    if side == "seqpipe":
        seed_everything(ctx.params.seed)
        start = time.perf_counter()
        model = build_model(ctx.architectures[arch], spec, train)
        summary = fit(model, (x, y), val, train, verbose=0)
        seconds = time.perf_counter() - start
        epochs, batch = summary.epochs_run, train.batch_size
    else:
        import keras

        keras.utils.set_random_seed(ctx.params.seed)
        epochs, batch = seed_epochs or train.epochs, seed_batch
        if max_epochs:
            epochs = min(epochs, max_epochs)
        start = time.perf_counter()
        model = seed_model(arch, (yaml.safe_load((ROOT / "params.yaml").read_text())["models"].get(arch) or {}), spec)
        model.fit(x, y, validation_data=val, epochs=epochs, batch_size=batch, verbose=0)
        seconds = time.perf_counter() - start
    task = tasks.get(spec.task)
    out = evaluation.predict(model, xt, 256)
    metric = evaluation.score(spec.task, yt, out, spec)[task.primary_metric] if np.isfinite(out).all() else math.nan
    return {"side": side, "architecture": arch, "seconds": round(seconds, 2), "epochs": epochs, "batch_size": batch,
            "metric": task.primary_metric, "value": metric, "greater_is_better": task.greater_is_better,
            "no_skill": no_skill(spec, y, yt, out)}


def no_skill(spec: dict, y_train, y_test, out) -> float:
    """The regression score of always predicting the training mean: a model near it learned nothing."""
    import numpy as np

    from seqpipe import tasks
    from seqpipe.evaluation import scoring as evaluation

    if spec.task != "regression":
        return math.nan
    constant = np.full_like(out, float(np.mean(y_train)))
    return evaluation.score("regression", y_test, constant, spec)[tasks.get("regression").primary_metric]


def child(side: str, arch: str, data_dir: Path, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--one", side, arch, "--data-dir", str(data_dir), "--seed-batch",
           str(args.seed_batch)]
    if args.seed_epochs:
        cmd += ["--seed-epochs", str(args.seed_epochs)]
    if args.max_epochs:
        cmd += ["--max-epochs", str(args.max_epochs)]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if result.returncode != 0:
        raise SystemExit(f"{side} {arch} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def compare(arch: str, runs: list[dict], tolerance: float) -> dict:
    by = {s: [r for r in runs if r["side"] == s] for s in SIDES}
    t = {s: statistics.median(r["seconds"] for r in by[s]) for s in SIDES}
    v = {s: statistics.median(r["value"] for r in by[s]) for s in SIDES}
    better = runs[0]["greater_is_better"]
    if math.isnan(v["seqpipe"]):
        ok = False
    elif math.isnan(v["seed"]):
        ok = True
    else:
        ok = v["seqpipe"] >= v["seed"] * (1 - tolerance) if better else v["seqpipe"] <= v["seed"] * (1 + tolerance)
    return {
        "architecture": arch, "metric": runs[0]["metric"],
        "seed_s": round(t["seed"], 2), "seqpipe_s": round(t["seqpipe"], 2),
        "speedup": round(t["seed"] / t["seqpipe"], 2),
        "seed_epochs": by["seed"][0]["epochs"], "seqpipe_epochs": by["seqpipe"][0]["epochs"],
        "seed_value": float(f"{v['seed']:.4g}"), "seqpipe_value": float(f"{v['seqpipe']:.4g}"),
        "no_skill_value": float(f"{runs[0]['no_skill']:.4g}"),
        "equal_or_better": ok, "meets_goal": ok and t["seed"] / t["seqpipe"] >= 1.5,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archs", nargs="+", help="default: params.yaml architectures that have a seed script")
    ap.add_argument("--samples", type=int, help="data.options.n_samples (default: params.yaml)")
    ap.add_argument("--timesteps", type=int, help="data.options.timesteps (default: params.yaml)")
    ap.add_argument("--seed-batch", type=int, default=16, help="the seed scripts' batch size (16 or 64)")
    ap.add_argument("--seed-epochs", type=int, help="the seed scripts' fixed epochs (default: train.epochs)")
    ap.add_argument("--max-epochs", type=int, help="cap both sides' epochs (quick runs)")
    ap.add_argument("--rounds", type=int, default=1, help="runs per side and architecture (median)")
    ap.add_argument("--tolerance", type=float, default=0.05, help="relative metric gap still counted as equal")
    ap.add_argument("--quick", action="store_true", help="--samples 1000 --timesteps 50")
    ap.add_argument("--one", nargs=2, metavar=("SIDE", "ARCH"), help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(*args.one, args.data_dir, args.seed_batch, args.seed_epochs, args.max_epochs)))
        return
    if args.quick:
        args.samples = args.samples or 1000
        args.timesteps = args.timesteps or 50
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    archs = args.archs or [a for a in params["architectures"] if a in SEED_ARCHS]
    rows = []
    with tempfile.TemporaryDirectory(prefix="seqpipe-defaults-") as tmp:
        data_dir = Path(tmp) / "prepared"
        from seqpipe.data import api as data

        prepared = prepared_data(args.samples, args.timesteps)
        data.save(prepared, data_dir)
        spec = prepared.spec
        print(f"data: {spec.sizes.model_dump()} sequences x {spec.timesteps} steps; seqpipe train: {params['train']}",
              file=sys.stderr, flush=True)
        for i, arch in enumerate(archs):
            runs = []
            for r in range(args.rounds):
                order = SIDES if (i + r) % 2 == 0 else SIDES[::-1]
                for side in order:
                    runs.append(child(side, arch, data_dir, args))
                    print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
            rows.append(compare(arch, runs, args.tolerance))
    header = (f"{'architecture':<12} {'seed s':>7} {'ep':>3} {'seqpipe s':>9} {'ep':>3} {'speed-up':>8} "
              f"{'metric':>6} {'seed':>9} {'seqpipe':>9} {'no-skill':>9} {'eq/better':>9} {'goal':>5}")
    print(header)
    for r in rows:
        print(f"{r['architecture']:<12} {r['seed_s']:>7.1f} {r['seed_epochs']:>3} {r['seqpipe_s']:>9.1f} "
              f"{r['seqpipe_epochs']:>3} {r['speedup']:>7.2f}x {r['metric']:>6} {r['seed_value']:>9.3g} "
              f"{r['seqpipe_value']:>9.3g} {r['no_skill_value']:>9.3g} {'yes' if r['equal_or_better'] else 'NO':>9} "
              f"{'yes' if r['meets_goal'] else 'NO':>5}")
    out = ROOT / "bench" / "results" / "defaults.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    settings = {k: v for k, v in vars(args).items() if k not in ("one", "data_dir")}
    out.write_text(json.dumps({"args": settings, "data": spec.sizes.model_dump(), "train": params["train"], "rows": rows},
                              indent=2) + "\n")


if __name__ == "__main__":
    main()

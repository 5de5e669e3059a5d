"""How epoch time and peak memory grow with the data: samples x10 and sequence length x4.

For each architecture (params.yaml's `models.<arch>` and `train` settings, built by
seqpipe.training.model.build_model and fitted by seqpipe.training.fit.fit without early stopping) and each
point (base, samples x10, length x2, length x4 of the adding problem), one fresh process
prepares the data, trains for --epochs and reports the steady-state epoch time (training
batches only, validation excluded; median of the epochs after the first, which includes
tracing) and its peak resident memory (ru_maxrss of the
whole process), with the resident memory just before the data and model were made.
`jit_compile: auto` is resolved once per architecture, for the sweep's largest run, so that all
of its points train with the same kernels (the "xla" column).

Growth is reported as factors over the base point and as the exponent k of time ~ size^k:
k = 1 is linear; a Transformer's self-attention costs O(length^2) per sequence, so its length
exponent rises above 1 once the attention term outweighs the per-step layers.

    .venv/bin/python bench/scaling.py --quick   # 500 x 50 base; base, samples x10, length x4; 4 epochs
    .venv/bin/python bench/scaling.py           # also length x2; 5 epochs

Prints a table and writes bench/results/scaling.json.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time

import yaml
from common import ROOT, prepared_data, save_results

ARCHS = ("rnn", "lstm", "gru", "transformer", "cnn")


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def EpochTimes():
    """Training time of each epoch: from its start to the end of its last batch (validation excluded)."""
    import keras

    class EpochTimes(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.durations: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()
            self.durations.append(0.0)

        def on_train_batch_end(self, batch, logs=None):
            self.durations[-1] = time.perf_counter() - self.start

    return EpochTimes()


def one(arch: str, samples: int, timesteps: int, epochs: int, sweep_samples: int) -> dict:
    """Train `arch` on `samples` sequences of `timesteps` steps in this process; time and memory.

    `jit_compile: auto` is resolved for the sweep's largest run (`sweep_samples` sequences), so
    that every point of one architecture trains with the same kernels: resolved per point, auto
    would switch XLA on only for the larger runs and mix two kernels into one growth factor."""

    from seqpipe.config.context import context
    from seqpipe.training import acceleration
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    ctx = context(str(ROOT / "params.yaml"))
    if arch not in ctx.architectures:
        raise SystemExit(f"'{arch}' is not in params.yaml architectures ({', '.join(ctx.architectures)})")
    train = ctx.params.train.model_copy(update={"epochs": epochs, "patience": 0})
    before = rss_mb()
    prepared = prepared_data(samples, timesteps)
    sweep_train = prepared.spec.sizes.train * sweep_samples // samples
    jit = acceleration.resolve_jit(
        train.jit_compile, acceleration.jit_hint(ctx.architectures[arch].architecture.jit_compile),
        acceleration.training_steps(sweep_train, train.batch_size, epochs), acceleration.gpu_visible())
    train = train.model_copy(update={"jit_compile": jit})
    seed_everything(ctx.params.seed)
    model = build_model(ctx.architectures[arch], prepared.spec, train)
    timer = EpochTimes()
    start = time.perf_counter()
    fit(model, prepared.xy("train"), prepared.xy("val"), train, extra_callbacks=[timer], verbose=0)
    total = time.perf_counter() - start
    steady = timer.durations[1:] or timer.durations
    return {
        "architecture": arch, "samples": samples, "timesteps": timesteps,
        "train_sequences": int(prepared.spec.sizes.train), "params": int(model.count_params()),
        "epoch_s": round(statistics.median(steady), 3), "first_epoch_s": round(timer.durations[0], 3),
        "fit_s": round(total, 2), "jit_compile": jit,
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def child(arch: str, samples: int, timesteps: int, epochs: int, sweep_samples: int) -> dict:
    cmd = [sys.executable, __file__, "--one", arch, str(samples), str(timesteps), "--epochs", str(epochs),
           "--sweep-samples", str(sweep_samples)]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if result.returncode != 0:
        raise SystemExit(f"{arch} {samples}x{timesteps} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def growth(base: dict, point: dict, factor: float) -> dict:
    t = point["epoch_s"] / base["epoch_s"]
    m = (point["peak_rss_mb"] - point["rss_before_mb"]) / max(base["peak_rss_mb"] - base["rss_before_mb"], 1.0)
    return {"time_factor": round(t, 2), "time_exponent": round(math.log(t) / math.log(factor), 2),
            "memory_factor": round(m, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archs", nargs="+", help="default: params.yaml architectures")
    ap.add_argument("--samples", type=int, default=500, help="base number of sequences")
    ap.add_argument("--timesteps", type=int, default=50, help="base sequence length")
    ap.add_argument("--epochs", type=int, default=5, help="epochs per point (the first is not timed)")
    ap.add_argument("--lengths", type=int, nargs="+", default=[2, 4], help="length factors to measure")
    ap.add_argument("--sample-factor", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="--epochs 4 --lengths 4")
    ap.add_argument("--one", nargs=3, metavar=("ARCH", "SAMPLES", "TIMESTEPS"), help=argparse.SUPPRESS)
    ap.add_argument("--sweep-samples", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        arch, samples, timesteps = args.one
        print(json.dumps(one(arch, int(samples), int(timesteps), args.epochs, args.sweep_samples or int(samples))))
        return
    if args.quick:
        args.epochs, args.lengths = 4, [4]
    archs = args.archs or yaml.safe_load((ROOT / "params.yaml").read_text())["architectures"]
    points = [("base", 1, args.samples, args.timesteps),
              (f"samples x{args.sample_factor}", args.sample_factor, args.samples * args.sample_factor, args.timesteps)]
    points += [(f"length x{f}", f, args.samples, args.timesteps * f) for f in args.lengths]
    rows = []
    for arch in archs:
        base = None
        for name, factor, samples, timesteps in points:
            r = {"point": name, **child(arch, samples, timesteps, args.epochs, max(p[2] for p in points))}
            base = base or r
            r.update(growth(base, r, factor) if factor > 1 else {"time_factor": 1.0, "time_exponent": None, "memory_factor": 1.0})
            rows.append(r)
            print(json.dumps(r), file=sys.stderr, flush=True)
    print(f"{'architecture':<12} {'point':<12} {'seqs x steps':>12} {'xla':>4} {'epoch s':>8} {'x time':>7} {'k':>5} "
          f"{'peak MB':>8} {'+MB':>6} {'x mem':>6}")
    for r in rows:
        k = "" if r["time_exponent"] is None else f"{r['time_exponent']:.2f}"
        print(f"{r['architecture']:<12} {r['point']:<12} {str(r['samples']) + 'x' + str(r['timesteps']):>12} "
              f"{str(r['jit_compile']):>4.4} {r['epoch_s']:>8.3f} {r['time_factor']:>7.2f} {k:>5} {r['peak_rss_mb']:>8.0f} "
              f"{r['peak_rss_mb'] - r['rss_before_mb']:>6.0f} {r['memory_factor']:>6.2f}")
    save_results("scaling", {"args": {k: v for k, v in vars(args).items() if k != "one"}, "rows": rows})


if __name__ == "__main__":
    main()

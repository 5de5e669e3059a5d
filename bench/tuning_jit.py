"""Does XLA (`jit_compile=True`) speed an architecture up? Sets the plugins' `jit_compile` hints.

For each architecture, trains the params.yaml hyperparameters on the adding problem (N x 100 steps)
through the pipeline's own build_model/fit, without and with XLA, interleaved, in one process
(determinism on, as in the pipeline). Reports the steady-state epoch time (median of epochs 2..E),
the ratio XLA/plain (< 1: XLA is faster), the extra seconds XLA spends compiling (total time
minus epochs x steady epoch time, beyond the same for plain), and the break-even number of training steps
after which the compile time is repaid (`JIT_MIN_STEPS` in pipeline/training/acceleration.py).

    .venv/bin/python bench/tuning_jit.py [--archs lstm gru] [--samples 2000] [--epochs 4] [--batch 64]

Prints a table and writes bench/results/tuning_jit.json.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time

import yaml
from common import ROOT, adding_problem, save_results

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

DEFAULT_ARCHS = ["rnn", "lstm", "gru", "transformer", "cnn", "tcn", "fcn", "resnet", "inceptiontime"]


def epoch_times(choice, prepared, train, jit: bool) -> list[float]:
    import keras

    from seqpipe.training import acceleration
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    seed_everything(0)
    model = build_model(choice, prepared.spec, train.model_copy(update={"jit_compile": False}))
    if jit:
        acceleration.force_jit(model)
    times: list[float] = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    fit(model, prepared.xy("train"), prepared.xy("val"), train, extra_callbacks=[Timer()], verbose=0)
    if jit and model.jit_compile is not True:
        return []  # fell back: XLA cannot compile it
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", nargs="+", default=DEFAULT_ARCHS)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()

    from seqpipe.config.experiment import choose_architecture
    from seqpipe.config.params import Params, TrainParams
    from seqpipe.registry import build_registry
    from seqpipe.training import acceleration

    acceleration.configure_threads()
    raw_params = yaml.safe_load((ROOT / "params.yaml").read_text())
    registry = build_registry()
    prepared = adding_problem(args.samples)
    steps_per_epoch = math.ceil(prepared.spec.sizes.train / args.batch)
    train = TrainParams(epochs=args.epochs, batch_size=args.batch, learning_rate=0.002, patience=0)
    rows = []
    for name in args.archs:
        params = Params.model_validate({**raw_params, "architectures": [name],
                                        "models": {name: raw_params["models"].get(name, {})}})
        choice = choose_architecture(params, registry, name)
        plain = epoch_times(choice, prepared, train, jit=False)
        xla = epoch_times(choice, prepared, train, jit=True)
        row = {"architecture": name, "epoch_plain_s": round(statistics.median(plain[1:]), 3)}
        if not xla:
            row.update({"epoch_xla_s": None, "ratio": None, "compile_extra_s": None, "break_even_steps": None})
        else:
            steady_plain, steady_xla = statistics.median(plain[1:]), statistics.median(xla[1:])
            # time = set-up + epochs x steady epoch; XLA's extra set-up is its compiling (all shapes)
            extra = (sum(xla) - len(xla) * steady_xla) - (sum(plain) - len(plain) * steady_plain)
            saving = (steady_plain - steady_xla) / steps_per_epoch
            row.update({
                "epoch_xla_s": round(steady_xla, 3),
                "ratio": round(steady_xla / steady_plain, 3),
                "compile_extra_s": round(extra, 2),
                "break_even_steps": math.ceil(extra / saving) if saving > 0 else None,
            })
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"\n{'architecture':<14} {'epoch plain':>11} {'epoch XLA':>9} {'XLA/plain':>9} {'compile +s':>10} {'break-even steps':>16}")
    for r in rows:
        cells = [f"{r['epoch_xla_s']:.3f}" if r["epoch_xla_s"] is not None else "fails",
                 f"{r['ratio']:.3f}" if r["ratio"] is not None else "-",
                 f"{r['compile_extra_s']:.1f}" if r["compile_extra_s"] is not None else "-",
                 str(r["break_even_steps"]) if r["break_even_steps"] is not None else "never"]
        print(f"{r['architecture']:<14} {r['epoch_plain_s']:>11.3f} {cells[0]:>9} {cells[1]:>9} {cells[2]:>10} {cells[3]:>16}")
    save_results("tuning_jit", {"args": vars(args), "steps_per_epoch": steps_per_epoch, "rows": rows})


if __name__ == "__main__":
    main()

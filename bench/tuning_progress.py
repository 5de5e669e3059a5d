"""Does the train stage's progress output cost training time? Keras' own logger vs seqpipe's line.

Alternates, in one process, fit(verbose=2) (Keras' ProgbarLogger, the train stage before issue 6)
and fit(verbose=1) (one `epoch i/N - ...` line from an on_epoch_end callback, the train stage now)
on the adding problem, and reports the median epoch time of each (epochs 2.. of every fit).

    .venv/bin/python bench/tuning_progress.py [--archs cnn lstm] [--rounds 4] [--samples 2000]

Prints a table and writes bench/results/tuning_progress.json.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics

from common import adding_problem, print_table, save_results

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", nargs="+", default=["cnn", "lstm"])
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()

    import keras

    from seqpipe.config.experiment import ArchitectureChoice
    from seqpipe.config.params import TrainParams
    from seqpipe.registry import build_registry
    from seqpipe.training import acceleration
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    acceleration.configure_threads()
    registry = build_registry()
    prepared = adding_problem(args.samples)
    train = TrainParams(epochs=args.epochs, batch_size=64, learning_rate=0.002, patience=0, jit_compile=False)
    rows = []
    for name in args.archs:
        arch = registry.architecture(name)
        times: dict[int, list[float]] = {2: [], 1: []}
        for _ in range(args.rounds):
            for verbose in (2, 1):
                seed_everything(0)
                model = build_model(ArchitectureChoice(name, arch, arch.params()), prepared.spec, train)
                epochs: list[float] = []

                class Timer(keras.callbacks.Callback):
                    def on_epoch_begin(self, epoch, logs=None):
                        import time
                        self.t = time.perf_counter()

                    def on_epoch_end(self, epoch, logs=None, _epochs=epochs):
                        import time
                        _epochs.append(time.perf_counter() - self.t)

                with contextlib.redirect_stdout(io.StringIO()):
                    fit(model, prepared.xy("train"), prepared.xy("val"), train, extra_callbacks=[Timer()], verbose=verbose)
                times[verbose].extend(epochs[1:])
        keras_logger, seqpipe_line = statistics.median(times[2]), statistics.median(times[1])
        rows.append({"architecture": name, "epoch_keras_logger_s": round(keras_logger, 3),
                     "epoch_seqpipe_line_s": round(seqpipe_line, 3), "ratio": round(seqpipe_line / keras_logger, 3)})
        print(json.dumps(rows[-1]), flush=True)
    print()
    print_table(rows, [("architecture", "architecture", "<12"), ("epoch_keras_logger_s", "verbose=2 (Keras)", ">17.3f"),
                       ("epoch_seqpipe_line_s", "epoch line", ">10.3f"), ("ratio", "ratio", ">6.3f")])
    save_results("tuning_progress", {"args": vars(args), "rows": rows})


if __name__ == "__main__":
    main()

"""The baseline for bench/overhead.py: what a user would write by hand.

Loads the prepared arrays, builds the same model, fits it for the same epochs and batch size with
no callbacks beyond an epoch timer, saves it, and prints the epoch times as JSON.
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np


def main(arch: str, epochs: int, batch_size: int) -> None:
    import keras

    from seqpipe.config.context import context
    from seqpipe.data.spec import PreparedSpec
    from seqpipe.training.fit import seed_everything
    from seqpipe.training.model import build_model

    ctx = context()
    spec = PreparedSpec.read("data/prepared/spec.json")
    x, y = np.load("data/prepared/X_train.npy"), np.load("data/prepared/y_train.npy")
    xv, yv = np.load("data/prepared/X_val.npy"), np.load("data/prepared/y_val.npy")
    seed_everything(ctx.params.seed)
    model = build_model(ctx.architectures[arch], spec, ctx.params.train)
    times: list[float] = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t)

    model.fit(x, y, validation_data=(xv, yv), epochs=epochs, batch_size=batch_size, callbacks=[Timer()], verbose=0)
    model.save(f"/tmp/plain-{arch}.keras")
    print(json.dumps({"epoch_seconds": times}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))

"""What the per-epoch resume checkpoint costs: seqpipe's (`resilience.checkpoint`, one variables.npz)
against Keras' own weights file (`model.save_weights` to .weights.h5, what it used before).

For each architecture (params.yaml's models and `train` settings), builds the model, fits it one
epoch on a slice of the default data so the optimizer has its state, then times, alternating,
the checkpoint callback's `on_epoch_end` (the whole atomic write: temporary directory, variables,
state.json, rename) and `save_weights`.

    .venv/bin/python bench/checkpoint.py [--archs lstm transformer] [--repeats 9]

Prints the median milliseconds per epoch and writes bench/results/checkpoint.json.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from common import prepared_data, print_table, save_results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", nargs="+", default=["rnn", "lstm", "gru", "transformer", "cnn"])
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--samples", type=int, default=600)
    args = ap.parse_args()

    from seqpipe.config.context import context
    from seqpipe.training import resilience
    from seqpipe.training.model import build_model

    ctx = context()
    prepared = prepared_data(args.samples)
    x, y = prepared.xy("train")
    rows = []
    for arch in args.archs:
        model = build_model(ctx.architectures[arch], prepared.spec, ctx.params.train)
        model.fit(x, y, epochs=1, batch_size=ctx.params.train.batch_size, verbose=0)
        scratch = Path(tempfile.mkdtemp(prefix="seqpipe-ckpt-"))
        try:
            callback = resilience.checkpoint(scratch / "backup", log=lambda _: None)
            callback.set_model(model)
            seqpipe, keras_h5 = [], []
            for epoch in range(args.repeats):
                start = time.perf_counter()
                callback.on_epoch_end(epoch, {"loss": 0.1})
                seqpipe.append(time.perf_counter() - start)
                start = time.perf_counter()
                model.save_weights(scratch / "model.weights.h5")
                keras_h5.append(time.perf_counter() - start)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        rows.append({"architecture": arch, "params": int(model.count_params()),
                     "seqpipe_ms": round(1000 * statistics.median(seqpipe), 1),
                     "keras_weights_h5_ms": round(1000 * statistics.median(keras_h5), 1)})
    print_table(rows, [("architecture", "architecture", "<12"), ("params", "params", ">7"),
                       ("seqpipe_ms", "seqpipe ms", ">10.1f"), ("keras_weights_h5_ms", ".weights.h5 ms", ">14.1f")])
    save_results("checkpoint", {"args": vars(args), "rows": rows})


if __name__ == "__main__":
    main()

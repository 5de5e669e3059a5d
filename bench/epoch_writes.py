"""What the train stage's per-epoch disk writes cost a small dataset's fit (issue 18).

The train stage's callbacks after each epoch: the resume checkpoint (seqpipe.training.resilience)
and dvclive's logging (seqpipe.training.live). Both run after the epoch timer, so their cost is
outside models/<arch>.fit.json's `train_seconds` and inside the stage's wall time. This fits one
small model for `--epochs` epochs of 3 steps (ArrowHead's shape: 36 series x 251 steps, batch 16)
with, in alternating rounds:

- `none`: no callbacks (the fit alone);
- `every epoch`: a checkpoint and a dvclive sync after every epoch (SEQPIPE_CHECKPOINT_SECONDS=0,
  live.SYNC_SECONDS=0: the behaviour before this change);
- `throttled`: the defaults (each at most once a second, and after the last epoch).

    .venv/bin/python bench/epoch_writes.py [--epochs 334] [--rounds 3]

Prints the median wall time of each variant and writes bench/results/epoch_writes.json.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from common import print_table, save_results


def fit_once(variant: str, epochs: int, root: Path) -> float:
    import keras

    from dvclive import Live
    from seqpipe.training import live as live_log
    from seqpipe.training import resilience

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((251, 1)), keras.layers.Conv1D(16, 8, activation="relu"),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", steps_per_execution=16)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(36, 251, 1)).astype("float32"), rng.integers(0, 3, 36)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)  # compiled once, outside the timing
    directory = Path(tempfile.mkdtemp(dir=root))
    if variant == "every epoch":
        os.environ["SEQPIPE_CHECKPOINT_SECONDS"] = "0"
        live_log.SYNC_SECONDS = 0.0
    else:
        os.environ.pop("SEQPIPE_CHECKPOINT_SECONDS", None)
        live_log.SYNC_SECONDS = 1.0
    start = time.perf_counter()
    if variant == "none":
        model.fit(x, y, epochs=epochs, batch_size=16, verbose=0)
    else:
        with Live(dir=str(directory / "live"), dvcyaml=None, save_dvc_exp=False, report=None) as live:
            callbacks = [resilience.checkpoint(directory / "backup", log=lambda m: None), live_log.live_logger(live)]
            model.fit(x, y, epochs=epochs, batch_size=16, verbose=0, callbacks=callbacks)
    seconds = time.perf_counter() - start
    shutil.rmtree(directory, ignore_errors=True)
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=334, help="ArrowHead's budget: 334 epochs x 3 steps")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    variants = ("none", "every epoch", "throttled")
    runs: dict[str, list[float]] = {v: [] for v in variants}
    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for variant in variants:
                runs[variant].append(fit_once(variant, args.epochs, Path(tmp)))
                print(f"{variant}: {runs[variant][-1]:.2f}s", flush=True)
    load.append(os.getloadavg()[0])
    base = statistics.median(runs["none"])
    rows = [{"variant": v, "median_s": statistics.median(r), "extra_ms": (statistics.median(r) - base) * 1000 / args.epochs}
            for v, r in runs.items()]
    print_table(rows, [("variant", "callbacks", "<12"), ("median_s", "fit s", ">7.2f"),
                       ("extra_ms", "ms per epoch over none", ">22.2f")])
    print(f"{args.epochs} epochs, {args.rounds} rounds; load average {load[0]:.2f} -> {load[1]:.2f}")
    save_results("epoch_writes", {"args": vars(args), "runs": runs, "rows": rows, "load": load})


if __name__ == "__main__":
    main()

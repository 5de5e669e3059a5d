"""Helper for tests/test_acceleration.py: a tiny LSTM on the adding problem, trained by the pipeline.

    python tests/distributed_run.py MODE BATCH OUT.json [--cpus N]

MODE is `train.distribute` (mirrored, multi_worker; multi_worker reads TF_CONFIG). `--cpus N` splits
the CPU into N logical devices first (mirrored runs one replica on each), which TensorFlow allows
only before it starts, hence a process of its own. The chief writes the per-epoch history as JSON;
the test compares it with `history("none", global batch)` run in its own process.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SAMPLES, STEPS, EPOCHS = 128, 10, 2


def history(distribute: str, batch_size: int) -> list[dict[str, float]]:
    """Per-epoch logs of `fit` with `train.distribute` and per-replica `batch_size`."""
    import keras

    from seqpipe.config.experiment import ArchitectureChoice
    from seqpipe.config.params import TrainParams
    from seqpipe.data import api as data
    from seqpipe.registry import build_registry
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    registry = build_registry()
    source = registry.dataset("adding")
    prepared = data.prepare(source.load(source.params(n_samples=SAMPLES, timesteps=STEPS), 0), val=0.25, test=0.1, seed=0)
    arch = registry.architecture("lstm")
    train = TrainParams(epochs=EPOCHS, batch_size=batch_size, learning_rate=0.01, patience=0,
                        distribute=distribute, jit_compile=False)
    seed_everything(7)
    model = build_model(ArchitectureChoice("lstm", arch, arch.params(units=4)), prepared.spec, train)
    logs = keras.callbacks.History()
    fit(model, prepared.xy("train"), prepared.xy("val"), train, extra_callbacks=[logs], verbose=0)
    return [dict(zip(logs.history, map(float, values))) for values in zip(*logs.history.values())]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["mirrored", "multi_worker"])
    ap.add_argument("batch", type=int, help="train.batch_size (per replica)")
    ap.add_argument("out")
    ap.add_argument("--cpus", type=int, default=1)
    args = ap.parse_args()

    import tensorflow as tf

    if args.cpus > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * args.cpus)

    from seqpipe.training import acceleration

    acceleration.strategy(args.mode)  # multi_worker: before any other op
    result = {"replicas": acceleration.replicas(args.mode), "history": history(args.mode, args.batch)}
    if acceleration.is_chief(args.mode):
        Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()

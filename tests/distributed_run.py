"""Helper for tests/test_acceleration.py: train a tiny LSTM on the adding problem in its own process.

    python tests/distributed_run.py MODE BATCH OUT.json [--cpus N]

MODE is `train.distribute` (none, mirrored, multi_worker; multi_worker reads TF_CONFIG). `--cpus N`
splits the CPU into N logical devices first (mirrored runs one replica on each), which TensorFlow
allows only before it starts, hence a process of its own. Trains once on one device with the global
batch (batch x replicas) and once distributed, and writes both per-epoch histories as JSON (the chief).
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["none", "mirrored", "multi_worker"])
    ap.add_argument("batch", type=int, help="train.batch_size (per replica)")
    ap.add_argument("out")
    ap.add_argument("--cpus", type=int, default=1)
    args = ap.parse_args()

    import tensorflow as tf
    import keras


    if args.cpus > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * args.cpus)

    from pipeline import acceleration, data
    from pipeline.experiment import ArchitectureChoice
    from pipeline.model import build_model
    from pipeline.params import TrainParams
    from pipeline.registry import build_registry
    from pipeline.training import fit, seed_everything

    acceleration.strategy(args.mode)  # multi_worker: before any other op
    registry = build_registry()
    source = registry.dataset("adding")
    prepared = data.prepare(source.load(source.params(n_samples=SAMPLES, timesteps=STEPS), 0), val=0.25, test=0.1, seed=0)
    arch = registry.architecture("lstm")
    replicas = acceleration.replicas(args.mode)

    import keras

    def run(distribute: str, batch_size: int) -> list[dict[str, float]]:
        train = TrainParams(epochs=EPOCHS, batch_size=batch_size, learning_rate=0.01, patience=0,
                            distribute=distribute, jit_compile=False)
        seed_everything(7)
        model = build_model(ArchitectureChoice("lstm", arch, arch.params(units=4)), prepared.spec, train)
        history = keras.callbacks.History()
        fit(model, prepared.xy("train"), prepared.xy("val"), train, extra_callbacks=[history], verbose=0)
        return [dict(zip(history.history, map(float, values))) for values in zip(*history.history.values())]

    # Single device with the distributed run's global batch, then the distributed run itself.
    result = {"replicas": replicas, "single": run("none", args.batch * replicas), "distributed": run(args.mode, args.batch)}
    if acceleration.is_chief(args.mode):
        Path(args.out).write_text(json.dumps(result))

if __name__ == "__main__":
    main()

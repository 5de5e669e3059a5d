"""Is ArrowHead's gap to the papers Keras 3's? dl-4-tsc's FCN under Keras 2 and Keras 3, same seeds.

bench/small_data_variants.py found plain Keras 3 (dl-4-tsc's fcn.py, its recipe, the official
split) at 74.6 ± 8.4 % on ArrowHead over 5 seeds against the paper's 84.3 ± 1.3, with no seqpipe
code involved; the papers ran Keras 2. This script runs that same network and recipe in whatever
Keras the interpreter has, so two venvs give the A/B. The fit needs only numpy and Keras (2 or 3);
the data is exported once with seqpipe's own `.ts` reader:

    # the data: the .ts files inside aeon's wheel (no install needed), exported to an npz
    .venv/bin/pip download aeon --no-deps -d /tmp/aeonwhl && (cd /tmp/aeonwhl && unzip -o -q aeon-*.whl 'aeon/datasets/data/ArrowHead/*')
    .venv/bin/python bench/keras_versions.py export /tmp/aeonwhl/aeon/datasets/data/ArrowHead/ArrowHead_TRAIN.ts /tmp/arrowhead.npz
    # Keras 2 (TensorFlow 2.15, the last with Keras 2 inside) in its own venv
    python3.11 -m venv /tmp/k2 && /tmp/k2/bin/pip install "tensorflow-cpu==2.15.1" "numpy<2"
    /tmp/k2/bin/python bench/keras_versions.py fit /tmp/arrowhead.npz --seeds 0 1 2 3 4
    .venv/bin/python bench/keras_versions.py fit /tmp/arrowhead.npz --seeds 0 1 2 3 4   # Keras 3

Each fit prints one JSON line per seed: the test accuracy of the last epoch's weights and of the
lowest training loss's (dl-4-tsc's `best_model.hdf5`), with the versions.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time

import numpy as np


def export(ts_file: str, out: str) -> None:
    """The official train/test split of a `.ts` pair as x (n, steps, 1), y (class indices), split."""
    from seqpipe.registry import build_registry

    ts = build_registry().dataset("ts")
    raw = ts.load(ts.params(path=ts_file), 0, labelled=True)  # type: ignore[call-arg]
    x = np.asarray(raw.sequences, dtype="float32")
    x = x[..., None] if x.ndim == 2 else x
    _, y = np.unique(np.asarray(raw.targets), return_inverse=True)
    np.savez(out, x=x, y=y, split=np.asarray(raw.split).astype(str))
    print(f"wrote {out}: x {x.shape}, {len(set(y.tolist()))} classes")


def dl4tsc_fcn(input_shape: tuple[int, ...], n_classes: int):
    """dl-4-tsc's classifiers/fcn.py, compiled as there (Keras 2 or 3; bench/small_data_variants.py too)."""
    import keras
    from keras import layers

    inp = keras.Input(input_shape)
    h = inp
    for width, kernel in ((128, 8), (256, 5), (128, 3)):
        h = layers.Activation("relu")(layers.BatchNormalization()(layers.Conv1D(width, kernel, padding="same")(h)))
    model = keras.Model(inp, layers.Dense(n_classes, activation="softmax")(layers.GlobalAveragePooling1D()(h)))
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(), metrics=["accuracy"])
    return model


def dl4tsc_batch(n_train: int) -> int:
    """dl-4-tsc's batch size: a tenth of the training set, at most 16."""
    return int(min(n_train / 10, 16))


def recipe_epochs(n_train: int) -> int:
    """The epochs of seqpipe's fcn recipe at dl-4-tsc's batch: 3000 steps."""
    return math.ceil(3000 / math.ceil(n_train / dl4tsc_batch(n_train)))


def fit(data: str, seed: int) -> dict:
    """dl-4-tsc's classifiers/fcn.py: 128/256/128 filters (8/5/3), batch min(n/10, 16), Adam 1e-3,
    ReduceLROnPlateau on the training loss; 3000 steps (seqpipe's fcn recipe) instead of 2000 epochs."""
    import keras

    arrays = np.load(data)
    x, y, split = arrays["x"], arrays["y"], arrays["split"]
    x_train, y_train, x_test, y_test = x[split == "train"], y[split == "train"], x[split == "test"], y[split == "test"]
    n_classes = int(y.max()) + 1
    keras.utils.set_random_seed(seed)
    model = dl4tsc_fcn(x_train.shape[1:], n_classes)
    batch, epochs = dl4tsc_batch(len(x_train)), recipe_epochs(len(x_train))
    lowest: dict = {"loss": np.inf, "weights": None, "epoch": 0}

    class KeepLowest(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            loss = float((logs or {}).get("loss", np.inf))
            if loss < lowest["loss"]:
                lowest.update(loss=loss, weights=self.model.get_weights(), epoch=epoch + 1)

    def accuracy() -> float:
        return round(100.0 * float((model.predict(x_test, batch_size=256, verbose=0).argmax(axis=1) == y_test).mean()), 2)

    start = time.perf_counter()
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=50, min_lr=0.0001)
    model.fit(x_train, keras.utils.to_categorical(y_train, n_classes), batch_size=batch, epochs=epochs, verbose=0,
              callbacks=[plateau, KeepLowest()])
    last = accuracy()
    model.set_weights(lowest["weights"])
    import tensorflow as tf

    return {"keras": keras.__version__, "tensorflow": tf.__version__, "backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
            "seed": seed, "acc_last": last, "acc_min_loss": accuracy(), "min_loss_epoch": lowest["epoch"],
            "epochs": epochs, "batch": batch, "seconds": round(time.perf_counter() - start, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export", help="a .ts train file (and its TEST sibling) to an npz")
    e.add_argument("ts_file")
    e.add_argument("out")
    f = sub.add_parser("fit", help="dl-4-tsc's FCN on the npz, one JSON line per seed")
    f.add_argument("data")
    f.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = ap.parse_args()
    if args.command == "export":
        export(args.ts_file, args.out)
        return
    for seed in args.seeds:
        print(json.dumps(fit(args.data, seed)), flush=True)


if __name__ == "__main__":
    main()

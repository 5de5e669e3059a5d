"""Which Keras backend trains each architecture fastest on this CPU? TensorFlow, JAX and PyTorch.

For each backend that is installed, a fresh Python process per (backend, dataset, repeat) sets
KERAS_BACKEND, imports Keras, then trains every architecture through the pipeline's own
build_model/fit and scores it on the test split as the evaluate stage does. Data: the adding
problem (regression, `--samples` x 100 steps) and the keyword-tokens set (4-class classification
of masked, variable-length token sequences), both generated with seed 0.

Settings are the default experiment's: params.yaml's `train:` with each plugin's recipe, the
plugin's default hyperparameters (`transformer: {num_blocks: 1}` as params.yaml has it), seed 0,
`--epochs` epochs without early stopping. On TensorFlow `jit_compile: auto` resolves as it would
for the full default-length run on this data (XLA where the plugin's measured hint says so); on
JAX every train step is XLA-compiled by design; Keras' PyTorch backend runs eagerly.

Columns: `import s` = `import keras` plus a first op (the backend's runtime start), once per
process; `first s` = the first epoch (tracing and compiling included); `epoch s` = the fastest
later epoch; `run s` = first + (planned epochs - 1) x epoch s, the default-length run on this
data (`train.epochs: auto` and the plugin's recipe); the test metric (the task's ranking metric).
Times are the minimum over `--repeats` processes (the machine is shared: the minimum is the least disturbed run); the metric is the
first repeat's, and `same` says whether every repeat scored identically (reruns are bit-identical).

    .venv/bin/python bench/backends.py [--backends tensorflow jax torch] [--archs lstm gru]
                                       [--datasets adding tokens] [--samples 400] [--epochs 3] [--repeats 2]

Prints a table and writes bench/results/backends.json (backends-TAG.json with --tag TAG).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

START = time.perf_counter()

DEFAULT_ARCHS = ["rnn", "lstm", "gru", "transformer", "cnn", "tcn", "fcn", "resnet", "inceptiontime"]
BACKENDS = ["tensorflow", "jax", "torch"]
DATASETS = ["adding", "tokens"]


def load_data(name: str, samples: int):
    """The prepared splits of `name` at `samples` sequences, seed 0, split 70/15/15."""
    from seqpipe.data import api as data
    from seqpipe.registry import build_registry

    source = build_registry().dataset(name)
    options = {"adding": {"n_samples": samples, "timesteps": 100},
               "tokens": {"n_samples": samples, "n_classes": 4}}[name]
    return data.prepare(source.load(source.params(**options), 0), val=0.15, test=0.15, seed=0)


def worker(dataset: str, archs: list[str], samples: int, epochs: int) -> dict:
    """Runs inside the fresh process whose KERAS_BACKEND is already set."""
    import keras
    import numpy as np

    keras.ops.convert_to_numpy(keras.ops.add(keras.ops.ones((2,)), 1.0))  # the runtime starts
    imported = time.perf_counter() - START

    import yaml
    from common import ROOT

    from seqpipe.config.budget import plan
    from seqpipe.config.experiment import choose_architecture
    from seqpipe.config.params import Params
    from seqpipe.evaluation import scoring
    from seqpipe.registry import build_registry
    from seqpipe.tasks import get as get_task
    from seqpipe.training import acceleration
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    acceleration.configure_threads()
    prepared = load_data(dataset, samples)
    spec = prepared.spec
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    registry = build_registry()
    metric = get_task(spec.task).metrics[0]
    rows = []
    for name in archs:
        params = Params.model_validate({**raw, "architectures": [name], "models": {name: raw["models"].get(name, {})}})
        choice = choose_architecture(params, registry, name)
        train = choice.train(params.train)
        full_epochs = plan(train, spec.sizes.train, spec.sizes.val, train.batch_size).epochs
        steps = acceleration.training_steps(spec.sizes.train, train.batch_size, full_epochs)
        hint = acceleration.jit_hint(choice.architecture.jit_compile)
        jit = acceleration.resolve_jit("auto", hint, steps, gpu=False)
        train = train.model_copy(update={"epochs": epochs, "patience": 0, "jit_compile": jit})
        seed_everything(0)
        model = build_model(choice, spec, train)
        summary_start = time.perf_counter()
        timer = _Timer()
        fit(model, prepared.xy("train"), prepared.xy("val"), train, extra_callbacks=[timer], verbose=0)
        x_test, y_test = prepared.xy("test")
        out = scoring.predict(model, x_test, batch_size=train.batch_size)
        score = scoring.score(spec.task, y_test, out, spec)[metric]
        rows.append({"architecture": name, "first_s": round(timer.times[0], 3),
                     "epoch_s": round(min(timer.times[1:]), 3) if len(timer.times) > 1 else None,
                     "fit_s": round(time.perf_counter() - summary_start, 2), "metric": metric,
                     "planned_epochs": full_epochs,
                     "score": score, "xla": model.jit_compile is True, "batch_size": train.batch_size,
                     "checksum": float(np.abs(out).astype("float64").sum())})
        print(json.dumps({"backend": keras.backend.backend(), "dataset": dataset, **rows[-1]}), file=sys.stderr, flush=True)
    return {"backend": keras.backend.backend(), "dataset": dataset, "import_s": round(imported, 3),
            "tensorflow_imported": "tensorflow" in sys.modules, "rows": rows}


class _Timer:
    """A Keras callback (made lazily: keras is imported after START) that times each epoch."""

    def __new__(cls):
        import keras

        class Timer(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.times: list[float] = []

            def on_epoch_begin(self, epoch, logs=None):
                self.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.times.append(time.perf_counter() - self.start)

        return Timer()


def installed(backend: str) -> bool:
    return importlib.util.find_spec(backend) is not None


def run_worker(backend: str, dataset: str, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--worker", dataset, "--archs", *args.archs,
               "--samples", str(args.samples), "--epochs", str(args.epochs)]
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True)  # stderr: each row as it ends
    if done.returncode != 0:
        raise SystemExit(f"{backend} on {dataset} failed (its error is above)")
    return json.loads(done.stdout.strip().splitlines()[-1])


def combine(runs: list[dict]) -> list[dict]:
    """One row per (dataset, architecture, backend): minimum times over repeats, first repeat's score."""
    rows = []
    for key in sorted({(r["dataset"], r["backend"]) for r in runs}):
        same = [r for r in runs if (r["dataset"], r["backend"]) == key]
        for i, first in enumerate(same[0]["rows"]):
            each = [r["rows"][i] for r in same]
            first_s = min(e["first_s"] for e in each)
            epoch_s = min(e["epoch_s"] for e in each if e["epoch_s"] is not None)
            rows.append({"dataset": key[0], "backend": key[1], "architecture": first["architecture"],
                         "import_s": min(r["import_s"] for r in same), "first_s": first_s, "epoch_s": epoch_s,
                         # the default-length run on this data: first epoch + the planned others at the steady pace
                         "run_s": round(first_s + (first["planned_epochs"] - 1) * epoch_s, 1),
                         "repeats": len(same),
                         "metric": first["metric"], "score": first["score"], "xla": first["xla"],
                         "same": len({(e["score"], e["checksum"]) for e in each}) == 1})
    return rows


def print_table(rows: list[dict]) -> None:
    """The rows, and per (dataset, architecture) the backend whose default-length run is shortest."""
    print(f"\n{'dataset':<8} {'architecture':<14} {'backend':<11} {'import s':>8} {'first s':>8} {'epoch s':>8} "
          f"{'run s':>7} {'metric':>8} {'score':>9} {'xla':>4} {'same':>4} {'n':>2}")
    for r in rows:
        print(f"{r['dataset']:<8} {r['architecture']:<14} {r['backend']:<11} {r['import_s']:>8.2f} "
              f"{r['first_s']:>8.2f} {r['epoch_s']:>8.3f} {r['run_s']:>7.1f} {r['metric']:>8} {r['score']:>9.4g} "
              f"{'yes' if r['xla'] else 'no':>4} {'yes' if r['same'] else 'NO':>4} {r['repeats']:>2}")
    print(f"\n{'dataset':<8} {'architecture':<14} fastest (run s; steady epoch s), then the others")
    for key in sorted({(r["dataset"], r["architecture"]) for r in rows}):
        ranked = sorted((r for r in rows if (r["dataset"], r["architecture"]) == key), key=lambda r: r["run_s"])
        print(f"{key[0]:<8} {key[1]:<14} " + ", ".join(f"{r['backend']} {r['run_s']:.0f} s; {r['epoch_s']:.3f}" for r in ranked))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", metavar="DATASET", help=argparse.SUPPRESS)
    ap.add_argument("--backends", nargs="+", default=BACKENDS, choices=BACKENDS)
    ap.add_argument("--archs", nargs="+", default=DEFAULT_ARCHS)
    ap.add_argument("--datasets", nargs="+", default=DATASETS, choices=DATASETS)
    ap.add_argument("--samples", type=int, default=400)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--tag", default="", help="write bench/results/backends-TAG.json")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.archs, args.samples, args.epochs)))
        return

    backends = [b for b in args.backends if installed(b)]
    skipped = sorted(set(args.backends) - set(backends))
    if skipped:
        print(f"not installed, skipped: {', '.join(skipped)}", flush=True)
    runs = []
    for repeat in range(args.repeats):
        order = backends[repeat % len(backends):] + backends[:repeat % len(backends)]  # spread the noise
        for dataset in args.datasets:
            for backend in order:
                runs.append(run_worker(backend, dataset, args))
                print(f"repeat {repeat + 1}: {backend} on {dataset}: import {runs[-1]['import_s']} s, "
                      f"loadavg {os.getloadavg()[0]:.2f}", flush=True)
    rows = combine(runs)
    print_table(rows)
    from common import save_results

    save_results("-".join(filter(None, ["backends", args.tag])), {"args": vars(args), "loadavg_end": os.getloadavg(), "runs": runs, "rows": rows})


if __name__ == "__main__":
    main()

"""Why does seqpipe's FCN score less than the same FCN in plain Keras on a small UCR set? Variants x seeds.

One UCR dataset from aeon's wheel (offline), official split, the whole train split trained on (as
prepare does when a validation split would be too small). Each (variant, seed) runs in its own
process (the backend is chosen at import) for the architecture's recipe budget (`seqpipe show
ARCH`; 3000 steps for FCN), and records the test accuracy of three sets of weights: the last
epoch's, those of the lowest training loss (dl-4-tsc's ModelCheckpoint(monitor='loss')), and what
the installed seqpipe keeps (`kept`, from `seqpipe.training.fit.kept_epoch`'s rule via the
`weights` the run's callback saw).

Variants:
- `seqpipe`: seqpipe's own data preparation, model assembly and `fit` at the recipe's settings;
- `noscale`: the same with `data.scale: false` (no global standardisation of the z-normalised series);
- `cosine`: the same with `lr_schedule: cosine` (Adam's rate decays to 0 at the last step);
- `jax`: the same on Keras' JAX backend;
- `znorm`: the same with each series z-normalised over its own steps before prepare (as dl-4-tsc's
  reader does; UCR sets are mostly shipped so, PickupGestureWiimoteZ is not);
- `spe1`: the same with `train.steps_per_execution: 1` (one graph call per batch, as plain Keras);
- `plainz`: `plain` with each series z-normalised first (dl-4-tsc's reader of the UCR 2018 archive);
- `plain2000`: `plain` for dl-4-tsc's own budget, 2000 epochs, recording both accuracies at
  epochs 250 (the recipe's budget on ArrowHead), 500, 1000, 1500 and 2000 (one run, the whole curve);
- `plain`: no seqpipe training code: dl-4-tsc's fcn.py in plain Keras (one-hot labels, softmax,
  categorical cross-entropy, Adam 1e-3, ReduceLROnPlateau(loss, 0.5, 50, 1e-4), batch
  min(16, n/10)), on the raw series as the `ts` source reads them (FCN only).

    .venv/bin/python bench/small_data_variants.py --dataset ArrowHead --variants seqpipe plain --seeds 0 1 2
    .venv/bin/python bench/small_data_variants.py --dataset PickupGestureWiimoteZ_eq --variants seqpipe plainz

`--dataset NAME_eq` reads the equal-length form aeon ships beside an unequal-length set.

Appends one JSON line per run to bench/results/small_data_variants-<dataset>-<arch>.jsonl (runs
already there are skipped: a killed sweep resumes) and prints mean ± std per variant.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT  # noqa: E402
from keras_versions import dl4tsc_batch, dl4tsc_fcn, recipe_epochs  # noqa: E402
from realdata import aeon_data  # noqa: E402

VARIANTS = ("seqpipe", "noscale", "cosine", "jax", "spe1", "znorm", "plain", "plainz", "plain2000")
CURVE_MARKS = (250, 500, 1000, 1500, 2000)  # plain2000: epochs at which both accuracies are recorded


def ts_path(dataset: str) -> Path:
    """The `_TRAIN.ts` of `dataset` in aeon's wheel; `<name>_eq` is the equal-length form aeon ships
    beside an unequal-length set (the UCR 2018 archive's adjusted version, in `<name>`'s folder)."""
    folder = dataset.removesuffix("_eq")
    return aeon_data() / folder / f"{dataset}_TRAIN.ts"


def _znorm(x: np.ndarray) -> np.ndarray:
    """One series (steps, features) or (steps,) z-normalised over its own steps, feature by feature."""
    x = np.asarray(x, dtype=np.float64)
    std = x.std(axis=0, keepdims=True)
    return (x - x.mean(axis=0, keepdims=True)) / np.where(std == 0, 1.0, std)


def _data(dataset: str, seed: int, scale: bool, znorm: bool = False):
    import dataclasses

    import yaml

    from seqpipe.data import api as data
    from seqpipe.registry import build_registry

    d = yaml.safe_load((ROOT / "params.yaml").read_text())["data"]
    ts = build_registry().dataset("ts")
    raw = ts.load(ts.params(path=str(ts_path(dataset))), seed, labelled=True)  # type: ignore[call-arg]
    if znorm:  # before prepare: each series over its own (unpadded, unresampled) steps
        seqs = [_znorm(x) for x in raw.sequences]
        equal = len({len(x) for x in seqs}) == 1
        raw = dataclasses.replace(raw, sequences=np.stack(seqs).astype("float32") if equal else seqs)
    return data.prepare(raw, val=d["split"]["val"], test=d["split"]["test"], seed=seed, scale=scale,
                        padding=d["padding"], truncating=d["truncating"])


def _selection_callback(x_test: np.ndarray, y_test: np.ndarray, marks: tuple[int, ...] = ()):
    import keras

    class Selection(keras.callbacks.Callback):
        """Keeps the weights of the lowest training loss so far; at the end, scores last and those."""

        best_loss, best_weights, best_epoch, losses = np.inf, None, 0, []

        curve: list[dict] = []

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            loss = float((logs or {}).get("loss", np.inf))
            self.losses.append(loss)
            if loss < self.best_loss:
                self.best_loss, self.best_weights, self.best_epoch = loss, self.model.get_weights(), epoch + 1
            if marks and epoch + 1 in marks and epoch + 1 < self.params["epochs"]:
                current = self.model.get_weights()
                last = _accuracy(self.model, x_test, y_test)
                self.model.set_weights(self.best_weights)
                best = _accuracy(self.model, x_test, y_test)
                self.model.set_weights(current)
                self.curve.append({"epoch": epoch + 1, "acc_last": round(last, 2), "acc_min_loss": round(best, 2),
                                   "loss": round(loss, 5)})

        def on_train_end(self, logs: dict | None = None) -> None:
            # before any callback after this one (seqpipe's keeper of the lowest training loss) restores weights
            current = self.model.get_weights()
            self.last = _accuracy(self.model, x_test, y_test)
            self.model.set_weights(self.best_weights)
            self.best = _accuracy(self.model, x_test, y_test)
            self.model.set_weights(current)

        def scores(self) -> dict:
            last, best = self.last, self.best
            row = {"acc_last": round(last, 2), "acc_min_loss": round(best, 2), "min_loss_epoch": self.best_epoch,
                   "last_loss": round(self.losses[-1], 5), "min_loss": round(self.best_loss, 5),
                   "epochs": len(self.losses)}
            return {**row, "curve": self.curve} if marks else row

    return Selection()


def _accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    out = np.asarray(model.predict(x, batch_size=256, verbose=0))
    return 100.0 * float((out.argmax(axis=1) == y).mean())


def run_seqpipe(dataset: str, arch_name: str, seed: int, variant: str) -> dict:
    import yaml

    from seqpipe.config.experiment import ArchitectureChoice
    from seqpipe.config.params import TrainParams
    from seqpipe.config.recipes import effective
    from seqpipe.registry import build_registry
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    prepared = _data(dataset, seed, scale=variant != "noscale", znorm=variant == "znorm")
    spec = prepared.spec
    arch = build_registry().architecture(arch_name)
    base = TrainParams.model_validate(yaml.safe_load((ROOT / "params.yaml").read_text())["train"])
    train = effective(base, arch_name, arch).for_data(spec.sizes.train).params
    if variant == "cosine":
        train = train.model_copy(update={"lr_schedule": "cosine"})
    if variant == "spe1":
        train = train.model_copy(update={"steps_per_execution": 1})
    x_test, y_test = prepared.xy("test")
    sel = _selection_callback(x_test, y_test)
    seed_everything(seed)
    model = build_model(ArchitectureChoice(arch_name, arch, arch.params()), spec, train)
    summary = fit(model, prepared.xy("train"), prepared.xy("val"), train, extra_callbacks=[sel], verbose=0)
    kept = _accuracy(model, x_test, y_test)  # what fit() left in the model: what the pipeline saves
    return {**sel.scores(), "acc_kept": round(kept, 2), "kept_epoch": summary.best_epoch,
            "batch": train.batch_size, "n_train": spec.sizes.train, "n_val": spec.sizes.val}


def run_plain(dataset: str, seed: int, znorm: bool = False, epochs: int | None = None) -> dict:
    """dl-4-tsc's classifiers/fcn.py, Keras 3, TensorFlow backend; `znorm`: each series z-normalised
    over its whole length first, as dl-4-tsc's reader of the UCR 2018 archive does (utils.read_dataset)."""
    import keras

    from seqpipe.registry import build_registry

    ts = build_registry().dataset("ts")  # reads TRAIN and its TEST sibling, with the official split
    train_raw = ts.load(ts.params(path=str(ts_path(dataset))), seed, labelled=True)  # type: ignore[call-arg]
    x = np.asarray(train_raw.sequences, dtype="float32")  # equal lengths: one array
    y = np.asarray(train_raw.targets)
    if train_raw.split is None:
        raise SystemExit("the ts source gave no official split")
    split = np.asarray(train_raw.split)
    if x.ndim == 2:
        x = x[..., None]
    if znorm:
        std = x.std(axis=1, keepdims=True)
        x = (x - x.mean(axis=1, keepdims=True)) / np.where(std == 0, 1.0, std)
    x_train, y_train, x_test, y_test = x[split == "train"], y[split == "train"], x[split == "test"], y[split == "test"]
    classes = np.unique(y_train)
    y_train, y_test = np.searchsorted(classes, y_train), np.searchsorted(classes, y_test)
    keras.utils.set_random_seed(seed)
    model = dl4tsc_fcn(x_train.shape[1:], len(classes))
    batch = dl4tsc_batch(len(x_train))
    marks = CURVE_MARKS if epochs else ()
    epochs = epochs or recipe_epochs(len(x_train))
    sel = _selection_callback(x_test, y_test, marks)
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=50, min_lr=0.0001)
    model.fit(x_train, keras.utils.to_categorical(y_train, len(classes)), batch_size=batch, epochs=epochs,
              verbose=0, callbacks=[plateau, sel])
    kept = _accuracy(model, x_test, y_test)
    return {**sel.scores(), "acc_kept": round(kept, 2), "kept_epoch": epochs, "batch": batch,
            "n_train": len(x_train), "n_val": 0}


def child(args: argparse.Namespace) -> None:
    start = time.perf_counter()
    if args.variant.startswith("plain"):
        row = run_plain(args.dataset, args.seed, znorm=args.variant == "plainz",
                        epochs=2000 if args.variant == "plain2000" else None)
    else:
        row = run_seqpipe(args.dataset, args.arch, args.seed, args.variant)
    row = {"variant": args.variant, "seed": args.seed, **row, "seconds": round(time.perf_counter() - start, 1),
           "load": round(os.getloadavg()[0], 2)}
    print("ROW " + json.dumps(row), flush=True)


def summarise(rows: list[dict]) -> None:
    print(f"{'variant':<9} {'seeds':<8} {'last':>12} {'min-loss':>12} {'kept':>12} {'last loss (max)':>15}")
    for variant in VARIANTS:
        mine = [r for r in rows if r["variant"] == variant]
        if not mine:
            continue

        def ms(key: str, rs: list[dict] = mine) -> str:
            v = np.array([r[key] for r in rs], dtype=float)
            return f"{v.mean():5.1f} ± {v.std(ddof=1) if len(v) > 1 else 0:4.1f}"

        seeds = ",".join(str(r["seed"]) for r in mine)
        print(f"{variant:<9} {seeds:<8} {ms('acc_last'):>12} {ms('acc_min_loss'):>12} {ms('acc_kept'):>12} "
              f"{max(r['last_loss'] for r in mine):>15.4g}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="ArrowHead")
    ap.add_argument("--arch", default="fcn")
    ap.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)  # one run, in a child process
    ap.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--summary", action="store_true", help="print the table of the runs recorded so far")
    args = ap.parse_args()
    if args.variant:
        child(args)
        return
    out = ROOT / "bench" / "results" / f"small_data_variants-{args.dataset}-{args.arch}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    for variant in [] if args.summary else args.variants:
        for seed in args.seeds:
            if any(r["variant"] == variant and r["seed"] == seed for r in rows):
                continue
            env = {**os.environ, "KERAS_BACKEND": "jax" if variant == "jax" else "tensorflow",
                   "TF_CPP_MIN_LOG_LEVEL": "3"}
            cmd = [sys.executable, __file__, "--dataset", args.dataset, "--arch", args.arch,
                   "--variant", variant, "--seed", str(seed)]
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            line = next((ln for ln in done.stdout.splitlines() if ln.startswith("ROW ")), None)
            if line is None:
                print(done.stdout[-2000:], done.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"{variant} seed {seed} failed")
            row = json.loads(line[4:])
            print(json.dumps(row), flush=True)
            rows.append(row)
            with out.open("a") as f:
                f.write(json.dumps(row) + "\n")
    summarise([r for r in rows if r["variant"] in args.variants and r["seed"] in args.seeds])


if __name__ == "__main__":
    main()

"""Why a deep model loses to the training mean on a small regression set: test RMSE against steps.

One UCR/UEA regression dataset from aeon's wheel (offline; CardanoSentiment by default), read by
the `ts` source and prepared as the prepare stage does (official split, params.yaml's `data:`);
one architecture at its plugin defaults and recipe (`seqpipe show ARCH`), trained once for the
largest budget with early stopping off, for each seed. At each mark the test RMSE of the current
weights (the pipeline keeps the last epoch) and of the weights of lowest training loss so far is
recorded. The regression head standardises targets itself (`spec.target`: Dense(1), then a
Rescaling by the train mean and std); `--raw-target` drops that (a plain Dense(1) on the targets'
units, the head before it); `--scale-target` (with `--raw-target`) trains the plain head on
standardised targets and maps the predictions back, the approximation measured before the head did it.

    .venv/bin/python bench/regression_curve.py --arch fcn --steps 300 1000 3000 --seeds 42 0 1
    .venv/bin/python bench/regression_curve.py --arch fcn --steps 300 1000 3000 --seeds 42 0 1 --scale-target
    .venv/bin/python bench/regression_curve.py --dataset Covid3Month --arch cnn --seeds 0 1 2 --set optimizer=adamw weight_decay=0.05
    .venv/bin/python bench/regression_curve.py --dataset adding --arch cnn --steps 1000 7890 --seeds 0 1 2

`--rules` measures the small-data rules instead of a curve (issue 19): per seed, (1) today's pipeline
rule, the whole train file trained for the pipeline's budget with no validation split (the last epoch,
unless it ends on a spike); (2) a validation split of `--val` (data.split.val by default) carved at
random out of the train file, the rest trained for the same budget with early stopping off, each
epoch's validation MSE and test RMSE recorded, and the weights each candidate rule would keep read
off that one run: the last epoch; the lowest validation loss (with and without the pipeline's
warm-up); early stopping at patience `train.patience` restoring the best; and each of those falling
back to the train mean where the mean's validation loss is lower.

    .venv/bin/python bench/regression_curve.py --rules --dataset CardanoSentiment --arch cnn --seeds 0 1 2

`--dataset adding` is the default experiment (params.yaml's `data.options`, its seeded 70/15/15
split); the curve still trains on the training split alone with early stopping off.

Prints one line per mark and seed and the means; writes bench/results/regression_curve-<dataset>-<arch>[-scaled].json.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time

import numpy as np
from common import ROOT, marks_callback
from realdata import aeon_data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="CardanoSentiment")
    ap.add_argument("--arch", default="fcn")
    ap.add_argument("--steps", type=int, nargs="+", default=[300, 1000, 3000])
    ap.add_argument("--seeds", type=int, nargs="+", default=[42])
    ap.add_argument("--scale-target", action="store_true", help="train on standardised targets")
    ap.add_argument("--raw-target", action="store_true", help="a plain Dense(1) head on the targets' units")
    ap.add_argument("--set", nargs="*", default=[], help="train.KEY=VALUE overrides (YAML values)")
    ap.add_argument("--rules", action="store_true", help="measure the small-data rules (see above), not a curve")
    ap.add_argument("--val", type=float, help="--rules: the validation fraction (default: params.yaml's data.split.val)")
    args = ap.parse_args()

    import keras
    import yaml

    from seqpipe.config.experiment import ArchitectureChoice
    from seqpipe.config.params import TrainParams
    from seqpipe.config.recipes import effective
    from seqpipe.data import api as data
    from seqpipe.registry import build_registry
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    raw_params = yaml.safe_load((ROOT / "params.yaml").read_text())
    d = raw_params["data"]
    registry = build_registry()
    if args.dataset == "adding":
        src = registry.dataset("adding")
        raw = src.load(src.params(**d["options"]), 42)
    else:
        ts = registry.dataset("ts")
        raw = ts.load(ts.params(path=str(aeon_data() / args.dataset / f"{args.dataset}_TRAIN.ts")), 42,
                      labelled=True)  # type: ignore[call-arg]
    prepared = data.prepare(raw, val=d["split"]["val"], test=d["split"]["test"], seed=42)
    spec = prepared.spec if not args.raw_target else prepared.spec.model_copy(update={"target": None})
    x_val, y_val = prepared.xy("val")
    whole = args.dataset != "adding" and not args.rules  # the curve trains on the whole official train file
    if whole:  # prepare carves regression's validation split out of it (issue 19); the curve puts it back
        spec = spec.model_copy(update={"sizes": spec.sizes.model_copy(update={"train": spec.sizes.train + len(y_val),
                                                                              "val": 0})})
    arch = registry.architecture(args.arch)
    overrides = {k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in args.set)}
    base = TrainParams.model_validate({**raw_params["train"], **overrides})
    settings = effective(base, args.arch, arch).for_data(spec.sizes.train).params
    per_epoch = math.ceil(spec.sizes.train / settings.batch_size)
    marks = sorted({math.ceil(s / per_epoch) for s in args.steps})
    train = settings.model_copy(update={"epochs": marks[-1], "patience": 0})
    x_train, y_train = prepared.xy("train")
    if whole:
        x_train, y_train = np.concatenate([x_train, x_val]), np.concatenate([y_train, y_val])
        x_val, y_val = x_val[:0], y_val[:0]
    x_test, y_test = prepared.xy("test")
    if args.rules:
        from small_rules import measure
        val = d["split"]["val"] if args.val is None else args.val
        measure(args, ArchitectureChoice(args.arch, arch, arch.params()), prepared, effective(base, args.arch, arch), val)
        return
    mean, std = (float(y_train.mean()), float(y_train.std())) if args.scale_target else (0.0, 1.0)
    mean_rmse = float(np.sqrt(np.mean((y_test - y_train.mean()) ** 2)))
    rows: list[dict] = []

    for seed in args.seeds:

        def rmse(model: keras.Model) -> float:
            out = np.asarray(model.predict(x_test, batch_size=256, verbose=0)).reshape(-1) * std + mean
            return float(np.sqrt(np.mean((out - y_test) ** 2)))

        def record(epochs: int, loss: float, last: float, best: float, seed: int = seed,
                   start: float = time.perf_counter()) -> None:
            rows.append({"seed": seed, "epochs": epochs, "steps": epochs * per_epoch,
                         "train_rmse": round(math.sqrt(loss) * std, 4), "test_rmse_last": round(last, 4),
                         "test_rmse_min_train_loss": round(best, 4),
                         "seconds": round(time.perf_counter() - start, 1), "load": round(os.getloadavg()[0], 2)})
            print(json.dumps(rows[-1]), flush=True)

        seed_everything(seed)
        model = build_model(ArchitectureChoice(args.arch, arch, arch.params()), spec, train)
        fit(model, (x_train, (y_train - mean) / std), (x_val, y_val),
            train, extra_callbacks=[marks_callback(marks, rmse, record)], verbose=0)
        keras.backend.clear_session()

    print(f"{args.dataset} {args.arch}: train/val/test {spec.sizes.train}/{spec.sizes.val}/{spec.sizes.test}, "
          f"batch {train.batch_size}, {per_epoch} steps per epoch, lr schedule {train.lr_schedule}, "
          f"target {'standardised' if args.scale_target else 'as is'}, head {'plain' if args.raw_target else 'rescaling'}, overrides {args.set}; test RMSE of the train mean {mean_rmse:.4f}")
    print(f"{'steps':>6} {'train rmse':>10} {'test last':>9} {'test min-loss':>13}  (mean over seeds {args.seeds})")
    for mark in marks:
        at = [r for r in rows if r["epochs"] == mark]
        print(f"{at[0]['steps']:>6} {np.mean([r['train_rmse'] for r in at]):>10.4f} "
              f"{np.mean([r['test_rmse_last'] for r in at]):>9.4f} {np.mean([r['test_rmse_min_train_loss'] for r in at]):>13.4f}")
    out = ROOT / "bench" / "results" / f"regression_curve-{args.dataset}-{args.arch}{'-scaled' if args.scale_target else ''}{'-raw' if args.raw_target else ''}{''.join('-' + o for o in args.set)}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "train_mean_rmse": mean_rmse, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()

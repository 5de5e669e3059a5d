"""Is the training budget what the zoo misses on real data? Test accuracy against optimizer steps.

One UCR dataset from aeon's wheel (offline), read by the `ts` source and prepared as the prepare
stage does (official split; params.yaml's `data:` settings); one architecture at its plugin
defaults and its recipe (`seqpipe show ARCH`), trained once for the largest budget with early
stopping off. At each mark the test accuracy of the current weights (the pipeline keeps the last
epoch) and of the weights of lowest training loss so far (dl-4-tsc's model selection) is recorded,
so one run gives the whole curve.

    .venv/bin/python bench/steps_curve.py --dataset ArrowHead --arch fcn --steps 3000 6000 12000

Prints a table and writes bench/results/steps_curve-<dataset>-<arch>.json.
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
    ap.add_argument("--dataset", default="ArrowHead")
    ap.add_argument("--arch", default="fcn")
    ap.add_argument("--steps", type=int, nargs="+", default=[3000, 6000, 12000])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--resample", action="store_true",
                    help="unequal lengths: data.lengths resample (default: pad, to compare padding with it)")
    ap.add_argument("--padding", choices=["pre", "post"], help="default: params.yaml's data.padding")
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
    ts = registry.dataset("ts")  # the `ts` source, as data.source: ts reads it
    raw = ts.load(ts.params(path=str(aeon_data() / args.dataset / f"{args.dataset}_TRAIN.ts")), args.seed,
                  labelled=True)  # type: ignore[call-arg]
    prepared = data.prepare(raw, val=d["split"]["val"], test=d["split"]["test"], seed=args.seed,
                            lengths="resample" if args.resample else "pad",
                            padding=args.padding or d["padding"], truncating=d["truncating"])
    spec = prepared.spec
    arch = registry.architecture(args.arch)
    base = TrainParams.model_validate(raw_params["train"])
    settings = effective(base, args.arch, arch).for_data(spec.sizes.train).params
    per_epoch = math.ceil(spec.sizes.train / settings.batch_size)
    marks = sorted({math.ceil(s / per_epoch) for s in args.steps})
    train = settings.model_copy(update={"epochs": marks[-1], "patience": 0})
    x_test, y_test = prepared.xy("test")
    rows: list[dict] = []
    start = time.perf_counter()

    def accuracy(model: keras.Model) -> float:
        out = np.asarray(model.predict(x_test, batch_size=256, verbose=0))
        return 100.0 * float((out.argmax(axis=1) == y_test).mean())

    def record(epochs: int, loss: float, last: float, best: float) -> None:
        rows.append({"epochs": epochs, "steps": epochs * per_epoch, "train_loss": round(loss, 5),
                     "test_acc_last": round(last, 2), "test_acc_min_train_loss": round(best, 2),
                     "seconds": round(time.perf_counter() - start, 1), "load": round(os.getloadavg()[0], 2)})
        print(json.dumps(rows[-1]), flush=True)

    seed_everything(args.seed)
    model = build_model(ArchitectureChoice(args.arch, arch, arch.params()), spec, train)
    fit(model, prepared.xy("train"), prepared.xy("val"), train, extra_callbacks=[marks_callback(marks, accuracy, record)], verbose=0)
    print(f"{args.dataset} {args.arch}: train/val/test {spec.sizes.train}/{spec.sizes.val}/{spec.sizes.test}, "
          f"batch {train.batch_size}, {per_epoch} steps per epoch, lr schedule {train.lr_schedule}, "
          f"{spec.timesteps} steps, padded {spec.padding.padded} ({spec.padding.side}), resampled {spec.padding.resampled}")
    print(f"{'steps':>6} {'epochs':>6} {'train loss':>10} {'acc last':>8} {'acc min-loss':>12} {'seconds':>7}")
    for r in rows:
        print(f"{r['steps']:>6} {r['epochs']:>6} {r['train_loss']:>10.4g} {r['test_acc_last']:>8.1f} "
              f"{r['test_acc_min_train_loss']:>12.1f} {r['seconds']:>7.0f}")
    variant = "-resample" if args.resample else f"-{args.padding}" if args.padding else ""
    out = ROOT / "bench" / "results" / f"steps_curve-{args.dataset}-{args.arch}{variant}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()

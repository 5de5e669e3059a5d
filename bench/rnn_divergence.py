"""Why SimpleRNN (relu) diverges on the adding problem with the standardising regression head.

The default experiment's data (params.yaml, `common.prepared_data`), one architecture at its plugin
defaults and recipe, trained for the default budget with early stopping off, on the architecture's
own backend (`seqpipe show ARCH`). After every epoch, on a fixed batch of 256 training sequences: the
training loss, the global gradient norm before clipping (JAX backends only), the largest hidden-state value over the 100 steps
(recomputed in NumPy from the SimpleRNN's weights), the recurrent kernel's spectral radius, and the
head's weight norm. `--head plain` is a Dense(1) on the targets' units (spec.target dropped);
`--head standard` is the Dense(1) + Rescaling(std, mean) head; `--head offset` is Rescaling(1, mean)
(the train mean as the starting point, no change of scale); `--head gain` is Rescaling(std, 0) (the
scale alone); `--set` takes train.KEY=VALUE, `--hp` the plugin's KEY=VALUE.

    .venv/bin/python bench/rnn_divergence.py --seed 1 --head standard
    .venv/bin/python bench/rnn_divergence.py --seed 1 --head plain --epochs 10

Writes bench/results/rnn_divergence-<arch>-<head>-seed<seed>[-overrides].json.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time

import numpy as np
from common import ROOT, prepared_data


def _hidden_max(weights: list[np.ndarray], x: np.ndarray, activation: str) -> tuple[float, float]:
    """Largest |h| over all steps and units, and the mean |h| at the last step, of a SimpleRNN."""
    kernel, recurrent, bias = weights
    h = np.zeros((x.shape[0], recurrent.shape[0]), dtype=np.float64)
    peak = 0.0
    for t in range(x.shape[1]):
        pre = x[:, t, :] @ kernel + h @ recurrent + bias
        h = np.maximum(pre, 0.0) if activation == "relu" else np.tanh(pre)
        peak = max(peak, float(np.abs(h).max()))
    return peak, float(np.abs(h).mean())


def _gradient(model):
    """The loss gradient of every trainable variable on a batch, before clipping (JAX backend)."""
    import jax
    import jax.numpy as jnp

    def loss_fn(trainable, non_trainable, x, y):
        out, _ = model.stateless_call(trainable, non_trainable, x, training=False)
        return jnp.mean((jnp.reshape(out, (-1,)) - y) ** 2)

    return jax.jit(jax.grad(loss_fn))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="rnn")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--head", choices=["plain", "standard", "offset", "gain"], default="standard")
    ap.add_argument("--epochs", type=int, default=None, help="default: the budget params.yaml plans")
    ap.add_argument("--set", nargs="*", default=[], help="train.KEY=VALUE overrides (YAML values)")
    ap.add_argument("--hp", nargs="*", default=[], help="KEY=VALUE over params.yaml's models.ARCH (YAML values)")
    args = ap.parse_args()

    import yaml

    from seqpipe.registry import build_registry

    registry = build_registry()
    arch = registry.architecture(args.arch)
    os.environ["KERAS_BACKEND"] = arch.backend or "jax"  # the architecture's own (the default experiment's)

    import keras

    from seqpipe.config import budget
    from seqpipe.config.experiment import ArchitectureChoice
    from seqpipe.config.params import TrainParams
    from seqpipe.config.recipes import effective
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    prepared = prepared_data()
    target = prepared.spec.target
    assert target is not None
    spec = prepared.spec.model_copy(update={"target": {
        "standard": target, "plain": None, "offset": target.model_copy(update={"std": 1.0}),
        "gain": target.model_copy(update={"mean": 0.0})}[args.head]})
    raw_params = yaml.safe_load((ROOT / "params.yaml").read_text())
    overrides = {k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in args.set)}
    base = TrainParams.model_validate({**raw_params["train"], **overrides})
    settings = effective(base, args.arch, arch).for_data(spec.sizes.train).params
    epochs = args.epochs or budget.plan(settings, spec.sizes.train, spec.sizes.val, settings.batch_size).epochs
    train = settings.model_copy(update={"epochs": epochs, "patience": 0})
    hp = arch.params(**{**(raw_params.get("models", {}).get(args.arch) or {}),  # params.yaml's models.ARCH
                        **{k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in args.hp)}})
    x_train, y_train = prepared.xy("train")
    x_test, y_test = prepared.xy("test")
    probe_x, probe_y = x_train[:256], y_train[:256]

    seed_everything(args.seed)
    model = build_model(ArchitectureChoice(args.arch, arch, hp), spec, train)
    cell = next((layer for layer in model.layers if isinstance(layer, keras.layers.SimpleRNN)), None)
    head = model.get_layer("head")

    grad = _gradient(model) if keras.backend.backend() == "jax" else None
    rows: list[dict] = []
    start = time.perf_counter()

    class Probe(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            row = {"epoch": epoch + 1, "loss": float((logs or {}).get("loss", np.nan)),
                   "head_w": round(float(np.linalg.norm(head.get_weights()[0])), 4),
                   "head_b": round(float(head.get_weights()[1][0]), 4),
                   "lr": float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))}
            if grad is not None:
                g = grad([v.value for v in model.trainable_variables],
                         [v.value for v in model.non_trainable_variables], probe_x, probe_y)
                norms = {v.path: float(np.linalg.norm(np.asarray(gi))) for v, gi in zip(model.trainable_variables, g)}
                row["grad_norm"] = round(math.sqrt(sum(n * n for n in norms.values())), 5)
                row["grad_norm_cell"] = round(math.sqrt(sum(n * n for k, n in norms.items() if "head" not in k)), 5)
            if cell is not None:
                w = cell.get_weights()
                row["hidden_max"], row["hidden_last_mean"] = (round(v, 3) for v in _hidden_max(w, probe_x, cell.activation.__name__))
                row["rho"] = round(float(np.abs(np.linalg.eigvals(w[1])).max()), 4)
            pred = np.asarray(model.predict(x_test, batch_size=512, verbose=0)).reshape(-1)
            row["test_rmse"] = round(float(np.sqrt(np.mean((pred - y_test) ** 2))), 5)
            row["seconds"] = round(time.perf_counter() - start, 1)
            rows.append(row)
            print(json.dumps(row), flush=True)

    fit(model, (x_train, y_train), prepared.xy("val"), train, extra_callbacks=[Probe()], verbose=0)
    print(f"{args.arch} head {args.head} seed {args.seed} backend {keras.backend.backend()} epochs {epochs} "
          f"batch {train.batch_size} lr {train.learning_rate} {train.lr_schedule} clipnorm {train.clipnorm} "
          f"target mean/std {prepared.spec.target}; load {os.getloadavg()[0]:.2f}")
    tag = "".join("-" + o for o in args.set + args.hp)
    out = ROOT / "bench" / "results" / f"rnn_divergence-{args.arch}-{args.head}-seed{args.seed}{tag}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()

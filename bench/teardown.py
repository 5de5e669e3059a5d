"""Does fit() return when training ends? Keras' default input pipeline against seqpipe's.

Issue 6 reported that about 40% of fit() calls returned 0.3-10 s after training ended. This
script fits each architecture repeatedly in one process, alternating between Keras' default
tf.data pipeline (autotuning on) and seqpipe's (`acceleration.input_pipeline_without_autotune`,
what seqpipe.training.fit.fit uses), and reports per mode how many fits paid a tear-down over 0.05 s
(fit()'s time after the last callback's on_train_end: `FitSummary.teardown_seconds`) and the median
epoch time. The trained numbers are the same in both modes.

    .venv/bin/python bench/teardown.py [--archs transformer cnn lstm] [--fits 5] [--samples 2000] [--epochs 3]

Prints a table and writes bench/results/teardown.json. TensorFlow backend only (on JAX, Keras
feeds numpy without tf.data).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys

import yaml
from common import ROOT, prepared_data, save_results

MODES = {"keras default (autotune on)": False, "seqpipe (autotune off)": True}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", nargs="+", default=["transformer", "cnn", "lstm"])
    ap.add_argument("--fits", type=int, default=5, help="fits per architecture and mode")
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()

    from seqpipe.config.experiment import choose_architecture
    from seqpipe.config.params import Params
    from seqpipe.registry import build_registry
    from seqpipe.training import acceleration
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    if not acceleration.tensorflow_backend():
        raise SystemExit("bench/teardown.py measures tf.data: run it with the TensorFlow backend")
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["train"].update({"epochs": args.epochs})
    params = Params.model_validate(raw)
    prepared = prepared_data(args.samples)
    registry = build_registry()
    without_autotune = acceleration.input_pipeline_without_autotune
    runs: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(args.fits):
        for mode, seqpipe in MODES.items():
            acceleration.input_pipeline_without_autotune = without_autotune if seqpipe else contextlib.nullcontext
            for arch in args.archs:
                seed_everything(params.seed)
                model = build_model(choose_architecture(params, registry, arch), prepared.spec, params.train)
                summary = fit(model, prepared.xy("train"), prepared.xy("val"), params.train, verbose=0)
                runs.setdefault((arch, mode), []).append((summary.teardown_seconds, summary.seconds_per_epoch))
                print(json.dumps({"architecture": arch, "mode": mode, "teardown_s": summary.teardown_seconds,
                                  "epoch_s": summary.seconds_per_epoch}), file=sys.stderr, flush=True)
    acceleration.input_pipeline_without_autotune = without_autotune
    rows = []
    for arch in args.archs:
        for mode in MODES:
            teardowns = [t for t, _ in runs[(arch, mode)]]
            rows.append({"architecture": arch, "mode": mode, "fits": len(teardowns),
                         "teardowns_over_50ms": sum(t > 0.05 for t in teardowns), "max_teardown_s": max(teardowns),
                         "median_epoch_s": round(statistics.median(e for _, e in runs[(arch, mode)]), 3)})
    print(f"{'architecture':<12} {'input pipeline':<28} {'fits':>4} {'>50 ms':>6} {'max s':>6} {'epoch s':>7}")
    for r in rows:
        print(f"{r['architecture']:<12} {r['mode']:<28} {r['fits']:>4} {r['teardowns_over_50ms']:>6} "
              f"{r['max_teardown_s']:>6.3f} {r['median_epoch_s']:>7.3f}")
    save_results("teardown", {"args": vars(args), "rows": rows})


if __name__ == "__main__":
    main()

"""Which defaults? Time and test metric of one architecture under variants of its settings.

Each variant is a list of `key=value` overrides on top of params.yaml: `train.<field>=...` changes
the `train` section, any other key a hyperparameter of the architecture (`models.<arch>`). Every
variant trains once, in a fresh process, through the pipeline's own build_model/fit (early
stopping, XLA choice and all), on params.yaml's data (the adding problem, 6000 x 100) unless
--samples/--timesteps say otherwise. The metric does not depend on the machine's load (training
is deterministic on CPU); the seconds do, so compare them only between runs of one invocation.

    .venv/bin/python bench/tuning_defaults.py rnn "" "activation=relu" "activation=relu train.batch_size=32"

Prints a table and writes bench/results/tuning_defaults-<arch>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from common import ROOT, prepared_data


def parse_overrides(variant: str) -> tuple[dict, dict]:
    """'units=64 train.batch_size=32' -> ({'units': 64}, {'batch_size': 32}), values read as YAML."""
    hp, train = {}, {}
    for item in variant.split():
        key, _, value = item.partition("=")
        target, key = (train, key[len("train."):]) if key.startswith("train.") else (hp, key)
        target[key] = yaml.safe_load(value)
    return hp, train


def one(arch: str, variant: str, data_dir: Path) -> dict:
    """Train `arch` under `variant` in this process: seconds to a trained model and the test metric."""
    from seqpipe import tasks
    from seqpipe.config.experiment import choose_architecture
    from seqpipe.config.params import Params
    from seqpipe.data import api as data
    from seqpipe.evaluation import scoring as evaluation
    from seqpipe.registry import build_registry
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    hp, train_overrides = parse_overrides(variant)
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["architectures"] = [arch]
    raw["models"] = {arch: {**(raw["models"].get(arch) or {}), **hp}}
    raw["train"].update(train_overrides)
    params = Params.model_validate(raw)
    choice = choose_architecture(params, build_registry(), arch)
    prepared = data.load(data_dir)
    spec = prepared.spec
    seed_everything(params.seed)
    start = time.perf_counter()
    model = build_model(choice, spec, params.train)
    summary = fit(model, prepared.xy("train"), prepared.xy("val"), params.train, verbose=0)
    seconds = time.perf_counter() - start
    x_test, y_test = prepared.xy("test")
    task = tasks.get(spec.task)
    scores = evaluation.score(spec.task, y_test, evaluation.predict(model, x_test, 256), spec)
    return {"architecture": arch, "variant": variant or "(params.yaml)", "seconds": round(seconds, 2),
            "epochs": summary.epochs_run, "best_epoch": summary.best_epoch,
            "epoch_s": summary.seconds_per_epoch, "jit": bool(model.jit_compile is True),
            "metric": task.primary_metric, "value": scores[task.primary_metric]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("arch")
    ap.add_argument("variants", nargs="+", help='"key=value ..." per variant; "" = params.yaml as it is')
    ap.add_argument("--samples", type=int)
    ap.add_argument("--timesteps", type=int)
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.arch, args.variants[0], args.data_dir)))
        return
    from seqpipe.data import api as data

    rows = []
    with tempfile.TemporaryDirectory(prefix="seqpipe-tuning-") as tmp:
        data_dir = Path(tmp) / "prepared"
        data.save(prepared_data(args.samples, args.timesteps), data_dir)
        for variant in args.variants:
            cmd = [sys.executable, __file__, args.arch, variant, "--one", "--data-dir", str(data_dir)]
            result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                                    env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
            if result.returncode != 0:
                raise SystemExit(f"{args.arch} [{variant}] failed:\n{result.stderr[-2000:]}")
            rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(f"{'variant':<48} {'seconds':>7} {'epochs':>6} {'best':>4} {'epoch s':>7} {'xla':>3} {'metric':>6} {'value':>9}")
    for r in rows:
        print(f"{r['variant']:<48} {r['seconds']:>7.1f} {r['epochs']:>6} {r['best_epoch']:>4} {r['epoch_s']:>7.2f} "
              f"{'yes' if r['jit'] else 'no':>3} {r['metric']:>6} {r['value']:>9.5f}")
    out = ROOT / "bench" / "results" / f"tuning_defaults-{args.arch}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": {k: v for k, v in vars(args).items() if k not in ("one", "data_dir")},
                               "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""JAX's persistent compilation cache (seqpipe.training.compilation_cache): one train stage per
architecture, each in a fresh process, with the cache off, empty, and filled by the run before.

In a scratch copy of the project (params.yaml's adding problem, resized; early stopping off), for
each architecture: `python -m seqpipe.stages.train --arch A` three times, timed whole (imports,
build, fit, saving, the in-process evaluation), its fit (`models/A.fit.json`'s `train_seconds`),
and the saved model's digest, which must be the same in all three runs:

    .venv/bin/python bench/compilation_cache.py [--archs rnn lstm gru cnn linear] [--samples 1000] [--epochs 2]

Prints a table and writes bench/results/compilation_cache.json. Architectures on another backend
than JAX (`train.backend: auto`) are timed too: the cache leaves them as they are.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, run_timed, save_results, scratch_project  # noqa: E402

SWITCH = "SEQPIPE_COMPILATION_CACHE"


def one_run(project: Path, arch: str, cache: str) -> dict:
    os.environ[SWITCH] = cache  # run_timed passes this process's environment on
    wall, _ = run_timed([sys.executable, "-m", "seqpipe.stages.train", "--arch", arch], project)
    fit = json.loads((project / "models" / f"{arch}.fit.json").read_text())
    digest = hashlib.sha256((project / "models" / f"{arch}.keras").read_bytes()).hexdigest()[:12]
    return {"stage_s": round(wall, 2), "fit_s": fit["train_seconds"], "backend": fit["backend"], "model": digest}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--archs", nargs="+", default=["rnn", "lstm", "gru", "cnn", "linear"])
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=2)
    args = ap.parse_args()
    project = scratch_project(args.samples, args.epochs)
    cache = Path(tempfile.mkdtemp(prefix="seqpipe-xla-"))
    rows = []
    try:
        for arch in args.archs:
            runs = {"off": one_run(project, arch, "off"), "empty": one_run(project, arch, str(cache / arch)),
                    "filled": one_run(project, arch, str(cache / arch))}
            rows.append({"arch": arch, "backend": runs["off"]["backend"],
                         **{f"{k}_stage_s": r["stage_s"] for k, r in runs.items()},
                         **{f"{k}_fit_s": r["fit_s"] for k, r in runs.items()},
                         "same_bytes": "yes" if len({r["model"] for r in runs.values()}) == 1 else "NO"})
    finally:
        shutil.rmtree(project, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
    print_table(rows, [("arch", "architecture", "<12"), ("backend", "backend", "<10"),
                       ("off_stage_s", "stage s: off", ">12.2f"), ("empty_stage_s", "empty", ">6.2f"),
                       ("filled_stage_s", "filled", ">6.2f"), ("off_fit_s", "fit s: off", ">10.2f"),
                       ("empty_fit_s", "empty", ">6.2f"), ("filled_fit_s", "filled", ">6.2f"),
                       ("same_bytes", "same model bytes", ">16")])
    print(f"load average {os.getloadavg()[0]:.2f}; wrote {save_results('compilation_cache', rows)}")


if __name__ == "__main__":
    main()

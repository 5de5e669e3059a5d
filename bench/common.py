"""Shared by the bench scripts: the default experiment's data, resized, through the pipeline's own code."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def prepared_data(samples: int | None = None, timesteps: int | None = None) -> Any:
    """params.yaml's dataset (the adding problem by default) with `n_samples`/`timesteps` replaced,
    loaded by its plugin and split, padded and scaled by seqpipe.data.shaping.prepare as the prepare stage does."""
    from seqpipe.config.context import context
    from seqpipe.data import api as data
    from seqpipe.stages.prepare import load_raw

    raw_params = yaml.safe_load((ROOT / "params.yaml").read_text())
    options = raw_params["data"].setdefault("options", {}) or {}
    raw_params["data"]["options"] = options
    if samples:
        options["n_samples"] = samples
    if timesteps:
        options["timesteps"] = timesteps
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump(raw_params, f, sort_keys=False)
    try:
        ctx = context(f.name)
    finally:
        os.unlink(f.name)
    p = ctx.params.data
    return data.prepare(
        load_raw(ctx.dataset, ctx.params.seed), val=p.split.val, test=p.split.test, seed=ctx.params.seed,
        scale=p.scale, maxlen=p.maxlen, maxlen_percentile=p.maxlen_percentile, padding=p.padding,
        truncating=p.truncating, pad_value=p.pad_value, nan_policy=p.nan_policy, fill_value=p.fill_value,
        window=p.window, text=p.text,
    )



def adding_problem(samples: int, timesteps: int = 100) -> Any:
    """The adding problem as the older tuning scripts (tuning_batch, tuning_jit, tuning_progress)
    measured it: generated with seed 0 and split 70/15/15 with seed 0, independent of params.yaml."""
    from seqpipe.data import api as data
    from seqpipe.registry import build_registry

    source = build_registry().dataset("adding")
    return data.prepare(source.load(source.params(n_samples=samples, timesteps=timesteps), 0), val=0.15, test=0.15, seed=0)


def print_table(rows: list[dict], columns: list[tuple[str, str, str]]) -> None:
    """Print `rows` under a header: one (key, header, format spec) per column, e.g.
    ("epoch_s", "epoch s", ">8.3f"); the header takes the spec's alignment and width."""
    def header_spec(spec: str) -> str:
        return re.match(r"[<>^]?\d*", spec).group(0)

    print(" ".join(f"{header:{header_spec(spec)}}" for _, header, spec in columns))
    for row in rows:
        print(" ".join(f"{row[key]:{spec}}" for key, _, spec in columns))

def save_results(name: str, payload: Any) -> Path:
    """Write a benchmark's JSON to bench/results/<name>.json (git-ignored) and return the path."""
    out = ROOT / "bench" / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n")
    return out


def copy_project(prefix: str = "seqpipe-bench-") -> Path:
    """A temporary copy of the tracked project files (outputs included). The caller removes it."""
    dest = Path(tempfile.mkdtemp(prefix=prefix))
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def scratch_project(samples: int, epochs: int) -> Path:
    """A temporary copy of the tracked project files, with `samples` sequences prepared and
    `train.epochs` set to `epochs` (early stopping off). The caller removes it."""
    dest = copy_project()
    params = yaml.safe_load((dest / "params.yaml").read_text())
    params["data"]["options"]["n_samples"] = samples
    params["train"].update({"epochs": epochs, "patience": 0})
    (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run_timed(["python", "-m", "seqpipe.stages.prepare"], dest)
    return dest


def run_timed(cmd: list[str], cwd: Path) -> tuple[float, str]:
    """Run `cmd` in `cwd` with this venv's bin first on PATH: (wall seconds, stdout). Exits on failure."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "TF_CPP_MIN_LOG_LEVEL": "3"}
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stderr[-2000:]}")
    return elapsed, result.stdout


def marks_callback(marks: list[int], score: Any, record: Any) -> Any:
    """A Keras callback for curves inside one run: at each epoch in `marks` (1-based) it calls
    `record(epoch, training loss, score of the current weights, score of the weights of lowest
    training loss so far)`, `score(model) -> float` (the lowest-loss weights: dl-4-tsc's model
    selection; the pipeline keeps the last epoch unless it is a spike)."""
    import keras
    import numpy as np

    class Marks(keras.callbacks.Callback):
        best_loss, best_weights = np.inf, None

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            loss = float((logs or {}).get("loss", np.inf))
            if loss < self.best_loss:
                self.best_loss, self.best_weights = loss, self.model.get_weights()
            if epoch + 1 not in marks:
                return
            last = score(self.model)
            current = self.model.get_weights()
            self.model.set_weights(self.best_weights)
            best = score(self.model)
            self.model.set_weights(current)
            record(epoch + 1, loss, last, best)

    return Marks()

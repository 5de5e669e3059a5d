"""Shared by the bench scripts: the default experiment's data, resized, through the pipeline's own code."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def prepared_data(samples: int | None = None, timesteps: int | None = None) -> Any:
    """params.yaml's dataset (the adding problem by default) with `n_samples`/`timesteps` replaced,
    loaded by its plugin and split, padded and scaled by pipeline.data.prepare as the prepare stage does."""
    from pipeline import data, stage
    from pipeline.prepare import load_raw

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
        ctx = stage.context(f.name)
    finally:
        os.unlink(f.name)
    p = ctx.params.data
    return data.prepare(
        load_raw(ctx.dataset, ctx.params.seed), val=p.split.val, test=p.split.test, seed=ctx.params.seed,
        scale=p.scale, maxlen=p.maxlen, maxlen_percentile=p.maxlen_percentile, padding=p.padding,
        truncating=p.truncating, pad_value=p.pad_value, nan_policy=p.nan_policy, fill_value=p.fill_value,
        window=p.window, text=p.text,
    )


def save_results(name: str, payload: Any) -> Path:
    """Write a benchmark's JSON to bench/results/<name>.json (git-ignored) and return the path."""
    out = ROOT / "bench" / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n")
    return out

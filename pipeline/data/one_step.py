"""One-step windows for a recursive forecaster (`train.strategy: recursive`).

A recursive model forecasts one step and is applied `horizon` times, each forecast fed back as the
newest input (seqpipe.training.recursive). It trains on a window for every step that the direct
windows' targets cover in each split: the same training and validation ranges, no step of a later
split, but up to `horizon` times as many training windows. Under the cutoff protocol a series with
144 steps and a 36-step horizon gives the direct model 13 training windows and the one-step model 48.

The windows are cut from `series_values` (prepare's copy of each series' forecast column in the
data's units), so only a single-column series without covariates qualifies
(`PreparedSpec.why_not_recursive` says why another does not); the inputs are scaled as prepare
scaled the direct windows'.
"""
from __future__ import annotations

import numpy as np

from seqpipe.data.history import ORIGIN_PREFIX
from seqpipe.data.prepared import Prepared
from seqpipe.data.spec import PreparedSpec, SplitCounts

SPLITS = ("train", "val")  # what the model is fitted and early-stopped on; test stays direct


def one_step(prepared: Prepared) -> Prepared:
    """Horizon-1 windows over the steps each split's direct windows forecast (train and val only)."""
    spec = prepared.spec
    f = spec.forecast
    why = spec.why_not_recursive()
    if f is None or why is not None:
        raise ValueError(f"no one-step windows: {why}")  # checks.check_prepared refuses such params first
    lookback, values = spec.timesteps, prepared.arrays["series_values"]
    arrays: dict[str, np.ndarray] = {k: v for k, v in prepared.arrays.items()
                                     if k in ("series_values", "series_lengths")}
    sizes = {}
    for split in SPLITS:
        starts = prepared.arrays[f"{ORIGIN_PREFIX}{split}"]
        steps = sorted({(int(i), int(t) + k) for i, t in starts for k in range(f.horizon)})
        x = np.stack([values[i, t - lookback : t] for i, t in steps])[:, :, None]
        if spec.scaler is not None:  # as prepare scaled the direct windows' inputs
            x = (x - spec.scaler.mean[0]) / spec.scaler.scale[0]
        arrays[f"X_{split}"] = x.astype(np.float32)
        arrays[f"y_{split}"] = np.array([[values[i, t]] for i, t in steps], dtype=np.float32)
        arrays[f"{ORIGIN_PREFIX}{split}"] = np.asarray(steps, dtype=np.int64).reshape(-1, 2)
        sizes[split] = len(steps)
    step_spec = spec.model_copy(update={
        "sizes": SplitCounts(train=sizes["train"], val=sizes["val"], test=spec.sizes.test),
        "forecast": f.model_copy(update={"horizon": 1}),
    })
    return Prepared(arrays, step_spec, prepared.vocabulary)


def line(arch: str, direct: PreparedSpec, step: PreparedSpec, why: str) -> str:
    """What the train log says about a recursive run; `why`: the setting that chose it."""
    assert direct.forecast is not None, "recursive forecasts are forecasts"
    return (f"{arch}: recursive forecast ({why}): a one-step model on {step.sizes.train:,} training and "
            f"{step.sizes.val:,} validation windows (the direct head's: {direct.sizes.train:,} and "
            f"{direct.sizes.val:,}), applied {direct.forecast.horizon} times, each forecast fed back as an input")

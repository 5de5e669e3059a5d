"""M1 yearly under the previous scale composition, for bench/RESULTS.md ("Forecast quality").

Before: `data.scale` standardised the inputs over all series, then the per-window normalisation
divided by `sqrt(var + 1e-5)`. This script puts both back by monkeypatching (global
standardisation of the prepared inputs with the training range's statistics; the old spread),
and trains gru and cnn on the M1 yearly series as bench/forecast_quality.py does. `now` runs the
current code for the same rows.

    .venv/bin/python bench/forecast_scale_legacy.py legacy|now
"""
from __future__ import annotations

import os
import sys
import time
from typing import Any

import forecast_quality as fq
import numpy as np


def _old_call(self: Any, x: Any) -> Any:
    from keras import ops

    level = x[:, -1:, :] if self.mode == "last" else ops.mean(x, axis=1, keepdims=True)
    spread = ops.sqrt(ops.var(x, axis=1, keepdims=True) + 1e-5)
    return (x - level) / spread, level, spread


def _legacy() -> None:
    from sklearn.preprocessing import StandardScaler

    from seqpipe.data.spec import ScalerSpec
    from seqpipe.training import window_norm

    window_norm.WindowNormalization.call = _old_call
    original = fq.prepared_for

    def prepared_for(name: str, settings: dict) -> Any:
        prepared = original(name, settings)
        series = [np.asarray(s) for s in fq.raw_series(name).sequences]
        horizon = fq.SERIES[name][3]
        scaler = StandardScaler().fit(np.concatenate([s[: len(s) - 2 * horizon] for s in series]))
        for split in ("train", "val", "test"):
            prepared.arrays[f"X_{split}"] = ((prepared.arrays[f"X_{split}"] - scaler.mean_) / scaler.scale_).astype(
                np.float32)
        prepared.spec = prepared.spec.model_copy(
            update={"scaler": ScalerSpec(mean=scaler.mean_.tolist(), scale=scaler.scale_.tolist())})
        return prepared

    fq.prepared_for = prepared_for


def main() -> None:
    from seqpipe import process

    process.quiet_tensorflow()
    which = sys.argv[1] if len(sys.argv) > 1 else "now"
    if which == "legacy":
        _legacy()
    print(which, time.strftime("%H:%M UTC"), f"load {os.getloadavg()[0]:.1f}")
    for arch in ("gru", "cnn"):
        r = fq.run("m1_yearly", arch, {"train.min_steps": 300}, 42, False)
        print(f"{which} m1_yearly {arch} MASE {r['mase']:.3f} MAPE {r['mape']:.3f}", flush=True)


if __name__ == "__main__":
    main()

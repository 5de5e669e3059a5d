"""Scale of `prepare`: time and peak memory for N generated sequences x 100 steps x 4 features.

    python bench/prepare_scale.py                      # 10k and 100k
    python bench/prepare_scale.py --sizes 10000 100000 1000000

Each size runs in a fresh process, so its peak resident memory (ru_maxrss) is its own. The
input is a float32 array (N, 100, 4) with regression targets; `prepare` splits, scales (fit on
train, in place, in chunks) and `save` writes the .npy files. The target is a peak under 3x the
padded float32 array, counting the input array itself (it is 1x of that already).
Results are printed as a Markdown table and written to bench/results/prepare_scale.json.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def one(n: int, steps: int, features: int) -> dict:
    import numpy as np

    from seqpipe.data import api as data
    from seqpipe.specs import RawData

    base = _rss_mb()
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    x = rng.random((n, steps, features), dtype=np.float32)
    y = x[:, :, 0].mean(axis=1)
    generated = time.perf_counter() - start
    raw = RawData(x, y, "regression", "numeric")
    start = time.perf_counter()
    prepared = data.prepare(raw, val=0.15, test=0.15, seed=0)
    t_prepare = time.perf_counter() - start
    with tempfile.TemporaryDirectory(dir=ROOT / "bench") as tmp:
        start = time.perf_counter()
        data.save(prepared, Path(tmp) / "prepared")
        t_save = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    padded = n * steps * features * 4 / 2**20
    return {
        "sequences": n,
        "padded_array_mb": round(padded, 1),
        "generate_s": round(generated, 2),
        "prepare_s": round(t_prepare, 2),
        "save_s": round(t_save, 2),
        "peak_rss_mb": round(peak, 1),
        "rss_before_mb": round(base, 1),
        "peak_over_padded": round(peak / padded, 2),
        "peak_minus_start_over_padded": round((peak - base) / padded, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--features", type=int, default=4)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.steps, args.features)))
        return
    rows = []
    for n in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--steps", str(args.steps), "--features", str(args.features)],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), file=sys.stderr)
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(str(r[k]) for k in keys) + " |")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "prepare_scale.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()

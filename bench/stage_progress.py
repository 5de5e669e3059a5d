"""Cost of the repro's stage counter (seqpipe.stage_progress) inside a stage process, on top of
what every stage imports anyway: the first stage of a repro (asks DVC, in process, which other
stages are changed) and a later one (reads .seqpipe/repro/session.json). Wall and CPU seconds.

Run from a project whose pipeline has run once (so DVC has hashes cached), e.g.:
    cd /tmp/proj && python /path/to/bench/stage_progress.py train@lstm evaluate@lstm --rounds 3
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

PROBE = """
import io, os, sys, time
from seqpipe import layout, process  # noqa: F401  what every stage imports before parser()
from seqpipe.config import context  # noqa: F401
from seqpipe import stage_progress as sp
t, c = time.perf_counter(), time.process_time()
line = sp.begin(io.StringIO(), ancestor=lambda: (sys.argv[1], ["dvc", "repro"]))
print(f"{os.environ['DVC_STAGE']}\\t{time.perf_counter() - t:.3f}\\t{time.process_time() - c:.3f}\\t{line}")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("first", help="a stage that would run first, e.g. train@lstm")
    ap.add_argument("later", help="a stage after it, e.g. evaluate@lstm")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    print("stage\twall_s\tcpu_s\tline")
    for i in range(args.rounds):
        key = f"bench-{os.getpid()}-{i}"  # a new repro each round
        for stage in (args.first, args.later):
            env = {**os.environ, "DVC_STAGE": stage, "DVC_ROOT": os.getcwd()}
            out = subprocess.run([sys.executable, "-c", PROBE, key], env=env, capture_output=True, text=True, check=True)
            sys.stdout.write(out.stdout)


if __name__ == "__main__":
    main()

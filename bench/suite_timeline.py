"""Where the test suite's wall time goes across pytest-xdist's workers: the README's `make test`
(pytest with the Makefile's arguments), with each test's start and end recorded per worker.

    .venv/bin/python bench/suite_timeline.py [-- extra pytest arguments]

Prints the wall time, each worker's busy time and when it ran out of tests, the idle tail (one
worker done, the other still running) and the slowest tests, and writes
bench/results/suite_timeline.json. The order the tests are handed out in is tests/conftest.py's.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, save_results

PLUGIN = '''
import json, os, time
LOG = os.environ["SUITE_TIMELINE_LOG"]
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
def pytest_runtest_logstart(nodeid, location):
    _write("start", nodeid)
def pytest_runtest_logfinish(nodeid, location):
    _write("end", nodeid)
def _write(event, nodeid):
    with open(LOG, "a") as f:
        f.write(json.dumps({"worker": WORKER, "event": event, "test": nodeid, "t": time.time()}) + "\\n")
'''


def make_test_arguments() -> list[str]:
    """The pytest arguments of the Makefile's `test` target, so this times what `make test` runs."""
    recipe = re.search(r"^test:.*\n\t.*-m pytest (.*)$", (ROOT / "Makefile").read_text(), re.M)
    if recipe is None:
        sys.exit("bench/suite_timeline.py: no `python -m pytest ...` line under the Makefile's test target")
    return shlex.split(recipe.group(1))


def main(extra: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "suite_timeline_plugin.py").write_text(PLUGIN)
        log = Path(tmp) / "timeline.jsonl"
        env = {**os.environ, "SUITE_TIMELINE_LOG": str(log),
               "PYTHONPATH": os.pathsep.join(filter(None, [tmp, os.environ.get("PYTHONPATH", "")]))}
        start = time.time()
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", *make_test_arguments(), "-p", "suite_timeline_plugin", *extra],
                              cwd=ROOT, env=env)
        wall = time.time() - start
        events = [json.loads(line) for line in log.read_text().splitlines()]
    if any(e["worker"] != "main" for e in events):  # xdist's controller sees every worker's tests again
        events = [e for e in events if e["worker"] != "main"]
    began = {(e["worker"], e["test"]): e["t"] for e in events if e["event"] == "start"}
    tests = [{"worker": e["worker"], "test": e["test"], "start": began[(e["worker"], e["test"])] - start,
              "seconds": e["t"] - began[(e["worker"], e["test"])]} for e in events if e["event"] == "end"]
    workers = {}
    for w in sorted({t["worker"] for t in tests}):
        mine = [t for t in tests if t["worker"] == w]
        workers[w] = {"tests": len(mine), "busy_s": round(sum(t["seconds"] for t in mine), 1),
                      "last_end_s": round(max(t["start"] + t["seconds"] for t in mine), 1)}
    ends = sorted(v["last_end_s"] for v in workers.values())
    tail = round(ends[-1] - ends[0], 1) if len(ends) > 1 else 0.0
    print(f"exit {done.returncode}; wall {wall:.0f} s; idle tail {tail} s (one worker out of tests, the other still running)")
    for w, v in workers.items():
        print(f"  {w}: {v['tests']} tests, busy {v['busy_s']} s, out of tests at {v['last_end_s']} s")
    print("slowest:")
    for t in sorted(tests, key=lambda t: -t["seconds"])[:12]:
        print(f"  {t['seconds']:7.1f} s  starts at {t['start']:6.0f} s on {t['worker']}  {t['test']}")
    save_results("suite_timeline", {"wall_s": round(wall, 1), "tail_s": tail, "workers": workers, "tests": tests})


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[1:] if args[:1] == ["--"] else args)

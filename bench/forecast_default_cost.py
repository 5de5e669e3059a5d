"""The cost of a forecast's default seeds: the wall time of a whole `dvc repro` of
examples/csv-forecast with `backtest.origins: [1, 2]`, from scratch in a fresh copy of the project
(tests/conftest.py's `make_project`), with one seed (`train.repeats: 1` written) or with the
defaults (a forecast: 3 seeds and their ensemble, seqpipe.config.seeds).

    .venv/bin/python bench/forecast_default_cost.py one-seed /tmp/cost1
    .venv/bin/python bench/forecast_default_cost.py defaults /tmp/cost3
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.conftest import make_project  # noqa: E402  (the tests' copy of the project)


def main() -> None:
    label, where = sys.argv[1], Path(sys.argv[2])
    if label not in ("one-seed", "defaults"):
        sys.exit("usage: forecast_default_cost.py one-seed|defaults EMPTY_DIR")
    where.mkdir(parents=True, exist_ok=True)
    make_project(where)
    params = yaml.safe_load((ROOT / "examples/csv-forecast/params.yaml").read_text())
    params["backtest"] = {"origins": [1, 2], "step": None}
    if label == "one-seed":
        params["train"]["repeats"] = 1
    (where / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", label], cwd=where, check=True)
    venv = ROOT / ".venv" / "bin"
    load = os.getloadavg()[0]
    started = time.perf_counter()
    out = subprocess.run([str(venv / "dvc"), "repro"], cwd=where, capture_output=True, text=True,
                         env={**os.environ, "PATH": f"{venv}:{os.environ['PATH']}"})
    wall = time.perf_counter() - started
    print(out.stdout[-3000:], out.stderr[-2000:])
    metrics = {p.stem: json.loads(p.read_text()) for p in sorted((where / "metrics").glob("*.json"))}
    summary = json.loads((where / "summary" / "metrics.json").read_text()) if out.returncode == 0 else {}
    print(json.dumps({"label": label, "rc": out.returncode, "wall_s": round(wall, 1), "load_start": load,
                      "load_end": os.getloadavg()[0], "mase": {k: v.get("mase") for k, v in metrics.items()},
                      "ensemble": {k: v.get("ensemble") for k, v in metrics.items()},
                      "backtest": {k: v for k, v in summary.items() if "backtest_mase" in k}}, indent=1))


if __name__ == "__main__":
    main()

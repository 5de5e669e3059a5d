"""Where a small dataset's `dvc repro` spends its time besides fitting (issue 18).

On ArrowHead (read from aeon's wheel by the `ts` source, as bench/realdata.py does) and a
default-like set of architectures: a whole `dvc repro` in a git-initialised scratch copy, its wall
time against the sum of the pure `fit` times inside it (models/<arch>.fit.json's `train_seconds`),
then where the rest goes:

- per stage: wall time from DVC's `Running stage` line to the next (DVC's bookkeeping included);
- graph tracing and XLA compilation: each fit's first epoch minus its median later epoch (the
  train log's `epoch i/n - 1.2s` lines);
- fixed costs of one stage process, each timed in fresh processes (`--probes` of them, median):
  the interpreter, seqpipe's TensorFlow-free imports, TensorFlow + Keras' import, TensorFlow's
  runtime start (the first op), dvclive's `Live()` (it opens the DVC repository);
- DVC itself: a no-op `dvc repro` of the finished project.

    .venv/bin/pip install -e '.[bench]'                      # aeon: its data files (and peer_aeon.py)
    .venv/bin/python bench/fixed_cost.py                     # 5 architectures, 20 epochs each
    .venv/bin/python bench/fixed_cost.py --archs cnn --epochs 100 --keep
    .venv/bin/python bench/fixed_cost.py --epochs 0          # params.yaml's budget (epochs: auto)

Prints a table and writes bench/results/fixed_cost.json.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml
from common import BIN, print_table, save_results
from realdata import project_for

ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "TF_CPP_MIN_LOG_LEVEL": "3",
       "PYTHONUNBUFFERED": "1"}
STAGE = re.compile(r"^Running stage '([^']+)'")
EPOCH = re.compile(r"^epoch (\d+)/\d+ - ([\d.]+)s")
# One stage process's fixed costs, each printed by a fresh interpreter as seconds since its start.
PROBES = {
    "interpreter": "pass",
    "seqpipe imports (no TensorFlow)": "import seqpipe.config.context, seqpipe.data.prepared, seqpipe.evaluation.scoring",
    "TensorFlow + Keras import": "import keras",
    "TensorFlow runtime start (first op)": "import keras; _t = time.perf_counter(); keras.ops.convert_to_numpy("
                                           "keras.ops.add(keras.ops.ones((2,)), 1)); print(time.perf_counter() - _t)",
    "dvclive Live() (opens the DVC repo)": "from dvclive import Live; import tempfile; _t = time.perf_counter(); "
                                           "Live(dir=tempfile.mkdtemp(), dvcyaml=None, save_dvc_exp=False, report=None)"
                                           "; print(time.perf_counter() - _t)",
}

LAST_CPU: dict[str, float] = {}


def children_cpu() -> float:
    """CPU seconds (user + sys) of this process's finished child processes, theirs included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def adopt_orphans() -> None:
    """Become a child subreaper (Linux): processes that leave their parent, as seqpipe's warm workers
    do, are then reparented to this one, so their CPU seconds count once they are reaped."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def reap_orphans(seconds: float = 15.0) -> None:
    """Wait for adopted processes to end (a warm worker ends with its repro)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def timed_repro(project: Path) -> tuple[float, list[tuple[float, str]]]:
    """`dvc repro` in `project`: its wall seconds and every output line with its time since the start;
    its CPU seconds (every stage process included, warm workers too: under load, wall seconds are the
    machine's, CPU seconds mostly the work's) in LAST_CPU["repro_s"]."""
    adopt_orphans()
    cpu_before = children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "dvc"), "repro"], cwd=project, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    lines = [(time.perf_counter() - start, line.rstrip("\n")) for line in proc.stdout]
    if proc.wait() != 0:
        raise SystemExit("dvc repro failed:\n" + "\n".join(text for _, text in lines[-40:]))
    wall = time.perf_counter() - start
    reap_orphans()
    LAST_CPU["repro_s"] = round(children_cpu() - cpu_before, 2)
    return wall, lines


def stage_times(lines: list[tuple[float, str]], total: float) -> dict[str, float]:
    """Seconds from each `Running stage` line to the next (the last one: to the end); DVC's own
    start before the first stage under `dvc (start)`."""
    marks = [(t, m.group(1)) for t, text in lines if (m := STAGE.match(text))]
    times = {"dvc (start)": marks[0][0] if marks else total}
    for (t, name), (t_next, _) in zip(marks, [*marks[1:], (total, "")]):
        times[name] = t_next - t
    return times


def epoch_seconds(lines: list[tuple[float, str]]) -> dict[str, list[float]]:
    """Each train stage's epoch durations as its log prints them."""
    current, epochs = "", {}
    for _, text in lines:
        if m := STAGE.match(text):
            current = m.group(1)
        elif (m := EPOCH.match(text)) and current.startswith("train@"):
            epochs.setdefault(current.split("@", 1)[1], []).append(float(m.group(2)))
    return epochs


def probe(code: str, cwd: Path, repeats: int) -> float:
    """Median seconds of `code` in a fresh interpreter: its own printed figure, else the process's wall time."""
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", f"import time\n{code}"], cwd=cwd, env=ENV, capture_output=True,
                             text=True, check=True).stdout.strip().splitlines()
        wall = time.perf_counter() - start
        runs.append(float(out[-1]) if out and re.fullmatch(r"[\d.e-]+", out[-1]) else wall)
    return statistics.median(runs)


def no_op_repro(project: Path, repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = subprocess.run([str(BIN / "dvc"), "repro"], cwd=project, env=ENV, capture_output=True, text=True,
                             check=True).stdout
        runs.append(time.perf_counter() - start)
        if "Running stage" in out:
            raise SystemExit(f"the second dvc repro was not a no-op:\n{out[-2000:]}")
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="ArrowHead", help="a dataset of bench/realdata.py (default ArrowHead)")
    ap.add_argument("--archs", nargs="+", help="default: params.yaml's architectures")
    ap.add_argument("--epochs", type=int, default=20, help="epochs per architecture; 0: params.yaml's budget")
    ap.add_argument("--models", type=json.loads, default={},
                    help='JSON merged into models.<arch>, e.g. \'{"fcn": {"train": {"batch_size": 16}}}\'')
    ap.add_argument("--probes", type=int, default=3, help="fresh processes per fixed-cost probe")
    ap.add_argument("--no-evaluation-cache", action="store_true",
                    help="SEQPIPE_EVALUATION_CACHE=off: every evaluate@<arch> computes in its own process (as before issue 18)")
    ap.add_argument("--no-warm", action="store_true", help="SEQPIPE_WARM=0: every train stage imports Keras itself")
    ap.add_argument("--keep", action="store_true", help="keep the scratch project")
    ap.add_argument("--log", help="write `dvc repro`'s output here, each line with its seconds since the start")
    args = ap.parse_args()
    if args.no_evaluation_cache:
        ENV["SEQPIPE_EVALUATION_CACHE"] = "off"
    if args.no_warm:
        ENV["SEQPIPE_WARM"] = "0"
    archs = args.archs or yaml.safe_load(Path("params.yaml").read_text())["architectures"]
    project = project_for(args.dataset, archs, args.epochs or None)
    if args.models:
        params = yaml.safe_load((project / "params.yaml").read_text())
        for arch, update in args.models.items():
            entry = params["models"].setdefault(arch, {}) or {}
            params["models"][arch] = {**entry, **update, "train": {**(entry.get("train") or {}),
                                                                  **update.get("train", {})}}
        (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        subprocess.run(["git", "commit", "-qam", "models"], cwd=project, check=True, capture_output=True)
    load_start = os.getloadavg()[0]
    try:
        total, lines = timed_repro(project)
        if args.log:
            Path(args.log).write_text("".join(f"{t:8.2f} {text}\n" for t, text in lines), encoding="utf-8")
        stages = stage_times(lines, total)
        fits = {a: json.loads((project / "models" / f"{a}.fit.json").read_text())["train_seconds"] for a in archs}
        fit_cpu = sum(json.loads((project / "models" / f"{a}.fit.json").read_text())["cpu_seconds"] for a in archs)
        repro_cpu = LAST_CPU["repro_s"]
        epochs = epoch_seconds(lines)
        tracing = {a: round(e[0] - statistics.median(e[1:]), 2) for a, e in epochs.items() if len(e) > 1}
        fixed = {name: round(probe(code, project, args.probes), 3) for name, code in PROBES.items()}
        fixed["DVC no-op `dvc repro`"] = round(no_op_repro(project, args.probes), 3)
    finally:
        if args.keep:
            print(f"kept {project}")
        else:
            shutil.rmtree(project, ignore_errors=True)
    fit_sum = sum(fits.values())
    rows = [{"stage": name, "wall_s": s, "fit_s": fits.get(name.split("@")[-1], 0.0) if name.startswith("train@") else 0.0}
            for name, s in stages.items()]
    rows = [{**r, "rest_s": r["wall_s"] - r["fit_s"]} for r in rows]
    print_table(rows, [("stage", "stage", "<22"), ("wall_s", "wall s", ">7.2f"), ("fit_s", "fit s", ">7.2f"),
                       ("rest_s", "rest s", ">7.2f")])
    print(f"{'whole dvc repro':<22} {total:>7.2f} {fit_sum:>7.2f} {total - fit_sum:>7.2f}   "
          f"repro / fits = {total / fit_sum:.2f}x")
    print(f"{'CPU seconds':<22} {repro_cpu:>7.2f} {fit_cpu:>7.2f} {repro_cpu - fit_cpu:>7.2f}   "
          f"(user + sys of every process; the fits' own: fit.json's cpu_seconds)")
    print("first epoch minus median epoch (tracing, XLA):", ", ".join(f"{a} {s:.2f}s" for a, s in tracing.items()))
    print("fixed costs (median of fresh processes):")
    for name, s in fixed.items():
        print(f"  {name:<38} {s:>6.3f} s")
    load_end = os.getloadavg()[0]
    print(f"load average {load_start:.2f} at the start, {load_end:.2f} at the end")
    out = save_results("fixed_cost", {
        "args": vars(args), "archs": archs, "repro_s": round(total, 2), "fit_sum_s": round(fit_sum, 2),
        "ratio": round(total / fit_sum, 3), "fits_s": fits,
        "repro_cpu_s": repro_cpu, "fit_cpu_s": round(fit_cpu, 2), "stages_s": {k: round(v, 2) for k, v in stages.items()},
        "tracing_s": tracing, "epochs_s": epochs, "fixed_s": fixed, "load": [round(load_start, 2), round(load_end, 2)]})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

"""What does a stage process pay after its work is done? Python's shutdown, with and without
`process.skip_final_collection()`.

Once TensorFlow and Keras are imported, the interpreter's shutdown runs a full garbage collection
over ~500k objects. Every `train` and `evaluate` process ends that way. For each stage and
architecture this script runs, interleaved, in a scratch copy of the project:

- "python default": `from seqpipe.stages.<stage> import main; main()`: the stage's work, then a plain exit;
- "seqpipe": `python -m pipeline.<stage>` as DVC runs it, whose last step is skip_final_collection().

It reports the median seconds from main()'s return to the process's end ("exit s") and the whole
run's wall time. The outputs are the same in both arms.

    .venv/bin/python bench/shutdown.py [--archs lstm transformer] [--stages train evaluate] [--rounds 3]

Prints a table and writes bench/results/shutdown.json.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import time

from common import print_table, run_timed, save_results, scratch_project

MARK = "bench-shutdown: main returned at"
# Both arms print the moment main() returned; the "seqpipe" arm runs the module's __main__ block.
ARMS = {
    "python default": "import sys, time\nsys.argv = ['{stage}', '--arch', '{arch}']\n"
                      "from seqpipe.stages.{stage} import main\nmain()\nprint('{mark}', time.time(), flush=True)",
    "seqpipe": "import runpy, sys, time\nsys.argv = ['{stage}', '--arch', '{arch}']\n"
               "runpy.run_module('pipeline.{stage}', run_name='__main__')\nprint('{mark}', time.time(), flush=True)",
}


def timed_exit(code: str, project) -> tuple[float, float]:
    """(wall seconds, seconds from main()'s return to the process's end)."""
    wall, out = run_timed(["python", "-c", code], project)
    ended = time.time()
    returned = float(out.strip().splitlines()[-1].removeprefix(MARK))
    return wall, ended - returned


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", nargs="+", default=["lstm", "transformer"])
    ap.add_argument("--stages", nargs="+", default=["train", "evaluate"], choices=["train", "evaluate"])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=2)
    args = ap.parse_args()
    project = scratch_project(args.samples, args.epochs)
    rows = []
    try:
        for arch in args.archs:
            run_timed(["python", "-m", "seqpipe.stages.train", "--arch", arch], project)  # evaluate needs a model
            for stage_name in args.stages:
                runs: dict[str, list[tuple[float, float]]] = {arm: [] for arm in ARMS}
                for _ in range(args.rounds):
                    for arm, template in ARMS.items():
                        code = template.format(stage=stage_name, arch=arch, mark=MARK)
                        runs[arm].append(timed_exit(code, project))
                for arm, samples in runs.items():
                    rows.append({
                        "stage": stage_name, "architecture": arch, "exit": arm,
                        "wall_s": round(statistics.median(w for w, _ in samples), 2),
                        "exit_s": round(statistics.median(e for _, e in samples), 3),
                        "exit_all_s": [round(e, 3) for _, e in samples],
                    })
                    print(rows[-1], flush=True)
    finally:
        shutil.rmtree(project, ignore_errors=True)
    print_table(rows, [("stage", "stage", "<9"), ("architecture", "architecture", "<12"), ("exit", "exit", "<15"),
                       ("wall_s", "wall s", ">7.2f"), ("exit_s", "exit s", ">7.3f")])
    save_results("shutdown", {"args": vars(args), "rows": rows})


if __name__ == "__main__":
    main()

"""A stage's first step under `dvc repro`: its progress line, then its warm worker if it has one.

`seqpipe.stages` runs `stage_start()` when its package is imported, before the stage module's own
imports (pydantic, numpy, pandas, Keras...): a stage that hands itself to a worker then spends
~0.05 s of its own instead of 0.3-0.5 s. Only a process started as `python -m seqpipe.stages.X`
(what dvc.yaml runs) under DVC does anything here; `import seqpipe.stages.X` elsewhere (tests,
notebooks, a worker) does not. The repro's first stage starts the workers for the stages after it
(seqpipe.warm.launch) and runs itself.

Which worker: a train stage goes to the worker of its architecture's Keras backend; the stages in
PLAIN (their usual path never imports Keras) go to the repro's plain worker, which has pandas,
scikit-learn, SciPy and matplotlib loaded.
"""
from __future__ import annotations

import os
import sys

from seqpipe import layout, process, stage_progress
from seqpipe.warm import PLAIN

STAGES_PACKAGE = "seqpipe.stages."
# Stages whose usual path never imports Keras (evaluate reads the evaluation cache train filled).
# Not prepare and fingerprint: they come first, while the workers still import. Beside those imports
# prepare already takes 3.2 s instead of 1.55 (bench/fixed_cost.py; bench/RESULTS.md, "Fixed costs,
# round 6"); waiting for the plain worker's own import on top made it slower still.
PLAIN_STAGES = frozenset({"evaluate", "baselines", "backtest_baselines", "report"})
_done = False


def stage_module(orig_argv: list[str] | None = None) -> str | None:
    """`seqpipe.stages.train` where this process was started as `python -m seqpipe.stages.train ...`."""
    argv = sys.orig_argv if orig_argv is None else orig_argv
    after = argv[argv.index("-m", 1) + 1:] if "-m" in argv[1:] else []
    return after[0] if after and after[0].startswith(STAGES_PACKAGE) else None


def worker_for(module: str, argv: list[str]) -> str | None:
    """What the launcher's plan names the worker for a stage module with these arguments by:
    `train@<arch>` (the launcher chose its backend's worker), PLAIN, or None (no worker)."""
    name = module.removeprefix(STAGES_PACKAGE)
    if _option(argv, "--params") not in (None, str(layout.PARAMS_FILE)):
        return None  # the launcher planned from params.yaml
    if name == "train":
        arch = _option(argv, "--arch")
        return f"train@{arch}" if arch else None
    return PLAIN if name in PLAIN_STAGES else None


def stage_start() -> None:
    """Print the stage's place in the repro; in its first stage, launch the workers for the others;
    in a later one, run the stage in its worker and exit as it did (returns where there is none)."""
    global _done
    if _done:
        return
    _done = True
    module = stage_module()
    if module is None or not stage_progress.begin():
        return
    process.quiet_tensorflow()  # the environment the launcher computed the workers' addresses in
    opened = stage_progress.opened_repro()
    if opened is not None:  # the repro's first stage: stages to come get their imports done ahead
        from seqpipe.warm import launch

        launch.start(opened.key, opened.plan, os.environ.get("DVC_STAGE", ""))
        return
    target = worker_for(module, sys.argv[1:])
    if target is not None:
        from seqpipe.warm import client

        client.delegate(module, target)


def _option(argv: list[str], flag: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(flag + "="):
            return arg.partition("=")[2]
    return None

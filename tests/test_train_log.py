"""What `dvc repro` prints, read the way a user reads it: one counter line per stage with the time
left, one line per epoch with its checkpoint, the report's checks at the end of each training run,
and timings taken under load flagged from the train log to the report."""
from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.e2e

COUNTER = re.compile(r"^\[(\d+)/(\d+)\] (\S+): (.*)$")


def _counters(log: str) -> list[tuple[int, int, str, str]]:
    return [(int(m[1]), int(m[2]), m[3], m[4]) for m in map(COUNTER.match, log.splitlines()) if m]


def _stage_lines(log: str, stage: str) -> list[str]:
    """The lines `stage` printed in a `dvc repro` log (between its `Running stage` and the next)."""
    out, current = [], None
    for line in log.splitlines():
        if line.startswith("Running stage"):
            current = line.split("'")[1]
        elif current == stage:
            out.append(line)
    return out


def test_the_repro_log_counts_stages_folds_checkpoints_and_ends_each_run_with_its_checks(project):
    # 240 sequences with 10% for validation: 24, too few to choose an epoch by (a check fires)
    project.set_params({"architectures": ["lstm", "cnn"], "train": {"epochs": 3}, "data": {"split": {"val": 0.1}}})
    log = project.run("dvc", "repro").stdout
    ran = [line.split("'")[1] for line in log.splitlines() if line.startswith("Running stage")]
    counters = _counters(log)
    assert [c[2] for c in counters] == ran  # one counter line per stage DVC ran, in its order
    assert [(c[0], c[1]) for c in counters] == [(i, len(ran)) for i in range(1, len(ran) + 1)]
    assert counters[0][3] == "no estimate yet (first run)"

    epochs = [line for line in log.splitlines() if line.startswith("epoch ")]
    assert len(epochs) == 6 and all(re.match(r"epoch [123]/3 - [\d.]+s - loss .*", e) for e in epochs)
    # a checkpoint at most once a second (epochs here take milliseconds) and always after the last epoch
    assert [e.startswith("epoch 3/3") for e in epochs if e.endswith(" - checkpoint saved")].count(True) == 2
    assert not any(line.startswith("checkpoint") for line in log.splitlines())  # folded in, not a line of its own
    for arch in ("lstm", "cnn"):  # each training run ends with the report's check, with its fix
        checks = [line for line in _stage_lines(log, f"train@{arch}") if line.startswith("check: ")]
        assert len(checks) >= 1 and re.match(r"check: the validation split has \d+ sequences \(fewer than 30\): .*; "
                                             r"use more data or a larger data.split.val", checks[0]), checks

    timing = json.loads((project.path / "timings" / "lstm.json").read_text())
    assert {"train_seconds", "cpu_seconds", "load_avg", "contended"} <= set(timing) and timing["cpu_seconds"] > 0

    # One architecture changed, trained while the load average reads 99: three stages, each with an
    # estimate from the times recorded above, and the run flagged as timed under load.
    project.set_params({"models": {"lstm": {"units": 5}}})
    project.extra_env["SEQPIPE_TEST_LOADAVG"] = "99"
    log = project.run("dvc", "repro").stdout
    counters = _counters(log)
    assert [(c[0], c[1], c[2]) for c in counters] == [(1, 3, "train@lstm"), (2, 3, "evaluate@lstm"), (3, 3, "report")]
    assert all(re.fullmatch(r"~(\d+s|\d+m\d\ds) left in this repro", c[3]) for c in counters), counters
    assert re.search(r"trained lstm: 3 epochs in .*; timed under load \(load average 99 > \d+ cores\)", log)
    assert json.loads((project.path / "timings" / "lstm.json").read_text())["contended"] is True
    report = (project.path / "reports" / "report.md").read_text()
    row = next(line for line in report.splitlines() if line.startswith("|") and " lstm " in line)
    assert "\u00a0†" in row and "† timed while the machine's load average exceeded its cores" in report

"""Progress on long work: one line per finished phase in a stage log, a bar on a terminal."""
import io

import numpy as np

from seqpipe.data import api as data
from seqpipe.progress import Phases
from seqpipe.specs import RawData


def test_prepare_reports_each_phase_it_runs_in_the_stage_log():
    log = io.StringIO()
    raw = RawData(np.random.default_rng(0).normal(size=(60, 8, 2)).astype("float32"), np.arange(60.0), "regression", "numeric")
    with Phases("prepare", data.PREPARE_PHASES, stream=log) as phase:
        phase("loading")
        data.prepare(raw, val=0.2, test=0.2, seed=0, progress=phase)
        phase("saving")
    lines = log.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "prepare [1/7] loading", "prepare [2/7] cleaning", "prepare [3/7] splitting",
        "prepare [5/7] padding", "prepare [6/7] scaling", "prepare [7/7] saving",
    ]
    assert all(line.endswith("s") for line in lines)


def test_on_a_terminal_the_phases_drive_one_progress_bar():
    screen = io.StringIO()
    with Phases("prepare", ["loading", "saving"], stream=screen, bar=True) as phase:
        phase("loading")
        phase("saving")
    assert "2/2" in screen.getvalue() and "saving" in screen.getvalue()

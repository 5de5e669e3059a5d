"""The repro's stage counter and time-left line (seqpipe.stage_progress), as stages print it."""
from __future__ import annotations

import io
import json
import time

from seqpipe import stage_progress as sp

PLAN = ["fingerprint", "prepare", "train@lstm", "train@gru", "evaluate@lstm", "evaluate@gru", "report"]


def test_time_left_sums_the_last_recorded_times_and_borrows_the_median_of_a_kind():
    durations = {"prepare": 4.0, "train@lstm": 60.0, "train@gru": 40.0, "evaluate@lstm": 5.0, "report": 9.0}
    # train@cnn was never timed: it counts as the median train stage (50 s); evaluate@cnn as 5 s
    assert sp.estimate_left(["train@cnn", "evaluate@cnn", "report"], durations) == (64.0, True)
    # nothing of the kind: left out, and the estimate says it is incomplete
    assert sp.estimate_left(["baselines", "report"], durations) == (9.0, False)
    assert [sp.duration_text(s) for s in (7, 130, 3900)] == ["7s", "2m10s", "1h05m"]


def test_each_stage_of_one_repro_prints_its_place_and_the_time_left(tmp_path, monkeypatch):
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))
    (tmp_path / ".seqpipe" / "repro").mkdir(parents=True)
    (tmp_path / ".seqpipe" / "repro" / "durations.json").write_text(json.dumps(
        {"fingerprint": 2, "prepare": 3, "train@lstm": 100, "train@gru": 50, "evaluate@lstm": 5, "report": 10}))
    asked = []

    def plan(root, cmdline, first):
        asked.append((cmdline, first))
        return PLAN

    lines = []
    for stage in PLAN[:3]:
        monkeypatch.setenv("DVC_STAGE", stage)
        out = io.StringIO()
        sp.begin(out, plan=plan, ancestor=lambda: ("4242-1.00", ["dvc", "repro"]))
        lines.append(out.getvalue().strip())
        sp.finish()
    assert asked == [(["dvc", "repro"], "fingerprint")]  # DVC is asked once per repro, by its first stage
    # 2+3+100+50+5+5 (evaluate@gru borrows evaluate@lstm's time)+10 = 175 s from the first stage on
    assert lines[0] == "[1/7] fingerprint: ~2m55s left in this repro"
    assert lines[2].startswith("[3/7] train@lstm: ~") and lines[2].endswith(" left in this repro")
    recorded = json.loads((tmp_path / ".seqpipe" / "repro" / "durations.json").read_text())
    # each stage records its process's age (imports included): here the test process's, not the 100 s read before
    import psutil

    age = time.time() - psutil.Process().create_time()
    assert set(recorded) >= {"fingerprint", "prepare", "train@lstm"} and 0 < recorded["train@lstm"] <= age + 1
    assert recorded["train@lstm"] != 100

    # another repro (another DVC process) starts counting again
    monkeypatch.setenv("DVC_STAGE", "train@gru")
    out = io.StringIO()
    sp.begin(out, plan=lambda root, cmdline, first: ["train@gru", "evaluate@gru", "report"],
             ancestor=lambda: ("5151-2.00", ["dvc", "exp", "run"]))
    sp.finish()
    assert out.getvalue().startswith("[1/3] train@gru: ~")


def test_outside_dvc_or_on_any_failure_nothing_is_printed(tmp_path, monkeypatch):
    monkeypatch.delenv("DVC_STAGE", raising=False)
    out = io.StringIO()
    assert sp.begin(out, plan=lambda *a: PLAN, ancestor=lambda: ("1-1", ["dvc"])) is None
    monkeypatch.setenv("DVC_STAGE", "prepare")
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))

    def broken(root, cmdline, first):
        raise RuntimeError("dvc could not be read")

    assert sp.begin(out, plan=broken, ancestor=lambda: ("1-1", ["dvc"])) is None
    assert sp.begin(out, plan=lambda *a: PLAN, ancestor=lambda: None) is None
    assert out.getvalue() == ""
    out = io.StringIO()
    sp.begin(out, plan=lambda *a: PLAN, ancestor=lambda: ("2-2", ["dvc"]))  # no times recorded yet
    assert out.getvalue().strip() == "[1/7] prepare: no estimate yet (first run)"


def test_a_repro_of_targets_plans_only_them_and_what_they_need():
    import networkx as nx

    graph = nx.DiGraph()  # as DVC builds it: an edge from each stage to a stage it depends on
    graph.add_edges_from([("train@lstm", "prepare"), ("train@gru", "prepare"), ("evaluate@lstm", "train@lstm"),
                          ("evaluate@gru", "train@gru"), ("report", "evaluate@lstm"), ("report", "evaluate@gru")])
    names = {s: s for s in graph.nodes}
    assert sp.in_scope(["dvc", "exp", "run", "-S", "seed=1"], graph, names) == set(graph.nodes)
    assert sp.in_scope(["dvc", "repro", "-f", "evaluate@lstm"], graph, names) == {"evaluate@lstm", "train@lstm", "prepare"}
    assert sp.in_scope(["dvc", "repro", "-f", "-s", "dvc.yaml:train@lstm"], graph, names) == {"train@lstm"}
    assert sp.in_scope(["dvc", "repro", "train"], graph, names) == {"train@lstm", "train@gru", "prepare"}

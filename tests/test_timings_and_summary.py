"""Comparable timings (CPU time and the machine's load beside wall time, runs under contention
flagged) and the flat summary metrics file that `dvc exp show` / `dvc metrics show` put first."""
from __future__ import annotations

import json

import pandas as pd

from seqpipe.reporting import figures
from seqpipe.reporting.document import CONTENDED_MARK, contended_note, display_table
from seqpipe.reporting.summary_metrics import summary_metrics
from seqpipe.training import fit


def test_a_load_above_the_cores_marks_the_timing_as_contended(monkeypatch):
    readings = iter([0.5, 1.5, 1.0])
    monkeypatch.setattr(fit, "read_load", lambda: next(readings))
    quiet = fit.Load(cores=2)
    for _ in range(3):
        quiet.sample()
    assert (quiet.mean, quiet.contended) == (1.0, False)

    monkeypatch.setattr(fit, "read_load", lambda: 7.3)  # a queued sweep beside this run
    busy = fit.Load(cores=2)
    busy.sample()
    assert (busy.mean, busy.contended) == (7.3, True)
    assert fit.usable_cores() >= 1 and fit.read_load.__name__ == "<lambda>"


def _table(contended: list[bool]) -> pd.DataFrame:
    return pd.DataFrame({
        "rank": [1, 2], "architecture": ["lstm", "gru"], "mse": [2.1345e-05, 3.5e-05],
        "params": [1000, 800], "train_s": [73.9, 100.9], "cpu_s": [140.2, 120.0],
        "latency_ms": [0.44, 1.22], "repeats": [1, 1], "contended": contended,
    })


def test_the_leaderboard_and_the_score_vs_time_figure_mark_times_taken_under_load(tmp_path):
    table = _table([False, True])
    shown = display_table(table, "mse")
    assert "contended" not in shown
    assert list(shown["train_s"]) == ["73.9", f"100.9\u00a0{CONTENDED_MARK}"]
    assert list(shown["latency_ms"]) == ["0.44", f"1.22\u00a0{CONTENDED_MARK}"]
    note = contended_note(table)
    assert note and note.startswith(CONTENDED_MARK) and "load average exceeded its cores" in note
    assert contended_note(_table([False, False])) is None
    figures.plot_score_vs_cost(table, "mse", tmp_path / "cost.png", greater_is_better=False)
    assert (tmp_path / "cost.png").stat().st_size > 10_000


def test_the_summary_metrics_file_has_one_short_key_per_architecture_and_metric_with_its_digits():
    table = _table([False, False]).assign(mse_std=[1.23456789e-06, 2e-06])
    summary = summary_metrics(table, ["gru", "lstm", "cnn"], "mse", baseline=0.16712345678)
    assert list(summary) == ["gru.mse", "gru.mse_std", "gru.rank", "lstm.mse", "lstm.mse_std", "lstm.rank",
                             "best", "baseline.mse"]  # params order; an architecture without results is left out
    assert summary["lstm.mse"] == 2.1345e-05 and summary["gru.mse_std"] == 2e-06
    assert summary["lstm.mse_std"] == 1.23457e-06 and summary["baseline.mse"] == 0.167123  # six significant digits
    assert (summary["best"], summary["lstm.rank"]) == ("lstm", 1)
    assert json.loads(json.dumps(summary)) == summary  # flat JSON: no nesting for DVC to flatten

"""Comparable timings (CPU time and the machine's load beside wall time, runs under contention
flagged) and the flat summary metrics file, the only one `dvc exp show` / `dvc metrics show` show."""
from __future__ import annotations

import json

import pandas as pd
import yaml
from dvc.commands.metrics import DEFAULT_PRECISION
from dvc.compare import _format_field

from seqpipe.reporting import figures
from seqpipe.reporting.document import CONTENDED_MARK, contended_note, display_table
from seqpipe.reporting.summary_metrics import DVC_DECIMALS, metrics_show_precision, precision_hint, summary_metrics
from seqpipe.training import fit
from tests.conftest import ROOT


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


def test_dvc_yaml_declares_only_the_summary_as_metrics_and_keeps_the_per_architecture_files_in_git():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    declared = [next(iter(m)) if isinstance(m, dict) else m for s in stages.values() for m in s.get("metrics", [])]
    assert declared == ["summary/metrics.json"]
    outs = {next(iter(o)): o[next(iter(o))] for s in stages.values() for o in s.get("outs", []) if isinstance(o, dict)}
    for path in ("metrics/${item.arch}.json", "timings/${item.arch}.json", "metrics/baselines.json",
                 "timings/baselines.json", "diagnostics/checks.json"):
        assert outs[path] == {"cache": False}, path  # in git: `git show`, the leaderboard and the report read them


def test_the_report_names_the_precision_that_shows_three_significant_digits_in_dvc_metrics_show():
    summary = {"lstm.mse": 2.1345e-05, "lstm.rank": 1, "gru.mse": 0.0123456, "best": "lstm", "baseline.mse": 0.167}
    assert DVC_DECIMALS == DEFAULT_PRECISION
    # what DVC prints without the flag, and with the one seqpipe names
    assert _format_field(summary["lstm.mse"], DEFAULT_PRECISION, round_digits=True) == "2e-05"
    precision = metrics_show_precision(summary)
    assert precision == 7 and _format_field(summary["lstm.mse"], precision, round_digits=True) == "2.13e-05"
    hint = precision_hint(summary, "summary/metrics.json")
    assert hint and "`dvc metrics show --precision 7`" in hint and "lstm.mse 2.1345e-05 shows as 2e-05" in hint
    # scores that five decimals show with three significant digits need no flag and no line
    assert metrics_show_precision({"lstm.accuracy": 0.912345, "lstm.rank": 1, "baseline.accuracy": 0.5}) is None
    assert precision_hint({"lstm.mse": 0.00123, "lstm.rank": 1}, "summary/metrics.json") is None

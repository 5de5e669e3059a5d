"""`seqpipe leaderboard` across experiments, from saved `dvc exp show --json` payloads: what changed
becomes columns, an unchanged model is one row marked as shared, an applied experiment is not
listed twice, the report's diagnostics flag their rows, and every output format carries the same table."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from seqpipe.reporting import diagnostics
from seqpipe.reporting import experiments as leaderboard
from tests.conftest import ROOT, env

DATA = Path(__file__).parent / "data"
ARCHS = ("lstm", "cnn")


def _params(lstm_units: int = 32, learning_rate: float = 0.002) -> dict:
    return {"seed": 42, "architectures": list(ARCHS),
            "data": {"source": "adding", "options": {"n_samples": 240}},
            "train": {"epochs": 2, "learning_rate": learning_rate},
            "models": {"lstm": {"units": lstm_units}, "cnn": {"filters": 8}}}


def _state(rev: str, name: str | None, params: dict, mse: dict[str, float], models: dict[str, str],
           checks: dict | None = None) -> dict:
    """One revision as `dvc exp show --json` (DVC 3.67) reports it: params, metrics files and the
    dvc.lock hash of each output (here only the ones the leaderboard reads)."""
    metrics = {f"metrics/{a}.json": {"data": {"mse": m, "r2": 1 - m, "params": 10}} for a, m in mse.items()}
    metrics.update({f"timings/{a}.json": {"data": {"train_seconds": 1.0}} for a in mse})
    if checks is not None:
        metrics["diagnostics/checks.json"] = {"data": checks}
    outs = {f"models/{a}.keras": {"hash": h, "size": 1000, "nfiles": None} for a, h in models.items()}
    return {"rev": rev, "name": name, "error": None, "experiments": None,
            "data": {"rev": rev, "params": {"params.yaml": {"data": params}}, "metrics": metrics, "outs": outs}}


def _payload(workspace: dict) -> list[dict]:
    """A baseline commit and three experiments: two lstm widths, and a learning rate that retrains both."""
    base = _state("a" * 40, "main", _params(), {"lstm": 0.30, "cnn": 0.20}, {"lstm": "l32", "cnn": "c1"})
    base["experiments"] = [
        {"name": name, "executor": None, "revs": [state]} for name, state in (
            ("wide", _state("b" * 40, "wide", _params(64), {"lstm": 0.10, "cnn": 0.20}, {"lstm": "l64", "cnn": "c1"})),
            ("narrow", _state("c" * 40, "narrow", _params(16), {"lstm": 0.40, "cnn": 0.20},
                              {"lstm": "l16", "cnn": "c1"})),
            ("slow", _state("d" * 40, "slow", _params(learning_rate=0.001), {"lstm": 0.25, "cnn": 0.15},
                            {"lstm": "l32-slow", "cnn": "c-slow"})),
        )
    ]
    return [workspace, base]


def _table(payload: list[dict]) -> pd.DataFrame:
    rankings, left_out = leaderboard.build(payload)
    assert len(rankings) == 1 and not left_out
    return rankings[0].table


def test_the_params_that_differ_become_columns_on_the_rows_they_apply_to():
    workspace = _state("workspace", None, _params(), {"lstm": 0.30, "cnn": 0.20}, {"lstm": "l32", "cnn": "c1"})
    table = _table(_payload(workspace))
    changed = [c for c in table.columns if "." in c]
    assert changed == ["train.learning_rate", "models.lstm.units"]  # models.cnn.filters never changed
    lstm = table[table["architecture"] == "lstm"].set_index("experiment")
    assert lstm["models.lstm.units"].to_dict() == {"wide": 64, "slow": 32, "main (aaaaaaa) [workspace]": 32,
                                                   "narrow": 16}
    assert table.loc[table["architecture"] == "cnn", "models.lstm.units"].isna().all()  # not a cnn setting
    assert sorted(table.loc[table["architecture"] == "cnn", "train.learning_rate"]) == [0.001, 0.002]


def test_a_model_no_experiment_retrained_is_one_row_shared_by_the_experiments_it_appears_in():
    workspace = _state("workspace", None, _params(), {"lstm": 0.30, "cnn": 0.20}, {"lstm": "l32", "cnn": "c1"})
    table = _table(_payload(workspace))
    # 4 lstm models + 2 cnn models, not 4 revisions x 2 architectures (+ the workspace)
    assert len(table) == 6
    cnn = table[(table["architecture"] == "cnn") & (table["kind"] == "baseline")].iloc[0]
    assert cnn["experiment"] == "main (aaaaaaa) [workspace]" and cnn["shared"] == "wide, narrow"
    assert table.loc[table["experiment"] == "slow", "shared"].isna().all()
    assert list(table["rank"]) == list(range(1, 7)) and list(table["mse"]) == sorted(table["mse"])


def test_an_applied_experiment_is_listed_once_and_a_changed_workspace_has_its_own_rows():
    applied = _state("workspace", None, _params(64), {"lstm": 0.10, "cnn": 0.20}, {"lstm": "l64", "cnn": "c1"})
    table = _table(_payload(applied))
    assert "workspace" not in set(table["kind"])
    assert (table["experiment"] == "wide [workspace]").sum() == 1  # its lstm; its cnn is the baseline's
    baseline_cnn = table[(table["architecture"] == "cnn") & (table["kind"] == "baseline")].iloc[0]
    assert baseline_cnn["shared"] == "wide [workspace], narrow"

    edited = _state("workspace", None, _params(8), {"lstm": 0.50, "cnn": 0.20}, {"lstm": "l8", "cnn": "c1"})
    table = _table(_payload(edited))
    mine = table[table["kind"] == "workspace"]
    assert mine["architecture"].tolist() == ["lstm"] and mine["models.lstm.units"].tolist() == [8]
    baseline_cnn = table[(table["architecture"] == "cnn") & (table["kind"] == "baseline")].iloc[0]
    assert baseline_cnn["shared"] == "workspace, wide, narrow"


def test_the_baseline_commit_keeps_every_architecture_row():
    workspace = _state("workspace", None, _params(64), {"lstm": 0.10, "cnn": 0.20}, {"lstm": "l64", "cnn": "c1"})
    table = _table(_payload(workspace))
    baseline = table[table["kind"] == "baseline"]
    assert sorted(baseline["architecture"]) == sorted(ARCHS)


def test_without_dvc_lock_hashes_the_params_and_scores_tell_models_apart():
    payload = _payload(_state("workspace", None, _params(), {"lstm": 0.30, "cnn": 0.20}, {}))
    for entry in [payload[1], *(r["revs"][0] for r in payload[1]["experiments"])]:
        entry["data"]["outs"] = {}
    table = _table(payload)
    assert len(table) == 6
    assert table[table["architecture"] == "cnn"]["shared"].dropna().tolist() == ["wide, narrow"]


def test_the_reports_diagnostics_flag_their_rows_with_a_footnote_naming_the_check_and_fix():
    checks = {"lstm": {"early_best": 1, "still_falling": 1}}
    workspace = _state("workspace", None, _params(), {"lstm": 0.30, "cnn": 0.20}, {"lstm": "l32", "cnn": "c1"}, checks)
    payload = _payload(workspace)
    payload[1]["data"]["metrics"]["diagnostics/checks.json"] = {"data": checks}
    rankings, _ = leaderboard.build(payload)
    table = rankings[0].table.set_index(["architecture", "experiment"])
    assert table.loc[("lstm", "main (aaaaaaa) [workspace]"), "checks"] == "early_best, still_falling"
    assert table["checks"].notna().sum() == 1
    text = leaderboard.render(rankings, "text")
    assert f"! early_best: {diagnostics.CHECKS['early_best'][0]}; {diagnostics.CHECKS['early_best'][1]}" in text
    assert "! still_falling:" in text and "! no_better:" not in text
    assert "! early_best:" in leaderboard.render(rankings, "md")


def test_the_diagnostics_metrics_file_holds_the_checks_that_apply_to_each_architecture():
    findings = [diagnostics.Finding(None, "small", "fix", "small_val"),
                diagnostics.Finding("lstm", "early", "fix", "early_best")]
    assert diagnostics.flags(findings, ["lstm", "cnn"]) == {"lstm": {"small_val": 1, "early_best": 1},
                                                           "cnn": {"small_val": 1}}
    assert diagnostics.flags([], ["lstm"]) == {}
    assert {f.check for f in findings} <= set(diagnostics.CHECKS)


def _header(fmt: str, out: str) -> list[str]:
    if fmt == "csv":
        return next(csv.reader(io.StringIO(out)))
    if fmt == "json":
        return list(json.loads(out)[0])
    lines = out.splitlines()
    if fmt == "md":  # the task is the title of each table
        return ["task", *(cell.strip() for cell in lines[2].strip("|").split("|"))]
    return ["task", *lines[1].split()]


def test_text_md_csv_and_json_carry_the_same_rows_and_columns_and_no_nan():
    checks = {"cnn": {"no_better": 1}}
    workspace = _state("workspace", None, _params(), {"lstm": 0.30, "cnn": 0.20}, {"lstm": "l32", "cnn": "c1"}, checks)
    payload = _payload(workspace)
    payload[1]["data"]["metrics"]["diagnostics/checks.json"] = {"data": checks}  # the workspace is that commit
    rankings, _ = leaderboard.build(payload)
    outputs = {fmt: leaderboard.render(rankings, fmt) for fmt in ("text", "md", "csv", "json")}
    headers = {fmt: sorted(_header(fmt, out)) for fmt, out in outputs.items()}
    assert all(h == headers["csv"] for h in headers.values()), headers
    assert {"models.lstm.units", "train.learning_rate", "checks", "shared"} <= set(headers["csv"])
    assert len(json.loads(outputs["json"])) == len(outputs["csv"].splitlines()) - 1 == 6
    assert sum(line.startswith("|") for line in outputs["md"].splitlines()) == 6 + 2
    assert "nan" not in outputs["md"] and "nan" not in outputs["text"] and "None" not in outputs["text"]


def test_a_real_payload_of_two_experiments_after_exp_apply(tmp_path):
    """Captured from a tiny project: `dvc repro` + commit (lstm 4 units, cnn), `dvc exp run -S
    models.lstm.units=3` and `=5`, then `dvc exp apply u5`; trimmed to the keys the leaderboard reads."""
    saved = DATA / "exp_show_applied.json"
    table = _table(json.loads(saved.read_text()))
    assert len(table) == 4  # three lstm models, one cnn for all
    cnn = table[table["architecture"] == "cnn"].iloc[0]
    assert cnn["kind"] == "baseline" and set(cnn["shared"].split(", ")) == {"u3", "u5 [workspace]"}
    lstm = table[table["architecture"] == "lstm"]
    assert sorted(lstm["models.lstm.units"]) == [3, 4, 5]
    assert [c for c in table.columns if "." in c] == ["models.lstm.units"]
    run = subprocess.run([sys.executable, "-m", "seqpipe.cli", "leaderboard", "--input", str(saved), "--csv"],
                         cwd=ROOT, env=env(), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.splitlines()) == 5


def test_only_the_architectures_a_revision_lists_are_rows():
    workspace = _state("workspace", None, _params(), {"lstm": 0.30, "cnn": 0.20}, {"lstm": "l32", "cnn": "c1"})
    # a flat summary beside the per-architecture files, and a file left from an architecture since removed
    workspace["data"]["metrics"]["metrics/summary.json"] = {"data": {"mse": 0.5, "lstm.mse": 0.30}}
    workspace["data"]["metrics"]["metrics/gru.json"] = {"data": {"mse": 0.01}}
    table = _table([workspace])
    assert sorted(table["architecture"]) == ["cnn", "lstm"]


def test_a_check_the_leaderboard_has_no_line_for_points_to_the_report():
    workspace = _state("workspace", None, _params(), {"lstm": 0.30, "cnn": 0.20}, {"lstm": "l32", "cnn": "c1"},
                       {"cnn": {"other": 1}})
    rankings, _ = leaderboard.build([workspace])
    assert "! other: see the checks in reports/report.md of that experiment" in leaderboard.render(rankings, "text")


def test_timings_taken_under_load_are_flagged_with_a_footnote_and_cpu_time_is_shown():
    payload = _payload(_state("workspace", None, _params(), {"lstm": 0.30, "cnn": 0.20}, {"lstm": "l32", "cnn": "c1"}))
    wide = payload[1]["experiments"][0]["revs"][0]["data"]["metrics"]
    wide["timings/lstm.json"] = {"data": {"train_seconds": 9.0, "cpu_seconds": 30.0, "contended": True}}
    rankings, _ = leaderboard.build(payload)
    table = rankings[0].table.set_index(["architecture", "experiment"])
    assert table.loc[("lstm", "wide"), "contended"] == "yes" and table.loc[("lstm", "wide"), "cpu_s"] == 30.0
    assert table["contended"].notna().sum() == 1
    for fmt in ("text", "md"):
        assert "! contended: timed while the machine's load average exceeded its cores" in leaderboard.render(rankings, fmt)
    quiet = leaderboard.build(_payload(_state("workspace", None, _params(), {"lstm": 0.3, "cnn": 0.2},
                                              {"lstm": "l32", "cnn": "c1"})))[0]
    assert "contended" not in leaderboard.render(quiet, "csv").splitlines()[0]
    assert "! contended" not in leaderboard.render(quiet, "text")


def test_each_revisions_scores_timings_and_checks_are_read_from_git_when_dvc_shows_only_the_summary(tmp_path):
    """Only summary/metrics.json is a DVC metric, so `dvc exp show --json` carries no per-architecture
    file: the leaderboard reads metrics/, timings/ and diagnostics/ of each revision's commit from git,
    and the workspace's from disk (not for a saved payload, whose workspace is another)."""
    from seqpipe.reporting.rev_files import add_result_files

    def git(*args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path,
                              check=True, capture_output=True, text=True).stdout.strip()

    def write(mse: float, cpu: float) -> None:
        for name, data in ((f"metrics/{a}.json", {"mse": mse, "r2": 1 - mse, "params": 10}) for a in ARCHS):
            (tmp_path / name).parent.mkdir(exist_ok=True)
            (tmp_path / name).write_text(json.dumps(data))
        for arch in ARCHS:
            (tmp_path / "timings").mkdir(exist_ok=True)
            (tmp_path / f"timings/{arch}.json").write_text(json.dumps({"train_seconds": 2.0, "cpu_seconds": cpu}))
        (tmp_path / "diagnostics").mkdir(exist_ok=True)
        (tmp_path / "diagnostics/checks.json").write_text(json.dumps({"cnn": {"val_too_small": 1}}))

    def only_summary(rev: str, name: str | None, units: int, mse: float) -> dict:
        state = _state(rev, name, _params(units), {a: mse for a in ARCHS}, {a: f"{a}{units}" for a in ARCHS})
        state["data"]["metrics"] = {"summary/metrics.json": {"data": {"lstm.mse": mse, "lstm.rank": 1}}}
        return state

    git("init", "-q")
    write(0.30, 11.0)
    git("add", "-A")
    git("commit", "-qm", "baseline")
    base_rev = git("rev-parse", "HEAD")
    write(0.10, 22.0)
    git("commit", "-qam", "an experiment's commit")
    exp_rev = git("rev-parse", "HEAD")
    write(0.50, 33.0)  # the workspace, not committed
    base = only_summary(base_rev, "main", 32, 0.30)
    base["experiments"] = [{"name": "wide", "executor": None, "revs": [only_summary(exp_rev, "wide", 64, 0.10)]}]
    live = add_result_files([only_summary("workspace", None, 8, 0.50), json.loads(json.dumps(base))], cwd=tmp_path)
    table = _table(live).set_index(["architecture", "experiment"])
    main = f"main ({base_rev[:7]})"
    assert table.loc[("lstm", "wide"), "r2"] == 0.9 and table.loc[("lstm", main), "cpu_s"] == 11.0
    assert table.loc[("cnn", "workspace"), "cpu_s"] == 33.0 and table.loc[("cnn", "wide"), "checks"] == "val_too_small"

    saved = add_result_files([only_summary("workspace", None, 8, 0.50), base], cwd=tmp_path, workspace=False)
    assert set(_table(saved)["experiment"]) == {main, "wide"}  # the saved workspace has no files: no rows

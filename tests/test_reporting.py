"""Report pieces without training: leaderboards, statistics over seeds, figures, HTML, environments."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from seqpipe import environment, tasks
from seqpipe.data.spec import ForecastSpec, PaddingSpec, PreparedSpec, SplitCounts
from seqpipe.evaluation import scoring as evaluation
from seqpipe.reporting import document, figures, ranking, sections, statistics
from seqpipe.reporting import experiments as leaderboard
from tests.conftest import ROOT, env


def _exp_show_payload() -> list[dict]:
    """The shape of `dvc exp show --json` (DVC 3): workspace, a baseline commit and its experiments."""

    def state(rev, name, lstm_mse, cnn_mse, units, env_hash="e"):
        return {
            "rev": rev,
            "name": name,
            "data": {
                "rev": rev,
                "params": {"params.yaml": {"data": {"models": {"lstm": {"units": units}}}}},
                "metrics": {
                    "metrics/lstm.json": {"data": {"mse": lstm_mse, "r2": 0.5, "params": 100}},
                    "metrics/cnn.json": {"data": {"mse": cnn_mse, "r2": 0.4, "params": 50}},
                    "timings/lstm.json": {"data": {"train_seconds": 3.0, "inference_ms_per_sample": 0.1}},
                    "dvclive/lstm/metrics.json": {"data": {"loss": 1.0}},
                },
                "outs": {"environment/lstm.json": {"hash": env_hash * 32, "size": 400}},
            },
            "error": None,
            "experiments": None,
        }

    base = state("a" * 40, "main", 0.30, 0.20, 32)
    base["experiments"] = [
        {"revs": [state("b" * 40, "wide-lstm", 0.10, 0.20, 64, env_hash="f")], "executor": None, "name": "wide-lstm"},
        {"revs": [{"rev": "c" * 40, "name": "broken", "data": None, "error": {"msg": "failed"}, "experiments": None}],
         "executor": None, "name": "broken"},
    ]
    return [state("workspace", None, 0.30, 0.20, 32), base]


def test_leaderboard_ranks_architecture_by_experiment_and_marks_workspace_and_baseline():
    rankings, left_out = leaderboard.build(_exp_show_payload())
    assert len(rankings) == 1
    assert left_out == ["broken: dvc exp show reports an error (failed), so it has no rows; "
                        "see `dvc exp show` (and `dvc queue logs <name>` for a queued run)"]
    table, metric = rankings[0].table, rankings[0].metric
    assert metric == "mse" and rankings[0].task == "regression"
    assert list(table["mse"]) == sorted(table["mse"])
    assert table.iloc[0][["architecture", "experiment", "kind"]].tolist() == ["lstm", "wide-lstm", "experiment"]
    # the workspace equals the baseline commit: listed once, as the baseline marked [workspace]
    assert set(table["kind"]) == {"baseline", "experiment"}
    assert "main (aaaaaaa) [workspace]" in set(table["experiment"])
    # lstm twice (32 and 64 units); the cnn, unchanged by wide-lstm, once and shared; the failed one is skipped
    assert len(table) == 3
    cnn = table[table["architecture"] == "cnn"].iloc[0]
    assert cnn["shared"] == "wide-lstm" and pd.isna(cnn["models.lstm.units"])
    assert table.loc[table["architecture"] == "lstm", "train_s"].notna().all()
    assert leaderboard.environments(rankings) == {"lstm": {"e" * 8, "f" * 8}}
    text = leaderboard.render(rankings, "text").splitlines()
    assert text[0] == "regression: ranked by mse (lower is better)" and "env" in text[1]
    assert "| lstm " in leaderboard.render(rankings, "md")
    assert leaderboard.render(rankings, "csv").splitlines()[0].startswith("rank,task,architecture,experiment,kind,rev,mse")
    records = json.loads(leaderboard.render(rankings, "json"))
    assert len(records) == 3 and records[0]["architecture"] == "lstm" and records[0]["rank"] == 1


def test_architectures_of_one_experiment_on_different_backends_are_not_an_environment_warning(tmp_path):
    # train.backend auto trains lstm on JAX and cnn on TensorFlow: their environment files differ by
    # design; only the same architecture trained elsewhere is worth the leaderboard's warning
    payload = _one_experiment({"lstm": {"mse": 0.1, "params": 5}, "cnn": {"mse": 0.2, "params": 5}})
    payload[0]["data"]["outs"] = {"environment/lstm.json": {"hash": "j" * 32, "size": 400},
                                  "environment/cnn.json": {"hash": "t" * 32, "size": 400}}
    rankings, _ = leaderboard.build(payload)
    assert leaderboard.environments(rankings) == {}
    assert "env" not in leaderboard.render(rankings, "text").splitlines()[1]
    saved = tmp_path / "exp.json"
    saved.write_text(json.dumps(payload))
    result = subprocess.run([sys.executable, "-m", "seqpipe.cli", "leaderboard", "--input", str(saved)], cwd=ROOT,
                            env=env(), capture_output=True, text=True)
    assert result.returncode == 0 and "environments" not in result.stderr, result.stderr


def _one_experiment(metrics_per_arch: dict[str, dict[str, float]]) -> list[dict]:
    files = {f"metrics/{arch}.json": {"data": scores} for arch, scores in metrics_per_arch.items()}
    return [{"rev": "workspace", "name": None, "data": {"rev": "workspace", "metrics": files, "outs": {}},
             "error": None, "experiments": None}]


@pytest.mark.parametrize("task", sorted(tasks.TABLE))
def test_every_task_ranks_in_the_leaderboard_and_every_metric_sorts_its_own_way(task):
    names = tasks.get(task).metrics
    # "good" beats "bad" on every metric, whichever way the metric points
    good = {m: (0.9 if tasks.greater_is_better(m) else 0.1) for m in names}
    bad = {m: (0.2 if tasks.greater_is_better(m) else 0.8) for m in names}
    payload = _one_experiment({"bad": {**bad, "params": 5}, "good": {**good, "params": 5}})
    rankings, left_out = leaderboard.build(payload)
    assert [r.task for r in rankings] == [task] and not left_out
    assert rankings[0].table["architecture"].tolist() == ["good", "bad"]
    for metric in names:
        ranked = leaderboard.build(payload, metric)[0][0]
        assert ranked.table["architecture"].tolist() == ["good", "bad"], metric


def test_ties_on_the_primary_metric_are_broken_by_the_declared_secondary_metric():
    payload = _one_experiment({
        "careless": {"accuracy": 1.0, "macro_f1": 1.0, "log_loss": 0.40, "params": 5},
        "confident": {"accuracy": 1.0, "macro_f1": 1.0, "log_loss": 0.05, "params": 9},
    })
    table = leaderboard.build(payload)[0][0].table
    assert table["architecture"].tolist() == ["confident", "careless"]


def test_experiments_of_different_tasks_get_a_table_each():
    forecast = {m: 0.5 for m in tasks.get("forecast").metrics}
    next_token = {m: 0.5 for m in tasks.get("next_token").metrics}
    payload = _one_experiment({"gru": {**forecast, "params": 1}})
    payload += [{**_one_experiment({"lstm": {**next_token, "params": 1}})[0], "rev": "b" * 40, "name": "text"}]
    rankings, _ = leaderboard.build(payload)
    assert sorted(r.task for r in rankings) == ["forecast", "next_token"]
    assert {r.task: r.metric for r in rankings} == {"forecast": "mase", "next_token": "accuracy"}


def test_leaderboard_cli_reads_saved_json_and_fails_in_one_line(tmp_path):
    saved = tmp_path / "exp.json"
    saved.write_text(json.dumps(_exp_show_payload()))
    run = [sys.executable, "-m", "seqpipe.cli", "leaderboard", "--input", str(saved)]
    result = subprocess.run([*run, "--metric", "r2"], cwd=ROOT, env=env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "regression: ranked by r2 (higher is better)"
    assert result.stdout.splitlines()[2].split()[1] == "lstm"
    assert "these runs of lstm were trained in different environments" in result.stderr
    bad = subprocess.run([*run, "--metric", "nope"], cwd=ROOT, env=env(), capture_output=True, text=True)
    assert bad.returncode == 1
    assert len(bad.stderr.strip().splitlines()) == 1 and bad.stderr.startswith("seqpipe: error: --metric nope")


def test_several_seeds_give_mean_and_std_and_one_seed_stays_unchanged():
    one = evaluation.summarize_seeds([{"seed": 1, "mse": 0.5, "r2": 0.1}])
    assert one == {"mse": 0.5, "r2": 0.1}
    three = evaluation.summarize_seeds([{"seed": s, "mse": m, "r2": 0.0} for s, m in ((1, 0.1), (2, 0.2), (3, 0.3))])
    assert three == {"mse": 0.2, "r2": 0.0, "mse_std": 0.1, "r2_std": 0.0}


def _table(metrics):
    return ranking.leaderboard(metrics, {a: {} for a in metrics}, "regression")


def test_paired_t_test_across_seeds_flags_a_real_gap_only():
    seeds = [1, 2, 3, 4]
    scores = {
        "good": pd.DataFrame({"seed": seeds, "mse": [0.10, 0.12, 0.11, 0.13]}),
        "bad": pd.DataFrame({"seed": seeds, "mse": [0.30, 0.33, 0.31, 0.35]}),
        "same": pd.DataFrame({"seed": seeds, "mse": [0.12, 0.10, 0.14, 0.11]}),
    }
    metrics = {a: {"mse": float(f["mse"].mean()), "mse_std": float(f["mse"].std()), "params": 1, "repeats": 4}
               for a, f in scores.items()}
    table = _table(metrics)
    assert table.columns[:4].tolist() == ["rank", "architecture", "mse", "mse_std"]
    tests = statistics.significance(table, "regression", scores, {}).set_index("architecture")
    assert tests.loc["bad", "significant"] == "yes" and tests.loc["bad", "p_value"] < 0.01
    assert tests.loc["same", "significant"] == "no"
    assert "±" in document.display_table(table, "mse").iloc[0, 2]


def test_one_seed_uses_a_paired_bootstrap_over_test_sequences():
    rng = np.random.default_rng(0)
    y = rng.normal(size=400)
    predictions = {
        "good": pd.DataFrame({"y_true": y, "y_pred": y + rng.normal(scale=0.1, size=400)}),
        "bad": pd.DataFrame({"y_true": y, "y_pred": y + rng.normal(scale=1.0, size=400)}),
        "twin": pd.DataFrame({"y_true": y, "y_pred": y + rng.normal(scale=0.1, size=400)}),
    }
    metrics = {a: {"mse": float(((f.y_true - f.y_pred) ** 2).mean()), "params": 1} for a, f in predictions.items()}
    table = _table(metrics)
    scores = {a: pd.DataFrame({"seed": [42], "mse": [m["mse"]]}) for a, m in metrics.items()}
    tests = statistics.significance(table, "regression", scores, predictions).set_index("architecture")
    assert tests.loc["bad", "significant"] == "yes"
    assert tests.loc["twin", "significant"] == "no"
    assert tests.loc["bad", "test"] == "paired bootstrap over test sequences"


def test_environment_snapshot_and_differences():
    fp = environment.snapshot(with_devices=False)
    assert {"python", "tensorflow", "keras", "dvc", "numpy", "keras_backend", "cpu", "cpu_count", "accelerator"} <= set(fp)
    assert environment.differences({"a": fp, "b": dict(fp)}) == {}
    changed = dict(fp, keras="0.0.1")
    assert environment.differences({"a": fp, "b": changed}) == {"keras": {"a": fp["keras"], "b": "0.0.1"}}


def test_architectures_on_different_backends_by_choice_are_named_once_not_warned_about():
    """`train.backend: auto` puts lstm on JAX and the transformer on TensorFlow: the backend's own keys
    (version, TensorFlow's thread pools) differ by design, a NumPy version between two JAX runs does not."""
    tf = {"keras": "3.15.1", "numpy": "2.4.6", "keras_backend": "tensorflow", "keras_backend_version": "2.21.0",
          "tf_threads_intra_op": 2, "tf_threads_inter_op": 2}
    jax = dict(tf, keras_backend="jax", keras_backend_version="0.10.2", tf_threads_intra_op=None,
               tf_threads_inter_op=None)
    runs = {"lstm": jax, "transformer": tf, "gru": dict(jax)}
    assert environment.backend_groups(runs) == {"jax": ["lstm", "gru"], "tensorflow": ["transformer"]}
    assert environment.differences_beyond_backends(runs) == {}
    runs["gru"] = dict(jax, numpy="1.26.4", keras_backend_version="0.9.0")
    assert environment.differences_beyond_backends(runs) == {
        "numpy": {"lstm": "2.4.6", "transformer": "2.4.6", "gru": "1.26.4"},
        "keras_backend_version": {"lstm": "0.10.2", "gru": "0.9.0"},
    }


@pytest.fixture
def classification_report(tmp_path):
    spec = PreparedSpec(
        task="multiclass", input_kind="tokens", timesteps=6, features=1, vocab_size=9,
        n_classes=3, class_names=["a", "b", "c"], sizes=SplitCounts(train=12, val=3, test=6),
        padding=PaddingSpec(side="post", truncating="post", padded=True), truncated=SplitCounts(test=1),
        class_balance={"train": [4, 4, 4], "val": [1, 1, 1], "test": [2, 2, 2]},
    )
    y = np.array([0, 0, 1, 1, 2, 2])
    predictions = {"lstm": pd.DataFrame({"y_true": y, "y_pred": y}),
                   "cnn": pd.DataFrame({"y_true": y, "y_pred": np.array([0, 1, 1, 1, 2, 0])})}
    metrics = {"lstm": {"accuracy": 1.0, "macro_f1": 1.0, "params": 10},
               "cnn": {"accuracy": 0.667, "macro_f1": 0.6, "params": 5}}
    table = ranking.leaderboard(metrics, {a: {"train_seconds": 1.0} for a in metrics}, "multiclass")
    shown = figures.task_figures(tasks.get("multiclass"), predictions, spec, tmp_path)
    x_train = np.array([[1, 2, 0, 0, 0, 0], [3, 4, 5, 6, 7, 8]])
    fp = environment.snapshot(with_devices=False)
    blocks = sections.report_blocks(
        table, tasks.Baseline("class frequencies", {"accuracy": 0.33}), spec, {"data": {"source": "tokens"}},
        shown, sections.data_summary(spec, x_train),
        statistics.significance(table, "multiclass", {}, predictions),
        {"lstm": fp, "cnn": dict(fp, numpy="0.0.0")}, {"lstm": "plugins/lstm.py", "cnn": "plugins/cnn.py"},
        per_class=sections.per_class_table(predictions, spec),
    )
    return tmp_path, shown, blocks


def test_classification_report_has_confusion_matrices_data_summary_and_environment_warning(classification_report):
    out, shown, blocks = classification_report
    assert shown == [("Confusion matrices on the test split, best architecture first", "confusion_matrices.png")]
    assert (out / "confusion_matrices.png").stat().st_size > 5_000
    text = document.render_markdown(blocks)
    assert "![Confusion matrices on the test split, best architecture first](confusion_matrices.png)" in text
    assert "> **Warning:** the architectures were trained in different environments (numpy:" in text
    assert "| padded steps in train" in text and "33.3%" in text
    assert "class balance train" in text and "a: 4 (33%)" in text
    assert "plugins/lstm.py" in text
    # per class: the best architecture's precision/recall/F1 and every other one's F1 (cnn misses a "b" and a "c")
    assert "## Per class" in text and "lstm precision |" in text and "cnn F1 |" in text
    per_class = sections.per_class_table({"cnn": pd.DataFrame({"y_true": [0, 1, 2], "y_pred": [0, 1, 1]})},
                                         PreparedSpec(task="multiclass", input_kind="tokens", timesteps=3,
                                                      n_classes=3, class_names=["a", "b", "c"]))
    assert per_class["cnn F1"].round(3).tolist() == [1.0, 0.667, 0.0]


def test_html_report_is_self_contained(classification_report):
    out, _, blocks = classification_report
    page = document.render_html(blocks, out)
    assert page.count("src='data:image/png;base64,") == 1
    assert "confusion_matrices.png'" not in page  # embedded, not linked
    assert "<table>" in page and "class='warn'" in page


def test_forecast_report_plots_predictions_against_truth(tmp_path):
    t = np.arange(40, dtype=float)
    frames = {arch: pd.DataFrame({"y_true_h1": np.sin(t), "y_pred_h1": np.sin(t) + noise,
                                  "y_true_h2": np.sin(t + 1), "y_pred_h2": np.sin(t + 1) - noise})
              for arch, noise in (("gru", 0.05), ("cnn", 0.3))}
    spec = PreparedSpec(task="forecast", input_kind="numeric", timesteps=4, forecast=ForecastSpec(horizon=2))
    shown = figures.task_figures(tasks.get("forecast"), frames, spec, tmp_path)
    assert shown == [("Forecasts against truth on the test windows, best architecture first", "forecasts.png")]
    assert (tmp_path / "forecasts.png").stat().st_size > 10_000


def test_score_axis_is_logarithmic_when_scores_span_more_than_a_decade(tmp_path, monkeypatch):
    table = pd.DataFrame({"architecture": ["gru", "rnn"], "mse": [0.0005, 0.17], "params": [3489, 1153],
                          "train_s": [64.0, 16.0]})
    scales = []
    import matplotlib.axes

    original = matplotlib.axes.Axes.set_yscale
    monkeypatch.setattr(matplotlib.axes.Axes, "set_yscale", lambda ax, v, **kw: (scales.append(v), original(ax, v, **kw)))
    figures.plot_score_vs_cost(table, "mse", tmp_path / "cost.png", greater_is_better=False)
    assert "log" in scales


def _two_architectures(mse_good: float, mse_bad: float) -> pd.DataFrame:
    metrics = {"good": {"mse": mse_good, "params": 10}, "flat": {"mse": mse_bad, "params": 10}}
    return ranking.leaderboard(metrics, {a: {} for a in metrics}, "regression")


def test_the_report_flags_results_that_look_wrong_each_with_its_fix():
    from seqpipe.reporting.diagnostics import diagnose

    table = _two_architectures(0.01, 0.19)
    spec = PreparedSpec(task="regression", input_kind="numeric", timesteps=8, sizes=SplitCounts(train=40, val=8, test=10))
    epochs = np.arange(1, 31)
    curves = {
        "good": pd.DataFrame({"train_loss": 1.0 / epochs}, index=epochs),  # converged: little gain at the end
        "flat": pd.DataFrame({"train_loss": 1.0 - epochs / 31}, index=epochs),  # falling steadily: under-trained
    }
    timings = {"good": {"best_epoch": 25, "epochs_run": 30, "epochs_budget": 30},
               "flat": {"best_epoch": 1, "epochs_run": 30, "epochs_budget": 30}}
    lines = [f.line() for f in diagnose(table, tasks.Baseline("mean of train targets", {"mse": 0.18}), spec,
                                        curves, timings)]
    assert lines[0].startswith("the validation split has 8 sequences") and "data.split.val" in lines[0]
    assert any(line.startswith("flat: test mse 0.19 is no better than the baseline") for line in lines)
    assert any(line.startswith("flat: the best validation loss came at epoch 1 of 30") for line in lines)
    assert any(line.startswith("flat: the training loss was still falling") and "train.epochs" in line for line in lines)
    assert not any(line.startswith("good:") for line in lines)


def test_the_report_flags_a_recursive_forecast_that_ran_away_and_names_the_strategy_fix():
    from seqpipe.reporting.diagnostics import diagnose

    metrics = {"gru": {"mase": 0.9, "params": 10}, "cnn": {"mase": 599.5, "params": 10}}
    table = ranking.leaderboard(metrics, {a: {} for a in metrics}, "forecast")
    spec = PreparedSpec(task="forecast", input_kind="numeric", timesteps=20, sizes=SplitCounts(train=60, val=30, test=5))
    truth = np.array([[674.0, 81.0, 80.0, 108.0]])
    compounding = np.array([[1e3, 4e2, -2e2, -7e6]])  # lynx's counts, a one-step cnn fed back (bench/RESULTS.md)
    findings = diagnose(table, tasks.Baseline("last value", {"mase": 1.8}), spec, {}, {},
                        {"gru": truth, "cnn": compounding}, (39.0, 6991.0))
    runaway = [f for f in findings if f.check == "runaway"]
    assert [f.architecture for f in runaway] == ["cnn"]
    assert runaway[0].line() == (
        "cnn: its recursive forecast runs away on the test windows: it reaches -7e+06, 1007 times the span of the "
        "training range (39 to 6991) beyond it; each forecast fed back as an input compounded the error of the last; "
        "set models.cnn.train.strategy: direct (one output per horizon step), or rank another architecture")
    # a direct model's forecasts are not passed: no such check; a trend past the range by a span is no runaway
    assert not [f for f in diagnose(table, tasks.Baseline("last value", {"mase": 1.8}), spec, {}, {},
                                    {"cnn": np.array([[7000.0, 9000.0, 13000.0]])}, (39.0, 6991.0))
                if f.check == "runaway"]


def test_no_best_headline_without_a_significant_gap():
    from seqpipe.reporting.diagnostics import headline

    table = _two_architectures(0.01, 0.02)
    base = tasks.Baseline("mean of train targets", {"mse": 0.18})
    tied = pd.DataFrame([{"architecture": "flat", "gap_to_best": 0.01, "significant": "no"}])
    assert headline(table, tied, base, "mse").startswith(
        "No architecture is significantly better than the others: **good** ranks first with mse = 0.01 but is not "
        "significantly better than the runner-up **flat**")
    real = tied.assign(significant="yes")
    assert headline(table, real, base, "mse").startswith("Best: **good**")
    # a significant winner that is no better than predicting the training mean is no "Best" either
    no_skill = tasks.Baseline("mean of train targets", {"mse": 0.005})
    assert headline(table, real, no_skill, "mse").startswith(
        "No architecture beats the baseline (mean of train targets, mse = 0.005): **good** ranks first with mse = 0.01")


def test_a_few_forecast_windows_get_a_panel_each_over_the_whole_horizon(tmp_path):
    """The cutoff protocol leaves one test window per series: each is drawn over its horizon, not as one point."""
    steps = np.arange(36, dtype=float)
    truth = {f"y_true_h{h + 1}": [100 + h, 200 + 2 * h] for h in range(36)}
    frames = {arch: pd.DataFrame({**truth, **{f"y_pred_h{h + 1}": [100 + h + bias, 200 + 2 * h - bias]
                                              for h in steps.astype(int)}})
              for arch, bias in (("gru", 1.0), ("cnn", 5.0))}
    spec = PreparedSpec(task="forecast", input_kind="numeric", timesteps=24, forecast=ForecastSpec(horizon=36))
    (caption, name), = figures.task_figures(tasks.get("forecast"), frames, spec, tmp_path)
    assert name == "forecasts.png" and "one panel per test window" in caption
    assert (tmp_path / "forecasts.png").stat().st_size > 10_000

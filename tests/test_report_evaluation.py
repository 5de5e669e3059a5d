"""The report's evaluation beyond the leaderboard, from synthetic outputs (no training): ROC and
precision-recall, calibration, mean ± std of every metric over seeds, and the comparison with the
baseline commit."""
from __future__ import annotations

import json
import subprocess

import numpy as np
import pandas as pd
import pytest

from seqpipe import probabilities, tasks
from seqpipe.data.spec import PaddingSpec, PreparedSpec, SplitCounts
from seqpipe.evaluation import scoring
from seqpipe.reporting import compare, document, figures, ranking, sections, statistics
from seqpipe.reporting.probability import probability_matrix


def _calibrated(n: int, classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn from the predicted probabilities themselves: calibrated by construction."""
    rng = np.random.default_rng(seed)
    prob = rng.dirichlet(np.full(classes, 0.7), size=n)
    y = np.array([rng.choice(classes, p=p) for p in prob])
    return y, prob


def test_a_calibrated_model_has_an_ece_near_zero_and_an_overconfident_one_a_large_ece():
    y, prob = _calibrated(20_000, 3)
    assert probabilities.expected_calibration_error(y, prob) < 0.02
    # 99% sure of its answer, right 60% of the time: |0.6 - 0.99| in the one bin it uses
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, size=5_000)
    guess = np.where(rng.random(5_000) < 0.6, y, (y + 1) % 3)
    overconfident = np.full((5_000, 3), 0.005)
    overconfident[np.arange(5_000), guess] = 0.99
    assert probabilities.expected_calibration_error(y, overconfident) == pytest.approx(0.39, abs=0.02)
    # binary: one column P(1), calibrated when the labels are drawn with that probability
    p1 = rng.random(20_000)
    assert probabilities.expected_calibration_error((rng.random(20_000) < p1).astype(int), p1) < 0.02
    assert probabilities.expected_calibration_error((p1 < 0.5).astype(int), p1) > 0.5  # always wrong, sure of it


def test_macro_one_vs_rest_areas_match_scikit_learn_and_skip_a_class_missing_from_test():
    from sklearn.metrics import roc_auc_score

    y, prob = _calibrated(600, 4)
    assert probabilities.roc_auc(y, prob) == pytest.approx(roc_auc_score(y, prob, multi_class="ovr"))
    seen = y != 3  # class 3 never occurs: its one-vs-rest curve is undefined and left out
    assert 0.5 < probabilities.roc_auc(y[seen], prob[seen]) < 1.0
    assert 0.0 < probabilities.average_precision(y[seen], prob[seen]) <= 1.0
    assert np.isnan(probabilities.roc_auc(np.zeros(5, int), np.full(5, 0.3)))  # one class only


@pytest.mark.parametrize("task", sorted(tasks.TABLE))
def test_probability_scores_and_figures_belong_to_labelled_tasks_only(task):
    t = tasks.get(task)
    has = {"roc_auc", "average_precision", "ece"} <= set(t.metrics)
    assert has == t.labels
    assert ({"roc_pr", "calibration"} <= set(t.figures)) == t.labels
    assert not ({"roc_pr", "calibration"} & set(t.figures)) or t.labels


def test_binary_and_multiclass_scores_and_predictions_carry_the_probabilities():
    y, prob = _calibrated(300, 3)
    scores = tasks.get("multiclass").score(y, prob, None)
    assert list(scores) == list(tasks.get("multiclass").metrics)
    frame = scoring.predictions_frame("multiclass", y, prob)
    assert list(frame.columns) == ["y_true", "y_pred", "p_0", "p_1", "p_2"]
    np.testing.assert_allclose(probability_matrix(frame), prob)
    p1 = prob[:, 1]
    yb = (y == 1).astype(int)
    binary = tasks.get("binary").score(yb, p1.reshape(-1, 1), None)
    assert list(binary) == list(tasks.get("binary").metrics) and binary["roc_auc"] > 0.7
    assert list(scoring.predictions_frame("binary", yb, p1.reshape(-1, 1)).columns) == ["y_true", "y_pred", "p_1"]
    regression = scoring.predictions_frame("regression", np.zeros(3), np.zeros((3, 1)))
    assert list(regression.columns) == ["y_true", "y_pred"] and probability_matrix(regression) is None


def test_a_metrics_file_of_an_older_commit_still_goes_to_its_own_task():
    assert tasks.task_of_metrics({"accuracy", "macro_f1", "log_loss"}).name == "multiclass"
    assert tasks.task_of_metrics({"accuracy", "f1", "macro_f1", "log_loss", "roc_auc"}).name == "binary"
    assert tasks.task_of_metrics(set(tasks.get("multiclass").metrics)).name == "multiclass"
    assert tasks.task_of_metrics(set(tasks.get("next_token").metrics)).name == "next_token"


def _spec(task: str, n_classes: int) -> PreparedSpec:
    names = [f"c{i}" for i in range(n_classes)]
    return PreparedSpec(task=task, input_kind="numeric", timesteps=5, features=1, n_classes=n_classes,
                        class_names=names, sizes=SplitCounts(train=40, val=10, test=300),
                        padding=PaddingSpec(side="post", truncating="post"))


def _classifier_outputs(task: str) -> dict[str, pd.DataFrame]:
    """A sharp, calibrated model and a blurred, overconfident one on the same test labels."""
    classes = 2 if task == "binary" else 3
    y, prob = _calibrated(300, classes, seed=3)
    rng = np.random.default_rng(4)
    blurred = 0.5 * prob + 0.5 * rng.dirichlet(np.ones(classes), size=len(y))
    sharp = blurred ** 4 / (blurred ** 4).sum(axis=1, keepdims=True)  # overconfident
    out = {}
    for arch, p in (("gru", prob), ("rnn", sharp)):
        raw = p[:, 1:2] if task == "binary" else p
        out[arch] = scoring.predictions_frame(task, y, raw)
    return out


def _blocks(task: str, predictions: dict[str, pd.DataFrame], out, metrics=None, comparison=None):
    spec = _spec(task, 2 if task == "binary" else 3) if task != "regression" else \
        PreparedSpec(task="regression", input_kind="numeric", timesteps=5, sizes=SplitCounts(train=4, val=1, test=3))
    t = tasks.get(task)
    if metrics is None:
        metrics = {a: {**t.score(f["y_true"].to_numpy(), _raw(task, f), spec), "params": 10} for a, f in predictions.items()}
    table = ranking.leaderboard(metrics, {a: {"train_seconds": 1.0} for a in metrics}, task)
    shown = figures.task_figures(t, predictions, spec, out)
    return sections.report_blocks(
        table, tasks.Baseline("no skill", {t.primary_metric: 0.3}), spec, {"data": {"source": "synthetic"}}, shown,
        pd.DataFrame({"item": [], "value": []}), statistics.significance(table, task, {}, predictions), {}, {},
        per_class=sections.per_class_table(predictions, spec), comparison=comparison,
    ), shown


def _raw(task: str, frame: pd.DataFrame) -> np.ndarray:
    if task == "regression":
        return frame["y_pred"].to_numpy().reshape(-1, 1)
    matrix = probability_matrix(frame)
    return matrix.reshape(-1, 1) if task == "binary" else matrix


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_classification_report_shows_roc_pr_and_reliability_with_areas_and_ece(task, tmp_path):
    blocks, shown = _blocks(task, _classifier_outputs(task), tmp_path)
    files = [name for _, name in shown]
    assert files == ["confusion_matrices.png", "roc_pr.png", "reliability.png"]
    assert all((tmp_path / f).stat().st_size > 10_000 for f in files)
    text = document.render_markdown(blocks)
    assert "roc_auc |" in text and "average_precision |" in text and " ece |" in text
    assert "`ece`: expected calibration error" in text and "10 equal-width bins" in text
    caption = dict((name, c) for c, name in shown)
    assert ("macro average" in caption["roc_pr.png"]) == (task == "multiclass")
    # the overconfident model is the worse calibrated one
    table = ranking.leaderboard({a: tasks.get(task).score(f["y_true"].to_numpy(), _raw(task, f), None)
                                 for a, f in _classifier_outputs(task).items()}, {}, task).set_index("architecture")
    assert table.loc["rnn", "ece"] > table.loc["gru", "ece"] + 0.05


def test_regression_report_has_no_probability_sections(tmp_path):
    y = np.linspace(0, 1, 30)
    predictions = {"gru": pd.DataFrame({"y_true": y, "y_pred": y + 0.1})}
    blocks, shown = _blocks("regression", predictions, tmp_path)
    assert [name for _, name in shown] == ["predicted_vs_true.png"]
    text = document.render_markdown(blocks)
    assert "roc_auc" not in text and "ece" not in text and "calibration" not in text.lower()
    assert not (tmp_path / "roc_pr.png").exists() and not (tmp_path / "reliability.png").exists()


def test_with_repeats_every_metric_shows_mean_and_std_and_baseline_rows_show_the_mean_only(tmp_path):
    metrics = {"gru": {"accuracy": 0.9, "macro_f1": 0.88, "log_loss": 0.3, "roc_auc": 0.95, "average_precision": 0.9,
                       "ece": 0.04, "accuracy_std": 0.01, "macro_f1_std": 0.02, "log_loss_std": 0.03,
                       "roc_auc_std": 0.004, "average_precision_std": 0.005, "ece_std": 0.006,
                       "params": 10, "repeats": 3}}
    table = ranking.leaderboard(metrics, {}, "multiclass")
    assert table.columns[2:6].tolist() == ["accuracy", "accuracy_std", "macro_f1", "macro_f1_std"]
    shown = document.display_table(ranking.with_baseline_row(table, tasks.Baseline("no skill", {"accuracy": 0.33})),
                                   "accuracy")
    assert not any(c.endswith("_std") for c in shown.columns)
    row = shown.iloc[0]
    assert row["accuracy (mean ± std)"] == "0.9 ± 0.01" and row["ece"] == "0.04 ± 0.006"
    assert all("±" in row[m] for m in ("macro_f1", "log_loss", "roc_auc", "average_precision"))
    assert shown.iloc[1]["accuracy (mean ± std)"] == "0.33"  # the baseline row: no "± nan"
    big = ranking.leaderboard({"cnn": {**metrics["gru"], "params": 15841}}, {}, "multiclass")
    counted = document.display_table(ranking.with_baseline_row(big, tasks.Baseline("no skill", {"accuracy": 0.33})),
                                     "accuracy")
    assert counted.iloc[0]["params"] == "15841"  # a count in a float column (the baseline row has none) keeps its digits
    rendered = document.render_markdown([document.Block("table", counted)])
    assert "15841" in rendered and "15840" not in rendered
    blocks, _ = _blocks("multiclass", _classifier_outputs("multiclass"), tmp_path, metrics=metrics)
    assert "mean ± standard deviation over 3 seeds" in document.render_markdown(blocks)
    # per class: each seed's precision, recall and F1 as the evaluate stage writes them to scores/<arch>.csv
    y = np.array([0, 0, 1, 1, 2, 2])
    seeds = [scoring.per_class_scores("multiclass", _spec("multiclass", 3), y, np.eye(3)[guess])
             for guess in ([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], [0, 0, 1, 2, 2, 2])]
    assert seeds[1]["recall_c0"] == 0.5 and seeds[1]["precision_c1"] == pytest.approx(2 / 3, abs=1e-6)
    frame = pd.DataFrame({"y_true": y, "y_pred": [0, 0, 1, 1, 2, 2]})
    per_class = sections.per_class_table({"gru": frame}, _spec("multiclass", 3), {"gru": pd.DataFrame(seeds)})
    assert per_class.loc[0, "gru recall"] == "0.8333 ± 0.29" and per_class.loc[2, "gru F1"].count("±") == 1
    one_seed = sections.per_class_table({"gru": frame}, _spec("multiclass", 3), {"gru": pd.DataFrame(seeds[:1])})
    assert one_seed.loc[0, "gru recall"] == 1.0


def test_an_ensembles_row_says_so_and_its_spread_is_the_single_seeds(tmp_path):
    # metrics/<arch>.json of `train.ensemble`: the ensemble's scores, the seeds' std, `ensemble: 3`
    metrics = {"gru": {"accuracy": 0.93, "macro_f1": 0.9, "log_loss": 0.3, "roc_auc": 0.95, "average_precision": 0.9,
                       "ece": 0.04, "accuracy_std": 0.01, "params": 10, "repeats": 3, "ensemble": 3},
               "lstm": {"accuracy": 0.9, "macro_f1": 0.88, "log_loss": 0.3, "roc_auc": 0.95, "average_precision": 0.9,
                        "ece": 0.04, "accuracy_std": 0.02, "params": 10, "repeats": 3}}
    table = ranking.leaderboard(metrics, {}, "multiclass")
    assert table["ensemble"].tolist()[0] == 3 and pd.isna(table["ensemble"].tolist()[1])
    assert "ensemble" not in [c for c in table.columns if c.endswith("_std")]
    shown = document.display_table(table, "accuracy")
    assert shown.loc[0, "ensemble"] == "3" and shown.loc[0, "accuracy (mean ± std)"] == "0.93 ± 0.01"
    text = document.render_markdown(_blocks("multiclass", _classifier_outputs("multiclass"), tmp_path,
                                            metrics=metrics)[0])
    assert "Ranked by test **accuracy** (higher is better, gru: an ensemble of 3 seeds, the others a mean over 3" in text
    assert "gru: the scores of an ensemble (`train.ensemble`: the mean of the 3 seeds' outputs" in text
    one = {"gru": {k: v for k, v in metrics["gru"].items() if k != "ensemble"}}
    assert "ensemble" not in document.display_table(ranking.leaderboard(one, {}, "multiclass"), "accuracy")


def _git(repo, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True,
                   capture_output=True)


def test_the_comparison_with_the_baseline_commit_shows_each_change_in_its_direction(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert "not in a git repository" in compare.read_commit_metrics(["gru"], cwd=tmp_path).reason
    _git(tmp_path, "init", "-q")
    assert compare.read_commit_metrics(["gru"]).reason.startswith("git has no commit HEAD")
    (tmp_path / "README").write_text("x")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "no metrics yet")
    no_metrics = compare.read_commit_metrics(["gru"])
    assert "has no committed metrics for gru" in no_metrics.reason
    blocks = compare.comparison_blocks({}, no_metrics, "multiclass")
    assert len(blocks) == 2 and blocks[1].content.startswith("No comparison: commit ")  # one line, why

    (tmp_path / "metrics").mkdir()
    before = {"accuracy": 0.80, "macro_f1": 0.70, "log_loss": 0.50, "ece": 0.10, "params": 10}
    (tmp_path / "metrics" / "gru.json").write_text(json.dumps(before))
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "baseline")
    now = {"gru": {"accuracy": 0.90, "macro_f1": 0.70, "log_loss": 0.60, "ece": 0.05, "params": 12},
           "cnn": {"accuracy": 0.5, "macro_f1": 0.5, "log_loss": 0.7, "ece": 0.1, "params": 5}}
    committed = compare.read_commit_metrics(["gru", "cnn"])
    assert committed.missing == ("cnn",) and committed.metrics["gru"] == before
    table = compare.comparison_table(now, committed, "multiclass").set_index("metric")
    # accuracy up (higher is better), log_loss up (lower is better), ece down (lower is better)
    assert table["verdict"].to_dict() == {"accuracy": "better", "macro_f1": "same", "log_loss": "worse",
                                          "ece": "better", "params": "model changed"}
    assert table.loc["accuracy", "change"] == pytest.approx(0.10)
    text = document.render_markdown(compare.comparison_blocks(now, committed, "multiclass"))
    assert f"## Compared with the baseline commit {committed.rev}" in text
    assert "| gru " in text and "2 better, 1 worse, 1 unchanged (not listed)" in text
    assert "<td class='num'>+0.1</td><td class='txt'>better</td>" in document.render_html(
        compare.comparison_blocks(now, committed, "multiclass"), tmp_path)
    assert "New since" in text and "cnn" in text
    assert "| params " in text  # what changed in the model, beside the scores it moved
    same = compare.comparison_blocks({"gru": before}, committed, "multiclass")
    assert f"No test score changed since {committed.rev}." in document.render_markdown(same)

    # another task at the commit (mae and rmse are shared by regression and forecast): no table
    (tmp_path / "metrics" / "gru.json").write_text(json.dumps({"mse": 0.2, "rmse": 0.45, "mae": 0.3, "r2": 0.1}))
    (tmp_path / "params.yaml").write_text("data:\n  source: adding\n  options: {n_samples: 6000}\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "a regression run")
    regression = compare.read_commit_metrics(["gru"])
    forecast = {"gru": {"mase": 0.9, "mae": 0.2, "rmse": 0.3, "smape": 10.0}}
    lines = document.render_markdown(compare.comparison_blocks(forecast, regression, "forecast"))
    assert "are of task regression, this run's of forecast" in lines and "| gru" not in lines
    # same task, other data: the table comes with a warning naming the setting that changed
    changed = document.render_markdown(compare.comparison_blocks(
        {"gru": {"mse": 0.1, "rmse": 0.3, "mae": 0.2, "r2": 0.5}}, regression, "regression",
        data_now={"source": "adding", "options": {"n_samples": 240}}))
    assert "the data settings differ" in changed and "data.options.n_samples: 6000 -> 240" in changed
    assert "| gru " in changed
    # a key written out now at its default value, absent from the commit's params: the same data
    same_data = document.render_markdown(compare.comparison_blocks(
        {"gru": {"mse": 0.1, "rmse": 0.3, "mae": 0.2, "r2": 0.5}}, regression, "regression",
        data_now={"source": "adding", "lengths": "resample", "options": {"n_samples": 6000}}))
    assert "the data settings differ" not in same_data and "| gru " in same_data

"""Classical baselines: each learns a learnable signal on tiny data, beats the no-skill row, and
shows in the report as an unranked row that is never an architecture."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqpipe import baselines, tasks
from seqpipe.data.prepared import Prepared
from seqpipe.data.spec import PreparedSpec
from seqpipe.registry import InvalidRegistration, check_registration
from seqpipe.reporting import experiments, ranking, statistics
from seqpipe.reporting.results import ClassicalResult
from seqpipe.specs import Architecture


def _prepared(task: str, x: np.ndarray, y: np.ndarray, **spec: object) -> Prepared:
    n = len(x)
    cut = [int(n * 0.6), int(n * 0.8)]
    parts = {"train": slice(0, cut[0]), "val": slice(cut[0], cut[1]), "test": slice(cut[1], n)}
    arrays = {f"{p}_{s}": a[idx] for s, idx in parts.items() for p, a in (("X", x), ("y", y))}
    kind = "tokens" if x.ndim == 2 else "numeric"
    return Prepared(arrays, PreparedSpec(task=task, input_kind=kind, timesteps=x.shape[1],
                                         features=1 if kind == "tokens" else x.shape[2], **spec))


def _no_skill(p: Prepared) -> float:
    task = tasks.get(p.spec.task)
    a = p.arrays
    return task.baseline(a["y_train"], a["y_test"], a["X_test"], p.spec).scores[task.primary_metric]


def _adding(n: int = 300, steps: int = 20) -> Prepared:
    rng = np.random.default_rng(0)
    values = rng.uniform(size=(n, steps))
    markers = np.zeros((n, steps))
    for row in markers:
        row[rng.choice(steps, 2, replace=False)] = 1.0
    return _prepared("regression", np.stack([values, markers], axis=-1), (values * markers).sum(axis=1))


def _classes(task: str, n: int = 300) -> Prepared:
    """Class k: a sine of frequency k + 1 with noise; classification by shape, not level."""
    rng = np.random.default_rng(1)
    k = 2 if task == "binary" else 3
    y = rng.integers(0, k, n)
    t = np.linspace(0, 2 * np.pi, 30)
    x = np.sin((y[:, None] + 1) * t[None, :]) + 0.3 * rng.normal(size=(n, 30))
    return _prepared(task, x[:, :, None], y, n_classes=k)


def _text(n: int = 300) -> Prepared:
    """Documents of random words; the positive ones contain word 7 somewhere."""
    rng = np.random.default_rng(2)
    x = rng.integers(10, 60, size=(n, 12))
    y = rng.integers(0, 2, n)
    x[y == 1, rng.integers(0, 12)] = 7
    x[:, :3] = 0  # padding
    return _prepared("binary", x, y, n_classes=2, vocab_size=60, vocabulary="vocabulary.json")


def _counting(n: int = 300) -> Prepared:
    """Each token is the previous one plus one (mod 20, skipping padding id 0): a bigram task."""
    rng = np.random.default_rng(3)
    start = rng.integers(1, 20, n)
    seq = (start[:, None] + np.arange(9)[None, :] - 1) % 19 + 1
    return _prepared("next_token", seq[:, :8], seq[:, 8], n_classes=20, vocab_size=20)


@pytest.mark.parametrize("make, name", [
    (_adding, "summary_ridge"), (lambda: _classes("binary"), "summary_logistic"),
    (lambda: _classes("multiclass"), "summary_logistic"), (_text, "tfidf_logistic"), (_counting, "bigram"),
])
def test_each_classical_baseline_beats_the_no_skill_row_and_is_deterministic(make, name):
    prepared = make()
    first, again = baselines.run(prepared), baselines.run(prepared)
    assert [o.name for o in first] == [name]
    task = tasks.get(prepared.spec.task)
    score, no_skill = first[0].scores[task.primary_metric], _no_skill(prepared)
    assert score > no_skill if task.greater_is_better else score < no_skill
    assert set(first[0].scores) == set(task.metrics)
    assert first[0].scores == again[0].scores and np.array_equal(first[0].raw_output, again[0].raw_output)


def test_the_task_table_names_the_baselines_and_forecasting_gets_the_statistical_ones():
    assert tasks.get("binary").classical_for("tokens") == ["tfidf_logistic"]
    assert tasks.get("regression").classical_for("numeric") == ["summary_ridge"]
    assert tasks.get("forecast").classical_for("numeric") == ["seasonal_naive", "auto_ets", "auto_arima"]
    named = {n for t in tasks.TABLE.values() for _, n in t.classical}
    assert named <= set(baselines.CLASSICAL)


def test_padding_steps_do_not_enter_the_summary_features():
    from seqpipe.baselines.summary import summary_features

    x = np.array([[[1.0], [2.0], [3.0]]])
    padded = np.concatenate([np.zeros((1, 2, 1)), x], axis=1)
    assert np.allclose(summary_features(padded, pad_value=0.0), summary_features(x))


def _table() -> pd.DataFrame:
    metrics = {"lstm": {"mse": 0.05, "rmse": 0.22, "mae": 0.1, "r2": 0.7, "params": 10},
               "cnn": {"mse": 0.2, "rmse": 0.45, "mae": 0.3, "r2": 0.1, "params": 8}}
    return ranking.leaderboard(metrics, {}, "regression")


@pytest.mark.filterwarnings("error::FutureWarning")  # pandas' deprecated concat of all-NA columns
def test_the_report_shows_each_classical_baseline_unranked_and_says_whether_the_best_beats_it():
    table = _table()
    rng = np.random.default_rng(0)
    y = rng.normal(size=200)
    best = pd.DataFrame({"y_true": y, "y_pred": y + 0.1 * rng.normal(size=200)})
    worse = pd.DataFrame({"y_true": y, "y_pred": y + 1.0 * rng.normal(size=200)})
    classical = [ClassicalResult("summary_ridge", "summary features + ridge regression",
                                 {"mse": 0.9, "rmse": 0.95, "mae": 0.8, "r2": 0.05}, 0.4, worse)]
    shown = ranking.with_baseline_row(table, tasks.Baseline("mean of train targets", {"mse": 1.0}),
                                      [(c.description, c.scores, c.seconds) for c in classical])
    assert list(shown["rank"]) == [1, 2, "-", "-"]
    assert shown.iloc[2]["architecture"] == "classical: summary features + ridge regression"
    assert shown.iloc[2]["train_s"] == 0.4
    versus = statistics.versus_classical(table, "regression", {"lstm": best}, classical)
    assert versus[0]["better"] and versus[0]["significant"] == "yes"
    line = statistics.classical_line(versus, "mse")
    assert line.startswith("**lstm** beats the classical baseline (summary features + ridge regression) on mse")
    assert "significantly" in line


def test_metrics_baselines_json_is_never_an_architecture_and_the_name_is_refused():
    files = {"metrics/lstm.json": {"data": {"mse": 0.1, "params": 3}},
             "metrics/baselines.json": {"data": {"summary_ridge": {"mse": 0.2}}}}
    payload = [{"rev": "workspace", "name": None, "data": {"rev": "workspace", "metrics": files, "outs": {}},
                "error": None, "experiments": None}]
    assert [r["architecture"] for r in experiments.rows(payload)] == ["lstm"]
    with pytest.raises(InvalidRegistration, match="'baselines' is taken"):
        check_registration(Architecture("baselines", lambda spec, hp: None, type("P", (), {})), Architecture)


def test_the_ridge_baseline_learns_from_the_validation_split_too():
    """A regression network learns from train and picks its epoch on val; the ridge row, which
    picks its own strength, is fitted on both, so a small validation split is not lost to it."""
    prepared = _adding()
    a = prepared.arrays
    # Training targets carry no signal (all the same); the validation split keeps the real ones.
    a["y_train"] = np.full_like(a["y_train"], float(a["y_train"].mean()))
    ridge = baselines.run(prepared)[0]
    assert ridge.name == "summary_ridge"
    assert ridge.scores["r2"] > 0.2, ridge.scores  # fitted on train alone it predicts a constant: r2 <= 0

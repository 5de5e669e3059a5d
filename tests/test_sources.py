"""Bring-your-own-data sources: file loaders, text, forecasting windows, and bad data.

Every bad input is one DataError naming the file and the problem; nothing is written and the
input file is never modified.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from seqpipe import DataError, RawData
from seqpipe.config.params import TextParams, WindowParams
from seqpipe.data import api as data
from seqpipe.registry import build_registry
from tests.conftest import ROOT, env

REGISTRY = build_registry()
EXAMPLES = ROOT / "examples"


def _load(source: str, **options):
    dataset = REGISTRY.dataset(source)
    return dataset.load(dataset.params(**options), 0)


def _long_frame(n=30, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for sid in range(n):
        for t in range(int(rng.integers(3, 8))):
            rows.append({"id": sid, "time": t, "x": float(rng.normal()), "target": sid % 2})
    return pd.DataFrame(rows)


# --- loaders ------------------------------------------------------------------------------


def test_long_csv_gives_variable_length_sequences_ordered_by_time(tmp_path):
    df = pd.DataFrame(
        {"id": ["b", "a", "a", "b", "a"], "time": [1, 2, 0, 0, 1], "x": [4.0, 3.0, 1.0, 5.0, 2.0], "target": [9, 7, 7, 9, 7]}
    )
    path = tmp_path / "long.csv"
    df.to_csv(path, index=False)
    raw = _load("csv", path=str(path), format="long", task="regression")
    assert raw.ids == ["a", "b"]
    assert [s[:, 0].tolist() for s in raw.sequences] == [[1.0, 2.0, 3.0], [5.0, 4.0]]
    assert raw.targets.tolist() == [7.0, 9.0]


def test_wide_csv_trailing_blanks_make_shorter_sequences(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("id,label,t0,t1,t2\na,up,1,2,3\nb,down,3,2,\nc,up,0,1,2\nd,down,5,,\n")
    raw = _load("csv", path=str(path), format="wide", task="classification", target_column="label")
    assert [len(s) for s in raw.sequences] == [3, 2, 3, 1]
    assert raw.task == "binary" and raw.class_names == ["down", "up"]
    assert raw.targets.tolist() == [1, 0, 1, 0]


def test_parquet_and_csv_read_the_same_table(tmp_path):
    df = _long_frame()
    df.to_csv(tmp_path / "t.csv", index=False)
    df.to_parquet(tmp_path / "t.parquet", index=False)
    a = _load("csv", path=str(tmp_path / "t.csv"), task="classification")
    b = _load("parquet", path=str(tmp_path / "t.parquet"), task="classification")
    assert all(np.array_equal(x, y) for x, y in zip(a.sequences, b.sequences))
    assert np.array_equal(a.targets, b.targets)


def test_npz_official_split_is_respected():
    raw = _load("npz", path=str(EXAMPLES / "npz-classification" / "arrays.npz"))
    prepared = data.prepare(raw, val=0.2, test=0.4, seed=0)
    with np.load(EXAMPLES / "npz-classification" / "arrays.npz") as npz:
        x_test = npz["X_test"]
    assert prepared.spec.official_split is True
    assert prepared.spec.sizes.model_dump() == {"train": 120, "val": 30, "test": 50}
    # test sequences keep the file's order; scaling is the only change
    scaler = prepared.spec.scaler
    back = prepared.arrays["X_test"] * np.asarray(scaler.scale) + np.asarray(scaler.mean)
    np.testing.assert_allclose(back, x_test, atol=1e-4)


def test_maxlen_from_a_length_percentile_is_recorded_with_coverage():
    raw = _load("tokens", n_samples=200, min_length=5, max_length=50)
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=0, maxlen_percentile=50)
    spec = prepared.spec
    train_lengths = [len(raw.sequences[i]) for i in data.split_indices(raw.targets, "binary", 0.2, 0.2, 0)["train"]]
    assert spec.timesteps == int(np.ceil(np.percentile(train_lengths, 50)))
    assert spec.padding.maxlen_from == "percentile 50 of train lengths"
    assert spec.truncated.train > 0 and 0.3 < spec.coverage < 0.7


def test_variable_length_numeric_padding_uses_pad_value_and_stays_after_scaling(tmp_path):
    df = _long_frame()
    df.to_csv(tmp_path / "l.csv", index=False)
    raw = _load("csv", path=str(tmp_path / "l.csv"), task="classification")
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=0, lengths="pad", padding="post", pad_value=-99.0)
    x = prepared.arrays["X_train"]
    assert prepared.spec.padding.value == -99.0 and prepared.spec.padding.padded
    assert (x[:, -1, 0] == -99.0).any()  # padded ends
    real = x[x != -99.0]
    assert abs(real.mean()) < 1e-4  # the scaler saw only real steps


def test_no_val_or_test_statistic_reaches_the_scaler_of_a_file_source(tmp_path):
    df = _long_frame(n=60)
    raw = _load_from_frame(df, tmp_path)
    parts = data.split_indices(raw.targets, "binary", 0.2, 0.2, seed=3)
    for i in np.concatenate([parts["val"], parts["test"]]):
        raw.sequences[i] = raw.sequences[i] + 1000.0
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=3, lengths="pad")  # pad: the statistics of the real steps
    mean, scale = prepared.spec.scaler.mean[0], prepared.spec.scaler.scale[0]
    train_values = np.concatenate([raw.sequences[i][:, 0] for i in parts["train"]])
    assert mean == pytest.approx(train_values.mean(), abs=1e-4)
    assert scale == pytest.approx(train_values.std(), rel=1e-3)
    assert prepared.arrays["X_test"].max() > 100


def _load_from_frame(df, tmp_path):
    df.to_csv(tmp_path / "frame.csv", index=False)
    return _load("csv", path=str(tmp_path / "frame.csv"), task="classification")


# --- text ---------------------------------------------------------------------------------


def test_text_vocabulary_is_fit_on_train_only_and_maps_identically_later(tmp_path):
    texts = [f"good movie {i % 3}" if i % 2 else f"bad movie {i % 3}" for i in range(40)]
    labels = ["pos" if i % 2 else "neg" for i in range(40)]
    split = ["train"] * 30 + ["test"] * 10
    texts[35] = "bad zebra"  # a word that only the test split has
    path = tmp_path / "t.csv"
    pd.DataFrame({"text": texts, "label": labels, "split": split}).to_csv(path, index=False)
    raw = _load("text", path=str(path), split_column="split")
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=0, text=TextParams(vocab_size=50))
    vocab = prepared.vocabulary
    assert vocab[:2] == ["", "[UNK]"] and "zebra" not in vocab and "good" in vocab
    data.save(prepared, tmp_path / "prepared")
    again = data.load(tmp_path / "prepared")
    assert again.vocabulary == vocab and again.spec.vocabulary == "vocabulary.json"
    ids = data.vectorize(["Bad ZEBRA!"], again.vocabulary, TextParams(vocab_size=50))[0]
    assert ids.tolist() == [vocab.index("bad"), 1]
    assert prepared.spec.input_kind == "tokens" and prepared.spec.vocab_size == len(vocab)


@pytest.mark.keras
def test_text_is_tokenized_on_jax_in_a_process_that_seeded_a_jax_run_and_imports_no_tensorflow(tmp_path):
    # as tests/test_examples.py runs every example in one process: seeding a JAX run hides TensorFlow, and
    # Keras remembers it missing, so its TextVectorization layer (which needs TensorFlow) failed afterwards
    script = (
        "import json, sys\n"
        "import keras\n"
        "from seqpipe.training.fit import seed_everything\n"
        "seed_everything(42)\n"
        "from seqpipe.config.params import TextParams\n"
        "from seqpipe.data.text import fit_vocabulary, vectorize\n"
        "texts = ['bad movie', 'a good long movie with words', ''] * 600\n"
        "vocab = fit_vocabulary(texts, TextParams())\n"
        "rows = vectorize(texts + ['good zebra'], vocab, TextParams())\n"
        "print(json.dumps([keras.backend.backend(), 'tensorflow' in sys.modules, vocab,\n"
        "                  [r.tolist() for r in rows[:3] + rows[-1:]], len(rows)]))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env={**env(), "KERAS_BACKEND": "jax"}, capture_output=True,
                            text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    backend, tensorflow_imported, vocab, rows, count = json.loads(result.stdout.strip().splitlines()[-1])
    assert backend == "jax" and not tensorflow_imported and count == 3 * 600 + 1
    ids = {word: vocab.index(word) for word in ("bad", "movie", "good", "long")}
    assert rows[0] == [ids["bad"], ids["movie"]] and rows[2] == []  # no padding on short or empty texts
    assert rows[1][:4] == [vocab.index("a"), ids["good"], ids["long"], ids["movie"]] and len(rows[1]) == 6
    assert rows[3] == [ids["good"], 1]  # an unknown word is the OOV id


TRICKY_TEXTS = [
    "", " ", "   leading and trailing   ", "!!!", "...", "don't stop", "U.S.A. and e-mail", "'quoted' \"double\"",
    "ÉCOLE école Ecole", "İstanbul ıi", "STRASSE straße ẞ", "ΣΊΣΥΦΟΣ σίσυφος", "日本語 テキスト", "emoji 👩‍👩‍👧 😀!",
    "e\u0301 combining", "tab\tsep\nnew\rline\vvt\fff", "nbsp\u00a0joined", "em\u2003space", "ideo\u3000space",
    "fs\x1cgs\x1drs\x1eus\x1f", "nel\x85x", "zero\u200bwidth", "nul\x00inside", "[UNK] [unk] [UNK]", "a a b b c c d",
    "1,000 2.5 -3", "under_score back\\slash", "¿qué? ¡sí!", "« guillemets » — dash – en", "\ufeffbom", "ﬁ ｆｕｌｌ Ⅻ",
] + [f"A{chr(c)}z b{chr(c)}" for c in range(1, 0x3100) if not 0xD800 <= c <= 0xDFFF]  # each character, alone and in words


@pytest.mark.keras
@pytest.mark.parametrize("standardize", ["lower_and_strip_punctuation", "lower", "strip_punctuation", "none"])
@pytest.mark.parametrize("split", ["whitespace", "character"])
def test_text_gets_the_vocabulary_and_ids_of_keras_text_vectorization(standardize, split):
    from keras.layers import TextVectorization

    texts = [t for t in TRICKY_TEXTS if not (split == "character" and "\x00" in t)]  # Keras loses a NUL token
    for vocab_size in (5, 60, 100_000):  # the most frequent tokens, ties broken by the token (higher first)
        params = TextParams(vocab_size=vocab_size, standardize=standardize, split=split)
        layer = TextVectorization(max_tokens=vocab_size, standardize=None if standardize == "none" else standardize,
                                  split=split, output_mode="int")
        layer.adapt(np.asarray(texts, dtype=object))
        vocab = data.fit_vocabulary(texts, params)
        assert vocab == [str(t) for t in layer.get_vocabulary()]
        expected = [np.trim_zeros(row, "b").tolist() for row in np.asarray(layer(np.asarray(texts, dtype=object)))]
        assert [row.tolist() for row in data.vectorize(texts, vocab, params)] == expected


def test_next_token_from_text_predicts_the_following_word(tmp_path):
    path = tmp_path / "d.csv"
    pd.DataFrame({"text": ["a b c d e f"] * 30}).to_csv(path, index=False)
    raw = _load("text", path=str(path), task="next_token", label_column=None)
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=0, window=WindowParams(lookback=3))
    x, y = prepared.xy("train")
    vocab = prepared.vocabulary
    assert x.shape[1] == 3 and prepared.spec.n_classes == len(vocab)
    first = [vocab[i] for i in x[2]] + ["->", vocab[y[2]]]
    assert first == ["a", "b", "c", "->", "d"]


# --- forecasting --------------------------------------------------------------------------


def test_forecast_windows_are_split_by_time_without_leakage():
    series = np.arange(100, dtype=np.float32)
    raw = RawData([series], np.zeros(0), "forecast", "numeric")
    w = WindowParams(lookback=5, horizon=2, stride=1, season=1, protocol="sliding")
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=0, window=w, scale=False)
    y = {s: prepared.arrays[f"y_{s}"] for s in data.SPLITS}
    x = {s: prepared.arrays[f"X_{s}"] for s in data.SPLITS}
    assert y["train"].max() < 60 <= y["val"].min() and y["val"].max() < 80 <= y["test"].min()
    assert np.array_equal(x["train"][0, :, 0], np.arange(5)) and np.array_equal(y["train"][0], [5, 6])
    assert prepared.spec.forecast.mase_scale == pytest.approx(1.0)  # |y_t - y_(t-1)| on train


def test_forecast_scaler_and_target_statistics_use_the_training_range_only():
    series = np.concatenate([np.zeros(60), np.full(40, 1000.0)]).astype(np.float32)
    series[:60] += np.random.default_rng(0).normal(size=60).astype(np.float32)
    raw = RawData([series], np.zeros(0), "forecast", "numeric")
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=0, window=WindowParams(lookback=4, protocol="sliding",
                                                                                 normalize="none"))
    assert abs(prepared.spec.scaler.mean[0]) < 1.0
    assert abs(prepared.spec.forecast.target_mean) < 1.0


def _monthly_csv(tmp_path, months=144, split_at=None, name="monthly.csv"):
    """One series, no id column, dates as text (as a user exports them), rows shuffled."""
    dates = pd.date_range("1949-01-01", periods=months, freq="MS").strftime("%Y-%m")
    frame = pd.DataFrame({"month": dates, "passengers": 100 + np.arange(months) + 10 * np.sin(np.arange(months))})
    if split_at is not None:
        frame["split"] = ["train"] * split_at + ["test"] * (months - split_at)
    frame.sample(frac=1.0, random_state=0).to_csv(tmp_path / name, index=False)
    return str(tmp_path / name)


def test_one_monthly_series_with_dates_and_no_id_forecasts_its_last_horizon_from_the_cutoff(tmp_path):
    path = _monthly_csv(tmp_path)
    raw = _load("csv", path=path, task="forecast", id_column=None, time_column="month", target_column="passengers")
    prepared = data.prepare(raw, val=0.15, test=0.15, seed=0, window=WindowParams(horizon=36))
    spec = prepared.spec.forecast
    assert spec.season == 12 and "monthly" in spec.season_from and spec.freq == "MS"
    # 144 = 24 + 49-1 + 36 + 36 (train_until auto: training windows run up to the test range; val: 13, ending at 72)
    assert prepared.spec.sizes.model_dump() == {"train": 49, "val": 1, "test": 1}
    assert prepared.arrays["origin_test"].tolist() == [[0, 108]] and prepared.arrays["origin_val"].tolist() == [[0, 72]]
    assert prepared.arrays["y_test"][0, 0] == pytest.approx(100 + 108 + 10 * np.sin(108), abs=1e-3)  # ordered by date


def test_val_windows_auto_validates_a_long_series_on_enough_windows_for_early_stopping_a_short_one_on_one(tmp_path):
    from seqpipe.config import budget
    from seqpipe.config.params import TrainParams
    from seqpipe.data.forecast import log_lines

    raw = _load("csv", path=_monthly_csv(tmp_path, months=240), task="forecast", id_column=None, time_column="month",
                target_column="passengers")
    prepared = data.prepare(raw, val=0.15, test=0.15, seed=0,
                            window=WindowParams(horizon=12, val_windows="auto", train_until="val"))
    # 30 windows one step apart, the last just before the test range (228); training targets end at the first (187)
    assert prepared.arrays["origin_val"][:, 1].tolist() == list(range(187, 217))
    assert prepared.arrays["origin_train"][-1, 1] + 12 == 187
    assert any("validation windows: auto: the last 30 window starts" in line for line in log_lines(prepared.spec))
    assert budget.plan(TrainParams(), prepared.spec.sizes.train, prepared.spec.sizes.val, 16).early_stopping
    assert data.prepare(raw, val=0.15, test=0.15, seed=0, window=WindowParams(horizon=12)).spec.sizes.val == 1  # default
    in_sample = data.prepare(raw, val=0.15, test=0.15, seed=0, window=WindowParams(horizon=12, val_windows="auto"))
    assert in_sample.spec.sizes.val == 1  # train_until auto: training runs up to the test range
    assert in_sample.spec.forecast.val_from.startswith("auto: 1, training runs up to the test range")
    short = data.prepare(raw, val=0.15, test=0.15, seed=0,  # 97 windows: 30 is too many
                         window=WindowParams(horizon=60, val_windows="auto", train_until="val"))
    assert short.spec.sizes.val == 1 and "would take over 25% of the shortest series' 97 windows" in short.spec.forecast.val_from
    with pytest.raises(DataError, match="leave 139 before the validation 30 windows .*lower .*val_windows"):
        data.prepare(raw, val=0.15, test=0.15, seed=0, window=WindowParams(horizon=36, lookback=150, val_windows=30))


def test_the_split_column_and_a_cutoff_date_set_the_test_range(tmp_path):
    path = _monthly_csv(tmp_path, split_at=120)
    raw = _load("csv", path=path, task="forecast", id_column=None, time_column="month", target_column="passengers",
                split_column="split")
    prepared = data.prepare(raw, val=0.15, test=0.15, seed=0, window=WindowParams(horizon=12))
    assert prepared.spec.official_split and prepared.arrays["origin_test"].tolist() == [[0, 120], [0, 132]]
    by_date = data.prepare(raw, val=0.15, test=0.15, seed=0, window=WindowParams(horizon=12, cutoff="1957-12-01"))
    assert by_date.arrays["origin_test"][:, 1].tolist() == [108, 120, 132]
    with pytest.raises(DataError, match="data.window.cutoff: 'soon' is not a date"):
        data.prepare(raw, val=0.15, test=0.15, seed=0, window=WindowParams(horizon=12, cutoff="soon"))
    with pytest.raises(DataError, match="official split \\(split column\\), which data.window.protocol sliding cannot"):
        data.prepare(raw, val=0.15, test=0.15, seed=0, window=WindowParams(horizon=12, protocol="sliding"))
    with pytest.raises(DataError, match="7 steps in its test range, fewer than data.window.horizon 12"):
        data.prepare(raw, val=0.15, test=0.15, seed=0, window=WindowParams(horizon=12, cutoff="1960-05"))


def test_a_test_row_before_a_train_row_is_refused(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("t,v,split\n1,1,train\n2,2,test\n3,3,train\n")
    with pytest.raises(DataError, match="a train row follows a test row in split column 'split'"):
        _load("csv", path=str(path), task="forecast", id_column=None, time_column="t", target_column="v",
              split_column="split")


def test_seasonal_naive_and_forecast_scores():
    from seqpipe import tasks

    history = np.array([[1.0, 2.0, 3.0, 4.0]])
    assert data.seasonal_naive(history, 3, 2).tolist() == [[3.0, 4.0, 3.0]]
    assert data.seasonal_naive(history, 2, 1).tolist() == [[4.0, 4.0]]
    scores = tasks.forecast_scores(np.array([[2.0, 4.0]]), np.array([[1.0, 4.0]]), mase_scale=0.5)
    assert scores["mae"] == 0.5 and scores["mase"] == 1.0
    assert scores["smape"] == pytest.approx(100 * (2 * 1 / 3) / 2)
    assert scores["mape"] == pytest.approx((1 / 2 + 0) / 2)
    assert list(scores) == list(tasks.get("forecast").metrics)


def test_next_token_scores():
    from seqpipe import tasks

    out = np.full((2, 10), 0.01)
    out[0, 3], out[1, 5], out[1, 4] = 0.91, 0.87, 0.05
    scores = tasks.get("next_token").score(np.array([3, 4]), out, None)
    assert scores["accuracy"] == 0.5 and scores["top5_accuracy"] == 1.0
    assert scores["perplexity"] == pytest.approx(np.exp(-(np.log(0.91) + np.log(0.05)) / 2))


# --- bad data: one line naming the file and the problem -----------------------------------


def _csv(tmp_path, text: str, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("make", "options", "message"),
    [
        (lambda p: str(p / "missing.csv"), {}, "missing.csv: file not found"),
        (
            lambda p: _csv(p, "id,time,x,labl\n1,0,1.0,1\n"),
            {"target_column": "label"},
            "column 'label' not found; columns found: id, time, x, labl",
        ),
        (
            lambda p: _csv(p, "id,time,x,target\n1,0,1.0,1\n1,1,abc,1\n"),
            {},
            "column 'x' is not numeric (e.g. 'abc' at data row 2)",
        ),
    ],
)
def test_file_problems_name_the_file(tmp_path, make, options, message):
    path = make(tmp_path)
    with pytest.raises(DataError) as err:
        _load("csv", path=path, **options)
    assert message in str(err.value) and path.split("/")[-1] in str(err.value)


def test_nan_policy_error_says_where_and_drop_and_fill_work(tmp_path):
    rows = "id,time,x,target\n" + "".join(f"{i},{t},{'nan' if (i, t) == (3, 1) else i + t},{i % 2}\n" for i in range(20) for t in range(3))
    path = _csv(tmp_path, rows)
    raw = _load("csv", path=path, task="classification")
    with pytest.raises(DataError, match=r"data.csv: NaN/inf value in sequence 3, step 1, feature 'x'; .*nan_policy"):
        data.prepare(raw, val=0.2, test=0.2, seed=0)
    dropped = data.prepare(_load("csv", path=path, task="classification"), val=0.2, test=0.2, seed=0, nan_policy="drop")
    assert sum(dropped.spec.sizes.model_dump().values()) == 19
    filled = data.prepare(_load("csv", path=path, task="classification"), val=0.2, test=0.2, seed=0, nan_policy="fill")
    assert sum(filled.spec.sizes.model_dump().values()) == 20
    assert all(np.isfinite(filled.arrays[f"X_{s}"]).all() for s in data.SPLITS)


def test_ragged_npz_is_refused(tmp_path):
    path = tmp_path / "ragged.npz"
    x = np.empty(2, dtype=object)
    x[0], x[1] = np.zeros(3), np.zeros(5)
    np.savez(path, X=x, y=np.array([0, 1]))
    with pytest.raises(DataError, match="ragged.npz: 'X' is ragged"):
        _load("npz", path=str(path))


def test_one_class_and_empty_text_are_refused(tmp_path):
    one = _csv(tmp_path, "text,label\nhello there,a\nhi,a\n", "one.csv")
    with pytest.raises(DataError, match="one.csv: column 'label' has only one class"):
        _load("text", path=one)
    empty = _csv(tmp_path, 'text,label\nhello there,a\n"  ",b\n', "empty.csv")
    with pytest.raises(DataError, match="empty.csv: data row 2: empty text in column 'text'"):
        _load("text", path=empty)


def test_a_series_shorter_than_lookback_is_refused(tmp_path):
    path = _csv(tmp_path, "id,time,v\na,0,1\na,1,2\na,2,3\n", "short.csv")
    raw = _load("csv", path=path, task="forecast", target_column="v")
    with pytest.raises(DataError, match="short.csv: sequence 'a' has 3 steps, shorter than lookback \\+ horizon = 25"):
        data.prepare(raw, val=0.2, test=0.2, seed=0, window=WindowParams(lookback=24))


def test_bad_data_through_the_stage_is_one_line_exit_1_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,time,x,target\n" + "".join(f"{i},{t},{'inf' if i == 5 else t},{i % 2}\n" for i in range(12) for t in range(2)))
    before = hashlib.sha256(bad.read_bytes()).hexdigest()
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["data"].update(source="csv", path=str(bad), options={"task": "classification"})
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    result = subprocess.run(
        [sys.executable, "-m", "seqpipe.stages.prepare"], cwd=tmp_path, env=env(), capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"seqpipe: error: {bad}: NaN/inf value in sequence 5, step 0, feature 'x'; "
        "fix the file or set data.nan_policy to drop or fill"
    ]
    assert not (tmp_path / "data").exists()
    assert hashlib.sha256(bad.read_bytes()).hexdigest() == before


def test_data_path_is_passed_to_file_sources_and_not_accepted_twice():
    from seqpipe.config.experiment import choose_dataset
    from seqpipe.config.params import Params
    from seqpipe.errors import ParamsError

    params = Params.model_validate(
        {"architectures": ["lstm"], "data": {"source": "npz", "path": "x.npz", "options": {"task": "regression"}}}
    )
    assert choose_dataset(params, REGISTRY).options.path == "x.npz"
    params.data.options["path"] = "y.npz"
    with pytest.raises(ParamsError, match="data.options.path: set the input file as data.path"):
        choose_dataset(params, REGISTRY)

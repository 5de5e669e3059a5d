"""Property-based tests (hypothesis): padding/truncation and windowing in seqpipe.data agree
with plain-Python reference implementations on random inputs."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from seqpipe.config.params import WindowParams
from seqpipe.data import api as data
from seqpipe.data.text import contexts
from seqpipe.specs import RawData

SETTINGS = settings(max_examples=40, deadline=None)
sides = st.sampled_from(["pre", "post"])
lengths = st.lists(st.integers(0, 9), min_size=1, max_size=8)


def reference_pad(seqs: list[list[float]], maxlen: int, padding: str, truncating: str, value: float) -> list[list[float]]:
    out = []
    for s in seqs:
        kept = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        fill = [value] * (maxlen - len(kept))
        out.append(fill + kept if padding == "pre" else kept + fill)
    return out


@SETTINGS
@given(lengths=lengths, maxlen=st.integers(1, 10), padding=sides, truncating=sides, value=st.sampled_from([0.0, -1.5]))
def test_pad_matches_a_reference(lengths, maxlen, padding, truncating, value):
    seqs = [[float(10 * i + j + 1) for j in range(n)] for i, n in enumerate(lengths)]
    padded, truncated = data.pad([np.asarray(s, dtype="float32") for s in seqs], maxlen, padding, truncating, value)
    assert padded.tolist() == reference_pad(seqs, maxlen, padding, truncating, value)
    assert truncated == sum(n > maxlen for n in lengths)


@SETTINGS
@given(lengths=lengths, maxlen=st.integers(1, 10), padding=sides)
def test_padding_positions_mark_exactly_the_padded_steps(lengths, maxlen, padding):
    expected = [[v == "pad" for v in row] for row in reference_pad([["x"] * n for n in lengths], maxlen, padding, "pre", "pad")]
    assert data.padding_positions(np.asarray(lengths), maxlen, padding).tolist() == expected


@SETTINGS
@given(length=st.integers(1, 40), lookback=st.integers(1, 8), horizon=st.integers(1, 4), stride=st.integers(1, 3))
def test_window_starts_match_a_reference(length, lookback, horizon, stride):
    expected = []
    start = lookback
    while start + horizon <= length:
        expected.append(start)
        start += stride
    assert data.window_starts(length, lookback, horizon, stride).tolist() == expected


@SETTINGS
@given(history=st.lists(st.integers(-5, 5), min_size=1, max_size=8), horizon=st.integers(1, 6), season=st.integers(1, 8))
def test_seasonal_naive_repeats_the_last_season(history, horizon, season):
    season = min(season, len(history))
    expected = [history[len(history) - season + (h % season)] for h in range(horizon)]
    got = data.seasonal_naive(np.asarray([history], dtype=float), horizon, season)
    assert got.tolist() == [expected]


@SETTINGS
@given(lengths=st.lists(st.integers(40, 70), min_size=1, max_size=3), lookback=st.integers(1, 6),
       horizon=st.integers(1, 3), stride=st.integers(1, 3))
def test_forecast_windows_match_a_reference_and_never_cross_splits(lengths, lookback, horizon, stride):
    series = [np.arange(n, dtype=np.float32) + 1000 * i for i, n in enumerate(lengths)]
    raw = RawData(series, np.zeros(0, np.float32), "forecast", "numeric")
    window = WindowParams(lookback=lookback, horizon=horizon, stride=stride, protocol="sliding")
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=0, scale=False, window=window)
    expected: dict[str, list] = {"train": [], "val": [], "test": []}
    starts: dict[str, list] = {"train": [], "val": [], "test": []}
    for i, s in enumerate(series):
        t = len(s)
        a, b = int(t * (1.0 - 0.2 - 0.2)), int(t * (1.0 - 0.2))  # the split arithmetic of data.prepare_forecast
        ranges = {"train": (0, a), "val": (a, b), "test": (b, t)}
        for split, (lo, hi) in ranges.items():
            for start in range(lookback, t - horizon + 1, stride):
                if lo <= start and start + horizon <= hi:  # every target step inside the split's time range
                    expected[split].append((s[start - lookback:start].tolist(), s[start:start + horizon].tolist()))
                    starts[split].append([i, start])
    for split, windows in expected.items():
        x, y = prepared.xy(split)
        assert x[..., 0].tolist() == [w[0] for w in windows]
        assert y.tolist() == [w[1] for w in windows]
        assert prepared.arrays[f"origin_{split}"].tolist() == starts[split]  # where the statistical baselines start
    assert prepared.arrays["series_lengths"].tolist() == lengths


@SETTINGS
@given(lengths=st.lists(st.integers(30, 60), min_size=1, max_size=3), lookback=st.integers(1, 6),
       horizon=st.integers(1, 8), stride=st.integers(1, 3), until=st.sampled_from(["auto", "val", "test"]),
       k=st.integers(1, 4))
def test_cutoff_protocol_tests_the_last_horizon_validates_the_windows_before_and_trains_on_the_rest(
        lengths, lookback, horizon, stride, until, k):
    series = [np.arange(n, dtype=np.float32) + 1000 * i for i, n in enumerate(lengths)]
    raw = RawData(series, np.zeros(0, np.float32), "forecast", "numeric")
    window = WindowParams(lookback=lookback, horizon=horizon, stride=stride, season=1, train_until=until, val_windows=k)
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=0, scale=False, window=window)
    expected: dict[str, list] = {"train": [], "val": [], "test": []}
    for i, s in enumerate(series):
        t = len(s)
        expected["test"].append((i, t - horizon))
        first_val = t - 2 * horizon - (k - 1)  # k windows one step apart, the last just before the test range
        expected["val"] += [(i, first_val + j) for j in range(k)]
        # its targets end where validation begins, or (train_until: test, auto's) where the test range begins
        last_train = first_val - horizon if until == "val" else t - 2 * horizon
        expected["train"] += [(i, start) for start in range(lookback, last_train + 1) if (last_train - start) % stride == 0]
    for split, origins in expected.items():
        assert prepared.arrays[f"origin_{split}"].tolist() == [list(o) for o in origins]
        x, y = prepared.xy(split)
        assert x[..., 0].tolist() == [series[i][t - lookback:t].tolist() for i, t in origins]
        assert y.tolist() == [series[i][t:t + horizon].tolist() for i, t in origins]
    assert prepared.arrays["series_lengths"].tolist() == lengths
    assert np.isnan(prepared.arrays["series_values"][:, -1]).sum() == sum(n < max(lengths) for n in lengths)


@SETTINGS
@given(docs=st.lists(st.lists(st.integers(2, 9), min_size=0, max_size=10), min_size=1, max_size=4),
       lookback=st.integers(1, 5), stride=st.integers(1, 3))
def test_next_token_contexts_match_a_reference(docs, lookback, stride):
    xs, ys = contexts([np.asarray(d, dtype=np.int32) for d in docs], lookback, stride)
    expected = [(d[max(0, i - lookback):i], d[i]) for d in docs for i in range(1, len(d), stride)]
    assert [x.tolist() for x in xs] == [e[0] for e in expected]
    assert ys.tolist() == [e[1] for e in expected]

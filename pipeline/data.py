"""Turn a data source's RawData into padded, split and scaled arrays plus a spec.

Library functions take values, not params or paths, so tests call them directly. Prepared data
is stored as plain `.npy` files (byte-identical for identical inputs, memory-mappable), a
`spec.json` that later stages read instead of re-deriving shapes and, for text sources,
`vocabulary.json` (the fitted TextVectorization vocabulary, so inference maps text identically).

Every statistic (maxlen from a length percentile, scaler, vocabulary, MASE scale) comes from the
training split only.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from pipeline import atomic
from pipeline import progress as progress_module
from pipeline.errors import DataError
from pipeline.params import TextParams, WindowParams
from pipeline.specs import RawData

SPLITS = ("train", "val", "test")
# The phases `prepare` reports progress for, in order (some are skipped for some data).
PREPARE_PHASES = ("loading", "cleaning", "splitting", "tokenizing", "padding", "scaling", "saving")
CLASSIFICATION = ("binary", "multiclass")
VOCABULARY_FILE = "vocabulary.json"
_CHUNK = 16384  # rows per chunk for in-place work on large arrays


@dataclass
class Prepared:
    arrays: dict[str, np.ndarray]  # X_train, y_train, X_val, ...
    spec: dict[str, Any]
    vocabulary: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def xy(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        return self.arrays[f"X_{split}"], self.arrays[f"y_{split}"]


def _where(raw: RawData) -> str:
    return f"{raw.origin}: " if raw.origin else ""


def _name(raw: RawData, i: int) -> str:
    return f"sequence {raw.ids[i]!r}" if raw.ids is not None else f"sequence {i}"


def split_indices(
    targets: np.ndarray, task: str, val: float, test: float, seed: int
) -> dict[str, np.ndarray]:
    """Seeded train/val/test indices; stratified by class for classification tasks."""
    n = len(targets)
    indices = np.arange(n)
    stratify = targets if task in CLASSIFICATION else None
    try:
        rest, test_idx = train_test_split(indices, test_size=test, random_state=seed, stratify=stratify)
        rest_targets = targets[rest] if stratify is not None else None
        train_idx, val_idx = train_test_split(
            rest, test_size=val / (1.0 - test), random_state=seed + 1, stratify=rest_targets
        )
    except ValueError as exc:
        raise DataError(f"cannot split {n} sequences into train/val/test: {exc}") from None
    return {"train": np.sort(train_idx), "val": np.sort(val_idx), "test": np.sort(test_idx)}


def official_split_indices(
    split: np.ndarray, targets: np.ndarray, task: str, val: float, seed: int
) -> dict[str, np.ndarray]:
    """Respect a split that comes with the data: its test part stays the test split; the
    validation split is carved (seeded, stratified) out of its train part."""
    split = np.asarray(split).astype(str)
    unknown = sorted(set(split.tolist()) - {"train", "test"})
    if unknown:
        raise DataError(f"official split labels must be 'train' or 'test', found {unknown}")
    train_all = np.flatnonzero(split == "train")
    test_idx = np.flatnonzero(split == "test")
    if len(train_all) < 2 or len(test_idx) == 0:
        raise DataError(f"the official split has {len(train_all)} train and {len(test_idx)} test sequences")
    stratify = targets[train_all] if task in CLASSIFICATION else None
    try:
        train_idx, val_idx = train_test_split(train_all, test_size=val, random_state=seed + 1, stratify=stratify)
    except ValueError as exc:
        raise DataError(f"cannot carve a validation split out of the official train split: {exc}") from None
    return {"train": np.sort(train_idx), "val": np.sort(val_idx), "test": test_idx}


def pad(
    sequences: np.ndarray | list[np.ndarray],
    maxlen: int,
    padding: str = "pre",
    truncating: str = "pre",
    value: float = 0.0,
    dtype: str = "float32",
) -> tuple[np.ndarray, int]:
    """Pad/truncate to `maxlen` exactly like `keras.utils.pad_sequences`; also count truncations."""
    from keras.utils import pad_sequences  # keras only where padding happens

    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    if len(sequences) == 0:
        shape = (0, maxlen) if dtype.startswith("int") else (0, maxlen)
        return np.zeros(shape, dtype=dtype), 0
    padded = pad_sequences(
        list(sequences), maxlen=maxlen, dtype=dtype, padding=padding, truncating=truncating, value=value
    )
    return padded, int((lengths > maxlen).sum())


def padding_positions(lengths: np.ndarray, maxlen: int, padding: str) -> np.ndarray:
    """Boolean (n, maxlen): True where a step is padding rather than data."""
    steps = np.arange(maxlen)[None, :]
    kept = np.minimum(lengths, maxlen)[:, None]
    return steps >= kept if padding == "post" else steps < (maxlen - kept)


def choose_maxlen(train_lengths: np.ndarray, maxlen: int | None, percentile: float) -> int:
    """`maxlen` if given, else the `percentile` of training-split lengths (100 = the longest)."""
    if maxlen is not None:
        return int(maxlen)
    if len(train_lengths) == 0:
        raise DataError("the training split is empty")
    return max(1, int(np.ceil(np.percentile(train_lengths, percentile))))


def fit_scaler(x_train: np.ndarray, real: np.ndarray | None = None) -> StandardScaler:
    """Per-feature standardisation fitted on the training split only (chunked, so a large array
    is never copied whole); `real` (n, steps) excludes padded steps from the statistics."""
    scaler = StandardScaler()
    features = x_train.shape[-1]
    for start in range(0, len(x_train), _CHUNK):
        chunk = x_train[start : start + _CHUNK]
        rows = chunk[real[start : start + _CHUNK]] if real is not None else chunk.reshape(-1, features)
        if len(rows):
            scaler.partial_fit(rows.reshape(-1, features))
    if not hasattr(scaler, "mean_"):
        raise DataError("the training split has no data to fit the scaler on")
    return scaler


def apply_scaler(scaler: StandardScaler, x: np.ndarray, padded: np.ndarray | None = None, value: float = 0.0) -> np.ndarray:
    """Standardise `x` in place (float32, chunked); padded steps are set back to `value`."""
    mean = scaler.mean_.astype(np.float32)
    scale = scaler.scale_.astype(np.float32)
    for start in range(0, len(x), _CHUNK):
        chunk = x[start : start + _CHUNK]
        chunk -= mean
        chunk /= scale
        if padded is not None:
            chunk[padded[start : start + _CHUNK]] = value
    return x


# --- bad values ---------------------------------------------------------------------------


def _first_bad(array: np.ndarray) -> tuple[int, ...] | None:
    for start in range(0, len(array), _CHUNK):
        bad = ~np.isfinite(array[start : start + _CHUNK])
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            return (where[0] + start, *where[1:])
    return None


def clean_values(raw: RawData, policy: str, fill_value: float) -> RawData:
    """Apply `nan_policy` to NaN/inf in numeric sequences and regression targets.

    `error` stops naming the first bad value; `drop` drops the sequences that hold one; `fill`
    replaces bad feature values by `fill_value` (a bad regression target is dropped).
    """
    if raw.input_kind != "numeric":
        return raw
    seqs = raw.sequences
    dense = isinstance(seqs, np.ndarray)
    features = raw.feature_names
    bad_rows: list[int] = []
    if dense:
        if not np.issubdtype(seqs.dtype, np.floating):
            seqs = raw.sequences = seqs.astype(np.float32)
        where = _first_bad(seqs)
        if where is not None:
            if policy == "error":
                raise DataError(_bad_message(raw, where, features))
            if policy == "fill":
                for start in range(0, len(seqs), _CHUNK):
                    chunk = seqs[start : start + _CHUNK]
                    chunk[~np.isfinite(chunk)] = fill_value
            else:
                for start in range(0, len(seqs), _CHUNK):
                    chunk = seqs[start : start + _CHUNK].reshape(min(_CHUNK, len(seqs) - start), -1)
                    bad_rows += (np.flatnonzero(~np.isfinite(chunk).all(axis=1)) + start).tolist()
    else:
        for i, s in enumerate(seqs):
            s = np.asarray(s, dtype=np.float32)
            bad = ~np.isfinite(s)
            if bad.any():
                if policy == "error":
                    raise DataError(_bad_message(raw, (i, *(int(j) for j in np.argwhere(bad)[0])), features))
                if policy == "fill":
                    s = np.where(bad, np.float32(fill_value), s)
                else:
                    bad_rows.append(i)
            seqs[i] = s
    if raw.task not in ("forecast",) and np.issubdtype(np.asarray(raw.targets).dtype, np.floating):
        bad_targets = np.flatnonzero(~np.isfinite(raw.targets))
        if len(bad_targets):
            if policy == "error":
                raise DataError(
                    f"{_where(raw)}NaN/inf target of {_name(raw, int(bad_targets[0]))}; "
                    "set data.nan_policy to drop (or fill) to drop such sequences"
                )
            bad_rows += bad_targets.tolist()
    if bad_rows:
        raw = _drop(raw, np.unique(bad_rows))
        if len(raw.sequences) == 0:
            raise DataError(f"{_where(raw)}every sequence holds NaN/inf; nothing is left after nan_policy drop")
    return raw


def _bad_message(raw: RawData, where: tuple[int, ...], features: list[str] | None) -> str:
    i = where[0]
    parts = [_name(raw, i)]
    if len(where) > 1:
        parts.append(f"step {where[1]}")
    if len(where) > 2:
        col = features[where[2]] if features and where[2] < len(features) else where[2]
        parts.append(f"feature {col!r}")
    return (
        f"{_where(raw)}NaN/inf value in {', '.join(parts)}; "
        "fix the file or set data.nan_policy to drop or fill"
    )


def _drop(raw: RawData, rows: np.ndarray) -> RawData:
    keep = np.setdiff1d(np.arange(len(raw.sequences)), rows)
    seqs = raw.sequences[keep] if isinstance(raw.sequences, np.ndarray) else [raw.sequences[i] for i in keep]
    targets = np.asarray(raw.targets)
    return RawData(
        sequences=seqs,
        targets=targets[keep] if raw.task != "forecast" else targets,
        task=raw.task,
        input_kind=raw.input_kind,
        vocab_size=raw.vocab_size,
        class_names=raw.class_names,
        description={**raw.description, "dropped_for_nan": int(len(rows))},
        split=None if raw.split is None else np.asarray(raw.split)[keep],
        origin=raw.origin,
        ids=None if raw.ids is None else [raw.ids[i] for i in keep],
        feature_names=raw.feature_names,
        forecast_feature=raw.forecast_feature,
    )


# --- text ---------------------------------------------------------------------------------


def _text_layer(text: TextParams, vocabulary: list[str] | None = None):
    from keras.layers import TextVectorization

    return TextVectorization(
        max_tokens=text.vocab_size,
        standardize=None if text.standardize == "none" else text.standardize,
        split=text.split,
        output_mode="int",
        ragged=True,
        vocabulary=vocabulary,
    )


def fit_vocabulary(texts: list[str], text: TextParams) -> list[str]:
    """Fit Keras `TextVectorization` on (training) texts; index 0 is padding, 1 is OOV."""
    layer = _text_layer(text)
    layer.adapt(np.asarray(texts, dtype=object))
    return [str(t) for t in layer.get_vocabulary()]


def vectorize(texts: list[str], vocabulary: list[str], text: TextParams) -> list[np.ndarray]:
    """Map texts to token-id arrays with a saved vocabulary (the same mapping at inference)."""
    if not len(texts):
        return []
    layer = _text_layer(text, vocabulary)
    ragged = layer(np.asarray(texts, dtype=object))
    return [np.asarray(row, dtype=np.int32) for row in ragged.to_list()]


def _check_texts(raw: RawData) -> list[str]:
    texts = []
    for i, t in enumerate(raw.sequences):
        if not isinstance(t, str) or not t.strip():
            raise DataError(f"{_where(raw)}empty text in {_name(raw, i)}; remove the row or fill it in")
        texts.append(t)
    return texts


def _contexts(tokens: list[np.ndarray], lookback: int, stride: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Next-token examples: every `stride`-th position of each document, with up to `lookback`
    preceding tokens as context."""
    xs, ys = [], []
    for doc in tokens:
        for i in range(1, len(doc), stride):
            xs.append(doc[max(0, i - lookback) : i])
            ys.append(doc[i])
    return xs, np.asarray(ys, dtype=np.int32)


# --- the main entry point -----------------------------------------------------------------


def prepare(
    raw: RawData,
    *,
    val: float,
    test: float,
    seed: int,
    scale: bool = True,
    maxlen: int | None = None,
    maxlen_percentile: float = 100.0,
    padding: str = "pre",
    truncating: str = "pre",
    pad_value: float = 0.0,
    nan_policy: str = "error",
    fill_value: float = 0.0,
    window: WindowParams | None = None,
    text: TextParams | None = None,
    progress: Callable[[str], None] = progress_module.nothing,
) -> Prepared:
    """Split, pad and scale `raw`; every statistic (maxlen, scaler, vocabulary) comes from the
    train split. Forecast series are cut into windows and split by time instead. `progress` is
    called with each phase's name (one of PREPARE_PHASES) as it starts."""
    window = window or WindowParams()
    text = text or TextParams()
    if raw.task == "next_token" and raw.input_kind == "numeric":
        raise DataError(
            f"{_where(raw)}task 'next_token' needs token or text inputs, got numeric series; "
            "use task regression or forecast for numbers"
        )
    progress("cleaning")
    raw = clean_values(raw, nan_policy, fill_value)
    if raw.task == "forecast":
        return prepare_forecast(raw, window=window, val=val, test=test, scale=scale, progress=progress)

    targets = np.asarray(raw.targets)
    n = len(raw.sequences)
    if raw.input_kind == "text" and raw.task == "next_token":
        targets = np.zeros(n, dtype=np.int32)  # the core cuts contexts and next tokens itself
    if len(targets) != n:
        raise DataError(f"{_where(raw)}{n} sequences but {len(targets)} targets")
    if n == 0:
        raise DataError(f"{_where(raw)}no sequences")
    if raw.task in CLASSIFICATION:
        classes_found = np.unique(targets)
        if len(classes_found) < 2:
            raise DataError(
                f"{_where(raw)}task '{raw.task}' needs at least two classes, found {classes_found.tolist()}"
            )
    progress("splitting")
    if raw.split is not None:
        parts = official_split_indices(raw.split, targets, raw.task, val, seed)
    else:
        parts = split_indices(targets, raw.task, val, test, seed)

    vocabulary = None
    input_kind = raw.input_kind
    vocab_size = raw.vocab_size
    if raw.input_kind == "text":
        progress("tokenizing")
        texts = _check_texts(raw)
        vocabulary = fit_vocabulary([texts[i] for i in parts["train"]], text)
        tokens = vectorize(texts, vocabulary, text)
        empty = [i for i, t in enumerate(tokens) if len(t) == 0]
        if empty and raw.task != "next_token":
            raise DataError(f"{_where(raw)}empty text in {_name(raw, empty[0])} after standardisation")
        input_kind, vocab_size = "tokens", len(vocabulary)
        if raw.task == "next_token":
            seqs_by_split, targets_by_split = {}, {}
            for split, idx in parts.items():
                xs, ys = _contexts([tokens[i] for i in idx], window.lookback, text.stride)
                if not len(xs):
                    raise DataError(f"{_where(raw)}the {split} split has no next-token contexts; add text")
                seqs_by_split[split], targets_by_split[split] = xs, ys
            maxlen = maxlen or window.lookback
            return _pad_and_pack(
                raw, seqs_by_split, targets_by_split, input_kind, vocab_size, vocabulary,
                maxlen=maxlen, maxlen_percentile=maxlen_percentile, padding="pre", truncating="pre",
                pad_value=0.0, scale=False, official=raw.split is not None, progress=progress,
            )
        sequences: Any = tokens
    else:
        sequences = raw.sequences

    seqs_by_split = {
        split: ([sequences[i] for i in idx] if isinstance(sequences, list) else sequences[idx])
        for split, idx in parts.items()
    }
    targets_by_split = {split: targets[idx] for split, idx in parts.items()}
    return _pad_and_pack(
        raw, seqs_by_split, targets_by_split, input_kind, vocab_size, vocabulary,
        maxlen=maxlen, maxlen_percentile=maxlen_percentile, padding=padding, truncating=truncating,
        pad_value=pad_value, scale=scale, official=raw.split is not None, progress=progress,
    )


def _pad_and_pack(
    raw: RawData,
    seqs_by_split: dict[str, Any],
    targets_by_split: dict[str, np.ndarray],
    input_kind: str,
    vocab_size: int | None,
    vocabulary: list[str] | None,
    *,
    maxlen: int | None,
    maxlen_percentile: float,
    padding: str,
    truncating: str,
    pad_value: float,
    scale: bool,
    official: bool,
    progress: Callable[[str], None] = progress_module.nothing,
) -> Prepared:
    progress("padding")
    tokens = input_kind == "tokens"
    dtype = "int32" if tokens else "float32"
    lengths = {
        s: np.fromiter((len(x) for x in seqs), dtype=np.int64, count=len(seqs)) for s, seqs in seqs_by_split.items()
    }
    computed = maxlen is None
    maxlen = choose_maxlen(lengths["train"], maxlen, maxlen_percentile)
    arrays: dict[str, np.ndarray] = {}
    truncated: dict[str, int] = {}
    padded_any = False
    for split in SPLITS:
        seqs = seqs_by_split[split]
        if isinstance(seqs, np.ndarray) and not tokens and seqs.ndim == 2:
            seqs = seqs[..., None]
        if isinstance(seqs, np.ndarray) and seqs.ndim >= 2 and seqs.shape[1] == maxlen:
            x, truncated[split] = seqs.astype(dtype, copy=False), 0
        else:
            x, truncated[split] = pad(seqs, maxlen, padding, truncating, value=0 if tokens else pad_value, dtype=dtype)
            padded_any = padded_any or bool((lengths[split] < maxlen).any())
        if not tokens and x.ndim == 2:
            x = x[..., None]
        arrays[f"X_{split}"] = x
        y = targets_by_split[split]
        arrays[f"y_{split}"] = y.astype(np.float32 if raw.task == "regression" else np.int32, copy=False)

    scaler_stats = None
    if scale and not tokens:
        progress("scaling")
        # Statistics from real (unpadded) train steps only; padding stays exactly `pad_value` so
        # the model's Masking layer can find it.
        pads = {s: padding_positions(lengths[s], maxlen, padding) if padded_any else None for s in SPLITS}
        real_train = None if pads["train"] is None else ~pads["train"]
        scaler = fit_scaler(arrays["X_train"], real_train)
        for split in SPLITS:
            # X_* are fresh arrays (fancy-indexed or padded copies), so scaling in place is safe.
            arrays[f"X_{split}"] = apply_scaler(scaler, arrays[f"X_{split}"], pads[split], pad_value)
        scaler_stats = {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist()}

    if raw.task in CLASSIFICATION:
        classes = int(max(int(targets_by_split[s].max()) for s in SPLITS if len(targets_by_split[s]))) + 1
        classes = max(classes, len(raw.class_names or []))  # a class may vanish after nan_policy drop
    elif raw.task == "next_token":
        classes = int(vocab_size)
    else:
        classes = None
    sizes = {s: int(len(arrays[f"y_{s}"])) for s in SPLITS}
    total = sum(sizes.values())
    n_truncated = sum(truncated.values())
    spec = {
        "task": raw.task,
        "input_kind": input_kind,
        "timesteps": int(maxlen),
        "features": 1 if tokens else int(arrays["X_train"].shape[-1]),
        "vocab_size": vocab_size,
        "n_classes": classes,
        "class_names": raw.class_names
        or (None if classes is None or raw.task == "next_token" else [str(c) for c in range(classes)]),
        "sizes": sizes,
        "official_split": official,
        "padding": {
            "maxlen": int(maxlen),
            "maxlen_from": f"percentile {maxlen_percentile:g} of train lengths" if computed else "data.maxlen",
            "padding": padding,
            "truncating": truncating,
            "value": 0 if tokens else float(pad_value),
            "padded": padded_any,
        },
        "truncated": truncated,
        "coverage": round(1.0 - n_truncated / total, 6) if total else 1.0,
        "class_balance": None
        if raw.task not in CLASSIFICATION
        else {s: np.bincount(arrays[f"y_{s}"], minlength=classes).tolist() for s in SPLITS},
        "scaler": scaler_stats,
        "vocabulary": None if vocabulary is None else VOCABULARY_FILE,
        "source": raw.description,
    }
    return Prepared(arrays, spec, vocabulary)


# --- forecasting --------------------------------------------------------------------------


def window_starts(length: int, lookback: int, horizon: int, stride: int) -> np.ndarray:
    """First forecast step of every window of one series (inputs are the `lookback` steps before)."""
    return np.arange(lookback, length - horizon + 1, stride)


def seasonal_naive(history: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """(n, lookback) history of the forecast column -> (n, horizon) seasonal naive forecast:
    each future step repeats the value one season earlier (season 1 = the last value)."""
    last = history[:, history.shape[1] - season :]
    reps = int(np.ceil(horizon / season))
    return np.tile(last, (1, reps))[:, :horizon]


def prepare_forecast(
    raw: RawData, *, window: WindowParams, val: float, test: float, scale: bool,
    progress: Callable[[str], None] = progress_module.nothing,
) -> Prepared:
    """Sliding windows over each series, split by time: in every series the first
    `1 - val - test` of the steps give training windows, the next `val` validation and the last
    `test` test windows. A window belongs to a split only if its forecast steps all lie inside
    that split's time range, so no target leaks into an earlier split; the scaler and the MASE
    scale use the training range only. Targets stay in the data's units."""
    lookback, horizon, stride, season = window.lookback, window.horizon, window.stride, window.season
    if season > lookback:
        raise DataError(f"data.window.season ({season}) must not exceed data.window.lookback ({lookback})")
    series = []
    for i, s in enumerate(raw.sequences):
        s = np.asarray(s, dtype=np.float32)
        s = s[:, None] if s.ndim == 1 else s
        if len(s) < lookback + horizon:
            raise DataError(
                f"{_where(raw)}{_name(raw, i)} has {len(s)} steps, shorter than lookback + horizon = "
                f"{lookback + horizon}; lower data.window.lookback or drop the series"
            )
        series.append(s)
    if not series:
        raise DataError(f"{_where(raw)}no series to forecast")
    f = raw.forecast_feature
    features = series[0].shape[1]
    if any(s.shape[1] != features for s in series):
        raise DataError(f"{_where(raw)}series have different numbers of features")

    progress("splitting")  # windows, split by time
    bounds = []
    xs: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    ys: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    for s in series:
        t = len(s)
        t_train, t_val = int(t * (1.0 - val - test)), int(t * (1.0 - test))
        bounds.append(t_train)
        ranges = {"train": (0, t_train), "val": (t_train, t_val), "test": (t_val, t)}
        for split, (lo, hi) in ranges.items():
            for start in window_starts(t, lookback, horizon, stride):
                if start >= lo and start + horizon <= hi:
                    xs[split].append(s[start - lookback : start])
                    ys[split].append(s[start : start + horizon, f])
    for split in SPLITS:
        if not xs[split]:
            raise DataError(
                f"{_where(raw)}no complete {split} windows (lookback {lookback}, horizon {horizon}); "
                "the series are too short for this split; use longer series or a smaller window"
            )
    arrays = {}
    for split in SPLITS:
        arrays[f"X_{split}"] = np.stack(xs[split]).astype(np.float32)
        arrays[f"y_{split}"] = np.stack(ys[split]).astype(np.float32)

    train_steps = np.concatenate([s[:b] for s, b in zip(series, bounds)])
    target_train = train_steps[:, f]
    diffs = np.concatenate([np.abs(s[season:b, f] - s[: b - season, f]) for s, b in zip(series, bounds) if b > season])
    mase_scale = float(diffs.mean()) if len(diffs) and diffs.mean() > 0 else 1.0
    scaler_stats = None
    if scale:
        progress("scaling")
        scaler = StandardScaler().fit(train_steps)
        for split in SPLITS:
            arrays[f"X_{split}"] = apply_scaler(scaler, arrays[f"X_{split}"])
        scaler_stats = {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist()}
    sizes = {s: int(len(arrays[f"y_{s}"])) for s in SPLITS}
    spec = {
        "task": "forecast",
        "input_kind": "numeric",
        "timesteps": int(lookback),
        "features": int(features),
        "vocab_size": None,
        "n_classes": None,
        "class_names": None,
        "sizes": sizes,
        "official_split": False,
        "padding": {"maxlen": int(lookback), "maxlen_from": "data.window.lookback", "padding": "pre",
                    "truncating": "pre", "value": 0.0, "padded": False},
        "truncated": {s: 0 for s in SPLITS},
        "coverage": 1.0,
        "class_balance": None,
        "scaler": scaler_stats,
        "vocabulary": None,
        "forecast": {
            "lookback": lookback, "horizon": horizon, "stride": stride, "season": season,
            "feature": int(f),
            "feature_name": raw.feature_names[f] if raw.feature_names else str(f),
            "series": len(series),
            "mase_scale": round(mase_scale, 8),
            # the head maps the encoder's output to these units (train-range statistics)
            "target_mean": round(float(target_train.mean()), 8),
            "target_std": round(float(target_train.std()) or 1.0, 8),
        },
        "source": raw.description,
    }
    return Prepared(arrays, spec)


def forecast_history(spec: dict, x: np.ndarray) -> np.ndarray:
    """The forecast column of input windows, back in the data's units: (n, lookback)."""
    f = spec["forecast"]["feature"]
    history = x[:, :, f].astype(np.float64)
    if spec.get("scaler"):
        history = history * spec["scaler"]["scale"][f] + spec["scaler"]["mean"][f]
    return history


# --- storage ------------------------------------------------------------------------------


def save(prepared: Prepared, directory: str | Path) -> None:
    """Write the arrays, spec.json (and the vocabulary) into `directory`, atomically as a whole."""
    with atomic.atomic_path(directory) as tmp:
        tmp.mkdir(parents=True)
        for name, array in prepared.arrays.items():
            np.save(tmp / f"{name}.npy", array, allow_pickle=False)
        (tmp / "spec.json").write_text(json.dumps(prepared.spec, indent=2) + "\n", encoding="utf-8")
        if prepared.vocabulary is not None:
            (tmp / VOCABULARY_FILE).write_text(
                json.dumps(prepared.vocabulary, ensure_ascii=False, indent=0) + "\n", encoding="utf-8"
            )


def load(directory: str | Path, splits: tuple[str, ...] = SPLITS) -> Prepared:
    """Read prepared data back (no pickles)."""
    directory = Path(directory)
    spec_file = directory / "spec.json"
    if not spec_file.is_file():
        raise DataError(f"{spec_file}: not found; run the prepare stage first (dvc repro prepare)")
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    arrays = {}
    for split in splits:
        for part in ("X", "y"):
            arrays[f"{part}_{split}"] = np.load(directory / f"{part}_{split}.npy", allow_pickle=False)
    vocabulary = None
    if spec.get("vocabulary"):
        vocabulary = json.loads((directory / spec["vocabulary"]).read_text(encoding="utf-8"))
    return Prepared(arrays, spec, vocabulary)

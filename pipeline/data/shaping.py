"""Turn a data source's RawData into padded, split and scaled arrays plus a spec.

Library functions take values, not params or paths, so tests call them directly. Every
statistic (maxlen from a length percentile, scaler, vocabulary, MASE scale) comes from the
training split only. Forecast series go to `seqpipe.data.forecast` instead.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from seqpipe import progress as progress_module
from seqpipe import tasks
from seqpipe.config.params import TextParams, WindowParams
from seqpipe.data import znorm_choice
from seqpipe.data.cleaning import check_finite_outputs, check_setting, clean_values
from seqpipe.data.forecast import prepare_forecast
from seqpipe.data.naming import origin_prefix, sequence_name
from seqpipe.data.padding import choose_maxlen, pad, padding_positions, resample, unequal
from seqpipe.data.prepared import VOCABULARY_FILE, Prepared
from seqpipe.data.scaling import apply_scaler, fit_scaler
from seqpipe.data.spec import InputKindPrepared, PaddingSpec, PreparedSpec, ScalerSpec, Side, SplitCounts, TargetScale
from seqpipe.data.splits import SPLITS, official_split_indices, split_indices
from seqpipe.data.text import check_texts, contexts, fit_vocabulary, vectorize
from seqpipe.errors import DataError
from seqpipe.specs import RawData

# The phases `prepare` reports progress for, in order (some are skipped for some data).
PREPARE_PHASES = ("loading", "cleaning", "splitting", "tokenizing", "padding", "scaling", "saving")


def prepare(
    raw: RawData,
    *,
    val: float,
    test: float,
    seed: int,
    scale: bool = True,
    maxlen: int | None = None,
    maxlen_percentile: float = 100.0,
    lengths: str = "resample",
    padding: Side = "pre",
    truncating: Side = "pre",
    pad_value: float = 0.0,
    nan_policy: str = "error",
    fill_value: float = 0.0,
    window: WindowParams | None = None,
    text: TextParams | None = None,
    progress: Callable[[str], None] = progress_module.nothing,
    znorm: znorm_choice.Setting = False,
) -> Prepared:
    """Split, pad (or, `lengths` "resample", interpolate numeric series of unequal lengths) and scale
    `raw` (`znorm`: each numeric series z-normalised over its own steps first, `auto` chosen on the train
    split by seqpipe.data.znorm_choice); every statistic (maxlen, scaler, vocabulary) comes from the train split. Forecast series are cut into windows and split by time instead. `progress` is
    called with each phase's name (one of PREPARE_PHASES) as it starts."""
    window = window or WindowParams()
    text = text or TextParams()
    if raw.task == "next_token" and raw.input_kind == "numeric":
        raise DataError(
            f"{origin_prefix(raw)}task 'next_token' needs token or text inputs, got numeric series; "
            "use task regression or forecast for numbers"
        )
    check_setting("data.pad_value", pad_value)  # before any work: it is written into the arrays
    progress("cleaning")
    raw = clean_values(raw, nan_policy, fill_value)
    znorm_choice.check(znorm, raw.task, raw.input_kind)
    if raw.task == "forecast":
        return prepare_forecast(raw, window=window, val=val, test=test, scale=scale, progress=progress)

    targets = np.asarray(raw.targets)
    n = len(raw.sequences)
    if raw.input_kind == "text" and raw.task == "next_token":
        targets = np.zeros(n, dtype=np.int32)  # the core cuts contexts and next tokens itself
    if len(targets) != n:
        raise DataError(f"{origin_prefix(raw)}{n} sequences but {len(targets)} targets")
    if n == 0:
        raise DataError(f"{origin_prefix(raw)}no sequences")
    if tasks.get(raw.task).labels:
        classes_found = np.unique(targets)
        if len(classes_found) < 2:
            raise DataError(
                f"{origin_prefix(raw)}task '{raw.task}' needs at least two classes, found {classes_found.tolist()}"
            )
    progress("splitting")
    if raw.split is not None:
        parts = official_split_indices(raw.split, targets, raw.task, val, seed, origin=raw.origin,
                                       class_names=raw.class_names)
    else:
        parts = split_indices(targets, raw.task, val, test, seed, origin=raw.origin, class_names=raw.class_names)

    choice = None
    if raw.input_kind == "numeric" and (znorm in (True, "levels") or tasks.get(raw.task).labels):
        train = parts["train"]
        choice = znorm_choice.choose(znorm, raw.task, raw.input_kind,
                                     [raw.sequences[i] for i in train] if isinstance(raw.sequences, list)
                                     else raw.sequences[train], targets[train])
        raw = dataclasses.replace(raw, sequences=znorm_choice.apply(raw.sequences, choice))
    vocabulary = None
    input_kind: InputKindPrepared = "numeric" if raw.input_kind == "numeric" else "tokens"  # text: tokenized below
    vocab_size = raw.vocab_size
    if raw.input_kind == "text":
        progress("tokenizing")
        texts = check_texts(raw)
        vocabulary = fit_vocabulary([texts[i] for i in parts["train"]], text)
        tokens = vectorize(texts, vocabulary, text)
        empty = [i for i, t in enumerate(tokens) if len(t) == 0]
        if empty and raw.task != "next_token":
            raise DataError(f"{origin_prefix(raw)}empty text in {sequence_name(raw, empty[0])} after standardisation")
        input_kind, vocab_size = "tokens", len(vocabulary)
        if raw.task == "next_token":
            seqs_by_split, targets_by_split = {}, {}
            for split, idx in parts.items():
                xs, ys = contexts([tokens[i] for i in idx], window.lookback, text.stride)
                if not len(xs):
                    raise DataError(f"{origin_prefix(raw)}the {split} split has no next-token contexts; add text")
                seqs_by_split[split], targets_by_split[split] = xs, ys
            maxlen = maxlen or window.lookback
            return _pad_and_pack(
                raw, seqs_by_split, targets_by_split, input_kind, vocab_size, vocabulary,
                maxlen=maxlen, maxlen_percentile=maxlen_percentile, padding="pre", truncating="pre",
                pad_value=0.0, scale=False, official=raw.split is not None, progress=progress, split_note=parts.note,
            )
        sequences: Any = tokens
    else:
        sequences = raw.sequences

    seqs_by_split = {
        split: ([sequences[i] for i in idx] if isinstance(sequences, list) else sequences[idx])
        for split, idx in parts.items()
    }
    targets_by_split = {split: targets[idx] for split, idx in parts.items()}
    prepared = _pad_and_pack(
        raw, seqs_by_split, targets_by_split, input_kind, vocab_size, vocabulary,
        maxlen=maxlen, maxlen_percentile=maxlen_percentile, padding=padding, truncating=truncating,
        pad_value=pad_value, scale=scale, official=raw.split is not None, progress=progress,
        split_note=parts.note, resample_unequal=lengths == "resample",
    )
    if choice is not None:
        prepared.spec = prepared.spec.model_copy(update={"znorm": choice.znorm, "znorm_levels": choice.levels,
                                                         "znorm_from": choice.origin})
    names = {split: (lambda row, idx=idx: sequence_name(raw, int(idx[row]))) for split, idx in parts.items()}
    check_finite_outputs(raw, prepared.arrays, names, scaled=scale and input_kind == "numeric")
    return prepared


def _pad_and_pack(
    raw: RawData,
    seqs_by_split: dict[str, Any],
    targets_by_split: dict[str, np.ndarray],
    input_kind: InputKindPrepared,
    vocab_size: int | None,
    vocabulary: list[str] | None,
    *,
    maxlen: int | None,
    maxlen_percentile: float,
    padding: Side,
    truncating: Side,
    pad_value: float,
    scale: bool,
    official: bool,
    progress: Callable[[str], None] = progress_module.nothing,
    split_note: str | None = None,
    resample_unequal: bool = False,
) -> Prepared:
    progress("padding")
    tokens = input_kind == "tokens"
    dtype = "int32" if tokens else "float32"
    lengths = {
        s: np.fromiter((len(x) for x in seqs), dtype=np.int64, count=len(seqs)) for s, seqs in seqs_by_split.items()
    }
    computed = maxlen is None
    maxlen = choose_maxlen(lengths["train"], maxlen, maxlen_percentile)
    resampled = resample_unequal and not tokens and unequal(list(lengths.values()))
    arrays: dict[str, np.ndarray] = {}
    truncated: dict[str, int] = {}
    padded_any = False
    for split in SPLITS:
        seqs = seqs_by_split[split]
        if isinstance(seqs, np.ndarray) and not tokens and seqs.ndim == 2:
            seqs = seqs[..., None]
        if resampled:
            x, truncated[split] = resample(seqs, maxlen, dtype), 0
        elif isinstance(seqs, np.ndarray) and seqs.ndim >= 2 and seqs.shape[1] == maxlen:
            x, truncated[split] = seqs.astype(dtype, copy=False), 0
        else:
            x, truncated[split] = pad(seqs, maxlen, padding, truncating, value=0 if tokens else pad_value, dtype=dtype)
            padded_any = padded_any or bool((lengths[split] < maxlen).any())
        if not tokens and x.ndim == 2:
            x = x[..., None]
        if not len(x) and split != "train":  # no validation split: empty, shaped as train
            x = np.zeros((0, *arrays["X_train"].shape[1:]), dtype=dtype)
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
        scaler_stats = ScalerSpec(mean=scaler.mean_.tolist(), scale=scaler.scale_.tolist())

    if tasks.get(raw.task).labels:
        classes = int(max(int(targets_by_split[s].max()) for s in SPLITS if len(targets_by_split[s]))) + 1
        classes = max(classes, len(raw.class_names or []))  # a class may vanish after nan_policy drop
    elif raw.task == "next_token":
        classes = int(vocab_size or 0)
    else:
        classes = None
    sizes = {s: int(len(arrays[f"y_{s}"])) for s in SPLITS}
    total = sum(sizes.values())
    n_truncated = sum(truncated.values())
    spec = PreparedSpec(
        task=raw.task,
        input_kind=input_kind,
        timesteps=int(maxlen),
        features=1 if tokens else int(arrays["X_train"].shape[-1]),
        vocab_size=vocab_size,
        n_classes=classes,
        class_names=raw.class_names
        or (None if classes is None or raw.task == "next_token" else [str(c) for c in range(classes)]),
        sizes=SplitCounts(**sizes),
        official_split=official,
        split_note=split_note,
        padding=PaddingSpec(
            side=padding,
            truncating=truncating,
            value=0 if tokens else float(pad_value),
            padded=padded_any,
            resampled=resampled,
            maxlen_from=f"percentile {maxlen_percentile:g} of train lengths" if computed else "data.maxlen",
        ),
        truncated=SplitCounts(**truncated),
        coverage=round(1.0 - n_truncated / total, 6) if total else 1.0,
        class_balance=None
        if not tasks.get(raw.task).labels
        else {s: np.bincount(arrays[f"y_{s}"], minlength=classes or 0).tolist() for s in SPLITS},
        scaler=scaler_stats,
        target=target_scale(raw.task, arrays["y_train"]),
        vocabulary=None if vocabulary is None else VOCABULARY_FILE,
        source=raw.description,
    )
    return Prepared(arrays, spec, vocabulary)



def target_scale(task: str, y_train: np.ndarray) -> TargetScale | None:
    """Regression targets' train mean and std (std 1 for constant or absent targets); None for other tasks."""
    if task != "regression":
        return None
    if not len(y_train):
        return TargetScale(mean=0.0, std=1.0)
    return TargetScale(mean=round(float(y_train.mean()), 8), std=round(float(y_train.std()), 8) or 1.0)

"""New sequences for a trained model (`seqpipe predict`), read and preprocessed as at training.

Inputs are padded, truncated and scaled exactly as `prepare` did, from data/prepared/spec.json
(maxlen, padding side, scaler statistics) and the saved vocabulary, so training and inference
cannot disagree. A file in the training data's format is read by the training data source
itself (so CSV/Parquet layouts and text columns mean the same; the target column is optional);
`.npy`/`.npz` arrays of sequences are read by LOADERS. Forecast and next-token inputs predict
what follows the end of each series or document.
"""
from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from seqpipe import tasks
from seqpipe.config.params import TextParams
from seqpipe.data import znorm_choice
from seqpipe.data.padding import pad, padding_positions, resample
from seqpipe.data.spec import PreparedSpec
from seqpipe.data.text import vectorize
from seqpipe.data_files import FLOAT32_MAX
from seqpipe.errors import DataError
from seqpipe.specs import RawData
from seqpipe.tables import check_file

# --- loaders: path -> raw sequences (array (n, steps[, features]) or list of 1-D/2-D arrays) -----


def _load_npy(path: Path) -> np.ndarray | list[np.ndarray]:
    array = np.load(path, allow_pickle=False)
    if array.ndim not in (2, 3):
        raise DataError(f"{path}: expected an array (sequences, steps) or (sequences, steps, features), got shape {array.shape}")
    return array


def _load_npz(path: Path) -> np.ndarray | list[np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        for key in ("X", "x", "X_test", "sequences"):
            if key in archive:
                return _check_ndim(path, archive[key])
        if len(archive.files) == 1:
            return _check_ndim(path, archive[archive.files[0]])
    raise DataError(f"{path}: no array named X, x, X_test or sequences")


def _check_ndim(path: Path, array: np.ndarray) -> np.ndarray:
    if array.ndim not in (2, 3):
        raise DataError(f"{path}: expected 2-D or 3-D sequences, got shape {array.shape}")
    return array


LOADERS: dict[str, Callable[[Path], Any]] = {".npy": _load_npy, ".npz": _load_npz}


@dataclass
class Inputs:
    """Model-ready inputs read from a file, with what the file said about them."""

    x: np.ndarray
    y_true: np.ndarray | None = None
    ids: list[Any] | None = None
    # forecasts of series with timestamps: the `horizon` timestamps after each series' end
    future_times: list[np.ndarray] | None = None


def load_input(path: str | Path) -> Any:
    """Raw sequences from a .npy/.npz array file."""
    path = check_file(path, setting="--input")
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise DataError(f"{path}: unsupported input format '{path.suffix}'; supported: {', '.join(sorted(LOADERS))} "
                        "or --split test")
    try:
        return loader(path)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:  # pickled, truncated or not an array file
        raise DataError(f"{path}: cannot read: {' '.join(str(exc).split())}") from None


def read_input(path: str | Path, source: Any, source_path: str, spec: PreparedSpec, vocabulary: list[str] | None,
               text: TextParams) -> Inputs:
    """Read `path` the way the training data was read, and preprocess it as prepare did.

    A file in the training data's own format (same suffix as data.path, or any file when the
    source is not an array) goes through the training data source's loader, so columns, long/wide
    layout and text are understood the same way; its target column is optional. `.npy` arrays,
    and `.npz` arrays for sources that do not read .npz, are sequences as they are.
    """
    path = check_file(path, setting="--input")
    suffix = path.suffix.lower()
    same_format = source.dataset.reads_path and suffix == Path(source_path).suffix.lower()
    if suffix in LOADERS and not same_format:
        if spec.forecast is not None and spec.forecast.covariates is not None:
            raise DataError(f"{path}: the model was trained with covariates (data.options), which arrays do not "
                            f"carry; give a file in the training data's format ({Path(source_path).suffix})")
        return Inputs(preprocess(load_input(path), spec, origin=str(path)))
    if not source.dataset.reads_path:
        raise DataError(f"{path}: unsupported input format '{path.suffix}'; the training data source "
                        f"'{source.name}' is not a file, so give .npy/.npz arrays or use --split")
    raw = _load_with_source(source, path)
    return from_raw(raw, spec, vocabulary, text)


def _load_with_source(source: Any, path: Path) -> RawData:
    """`path` read by the training data source; its target column is optional (labelled=False)."""
    from seqpipe.data.loading import load_raw

    options = source.options.model_copy(update={"path": str(path)})
    return load_raw(replace(source, options=options), seed=0, labelled=False)


def from_raw(raw: RawData, spec: PreparedSpec, vocabulary: list[str] | None, text: TextParams) -> Inputs:
    """RawData from the training source -> model inputs, true targets (if the file had them) and ids."""
    sequences: Any = raw.sequences
    if raw.input_kind == "text":
        if not vocabulary:
            raise DataError(f"{raw.origin}: text input, but the model was trained on {spec.input_kind} data")
        sequences = vectorize([str(t) for t in sequences], vocabulary, text)
    task = tasks.get(spec.task)
    if task.continues_sequence:
        sequences = _last_contexts(raw, sequences, spec.timesteps, whole_window=spec.forecast is not None)
    covariate_spec = spec.forecast.covariates if spec.forecast is not None else None
    with_covariates = covariate_spec is not None
    # with covariates the series' own channels come first; the covariates are added below
    own = spec.model_copy(update={"features": covariate_spec.series_features}) if covariate_spec else spec
    x = preprocess(sequences, own, origin=raw.origin, ids=raw.ids)
    y_true = None
    if len(raw.targets) == len(x) and not task.continues_sequence:
        y_true = _targets_as_trained(raw, spec)
    future = None
    if spec.forecast is not None and raw.times is not None:
        future = [continue_times(t, spec.forecast.horizon, spec.forecast.freq) for t in raw.times]
    if with_covariates:  # the covariates of the steps after each series' end (seqpipe.data.covariates)
        from seqpipe.data import covariates

        x, future = covariates.new_inputs(raw, spec, x, future)
    return Inputs(x, y_true, raw.ids, future)


def continue_times(times: np.ndarray, steps: int, freq: str | None) -> np.ndarray:
    """The `steps` timestamps after a series' last one: dates by the training data's pandas
    frequency (else the series' own), numbers by the series' last step."""
    import pandas as pd

    if np.issubdtype(times.dtype, np.datetime64):
        freq = freq or (pd.infer_freq(pd.DatetimeIndex(times)) if len(times) >= 3 else None)
        if freq is not None:
            return pd.date_range(times[-1], periods=steps + 1, freq=freq)[1:].to_numpy()
    step = times[-1] - times[-2] if len(times) >= 2 else (np.timedelta64(1, "D") if times.dtype.kind == "M" else 1)
    return times[-1] + step * np.arange(1, steps + 1)


def _last_contexts(raw: RawData, sequences: Any, lookback: int, whole_window: bool) -> list[np.ndarray]:
    """The last `lookback` steps of every series or document: what comes next is predicted."""
    contexts = []
    for i, seq in enumerate(sequences):
        seq = np.asarray(seq)
        if whole_window and len(seq) < lookback:
            name = raw.ids[i] if raw.ids else i
            raise DataError(f"{raw.origin}: series {name!r} has {len(seq)} steps; forecasting needs the last "
                            f"{lookback} (data.window.lookback)")
        contexts.append(seq[-lookback:])
    return contexts


def _targets_as_trained(raw: RawData, spec: PreparedSpec) -> np.ndarray:
    """The file's targets in the training encoding (class ids follow the training class names)."""
    if not tasks.get(spec.task).labels:
        return np.asarray(raw.targets, dtype=np.float32)
    trained = {str(name): i for i, name in enumerate(spec.class_names or [])}
    names = raw.class_names or [str(c) for c in range(int(np.max(raw.targets)) + 1)]
    unknown = sorted({names[int(t)] for t in raw.targets} - set(trained))
    if unknown:
        raise DataError(f"{raw.origin}: labels {unknown[:5]} were not seen in training; known: {', '.join(trained)}")
    return np.asarray([trained[names[int(t)]] for t in raw.targets], dtype=np.int32)


# --- preprocessing from spec.json ----------------------------------------------------------------


def preprocess(sequences: Any, spec: PreparedSpec, origin: str | None = None, ids: list[Any] | None = None) -> np.ndarray:
    """Raw sequences -> the model's input, with the padding and scaling recorded at prepare time.

    Refused, naming `origin` (the file) and the sequence (its id from `ids`, else its index): no
    sequences, a wrong number of features, and values that are NaN/inf or beyond float32, before
    or after scaling (a model's output on them would be NaN; prepare's data.nan_policy is for
    training data, so predict does not drop or fill)."""
    where = f"{origin}: " if origin else ""
    tokens = spec.tokens
    padding = spec.padding
    maxlen = spec.timesteps
    seqs = sequences
    if isinstance(seqs, np.ndarray) and not tokens and seqs.ndim == 2:
        seqs = seqs[..., None]
    if isinstance(seqs, np.ndarray) and tokens and seqs.ndim != 2:
        raise DataError(f"{where}token inputs must be (sequences, steps) integer ids, got shape {seqs.shape}")
    n = len(seqs)
    if n == 0:
        raise DataError(f"{where}no sequences to predict; give at least one")
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=n)
    if not tokens:
        features = {np.asarray(s).shape[-1] for s in seqs}
        if features and features != {spec.data_features}:
            raise DataError(f"{where}inputs have {sorted(features)} features per step; the model was trained on "
                            f"{spec.data_features}")
        _check_values(seqs, where, ids, "")
        if spec.znorm:  # as prepare did (data.znorm): each series over its own steps, before padding
            seqs = znorm_choice.apply(seqs, znorm_choice.ZnormChoice(True, spec.znorm_levels, "spec.json"))
    dtype = "int32" if tokens else "float32"
    if isinstance(seqs, np.ndarray) and seqs.shape[1] == maxlen:
        x = seqs.astype(dtype)
    elif padding.resampled and not tokens:  # as prepare did: every series interpolated to maxlen steps
        x, lengths = resample(seqs, maxlen, dtype), np.full(n, maxlen, dtype=np.int64)
    else:
        x, _ = pad(seqs, maxlen, padding.side, padding.truncating, value=0 if tokens else padding.value, dtype=dtype)
    if tokens:
        vocab = spec.vocab_size
        if vocab and x.size and (x.max() >= vocab or x.min() < 0):
            raise DataError(f"{where}token ids must be in [0, {vocab - 1}] (the training vocabulary), "
                            f"got {x.min()}..{x.max()}")
        return x
    if spec.scaler:
        real = ~padding_positions(lengths, maxlen, padding.side)
        mean = np.asarray(spec.scaler.mean, dtype=np.float64)
        scale = np.asarray(spec.scaler.scale, dtype=np.float64)
        with np.errstate(over="ignore"):
            x = ((x - mean) / scale).astype(np.float32)
        x[~real] = padding.value  # as prepare left them: exactly the padding value, for the mask
        _check_values(x, where, ids, " after scaling with the training statistics")
    return x


def _check_values(seqs: Any, where: str, ids: list[Any] | None, stage: str) -> None:
    """Refuse complex values and the first NaN/inf or beyond-float32 one, naming its sequence, step
    and feature (`stage` says when it was found)."""
    dense = isinstance(seqs, np.ndarray)
    for i, item in enumerate([seqs] if dense else seqs):
        array = np.asarray(item)
        if array.dtype.kind == "c":
            raise DataError(f"{where}inputs hold complex numbers (dtype {array.dtype}); give real numbers")
        if array.dtype.kind != "f":
            continue  # ints and bools are always finite
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(array) | (np.abs(array) > FLOAT32_MAX)
        if not bad.any():
            continue
        at = tuple(int(j) for j in np.argwhere(bad)[0])
        value = float(array[at])
        at = at if dense else (i, *at)
        if array.ndim == (2 if dense else 1):
            at = (*at, 0)  # one feature per step
        name = f"sequence {ids[at[0]]!r}" if ids is not None and at[0] < len(ids) else f"sequence {at[0]}"
        what = "NaN/inf value" if not np.isfinite(value) else f"{value:.6g} is beyond float32 range"
        raise DataError(f"{where}{name}, step {at[1]}, feature {at[2]}: {what}{stage}; the model needs finite "
                        f"numbers within +-{FLOAT32_MAX:.3g}: fix or drop the sequence, or rescale the data")

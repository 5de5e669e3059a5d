"""NaN/inf in numeric data: stop naming the first bad value, drop its sequence, or fill it (`data.nan_policy`)."""
from __future__ import annotations

import numpy as np

from seqpipe.data.naming import origin_prefix, sequence_name
from seqpipe.data.scaling import CHUNK
from seqpipe.errors import DataError
from seqpipe.specs import RawData


def _first_bad(array: np.ndarray) -> tuple[int, ...] | None:
    for start in range(0, len(array), CHUNK):
        bad = ~np.isfinite(array[start : start + CHUNK])
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
    features = raw.feature_names
    bad_rows: list[int] = []
    if isinstance(seqs, np.ndarray):  # one dense array: chunked, in place
        if not np.issubdtype(seqs.dtype, np.floating):
            seqs = raw.sequences = seqs.astype(np.float32)
        where = _first_bad(seqs)
        if where is not None:
            if policy == "error":
                raise DataError(_bad_message(raw, where, features))
            if policy == "fill":
                for start in range(0, len(seqs), CHUNK):
                    chunk = seqs[start : start + CHUNK]
                    chunk[~np.isfinite(chunk)] = fill_value
            else:
                for start in range(0, len(seqs), CHUNK):
                    chunk = seqs[start : start + CHUNK].reshape(min(CHUNK, len(seqs) - start), -1)
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
                    f"{origin_prefix(raw)}NaN/inf target of {sequence_name(raw, int(bad_targets[0]))}; "
                    "set data.nan_policy to drop (or fill) to drop such sequences"
                )
            bad_rows += bad_targets.tolist()
    if bad_rows:
        raw = _drop(raw, np.unique(bad_rows))
        if len(raw.sequences) == 0:
            raise DataError(f"{origin_prefix(raw)}every sequence holds NaN/inf; nothing is left after nan_policy drop")
    return raw


def _bad_message(raw: RawData, where: tuple[int, ...], features: list[str] | None) -> str:
    i = where[0]
    parts = [sequence_name(raw, i)]
    if len(where) > 1:
        parts.append(f"step {where[1]}")
    if len(where) > 2:
        col = features[where[2]] if features and where[2] < len(features) else where[2]
        parts.append(f"feature {col!r}")
    return (
        f"{origin_prefix(raw)}NaN/inf value in {', '.join(parts)}; "
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

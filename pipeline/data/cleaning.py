"""NaN/inf in numeric data: stop naming the first bad value, drop its sequence, or fill it (`data.nan_policy`)."""
from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from seqpipe.data.naming import origin_prefix, sequence_name
from seqpipe.data.scaling import CHUNK
from seqpipe.data_files import FLOAT32_MAX, beyond_float32
from seqpipe.errors import DataError
from seqpipe.specs import RawData


def first_bad(array: np.ndarray) -> tuple[int, ...] | None:
    """The index of the first NaN/inf value (chunked), or None."""
    for start in range(0, len(array), CHUNK):
        bad = ~np.isfinite(array[start : start + CHUNK])
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            return (where[0] + start, *where[1:])
    return None


def check_setting(key: str, value: float) -> None:
    """A pad or fill value must be a finite number float32 can hold: it is written into the arrays."""
    if not np.isfinite(value) or abs(value) > FLOAT32_MAX:
        raise DataError(f"{key}: {value!r} is not a finite float32 number; use a finite number within "
                        f"+-{FLOAT32_MAX:.3g} (the prepared arrays are float32)")


def where_text(raw: RawData, i: int, where: tuple[int, ...]) -> str:
    """'sequence 's3', step 1, feature 'x'' for an index (sequence, step[, feature]) of raw data."""
    features = raw.feature_names
    parts = [sequence_name(raw, i)]
    if len(where) > 1:
        parts.append(f"step {where[1]}")
    if len(where) > 2:
        col = features[where[2]] if features and where[2] < len(features) else where[2]
        parts.append(f"feature {col!r}")
    return ", ".join(parts)


def clean_values(raw: RawData, policy: str, fill_value: float) -> RawData:
    """Apply `nan_policy` to NaN/inf in numeric sequences and regression targets.

    `error` stops naming the first bad value; `drop` drops the sequences that hold one; `fill`
    replaces bad feature values by `fill_value` (a bad regression target is dropped). A finite
    value too large for float32 is refused whatever the policy: it is data to rescale, not a gap.
    """
    check_setting("data.fill_value", fill_value)
    if raw.input_kind != "numeric":
        return raw
    seqs = raw.sequences
    features = raw.feature_names
    bad_rows: list[int] = []
    if isinstance(seqs, np.ndarray):  # one dense array: chunked, in place
        if not np.issubdtype(seqs.dtype, np.floating):
            seqs = raw.sequences = seqs.astype(np.float32)
        huge = beyond_float32(seqs)
        if huge is not None:
            _refuse_huge(raw, seqs[huge], huge)
        where = first_bad(seqs)
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
            s = np.asarray(s)
            too_big = beyond_float32(s)  # before the cast, which turns 1e39 into inf
            if too_big is not None:
                _refuse_huge(raw, s[too_big], (i, *too_big))
            s = s.astype(np.float32, copy=False)
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
        targets = np.asarray(raw.targets)
        beyond = beyond_float32(targets)
        if beyond is not None:
            raise DataError(f"{origin_prefix(raw)}target of {sequence_name(raw, beyond[0])}: "
                            f"{float(targets[beyond[0]]):.6g} is beyond float32 range (+-{FLOAT32_MAX:.3g}), the type "
                            "of the prepared arrays; rescale the targets")
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


def _refuse_huge(raw: RawData, value: object, where: tuple[int, ...]) -> None:
    """A finite value beyond float32 range is not a NaN/inf to drop or fill: the data needs rescaling."""
    number = float(value)  # type: ignore[arg-type]  # one element of a float array
    if np.isfinite(number):
        raise DataError(
            f"{origin_prefix(raw)}{where_text(raw, where[0], where)}: {number:.6g} is beyond float32 range "
            f"(+-{FLOAT32_MAX:.3g}), the type of the prepared arrays; rescale the data"
        )


def _bad_message(raw: RawData, where: tuple[int, ...], features: list[str] | None) -> str:
    return (
        f"{origin_prefix(raw)}NaN/inf value in {where_text(raw, where[0], where)}; "
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
        times=None if raw.times is None else [raw.times[i] for i in keep],
        test_start=None if raw.test_start is None else [raw.test_start[i] for i in keep],
        covariates=None if raw.covariates is None else raw.covariates.take(keep.tolist()),
    )


def check_finite_outputs(
    raw: RawData, arrays: dict[str, np.ndarray], names: Mapping[str, Callable[..., str]], scaled: bool
) -> None:
    """Every float array prepare writes must be finite; `names[split](row)` names a row's sequence.

    Inputs were checked (finite, within float32), so a non-finite value here comes from arithmetic
    on values near the float32 limit: standardisation (`x - mean` overflows) or a cast.
    """
    for key in sorted(arrays):
        array = arrays[key]
        if array.dtype.kind != "f":
            continue  # token ids and class ids are integers
        where = first_bad(array)
        if where is None:
            continue
        kind, split = key.split("_", 1)
        place = names[split](where[0])
        cause = (
            "standardising it (data.scale: true) overflowed float32"
            if scaled and kind == "X" else "it does not fit float32"
        )
        raise DataError(
            f"{origin_prefix(raw)}{place} ({key} row {where[0]}): {cause}; rescale the data so values stay "
            f"well within +-{FLOAT32_MAX:.3g} (e.g. divide by a power of ten)"
        )

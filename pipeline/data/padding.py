"""Padding and truncation to one length, as `keras.utils.pad_sequences` does it, or resampling.

Convolutional encoders that end in global average pooling (FCN, ResNet, InceptionTime) average
padded zeros in with the signal: on PickupGestureWiimoteZ (29-361 steps) FCN scored 54% pre-padded
to 361 steps and 64% on the same series resampled to 361 steps, same seed and budget
(bench/RESULTS.md, "unequal lengths"). So `data.lengths: resample` (the default) stretches numeric series of unequal lengths to
one length by linear interpolation; equal-length data and token sequences are padded/truncated as before.
"""
from __future__ import annotations

import numpy as np

from seqpipe.errors import DataError


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


def unequal(lengths: list[np.ndarray]) -> bool:
    """Whether the sequences of all splits (their `lengths`) differ in length."""
    found = np.unique(np.concatenate([np.asarray(x, dtype=np.int64) for x in lengths]))
    return len(found) > 1


def resample(sequences: np.ndarray | list[np.ndarray], maxlen: int, dtype: str = "float32") -> np.ndarray:
    """Each (steps, features) sequence linearly interpolated to (maxlen, features), its first and last
    steps kept: (n, maxlen, features). A one-step sequence is repeated."""
    out = []
    grid = np.linspace(0.0, 1.0, maxlen)
    for seq in sequences:
        x = np.asarray(seq, dtype=np.float64)
        x = x.reshape(len(x), -1)
        if len(x) == maxlen:
            out.append(x)
            continue
        if len(x) == 1:
            out.append(np.repeat(x, maxlen, axis=0))
            continue
        src = np.linspace(0.0, 1.0, len(x))
        out.append(np.stack([np.interp(grid, src, x[:, f]) for f in range(x.shape[1])], axis=1))
    if not out:
        return np.zeros((0, maxlen, 1), dtype=dtype)
    return np.stack(out).astype(dtype)

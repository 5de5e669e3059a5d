"""Padding and truncation to one length, as `keras.utils.pad_sequences` does it."""
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

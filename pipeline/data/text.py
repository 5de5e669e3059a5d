"""Text to token ids with Keras `TextVectorization` (fit on the training split), and next-token contexts."""
from __future__ import annotations

from typing import Any

import numpy as np

from seqpipe.config.params import TextParams
from seqpipe.data.naming import origin_prefix, sequence_name
from seqpipe.errors import DataError
from seqpipe.specs import RawData

# Texts vectorised per call. Keras pads each call's output to its longest text, the same ids in
# any backend (ragged output, which needs no padding, exists on TensorFlow only).
CHUNK = 1024


def _text_layer(text: TextParams, vocabulary: list[str] | None = None) -> Any:
    from keras.layers import TextVectorization

    return TextVectorization(
        max_tokens=text.vocab_size,
        standardize=None if text.standardize == "none" else text.standardize,
        split=text.split,
        output_mode="int",  # padded with 0 to the longest text of a call: ragged output needs the TensorFlow backend
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
    rows: list[np.ndarray] = []
    for start in range(0, len(texts), CHUNK):  # chunks bound the padded block a long text makes
        block = np.asarray(layer(np.asarray(texts[start:start + CHUNK], dtype=object)), dtype=np.int32)
        rows += [np.trim_zeros(row, "b") for row in block]  # id 0 is padding only: real tokens are >= 1 (OOV 1)
    return rows


def check_texts(raw: RawData) -> list[str]:
    texts = []
    for i, t in enumerate(raw.sequences):
        if not isinstance(t, str) or not t.strip():
            raise DataError(f"{origin_prefix(raw)}empty text in {sequence_name(raw, i)}; remove the row or fill it in")
        texts.append(t)
    return texts


def contexts(tokens: list[np.ndarray], lookback: int, stride: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Next-token examples: every `stride`-th position of each document, with up to `lookback`
    preceding tokens as context."""
    xs, ys = [], []
    for doc in tokens:
        for i in range(1, len(doc), stride):
            xs.append(doc[max(0, i - lookback) : i])
            ys.append(doc[i])
    return xs, np.asarray(ys, dtype=np.int32)

"""Text to token ids with Keras `TextVectorization` (fit on the training split), and next-token contexts."""
from __future__ import annotations

from typing import Any

import numpy as np

from seqpipe.config.params import TextParams
from seqpipe.data.naming import origin_prefix, sequence_name
from seqpipe.errors import DataError
from seqpipe.specs import RawData


def _text_layer(text: TextParams, vocabulary: list[str] | None = None) -> Any:
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

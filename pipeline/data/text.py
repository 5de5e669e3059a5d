"""Text to token ids, as Keras `TextVectorization` gives them (fit on the training split), and
next-token contexts.

The tokenizer is Keras' own rules in plain Python, the same vocabulary and ids as the layer
(tests/test_sources.py checks every character below U+3100 and tricky texts against it): the layer
needs TensorFlow, and a process that seeded a JAX run earlier has Keras believe TensorFlow is missing
(seqpipe.training.fit.seed_everything hides it), so the layer failed later in that process. One
difference: a token ending in a NUL character keeps it (Keras' vocabulary lost it, then the token
was OOV, or the layer refused the vocabulary).
"""
from __future__ import annotations

import re
import string
from collections import Counter

import numpy as np

from seqpipe.config.params import TextParams
from seqpipe.data.naming import origin_prefix, sequence_name
from seqpipe.errors import DataError
from seqpipe.specs import RawData

MASK, OOV = "", "[UNK]"  # ids 0 (padding) and 1 (a token outside the vocabulary), as in Keras
OOV_ID = 1
# tf.strings.lower lowers ASCII letters only; Keras strips ASCII punctuation (its DEFAULT_STRIP_REGEX)
# and tf.strings.split cuts at runs of ASCII whitespace (not at e.g. a no-break space)
_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_PUNCTUATION = re.compile(f"[{re.escape(string.punctuation)}]")
_WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")


def tokens(text: str, params: TextParams) -> list[str]:
    """`text`'s tokens after `params.standardize`, cut by `params.split` (characters: code points)."""
    if params.standardize in ("lower", "lower_and_strip_punctuation"):
        text = text.translate(_LOWER)
    if params.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
        text = _PUNCTUATION.sub("", text)
    if params.split == "character":
        return list(text)
    return [token for token in _WHITESPACE.split(text) if token]


def fit_vocabulary(texts: list[str], text: TextParams) -> list[str]:
    """The vocabulary of (training) texts: index 0 is padding, 1 is OOV, then the `vocab_size - 2`
    most frequent tokens, ties broken by the token, higher first (as Keras' adapt sorts them)."""
    counts = Counter(token for t in texts for token in tokens(t, text))
    for special in (MASK, OOV):  # never learned: they have their own ids
        counts.pop(special, None)
    ranked = sorted(counts, key=lambda token: (counts[token], token.encode("utf-8")), reverse=True)
    return [MASK, OOV, *ranked[: text.vocab_size - 2]]


def vectorize(texts: list[str], vocabulary: list[str], text: TextParams) -> list[np.ndarray]:
    """Map texts to token-id arrays with a saved vocabulary (the same mapping at inference)."""
    ids = {token: i for i, token in enumerate(vocabulary)}  # fit_vocabulary's: "" and "[UNK]" first
    return [np.asarray([ids.get(token, OOV_ID) for token in tokens(t, text)], dtype=np.int32) for t in texts]


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

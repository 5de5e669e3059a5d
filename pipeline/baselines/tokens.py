"""Token-id inputs (prepared text): TF-IDF of word unigrams and bigrams, and the bigram language model."""
from __future__ import annotations

import numpy as np

MIN_DF = 2  # an n-gram seen in one training document only cannot generalise, and doubles the vocabulary
SMOOTHING = 1.0  # the bigram model's pseudo-count, spread over the next-token frequencies of train


def documents(x: np.ndarray) -> list[str]:
    """Token-id rows as space-separated ids, padding (id 0) dropped: what TfidfVectorizer reads."""
    return [" ".join(map(str, row[row != 0])) for row in np.asarray(x, dtype=np.int64)]


def tfidf(x_train: np.ndarray, x_val: np.ndarray, x_test: np.ndarray) -> tuple[object, object, object]:
    """Sublinear TF-IDF of unigrams and bigrams fitted on train: (train, val, test) sparse matrices."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    train_docs = documents(x_train)
    # min_df 2 needs two documents; tiny corpora keep every n-gram
    vectorizer = TfidfVectorizer(token_pattern=r"\S+", ngram_range=(1, 2), sublinear_tf=True,
                                 min_df=MIN_DF if len(train_docs) > 50 else 1, dtype=np.float64)
    return (vectorizer.fit_transform(train_docs), vectorizer.transform(documents(x_val)),
            vectorizer.transform(documents(x_test)))


def bigram_probabilities(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, vocab: int) -> np.ndarray:
    """P(next | previous token) counted over every adjacent pair of the training sequences and
    their targets, smoothed towards the next-token frequencies: (n_test, vocab) float32."""
    x_train = np.asarray(x_train, dtype=np.int64)
    y_train = np.asarray(y_train, dtype=np.int64)
    prev = np.concatenate([x_train[:, :-1].ravel(), x_train[:, -1]])
    nxt = np.concatenate([x_train[:, 1:].ravel(), y_train])
    keep = (prev != 0) & (nxt != 0)  # pairs across padding are not pairs of the text
    from scipy import sparse

    # sparse: a 5000-token vocabulary would need 200 MB dense, and most pairs never occur
    counts = sparse.coo_matrix((np.ones(int(keep.sum())), (prev[keep], nxt[keep])), shape=(vocab, vocab)).tocsr()
    unigram = np.bincount(nxt[keep], minlength=vocab).astype(np.float64) + 1e-3
    unigram[0] = 0.0  # padding is never a next token
    unigram /= unigram.sum()
    last = last_tokens(x_test)
    out = np.empty((len(last), vocab), dtype=np.float32)
    for start in range(0, len(last), 4096):  # dense rows a chunk at a time
        rows = counts[last[start:start + 4096]].toarray()
        out[start:start + 4096] = (rows + SMOOTHING * unigram) / (rows.sum(axis=1, keepdims=True) + SMOOTHING)
    return out


def last_tokens(x: np.ndarray) -> np.ndarray:
    """The last non-padding token of each row (0 when a row is all padding)."""
    x = np.asarray(x, dtype=np.int64)
    real = x != 0
    idx = x.shape[1] - 1 - real[:, ::-1].argmax(axis=1)
    return np.where(real.any(axis=1), x[np.arange(len(x)), idx], 0)

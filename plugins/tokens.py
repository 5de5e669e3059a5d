"""Keyword tokens - classify variable-length token sequences by their planted keywords.

A synthetic stand-in for text classification (binary when `n_classes` is 2, multiclass above).
Each class owns `keywords_per_class` token ids. A sequence is filler tokens with
`signal_tokens` keywords of its own class and `noise_tokens` keywords of other classes placed at
random positions; the label is the class whose keywords are in the majority. Lengths vary
between `min_length` and `max_length`, so padding (token id 0) and masking matter.
"""
from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from seqpipe import Dataset, RawData, hookimpl


class TokenOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_samples: int = Field(4000, ge=10, le=50_000_000, description="number of sequences")
    n_classes: int = Field(2, ge=2, le=1000, description="2 gives a binary task, more a multiclass one")
    vocab_size: int = Field(200, ge=10, le=1_000_000, description="token ids 1..vocab_size-1; 0 pads")
    keywords_per_class: int = Field(3, ge=1, description="token ids reserved for each class")
    min_length: int = Field(10, ge=1, description="shortest sequence")
    max_length: int = Field(60, ge=1, description="longest sequence")
    signal_tokens: int = Field(3, ge=1, description="keywords of the true class in each sequence")
    noise_tokens: int = Field(2, ge=0, description="keywords of other classes in each sequence")

    @model_validator(mode="after")
    def _consistent(self) -> TokenOptions:
        if self.max_length < self.min_length:
            raise ValueError(f"max_length ({self.max_length}) must be >= min_length ({self.min_length})")
        if self.noise_tokens >= self.signal_tokens:
            raise ValueError("noise_tokens must be below signal_tokens, or labels are ambiguous")
        if self.min_length < self.signal_tokens + self.noise_tokens:
            raise ValueError("min_length must hold signal_tokens + noise_tokens")
        if self.n_classes * self.keywords_per_class >= self.vocab_size - 1:
            raise ValueError("vocab_size too small for n_classes * keywords_per_class keywords plus filler")
        return self


def load(options: TokenOptions, seed: int) -> RawData:
    rng = np.random.default_rng(seed)
    k, c = options.keywords_per_class, options.n_classes
    keywords = np.arange(1, 1 + c * k).reshape(c, k)
    filler_low = 1 + c * k
    labels = rng.integers(0, c, size=options.n_samples)
    lengths = rng.integers(options.min_length, options.max_length + 1, size=options.n_samples)
    sequences = []
    for label, length in zip(labels, lengths):
        seq = rng.integers(filler_low, options.vocab_size, size=length)
        others = np.delete(np.arange(c), label)
        planted = list(rng.choice(keywords[label], size=options.signal_tokens))
        planted += [rng.choice(keywords[rng.choice(others)]) for _ in range(options.noise_tokens)]
        slots = rng.choice(length, size=len(planted), replace=False)
        seq[slots] = planted
        sequences.append(seq.astype(np.int32))
    return RawData(
        sequences=sequences,
        targets=labels.astype(np.int32),
        task="binary" if c == 2 else "multiclass",
        input_kind="tokens",
        vocab_size=options.vocab_size,
        class_names=[f"class_{i}" for i in range(c)],
        description={"dataset": "tokens", "n_samples": options.n_samples, "n_classes": c},
    )


@hookimpl
def register_datasets(register):
    register(Dataset("tokens", load, TokenOptions, description=__doc__, tasks=("binary", "multiclass"),
                     tasks_for=lambda options: ("binary",) if options.n_classes == 2 else ("multiclass",),
                     size_for=lambda options: options.n_samples))

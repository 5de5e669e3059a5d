"""Repeating patterns - predict the next token of a sequence that repeats a motif (next_token).

Each sequence repeats a random motif of `min_motif`..`max_motif` token ids and is cut at a
random length between `min_length` and `max_length`; the target is the token that continues
the repetition. Guessing the most frequent token is near 1/vocab_size; a model that finds the
motif's period and copies from one period back solves it. Lengths vary, so padding is masked.
"""
from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from seqpipe import Dataset, RawData, hookimpl


class PatternOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_samples: int = Field(4000, ge=10, le=50_000_000, description="number of sequences")
    vocab_size: int = Field(20, ge=3, le=100_000, description="token ids 1..vocab_size-1; 0 pads")
    min_motif: int = Field(2, ge=1, description="shortest motif")
    max_motif: int = Field(4, ge=1, description="longest motif")
    min_length: int = Field(8, ge=2, description="shortest context")
    max_length: int = Field(20, ge=2, description="longest context")

    @model_validator(mode="after")
    def _consistent(self) -> PatternOptions:
        if self.max_motif < self.min_motif or self.max_length < self.min_length:
            raise ValueError("max_motif/max_length must be >= min_motif/min_length")
        if self.min_length <= self.max_motif:
            raise ValueError("min_length must exceed max_motif so every motif is seen once")
        return self


def load(options: PatternOptions, seed: int) -> RawData:
    rng = np.random.default_rng(seed)
    sequences, targets = [], []
    for _ in range(options.n_samples):
        motif = rng.integers(1, options.vocab_size, size=rng.integers(options.min_motif, options.max_motif + 1))
        length = int(rng.integers(options.min_length, options.max_length + 1))
        full = np.resize(motif, length + 1).astype(np.int32)
        sequences.append(full[:-1])
        targets.append(full[-1])
    return RawData(
        sequences=sequences,
        targets=np.asarray(targets, dtype=np.int32),
        task="next_token",
        input_kind="tokens",
        vocab_size=options.vocab_size,
        description={"dataset": "patterns", "n_samples": options.n_samples, "vocab_size": options.vocab_size},
    )


@hookimpl
def register_datasets(register):
    register(Dataset("patterns", load, PatternOptions, description=__doc__, tasks=("next_token",),
                     size_for=lambda options: options.n_samples))

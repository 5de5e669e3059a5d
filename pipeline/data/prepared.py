"""Prepared data on disk: the arrays, spec.json and the vocabulary that every stage after prepare reads."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqpipe import atomic
from seqpipe.data.spec import PreparedSpec
from seqpipe.data.splits import SPLITS
from seqpipe.layout import SPEC_FILE

VOCABULARY_FILE = "vocabulary.json"


@dataclass
class Prepared:
    arrays: dict[str, np.ndarray]  # X_train, y_train, X_val, ...
    spec: PreparedSpec
    vocabulary: list[str] | None = None

    def xy(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        return self.arrays[f"X_{split}"], self.arrays[f"y_{split}"]


def save(prepared: Prepared, directory: str | Path) -> None:
    """Write the arrays, spec.json (and the vocabulary) into `directory`, atomically as a whole."""
    with atomic.atomic_path(directory) as tmp:
        tmp.mkdir(parents=True)
        for name, array in prepared.arrays.items():
            np.save(tmp / f"{name}.npy", array, allow_pickle=False)
        (tmp / SPEC_FILE).write_text(prepared.spec.to_json(), encoding="utf-8")
        if prepared.vocabulary is not None:
            (tmp / VOCABULARY_FILE).write_text(
                json.dumps(prepared.vocabulary, ensure_ascii=False, indent=0) + "\n", encoding="utf-8"
            )


def load(directory: str | Path, splits: tuple[str, ...] = SPLITS) -> Prepared:
    """Read prepared data back (no pickles): the inputs and targets of `splits`, and every other
    array prepare wrote (a forecast's series histories, `seqpipe.data.history`) memory-mapped, so
    a stage that does not touch them does not read them."""
    directory = Path(directory)
    spec = PreparedSpec.read(directory / SPEC_FILE)
    arrays = {}
    for split in splits:
        for part in ("X", "y"):
            arrays[f"{part}_{split}"] = np.load(directory / f"{part}_{split}.npy", allow_pickle=False)
    for path in sorted(directory.glob("*.npy")):
        if not path.stem.startswith(("X_", "y_")):
            arrays[path.stem] = np.load(path, mmap_mode="r", allow_pickle=False)
    vocabulary = None
    if spec.vocabulary:
        vocabulary = json.loads((directory / spec.vocabulary).read_text(encoding="utf-8"))
    return Prepared(arrays, spec, vocabulary)

"""The value types that cross the plugin boundary. No keras import here: listing stays fast."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel

TaskName = Literal["regression", "binary", "multiclass"]
InputKind = Literal["numeric", "tokens"]
TASKS: tuple[str, ...] = ("regression", "binary", "multiclass")
INPUT_KINDS: tuple[str, ...] = ("numeric", "tokens")


def first_line(text: str | None) -> str:
    """The first non-empty line of a docstring, for one-line descriptions."""
    for line in (text or "").strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


@dataclass(frozen=True)
class InputSpec:
    """What an encoder receives: `(batch, timesteps, features)` float tensors.

    For token inputs `features` is the embedding width chosen by the core. `masked` tells the
    encoder that padded steps carry a keras mask (only for architectures that support masks).
    """

    timesteps: int
    features: int
    masked: bool = False


@dataclass(frozen=True)
class Architecture:
    """A sequence architecture offered by a plugin."""

    name: str
    build: Callable[[InputSpec, Any], Any]
    params: type[BaseModel]
    description: str = ""
    input_kinds: Sequence[str] = INPUT_KINDS
    tasks: Sequence[str] = TASKS
    supports_masking: bool = False
    # Keras classes the saved model needs to load (custom layers); called lazily.
    custom_objects: Callable[[], dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "description", first_line(self.description))


@dataclass
class RawData:
    """Sequences and targets as a data source returns them, before padding/splitting/scaling.

    `sequences` is either a float array `(n, timesteps, features)` or, for token inputs or
    variable-length series, a list of 1-D int arrays / 2-D float arrays. Token id 0 is reserved
    for padding. `targets` is `(n,)`: floats for regression, integer class ids otherwise.
    """

    sequences: np.ndarray | list[np.ndarray]
    targets: np.ndarray
    task: TaskName
    input_kind: InputKind
    vocab_size: int | None = None
    class_names: list[str] | None = None
    description: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Dataset:
    """A data source offered by a plugin: options schema plus a loader."""

    name: str
    load: Callable[[Any, int], RawData]
    params: type[BaseModel]
    description: str = ""
    tasks: Sequence[str] = TASKS

    def __post_init__(self) -> None:
        object.__setattr__(self, "description", first_line(self.description))

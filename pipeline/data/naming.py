"""How a sequence is named in data errors: the file it came from and its id, as the user knows them."""
from __future__ import annotations

from seqpipe.specs import RawData


def origin_prefix(raw: RawData) -> str:
    return f"{raw.origin}: " if raw.origin else ""


def sequence_name(raw: RawData, i: int) -> str:
    return f"sequence {raw.ids[i]!r}" if raw.ids is not None else f"sequence {i}"

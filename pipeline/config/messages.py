"""How a value from params.yaml appears in a one-line error: quoted, and never megabytes long."""
from __future__ import annotations

from typing import Any

SHOWN_CHARS = 60  # longest quoted value or key in an error message


def shorten(text: str, limit: int = SHOWN_CHARS) -> str:
    """`text` cut to `limit` characters, marked with an ellipsis, so an error stays readable."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show(value: Any) -> str:
    """repr(value) for an error message, at most SHOWN_CHARS long (values can be megabytes)."""
    if isinstance(value, (list, tuple, dict, set)) and _too_big(value):
        return f"a {type(value).__name__} of {len(value)} items"
    try:
        text = repr(value)
    except ValueError:  # an int too long for str() (Python's 4300-digit limit)
        return f"an integer of {value.bit_length()} bits" if isinstance(value, int) else type(value).__name__
    return shorten(text)


def _too_big(value: Any) -> bool:
    """True when a container's repr would be long; stops early, so shared (aliased) parts are cheap."""
    budget = SHOWN_CHARS
    todo = [value]
    while todo:
        item = todo.pop()
        budget -= 2
        if isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, (list, tuple, set)):
            todo.extend(item)
        if budget < 0:
            return True
    return False

"""Read params.yaml exactly as DVC reads it, with bounds on what a hostile file can make us build."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from seqpipe import layout
from seqpipe.config.messages import SHOWN_CHARS, shorten
from seqpipe.errors import ParamsError

# Limits on the YAML itself, checked on the parser's events before anything is built: a real
# params.yaml nests 4-5 levels and holds a few hundred values, so these only stop abuse (an
# alias "billion laughs" bomb, a list nested 100,000 deep) quickly and in constant memory.
MAX_DEPTH = 64


MAX_NODES = 100_000


def read_yaml(path: str | Path = layout.PARAMS_FILE) -> dict[str, Any]:
    """The raw params mapping, read as DVC reads it; a ParamsError for a missing or malformed file.

    DVC parses params.yaml with ruamel.yaml in safe mode (YAML 1.2: `010` is 10, `yes` is a string)
    and refuses duplicate keys, so seqpipe does the same; PyYAML (YAML 1.1) would read other values.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path}: {_not_a_file(path)}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ParamsError(f"{path}: not valid UTF-8 at byte {exc.start}; save the file as UTF-8") from None
    try:
        _check_structure(YAML(typ="safe").parse(text), path)
        raw = YAML(typ="safe").load(text)
    except YAMLError as exc:
        raise ParamsError(_yaml_problem(path, exc)) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits (Python's conversion limit)
        raise ParamsError(f"{path}: not valid YAML: {shorten(str(exc), 200)}") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: must be a mapping of sections, got {type(raw).__name__}")
    return raw


def _not_a_file(path: Path) -> str:
    """Why `path` cannot be read as the params file (checked before opening: a FIFO would block)."""
    if path.is_dir():
        return "is a directory; --params names the params file (default: params.yaml)"
    if path.exists():
        return "is not a regular file (a FIFO, socket or device); --params names a YAML file such as params.yaml"
    return "file not found (run from the project root)"


def _yaml_problem(path: Path, exc: Exception) -> str:
    from ruamel.yaml.constructor import DuplicateKeyError

    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}" if mark is not None else ""
    if isinstance(exc, DuplicateKeyError):  # keys equal only once resolved (`1` and `0x1`): rare
        return f"{path}: duplicate key{where}: {exc.problem}; DVC refuses duplicate keys, keep one"
    return f"{path}: not valid YAML{where}: {getattr(exc, 'problem', None) or shorten(str(exc), 200)}"


class _Frame:
    """One open mapping or sequence while scanning parser events."""

    __slots__ = ("is_map", "start_total", "anchor", "height", "keys", "at_key", "key", "index")

    def __init__(self, is_map: bool, start_total: int, anchor: str | None) -> None:
        self.is_map = is_map
        self.start_total = start_total
        self.anchor = anchor
        self.height = 1  # collection levels of this node and below
        self.keys: dict[str, int] = {}  # scalar key -> line of its first use
        self.at_key = True
        self.key = "?"
        self.index = -1


def _check_structure(events: Any, path: Path) -> None:
    """Refuse duplicate keys, nesting deeper than MAX_DEPTH and more than MAX_NODES values.

    Works on the event stream, so nothing is built yet: an alias counts as the whole node it
    repeats (its expansion), which bounds the work of everything that later walks the values.
    """
    from ruamel.yaml import events as ev

    stack: list[_Frame] = []
    anchors: dict[str, tuple[int, int]] = {}  # anchor -> (values, collection levels) of its node
    total = 0

    def key_path(pending: str | None = None) -> str:
        """The dotted key being read (pydantic's style: list items by index)."""
        parts = [f.key if f.is_map else str(f.index) for f in stack if (not f.at_key if f.is_map else f.index >= 0)]
        return shorten(".".join(shorten(p) for p in [*parts, pending] if p is not None)) or "(top level)"

    def line(event: Any) -> int:
        return event.start_mark.line + 1

    def node_done(event: Any, size: int, height: int, anchor: str | None, scalar_key: str | None) -> None:
        if anchor:
            anchors[anchor] = (size, height)
        if not stack:
            return
        parent = stack[-1]
        parent.height = max(parent.height, height + 1)
        if not parent.is_map:
            return
        if parent.at_key:
            parent.key = scalar_key if scalar_key is not None else "?"
            if scalar_key is not None and scalar_key != "<<":  # repeated merge keys are YAML's business
                if scalar_key in parent.keys:
                    raise ParamsError(
                        f"{path}: {key_path(scalar_key)}: duplicate key at line {line(event)} (first at line "
                        f"{parent.keys[scalar_key]}); DVC refuses duplicate keys, keep one"
                    )
                parent.keys[scalar_key] = line(event)
        parent.at_key = not parent.at_key

    def enter_item(event: Any) -> None:
        if stack and not stack[-1].is_map:
            stack[-1].index += 1

    for event in events:
        if isinstance(event, (ev.MappingStartEvent, ev.SequenceStartEvent)):
            enter_item(event)
            total += 1
            stack.append(_Frame(isinstance(event, ev.MappingStartEvent), total - 1, event.anchor))
            if len(stack) > MAX_DEPTH:
                raise ParamsError(
                    f"{path}: {key_path()}: nested deeper than {MAX_DEPTH} levels at line {line(event)}; "
                    f"at most {MAX_DEPTH} levels are allowed"
                )
        elif isinstance(event, (ev.MappingEndEvent, ev.SequenceEndEvent)):
            frame = stack.pop()
            node_done(event, total - frame.start_total, frame.height, frame.anchor, None)
        elif isinstance(event, (ev.ScalarEvent, ev.AliasEvent)):
            enter_item(event)
            if isinstance(event, ev.ScalarEvent):
                size, height, anchor, key = 1, 0, event.anchor, event.value
            else:
                size, height = anchors.get(event.anchor, (1, 0))  # an undefined alias: load() says so
                anchor, key = None, None
                if len(stack) + height > MAX_DEPTH:
                    raise ParamsError(
                        f"{path}: {key_path()}: alias *{shorten(str(event.anchor), SHOWN_CHARS)} at line "
                        f"{line(event)} nests deeper than {MAX_DEPTH} levels; at most {MAX_DEPTH} are allowed"
                    )
            total += size
            if total > MAX_NODES:
                raise ParamsError(
                    f"{path}: {key_path()}: more than {MAX_NODES:,} values by line {line(event)} (an alias "
                    f"counts as everything it repeats); at most {MAX_NODES:,} are allowed"
                )
            node_done(event, size, height, anchor, key)

"""params.yaml: one pydantic schema per section, validated before any work.

Errors name the dotted key, the value and what is allowed, in one line.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from seqpipe.errors import ParamsError

PARAMS_FILE = "params.yaml"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SplitParams(Strict):
    val: float = Field(0.15, gt=0.0, lt=0.5, description="fraction of sequences held out for validation")
    test: float = Field(0.15, gt=0.0, lt=0.5, description="fraction of sequences held out for the test")


class WindowParams(Strict):
    """Sliding windows for the forecast task."""

    lookback: int = Field(24, ge=1, description="past steps the model sees")
    horizon: int = Field(1, ge=1, description="future steps it predicts")
    stride: int = Field(1, ge=1, description="steps between consecutive windows")
    season: int = Field(1, ge=1, description="season length of the naive baseline and MASE (1 = last value)")


class TextParams(Strict):
    """Keras TextVectorization settings, fit on the training split only."""

    vocab_size: int = Field(5000, ge=3, description="largest vocabulary, including padding and OOV")
    standardize: Literal["lower_and_strip_punctuation", "lower", "strip_punctuation", "none"] = Field(
        "lower_and_strip_punctuation", description="text standardisation before splitting"
    )
    split: Literal["whitespace", "character"] = Field("whitespace", description="how text is cut into tokens")
    stride: int = Field(1, ge=1, description="next_token on text: positions between consecutive contexts")


class DataParams(Strict):
    source: str = Field("adding", description="registered dataset name (`seqpipe list`)")
    path: str = Field(
        "plugins/adding.py",
        description="the input file of file sources; a DVC dependency of prepare (synthetic sources ignore it)",
    )
    options: dict[str, Any] = Field(default_factory=dict, description="the dataset's own options")
    split: SplitParams = Field(default_factory=SplitParams)
    scale: bool = Field(True, description="standardise numeric features with train-split statistics")
    maxlen: int | None = Field(None, ge=1, description="pad/truncate to this length; null = see maxlen_percentile")
    maxlen_percentile: float = Field(
        100.0, gt=0.0, le=100.0, description="with maxlen null: this percentile of train-split lengths"
    )
    padding: Literal["pre", "post"] = "pre"
    truncating: Literal["pre", "post"] = "pre"
    pad_value: float = Field(0.0, description="value of padded steps of numeric series (token padding is id 0)")
    nan_policy: Literal["error", "drop", "fill"] = Field(
        "error", description="NaN/inf in numeric data: stop, drop the sequence, or replace by fill_value"
    )
    fill_value: float = Field(0.0, description="replacement for NaN/inf with nan_policy fill")
    window: WindowParams = Field(default_factory=WindowParams)
    text: TextParams = Field(default_factory=TextParams)


class TrainParams(Strict):
    # Defaults chosen by bench/tuning_defaults.py and bench/defaults.py (see bench/RESULTS.md).
    epochs: int = Field(30, ge=1, le=10_000)
    batch_size: int = Field(16, ge=1)
    learning_rate: float = Field(2e-3, gt=0.0, le=10.0)
    lr_schedule: Literal["constant", "cosine"] = Field(
        "cosine",
        description="learning rate over the run: constant, or cosine decay from learning_rate to 0 at the last epoch",
    )
    clipnorm: float | None = Field(
        1.0, gt=0.0, description="clip each gradient to this norm (stabilises relu RNNs); null: no clipping"
    )
    steps_per_execution: int = Field(
        16, ge=1, le=10_000,
        description="training steps per call into the compiled graph; more cut the per-step Python cost of small "
        "models (single-device runs; train.distribute runs use 1)",
    )
    patience: int = Field(10, ge=0, description="early-stopping patience in epochs; 0 disables")
    embedding_dim: int = Field(32, ge=1, description="width of the token embedding (token inputs)")
    repeats: int = Field(
        1, ge=1, le=100, description="train each architecture with seeds seed, seed+1, ...; >1 adds mean/std and tests"
    )
    jit_compile: Literal["auto", True, False] = Field(
        "auto",
        description="XLA compilation: auto = the architecture's measured choice on CPU (Keras decides on GPU); "
        "an architecture XLA cannot compile falls back with a warning",
    )
    precision: Literal["float32", "mixed_float16", "mixed_bfloat16"] = Field(
        "float32", description="dtype policy: mixed_float16 for NVIDIA GPUs (loss scaling), mixed_bfloat16 for TPUs/CPUs"
    )
    distribute: Literal["none", "mirrored", "multi_worker"] = Field(
        "none",
        description="tf.distribute strategy: mirrored = all GPUs of this machine, multi_worker = machines in "
        "TF_CONFIG; batch_size is per replica",
    )

    @field_validator("jit_compile", mode="before")
    @classmethod
    def _jit_words(cls, value: Any) -> Any:
        """`-S train.jit_compile=True` and quoted 'false' mean the booleans (0 and 1 are refused
        before this runs, as for every boolean: see `_check_fields`)."""
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return value


class Params(Strict):
    seed: int = Field(42, ge=0, lt=2**32)
    architectures: list[str] = Field(min_length=1)
    data: DataParams = Field(default_factory=DataParams)
    train: TrainParams = Field(default_factory=TrainParams)
    models: dict[str, dict[str, Any] | None] = Field(default_factory=dict)

    @field_validator("architectures")
    @classmethod
    def _unique(cls, names: list[str]) -> list[str]:
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"names must be unique, repeated: {', '.join(duplicates)}")
        return names


# Limits on the YAML itself, checked on the parser's events before anything is built: a real
# params.yaml nests 4-5 levels and holds a few hundred values, so these only stop abuse (an
# alias "billion laughs" bomb, a list nested 100,000 deep) quickly and in constant memory.
MAX_DEPTH = 64
MAX_NODES = 100_000
SHOWN_CHARS = 60  # longest quoted value or key in an error message


def read_yaml(path: str | Path = PARAMS_FILE) -> dict[str, Any]:
    """The raw params mapping, read as DVC reads it; a ParamsError for a missing or malformed file.

    DVC parses params.yaml with ruamel.yaml in safe mode (YAML 1.2: `010` is 10, `yes` is a string)
    and refuses duplicate keys, so seqpipe does the same; PyYAML (YAML 1.1) would read other values.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path}: file not found (run from the project root)")
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


def validate(schema: type[BaseModel], raw: Any, prefix: str = "", source: str = PARAMS_FILE) -> Any:
    """`schema(**raw)`, turning the first validation error into a one-line ParamsError.

    Before pydantic runs, keys and scalar types are checked against the schema's fields (see
    `_check_fields`), so a plugin's model is as strict as the core schema whatever its config.
    """
    raw = raw if raw is not None else {}
    _check_fields(schema, raw, [prefix] if prefix else [], source)
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        raise ParamsError(describe(exc, schema, prefix, source)) from None


def describe(exc: ValidationError, schema: type[BaseModel], prefix: str, source: str) -> str:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    key = _dotted([prefix, *loc]) or prefix or "(top level)"
    if err["type"] == "extra_forbidden":
        allowed = _allowed_keys(schema, loc[:-1])
        return f"{source}: {key}: unknown key; allowed: {', '.join(allowed)}"
    value = err.get("input")
    shown = "missing" if err["type"] == "missing" else f"got {show(value)}"
    message = shorten(err["msg"], 300)  # a plugin's own validator may quote the value too
    return f"{source}: {key}: {message[0].lower()}{message[1:]}, {shown}"


def _dotted(parts: list[str]) -> str:
    return ".".join(shorten(p) for p in parts if p)


def _allowed_keys(schema: type[BaseModel], path: list[str]) -> list[str]:
    model: Any = schema
    for part in path:
        field = getattr(model, "model_fields", {}).get(part)
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            return sorted(getattr(model, "model_fields", {}))
        model = field.annotation
    return sorted(getattr(model, "model_fields", {}))


# --- strict keys and scalar types ----------------------------------------------------------------
# pydantic's default (lax) mode turns `true` into 1 for an int, "10" into 10, 3.0 into 3 and
# "yes" into True, and a model without extra="forbid" drops unknown keys in silence. In
# params.yaml each of those is a typo or a YAML 1.1 habit whose meaning differs between seqpipe
# and what DVC tracks, so a scalar must already have the type its field declares (an int is
# fine for a float). Fields of other types (lists, enums, paths) are left to pydantic.

_SCALARS = (bool, int, float, str)


def _check_fields(schema: type[BaseModel], raw: Any, loc: list[str], source: str) -> None:
    if not isinstance(raw, dict):
        return  # pydantic names the wrong type of a whole section
    fields = schema.model_fields
    by_name = {name: info for name, info in fields.items()}
    for info_name, info in fields.items():  # a field may be given by its alias
        if isinstance(info.alias, str):
            by_name[info.alias] = info
        if isinstance(info.validation_alias, str):
            by_name[info.validation_alias] = info
    for key, value in raw.items():
        info = by_name.get(key) if isinstance(key, str) else None
        where = [*loc, str(key)]
        if info is None:
            raise ParamsError(f"{source}: {_dotted(where)}: unknown key; allowed: {', '.join(sorted(by_name))}")
        kinds, literals, nested = _scalar_kinds(info.annotation)
        if nested is not None and isinstance(value, dict):
            _check_fields(nested, value, where, source)
        elif kinds is not None and value is not None and isinstance(value, _SCALARS):
            kind = type(value)
            if kind in kinds or (kind is int and float in kinds):
                continue
            raise ParamsError(
                f"{source}: {_dotted(where)}: input should be {_expected(kinds, literals)}, "
                f"got {show(value)} ({_KIND_WORDS[kind]})"
            )


_KIND_WORDS = {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}


def _scalar_kinds(annotation: Any) -> tuple[set[type] | None, list[Any], type[BaseModel] | None]:
    """(scalar types a field accepts or None if it is not purely scalar, its Literal values, its model)."""
    import types
    import typing

    kinds: set[type] = set()
    literals: list[Any] = []
    nested = None
    todo = [annotation]
    scalar = True
    while todo:
        item = todo.pop()
        origin = typing.get_origin(item)
        if origin is typing.Annotated:
            todo.append(typing.get_args(item)[0])
        elif origin is typing.Union or origin is types.UnionType:
            todo.extend(typing.get_args(item))
        elif origin is Literal:
            for option in typing.get_args(item):
                literals.append(option)
                if type(option) in _SCALARS:
                    kinds.add(type(option))
                else:
                    scalar = False
        elif item is type(None):
            continue
        elif item in _SCALARS:
            kinds.add(item)
        elif isinstance(item, type) and issubclass(item, BaseModel):
            nested, scalar = item, False
        else:
            scalar = False
    return (kinds if scalar and kinds else None), literals, nested


def _expected(kinds: set[type], literals: list[Any]) -> str:
    if literals:
        return "one of " + ", ".join(show(v) for v in literals)
    words = []  # pydantic's wording, so every type error of params.yaml reads the same
    if int in kinds and float not in kinds:
        words.append("a valid integer")
    if float in kinds:
        words.append("a valid number")
    if bool in kinds:
        words.append("a valid boolean (true or false)")
    if str in kinds:
        words.append("a valid string")
    return " or ".join(words)


def load(path: str | Path = PARAMS_FILE) -> Params:
    """Read and validate the core sections of params.yaml."""
    return validate(Params, read_yaml(path), source=str(path))

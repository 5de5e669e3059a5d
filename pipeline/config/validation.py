"""Validate a section of params.yaml against a pydantic schema, strictly, with one-line errors.

Used for the core sections and for every plugin's hyperparameters and options alike.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from seqpipe import layout
from seqpipe.config.messages import shorten, show
from seqpipe.errors import ParamsError


def validate(schema: type[BaseModel], raw: Any, prefix: str = "", source: str = str(layout.PARAMS_FILE)) -> Any:
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
    for info in fields.values():  # a field may be given by its alias
        if isinstance(info.alias, str):
            by_name[info.alias] = info
        if isinstance(info.validation_alias, str):
            by_name[info.validation_alias] = info
    for key, value in raw.items():
        found = by_name.get(key) if isinstance(key, str) else None
        where = [*loc, str(key)]
        if found is None:
            raise ParamsError(f"{source}: {_dotted(where)}: unknown key; allowed: {', '.join(sorted(by_name))}")
        info = found
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
    words = ["one of " + ", ".join(show(v) for v in literals)] if literals else []
    kinds = kinds - {type(v) for v in literals}  # e.g. int | Literal["auto"]: "one of 'auto' or a valid integer"
    # pydantic's wording, so every type error of params.yaml reads the same
    if int in kinds and float not in kinds:
        words.append("a valid integer")
    if float in kinds:
        words.append("a valid number")
    if bool in kinds:
        words.append("a valid boolean (true or false)")
    if str in kinds:
        words.append("a valid string")
    return " or ".join(words)



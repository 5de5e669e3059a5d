"""seqpipe core: plugin contract, params schema, data preparation, training, evaluation, report.

Importing this package (or `seqpipe.hookspecs`, `seqpipe.specs`) never imports keras or
tensorflow, so plugins and the `seqpipe` CLI load quickly. The names below load on first use
(PEP 562): a stage that hands itself to a warm worker (seqpipe.warm) imports only what it needs
for that, not pydantic, numpy and pluggy.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seqpipe.errors import DataError, ParamsError, PluginError, SeqpipeError
    from seqpipe.hookspecs import hookimpl
    from seqpipe.specs import Architecture, Covariates, Dataset, InputSpec, RawData, Recipe

_HOME = {
    "Architecture": "seqpipe.specs",
    "Covariates": "seqpipe.specs",
    "DataError": "seqpipe.errors",
    "Dataset": "seqpipe.specs",
    "InputSpec": "seqpipe.specs",
    "ParamsError": "seqpipe.errors",
    "PluginError": "seqpipe.errors",
    "RawData": "seqpipe.specs",
    "Recipe": "seqpipe.specs",
    "SeqpipeError": "seqpipe.errors",
    "hookimpl": "seqpipe.hookspecs",
}
__all__ = ["Architecture", "Covariates", "DataError", "Dataset", "InputSpec", "ParamsError", "PluginError", "RawData",
           "Recipe", "SeqpipeError", "hookimpl"]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'seqpipe' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME])

"""seqpipe core: plugin contract, params schema, data preparation, training, evaluation, report.

Importing this package (or `seqpipe.hookspecs`, `seqpipe.specs`) never imports keras or
tensorflow, so plugins and the `seqpipe` CLI load quickly.
"""
from seqpipe.errors import DataError, ParamsError, PluginError, SeqpipeError
from seqpipe.hookspecs import hookimpl
from seqpipe.specs import Architecture, Covariates, Dataset, InputSpec, RawData, Recipe

__all__ = [
    "Architecture",
    "Covariates",
    "DataError",
    "Dataset",
    "InputSpec",
    "ParamsError",
    "PluginError",
    "RawData",
    "Recipe",
    "SeqpipeError",
    "hookimpl",
]

"""seqpipe core: plugin contract, params schema, data preparation, training, evaluation, report.

Importing this package (or `pipeline.hookspecs`, `pipeline.specs`) never imports keras or
tensorflow, so plugins and the `seqpipe` CLI load quickly.
"""
from pipeline.errors import DataError, ParamsError, PluginError, SeqpipeError
from pipeline.hookspecs import hookimpl
from pipeline.specs import Architecture, Dataset, InputSpec, RawData

__all__ = [
    "Architecture",
    "DataError",
    "Dataset",
    "InputSpec",
    "ParamsError",
    "PluginError",
    "RawData",
    "SeqpipeError",
    "hookimpl",
]

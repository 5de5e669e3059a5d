"""The seqpipe hook specifications: the whole contract between the core and its plugins.

A plugin is a module (a file in `plugins/`, or a module named by an entry point in the
group `seqpipe`) with functions marked `@hookimpl` whose names match the specs below.
The host owns the registries: each hook receives a `register` callback, so name clashes and
invalid registrations are caught by the host and reported with the plugin's name.

Plugin modules should not import keras or tensorflow at module level: `seqpipe list` and
`seqpipe validate` load every plugin and must stay fast. Import keras inside `build`.
"""
from __future__ import annotations

from collections.abc import Callable

import pluggy

PROJECT_NAME = "seqpipe"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_architectures(register: Callable[..., None]) -> None:
    """Register sequence architectures; called once when the plugin manager is built.

    Call `register(Architecture(...))` once per architecture the plugin provides. An
    `Architecture` carries a unique `name`, a one-line `description`, a pydantic model of its
    hyperparameters (defaults and bounds; `extra="forbid"`), and `build(spec, hp)` which returns
    an encoder: a keras Layer, or a callable on keras tensors, mapping the embedded input
    `(batch, spec.timesteps, spec.features)` to a vector `(batch, units)`. The core adds the
    input layer, token embedding, masking, the task head, loss, metrics and optimizer.
    Returns nothing; the return value is ignored.
    """


@hookspec
def register_datasets(register: Callable[..., None]) -> None:
    """Register data sources; called once when the plugin manager is built.

    Call `register(Dataset(...))` once per source. A `Dataset` carries a unique `name`, a
    one-line `description`, the `tasks` it can serve, a pydantic model of its options, and
    `load(options, seed)` which returns `RawData` (sequences and targets in memory). The core
    pads, splits, scales, tokenizes text and cuts forecast windows. A file source sets
    `reads_path=True` and gets params.yaml's `data.path` as its option `path` (the plugin knows
    nothing of DVC). Returns nothing; the return value is ignored.
    """

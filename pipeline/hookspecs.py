"""The seqpipe hook specifications: the whole contract between the core and its plugins.

A plugin is a module (a file in `plugins/`, or a module named by an entry point in the
group `seqpipe`, whose name is the plugin's name) with functions marked `@hookimpl` whose
names match the specs below; a misspelt name marks the plugin broken instead of being ignored.
`seqpipe new NAME` writes a working plugin to start from.
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
    `Architecture` carries:

    - `name`: unique across all plugins (a clash marks both plugins broken and the name unusable);
    - `build(spec, hp)`: returns an encoder, a keras Layer or a callable on keras tensors, that
      maps the embedded input `(batch, spec.timesteps, spec.features)` to a vector
      `(batch, units)`. `spec` is an `InputSpec`; `hp` is a validated instance of `params`.
      Import keras inside `build` and use only `keras.layers` / `keras.ops`;
    - `params`: a pydantic model of the hyperparameters, each with a default, bounds and a
      `description` (`model_config = ConfigDict(extra="forbid")`); `models.<name>` in
      params.yaml is validated against it and `seqpipe show <name>` prints it;
    - `description`: the docstring; its first line is what `seqpipe list` shows;
    - `tasks`, `input_kinds`: what it supports (default: every task, numeric and token inputs);
    - `supports_masking`: true only if padded (masked) steps cannot change the output;
    - `custom_objects`: a function returning the custom keras classes a saved model needs;
    - `jit_compile`: whether XLA speeds it up on CPU, measured with `bench/tuning_jit.py`
      (None, the default: not measured, Keras decides); `train.jit_compile: auto` follows it.

    The core adds the input layer, token embedding, masking, the task head, loss, metrics and
    optimizer. `seqpipe check <name>` verifies all of the above on tiny inputs.
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

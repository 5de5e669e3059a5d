"""The seqpipe hook specifications: the whole contract between the core and its plugins.

A plugin is a module (a file in `plugins/`, or a module named by an entry point in the
group `seqpipe`, whose name is the plugin's name) with functions marked `@hookimpl` whose
names match the specs below; a misspelt name marks the plugin broken instead of being ignored.
`seqpipe new NAME` writes a working plugin to start from.
The host owns the registries: each hook receives a `register` callback, so name clashes and
invalid registrations are caught by the host and reported with the plugin's name.

What a plugin may import: `seqpipe` (`hookimpl`, `Architecture`, `Dataset`, `InputSpec`,
`RawData`, `Covariates` for a forecast source's covariates, the error classes) and, for file sources, the table helpers of `seqpipe.tables`
(`read_table`, `from_table`, `from_long`, `from_wide`, `from_text`, `from_arrays`,
`encode_labels`, ...; see its `__all__`) and the `.ts` reader of `seqpipe.ts_format` (`read_ts`,
`from_ts`). A plugin may keep private helper modules beside it
(a file or package whose name starts with `_`, which is not loaded as a plugin) and import them
relatively (`from ._recurrent import recurrent_encoder`): that works for the installed built-ins
and for a project's own `plugins/` folder alike, and the helpers are part of the plugin's
fingerprint, so editing one reruns exactly the architectures that import it.

Names: every architecture and dataset name must be a lowercase Python identifier
(`^[a-z][a-z0-9_]*$`, not a keyword), since it becomes a file name, a params.yaml key and a
dvc.yaml matrix key; any other name marks the plugin broken.

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

    - `name`: a lowercase Python identifier, unique across all plugins (a clash marks both
      plugins broken and the name unusable);
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
    - `recipe`: the training settings the architecture needs, as its paper trains it: a
      `seqpipe.Recipe` whose fields are `train.*` settings, all optional (optimizer, learning_rate,
      lr_schedule, batch_size, max_batch_fraction, epochs/min_steps/min_epochs/max_epochs,
      clipnorm, patience, weight_decay) plus a `reference`. They beat params.yaml's `train:`,
      and `models.<name>.train:` beats them; `train.recipes: false` ignores every recipe. The
      train log and `models/<name>.fit.json` say where each setting came from; `seqpipe show
      <name>` lists the recipe. None (the default): the architecture trains with `train:`.
      (`train` is therefore not a valid hyperparameter name.)

    The core adds the input layer, token embedding, masking, the task head, loss, metrics and
    optimizer. `seqpipe check <name>` verifies all of the above on tiny inputs.
    Returns nothing; the return value is ignored.
    """


@hookspec
def register_datasets(register: Callable[..., None]) -> None:
    """Register data sources; called once when the plugin manager is built.

    Call `register(Dataset(...))` once per source. A `Dataset` carries:

    - `name`: a lowercase Python identifier, unique across all plugins;
    - `params`: a pydantic model of its options (`data.options` in params.yaml);
    - `load`: returns `RawData` (sequences and targets in memory). A synthetic source's is
      `load(options, seed)`. A file source sets `reads_path=True`, gets params.yaml's `data.path`
      as its option `path` (the plugin knows nothing of DVC), and its load is
      `load(options, seed, *, labelled=True)`: `seqpipe predict` reads new files with
      `labelled=False`, where a missing target/label column is not an error (return RawData with
      an empty `targets` array) and one class is enough. The helpers of `seqpipe.tables` take
      `labelled` too: pass it on. A file source whose load cannot take `labelled` is refused;
    - `description`, and the `tasks` it can serve;
    - `tasks_for(options)` (optional): the tasks these options produce, a subset of `tasks`
      (`seqpipe.tables.requested_tasks` maps an option `task: classification` to binary and
      multiclass); `size_for(options)` (optional): how many sequences `load` will return, or None
      when unknown before reading; `timesteps_for(options)` (optional): the length of every sequence
      for a fixed-length source, or None. With them `seqpipe validate` checks the forecast window and
      `train.batch_size` before any data is read (sequence length and training-split size are
      checked again once the data is prepared, hints or not).

    The core pads, splits, scales, tokenizes text and cuts forecast windows.
    Returns nothing; the return value is ignored.
    """

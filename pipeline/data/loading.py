"""Call the configured data source plugin; whatever goes wrong inside it is one line naming it."""
from __future__ import annotations

from typing import cast

from seqpipe.config.experiment import DatasetChoice
from seqpipe.errors import PluginError, SeqpipeError, one_line
from seqpipe.specs import TASKS, FileLoader, RawData


def load_raw(choice: DatasetChoice, seed: int, *, labelled: bool = True) -> RawData:
    """Call the dataset plugin; its failures are reported as one line naming it.

    `labelled=False` (new files for `seqpipe predict`) is passed to file sources, whose load takes
    it (the registry refuses one that cannot); other sources produce no files to predict from.
    """
    if not labelled and not choice.dataset.reads_path:
        raise ValueError(f"dataset '{choice.name}' reads no file, so it has no unlabelled form")
    try:
        if choice.dataset.reads_path:
            file_loader = cast(FileLoader, choice.dataset.load)  # the registry checked it takes `labelled`
            raw = file_loader(choice.options, seed, labelled=labelled)
        else:
            raw = choice.dataset.load(choice.options, seed)
    except SeqpipeError:
        raise
    except Exception as exc:
        raise PluginError(f"dataset '{choice.name}': load() raised {type(exc).__name__}: {one_line(str(exc))}") from None
    if not isinstance(raw, RawData):
        raise PluginError(f"dataset '{choice.name}': load() returned {type(raw).__name__}, expected RawData")
    if raw.task not in TASKS or raw.input_kind not in ("numeric", "tokens", "text"):
        raise PluginError(
            f"dataset '{choice.name}': load() returned task {raw.task!r} with input_kind {raw.input_kind!r}; "
            f"tasks: {', '.join(TASKS)}; input kinds: numeric, tokens, text"
        )
    return raw

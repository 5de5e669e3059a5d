"""Call the configured data source plugin; whatever goes wrong inside it is one line naming it."""
from __future__ import annotations

from seqpipe.config.experiment import DatasetChoice
from seqpipe.errors import PluginError, SeqpipeError, one_line
from seqpipe.specs import TASKS, RawData


def load_raw(choice: DatasetChoice, seed: int) -> RawData:
    """Call the dataset plugin; its failures are reported as one line naming it."""
    try:
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

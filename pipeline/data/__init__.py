"""Step `prepare`: a data source's RawData to padded, split and scaled arrays plus their spec.

`shaping.prepare` orchestrates; one module per concern (splits, padding, scaling, cleaning, text,
forecast windows); `prepared` is what the later stages read; `new_inputs` applies the recorded
preprocessing to new data for `seqpipe predict`. The names below are importable from
`seqpipe.data` directly; each loads its module on first use, so importing one module of the
package (say `seqpipe.data.prepared`) does not import scikit-learn or Keras.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seqpipe.data.forecast import forecast_history, prepare_forecast, seasonal_naive, window_starts
    from seqpipe.data.padding import choose_maxlen, pad, padding_positions
    from seqpipe.data.shaping import PREPARE_PHASES, prepare
    from seqpipe.data.prepared import Prepared, load, save
    from seqpipe.data.splits import SPLITS, official_split_indices, split_indices
    from seqpipe.data.text import fit_vocabulary, vectorize

_EXPORTS = {
    "forecast": ("forecast_history", "prepare_forecast", "seasonal_naive", "window_starts"),
    "padding": ("choose_maxlen", "pad", "padding_positions"),
    "shaping": ("PREPARE_PHASES", "prepare"),
    "prepared": ("Prepared", "load", "save"),
    "splits": ("SPLITS", "official_split_indices", "split_indices"),
    "text": ("fit_vocabulary", "vectorize"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'seqpipe.data' has no attribute '{name}'")
    return getattr(importlib.import_module(f"seqpipe.data.{module}"), name)

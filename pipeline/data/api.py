"""The data functions in one namespace, for scripts, notebooks and tests: `from seqpipe.data import api`."""
from __future__ import annotations

from seqpipe.data.forecast import forecast_history, prepare_forecast, seasonal_naive
from seqpipe.data.forecast_windows import window_starts
from seqpipe.data.padding import choose_maxlen, pad, padding_positions
from seqpipe.data.prepared import Prepared, load, save
from seqpipe.data.shaping import PREPARE_PHASES, prepare
from seqpipe.data.spec import PreparedSpec
from seqpipe.data.splits import SPLITS, official_split_indices, split_indices
from seqpipe.data.text import fit_vocabulary, vectorize

__all__ = [
    "PREPARE_PHASES", "SPLITS", "Prepared", "PreparedSpec", "choose_maxlen", "fit_vocabulary", "forecast_history",
    "load", "official_split_indices", "pad", "padding_positions", "prepare", "prepare_forecast", "save",
    "seasonal_naive", "split_indices", "vectorize", "window_starts",
]

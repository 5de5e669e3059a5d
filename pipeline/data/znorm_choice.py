"""`data.znorm`: whether each numeric series is z-normalised over its own steps, `auto` resolved here.

The UCR archive ships most of its sets z-normalised and the published deep-learning results read
them so (dl-4-tsc z-normalises every series); on raw recordings whose level and spread differ by
recording (PickupGestureWiimoteZ) it lifted FCN by 7 points. It erases each series' level, which
is the class where the level is the signal (JapaneseVowels' cepstral coefficients, BasicMotions,
most synthetic data). `auto` therefore asks the TRAIN split only, for numeric classification:

1. every train series already has mean ~0 and std ~1 (per feature, within ZNORMED_MEAN and
   ZNORMED_STD): nothing to do, the data came z-normalised (off; z-normalising is a no-op);
2. otherwise each series is z-normalised, and where a cross-validated random forest on each
   series' level (mean and log std per feature) beats the majority class by LEVEL_MARGIN or two
   standard errors, whichever is larger, the level is kept as 2 x features extra constant input
   channels (`levels`), so nothing the class depends on is erased.

Regression and forecasts: `auto` is off (a series' level can be the target; forecasts normalise
per window, data.window.normalize); text and tokens have no level. bench/znorm_rule.py prints the
decision for every set, bench/RESULTS.md ("data.znorm: auto") the measurements behind it.
"""
from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from seqpipe.errors import ParamsError

if TYPE_CHECKING:
    from seqpipe.data.spec import PreparedSpec

ZNORMED_MEAN = 0.05  # |mean| of every train series' feature at most this ...
ZNORMED_STD = 0.1  # ... and its std within 1 +- this (sample or population std of short series)
LEVEL_MARGIN = 0.10  # the level predicts the class: CV accuracy >= majority + this (or 2 standard errors)
MAX_SERIES = 2000  # the level test reads at most this many train series (a stratified-enough prefix)
FOLDS = 5
MIN_STD = 1e-12  # log std of a constant feature

Setting = Literal["auto", "levels"] | bool


@dataclasses.dataclass(frozen=True)
class ZnormChoice:
    """What prepare does to each numeric series, and why (for the log, the report and spec.json)."""

    znorm: bool
    levels: bool  # each series' mean and log std per feature kept as extra constant channels
    origin: str


def series_levels(sequences: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each (steps, features) series' mean and population std per feature: two (n, features) arrays."""
    if isinstance(sequences, np.ndarray) and sequences.ndim == 3:
        x = sequences.astype(np.float64)
        return x.mean(axis=1), x.std(axis=1)
    xs = [np.asarray(s, dtype=np.float64).reshape(len(s), -1) for s in sequences]
    return np.stack([x.mean(axis=0) for x in xs]), np.stack([x.std(axis=0) for x in xs])


def level_features(sequences: Any) -> np.ndarray:
    """(n, 2 x features): each series' mean and log std per feature, the level channels' values."""
    mean, std = series_levels(sequences)
    return np.hstack([mean, np.log(np.maximum(std, MIN_STD))])


def apply(sequences: Any, choice: ZnormChoice) -> Any:
    """Each series z-normalised (choice.znorm), with its level appended as constant channels
    (choice.levels); an (n, steps, features) array stays one array, a list stays a list."""
    from seqpipe.data.scaling import znorm_series

    if not choice.znorm:
        return sequences
    if isinstance(sequences, np.ndarray) and sequences.ndim == 2:  # (n, steps): one feature
        sequences = sequences[..., None]
    out = znorm_series(sequences)
    if not choice.levels:
        return out
    if not isinstance(out, np.ndarray):
        out = [x.reshape(len(x), -1) for x in out]
    levels = level_features(sequences).astype(np.float32)
    if isinstance(out, np.ndarray):
        return np.concatenate([out, np.repeat(levels[:, None, :], out.shape[1], axis=1)], axis=2)
    return [np.hstack([x, np.repeat(level[None, :], len(x), axis=0)]) for x, level in zip(out, levels)]


def said(spec: PreparedSpec) -> str:
    """What prepare did to each series, in words (the prepare log and the report)."""
    if not spec.znorm:
        return "series kept as they are"
    levels = (f", its level (mean and log std per feature) kept as {spec.features - spec.data_features} extra "
              "channels" if spec.znorm_levels else "")
    return f"each series z-normalised over its own steps{levels}"


def origin(spec: PreparedSpec) -> str:
    """How it was chosen: `data.znorm` when set, `data.znorm: auto: why` when chosen."""
    return "data.znorm" if spec.znorm_from in (None, "data.znorm") else f"data.znorm: {spec.znorm_from}"


def check(setting: Setting, task: str, input_kind: str) -> None:
    """An explicit `true`/`levels` on data it cannot apply to is one ParamsError (auto never is)."""
    if setting is False or setting == "auto":
        return
    if task == "forecast" or input_kind != "numeric":
        raise ParamsError(f"data.znorm: applies to numeric series of classification and regression, not to "
                          f"{'forecasts (see data.window.normalize)' if task == 'forecast' else 'text or tokens'}; "
                          "set it to false or auto")


def choose(setting: Setting, task: str, input_kind: str, train_sequences: Any, train_targets: np.ndarray) -> ZnormChoice:
    """The choice for this data; `auto` reads the train split's series and labels only."""
    if setting is False:
        return ZnormChoice(False, False, "data.znorm")
    if setting is True or setting == "levels":
        return ZnormChoice(True, setting == "levels", "data.znorm")
    if task == "forecast" or input_kind != "numeric" or task == "regression" or not len(train_targets):
        return ZnormChoice(False, False, "auto: classification of numeric series only")
    mean, std = series_levels(train_sequences)
    if np.abs(mean).max() <= ZNORMED_MEAN and np.abs(std - 1.0).max() <= ZNORMED_STD:
        return ZnormChoice(False, False, "auto: the train series are z-normalised already (means within "
                           f"+-{ZNORMED_MEAN:g}, stds 1 +- {ZNORMED_STD:g})")
    accuracy, majority, margin = level_accuracy(train_sequences, np.asarray(train_targets))
    if accuracy is None:
        return ZnormChoice(True, True, "auto: classes too small to cross-validate whether the level predicts "
                           "the class, so it is kept")
    said = (f"a cross-validated random forest on each series' mean and log std: {accuracy:.0%} of the train "
            f"split against the majority class's {majority:.0%}, margin {margin:.0%}")
    if accuracy >= majority + margin:
        return ZnormChoice(True, True, f"auto: the level predicts the class ({said})")
    return ZnormChoice(True, False, f"auto: the level does not predict the class ({said})")


def level_accuracy(train_sequences: Any, y: np.ndarray) -> tuple[float | None, float, float]:
    """(cross-validated accuracy of a random forest on each series' level or None where the classes
    are too small to cross-validate, the majority class's share, the margin the level must beat it by)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    n = min(len(y), MAX_SERIES)
    x = level_features(train_sequences[:n])
    y = y[:n]
    counts = np.unique(y, return_counts=True)[1]
    majority = float(counts.max() / n)
    margin = max(LEVEL_MARGIN, 2 * math.sqrt(majority * (1 - majority) / n))
    folds = min(FOLDS, int(counts.min()))
    if folds < 2 or len(counts) < 2:
        return None, majority, margin
    forest = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1)
    scores = cross_val_score(forest, x, y, cv=StratifiedKFold(folds, shuffle=True, random_state=0))
    return float(scores.mean()), majority, margin

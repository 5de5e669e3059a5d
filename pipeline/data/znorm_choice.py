"""`data.znorm`: whether each numeric series is z-normalised over its own steps, `auto` resolved here.

The UCR archive ships most of its sets z-normalised and the published deep-learning results read
them so (dl-4-tsc z-normalises every series); on raw recordings whose level and spread differ by
recording (PickupGestureWiimoteZ) it lifts FCN by 9 points (3 seeds). It erases each series' level, which
is the class where the level is the signal (JapaneseVowels' cepstral coefficients, BasicMotions,
the project's classification examples). `auto` therefore asks the TRAIN split only, for numeric
classification, in this order:

1. every train series already has mean ~0 and std ~1 (per feature, within ZNORMED_MEAN and
   ZNORMED_STD): off, the data came z-normalised (z-normalising again would be a no-op);
2. a random forest on each series' level (mean and log std per feature), cross-validated, does not
   beat the majority class by LEVEL_MARGIN or two standard errors (whichever is larger): the level
   does not carry the class, so z-normalising erases nothing the class needs: on;
3. otherwise the level carries the class, and a 1-NN on the z-normalised series (what the shape
   alone says) is cross-validated beside it: on where the shape does at least as well as the
   level (PickupGestureWiimoteZ: level 52%, shape 64%), off where the level does better
   (JapaneseVowels: 94% against 59%; the examples: 93-100% against 40-96%).

`levels` (explicit only) z-normalises and appends each series' level as 2 x features constant
channels, so nothing is erased; measured with FCN, as good as off where the level is the class
(JapaneseVowels 98.4%) and far worse where it is not all of it (PickupGestureWiimoteZ 27% against 69%
z-normalised: the network fits its 50 training series by their level), so `auto` never picks it.

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
MAX_SERIES = 2000  # the level and shape tests read at most this many train series (a seeded sample)
SHAPE_STEPS = 128  # the 1-NN compares series resampled to this many steps
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
    y = np.asarray(train_targets)
    if len(y) > MAX_SERIES:  # a seeded sample: the tests' cost stays bounded on large data
        rows = np.sort(np.random.default_rng(0).choice(len(y), MAX_SERIES, replace=False))
        train_sequences, y = [train_sequences[i] for i in rows], y[rows]
    folds, majority, margin = _folds(y)
    if folds < 2:
        return ZnormChoice(False, False, "auto: classes too small to cross-validate whether the level carries the "
                           "class, so it is kept")
    level = cross_validated(_forest(), level_features(train_sequences), y, folds)
    forest = f"a random forest on each series' mean and log std {level:.0%}"
    if level < majority + margin:
        return ZnormChoice(True, False, f"auto: the level does not carry the class ({forest}, the majority "
                           f"class {majority:.0%}, margin {margin:.0%}; cross-validated on the train split)")
    shape = cross_validated(_one_nn(), shape_features(train_sequences), y, folds)
    said = f"{forest}, 1-NN on the z-normalised series {shape:.0%}; cross-validated on the train split"
    if level > shape:
        return ZnormChoice(False, False, f"auto: the level carries more of the class than the shape ({said})")
    return ZnormChoice(True, False, f"auto: the shape carries at least as much of the class as the level ({said})")


def shape_features(sequences: Any) -> np.ndarray:
    """(n, SHAPE_STEPS x features): each series z-normalised and resampled to SHAPE_STEPS steps."""
    from seqpipe.data.padding import resample
    from seqpipe.data.scaling import znorm_series

    if isinstance(sequences, np.ndarray) and sequences.ndim == 2:
        sequences = sequences[..., None]
    series = [np.asarray(x, dtype=np.float32).reshape(len(x), -1) for x in znorm_series(sequences)]
    return resample(series, SHAPE_STEPS, "float32").reshape(len(series), -1)


def _folds(y: np.ndarray) -> tuple[int, float, float]:
    """(stratified folds the smallest class allows, up to FOLDS; the majority class's share; the margin
    the level must beat it by: LEVEL_MARGIN or two standard errors of an accuracy, whichever is larger)."""
    n = len(y)
    counts = np.unique(y, return_counts=True)[1]
    majority = float(counts.max() / n)
    margin = max(LEVEL_MARGIN, 2 * math.sqrt(majority * (1 - majority) / n))
    return (min(FOLDS, int(counts.min())) if len(counts) >= 2 else 0), majority, margin


def _forest() -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1)


def _one_nn() -> Any:
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=1)


def cross_validated(model: Any, x: np.ndarray, y: np.ndarray, folds: int) -> float:
    """Mean accuracy of `model` over `folds` stratified folds (shuffled with a fixed seed: the choice
    depends on the data only)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    return float(cross_val_score(model, x, y, cv=StratifiedKFold(folds, shuffle=True, random_state=0)).mean())

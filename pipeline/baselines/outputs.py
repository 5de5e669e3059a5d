"""The baselines stage's outputs, and their cache: computed by prepare's process, copied by the stage.

Writing them (`write`) and saying what they are (`log_lines`) is the stage's job wherever it runs.
The cache exists for the fixed cost of small experiments (issue 18): the baselines stage is one
more process importing pandas and scikit-learn (~1 s of CPU) for a fit that often takes less, while
prepare has both loaded and the prepared data in memory. So prepare fits the baselines once its
outputs are written and stores the stage's files under `.seqpipe/baselines/<key>/`; the stage
computes the same key and, on a hit, copies them. DVC's stages are unchanged: `baselines` still runs
exactly when DVC says it must (its code, the prepared data or `train.quantiles` changed), and a
miss (baselines code edited, levels changed, a clone without `.seqpipe/`) computes as before.

The key is the evaluation cache's (seqpipe.evaluation.cache.key): the prepared data's bytes, the
quantile levels, the whole seqpipe source, and the versions of the libraries that fit them.
"""
from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seqpipe import atomic, layout
from seqpipe.evaluation import cache

if TYPE_CHECKING:
    from seqpipe.baselines import Outcome

LIBRARIES = ("numpy", "pandas", "scikit-learn", "scipy", "statsforecast", "statsmodels")
LOG = "log.txt"


def key(levels: Sequence[float] | None) -> str:
    return cache.key([layout.PREPARED_DIR], {"baselines": True, "quantiles": list(levels or [])}, LIBRARIES)


def write(outcomes: list[Outcome], task: str, y_test: np.ndarray, metrics: Path, timings: Path,
          predictions: Path) -> None:
    """metrics/baselines.json, timings/baselines.json (apart, so reruns compare byte for byte) and
    one predictions CSV per baseline; each atomically, none kept on a failure half way."""
    from seqpipe.evaluation.scoring import predictions_frame

    with atomic.removed_on_failure(metrics, timings, predictions):
        atomic.write_json(metrics, {o.name: {"description": o.description, **o.scores} for o in outcomes})
        atomic.write_json(timings, {o.name: {"seconds": o.seconds} for o in outcomes})
        with atomic.atomic_path(predictions) as tmp:
            tmp.mkdir(parents=True)
            for o in outcomes:
                predictions_frame(task, y_test, o.raw_output).to_csv(
                    tmp / layout.baseline_predictions_path(o.name).name, index=False, float_format="%.6g")


def log_lines(outcomes: list[Outcome], task: str) -> list[str]:
    lines = []
    for o in outcomes:
        lines.append(f"baseline {o.name}: " + ", ".join(f"{k}={v}" for k, v in o.scores.items()) + f" ({o.seconds}s)")
        # forecasting: the model chosen per series, and any fallback to a simpler one
        lines.extend(f"  {o.name}: {note}" for note in o.notes)
    if not outcomes:
        lines.append(f"no classical baseline for task {task}; the report shows its no-skill row")
    return lines


def store(cache_key: str, outcomes: list[Outcome], task: str, y_test: np.ndarray,
          root: Path = layout.BASELINES_CACHE) -> None:
    """The stage's files and log under root/<key>/, renamed into place; older entries dropped."""
    target = root / cache_key
    with atomic.atomic_path(target) as tmp:
        tmp.mkdir(parents=True)
        write(outcomes, task, y_test, *_files(tmp))
        (tmp / LOG).write_text("\n".join(log_lines(outcomes, task)) + "\n", encoding="utf-8")
    for old in root.iterdir():
        if old != target and old.is_dir() and len(old.name) == len(cache_key):
            shutil.rmtree(old, ignore_errors=True)


def restore(cache_key: str, root: Path = layout.BASELINES_CACHE) -> list[str] | None:
    """Copy a stored entry to the stage's outputs (all or none) and return its log lines; None when
    there is no entry."""
    source = root / cache_key
    files = _files(source)
    if not (all(f.exists() for f in files) and (source / LOG).is_file()):
        return None
    outputs = [layout.BASELINES_METRICS, layout.BASELINES_TIMINGS, layout.BASELINES_PREDICTIONS]
    with atomic.removed_on_failure(*outputs):
        for src, dest in zip(files, outputs):
            with atomic.atomic_path(dest) as tmp:
                (shutil.copytree if src.is_dir() else shutil.copyfile)(src, tmp)
    return (source / LOG).read_text(encoding="utf-8").splitlines()


def _files(folder: Path) -> list[Path]:
    return [folder / "metrics.json", folder / "timings.json", folder / "predictions"]

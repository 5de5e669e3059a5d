"""Learning curves: dvclive's per-architecture logs, and one column per architecture for `dvc plots`."""
from __future__ import annotations

from pathlib import Path

import pandas as pd


def read_curves(live_dir: Path, arch: str) -> pd.DataFrame:
    """Per-epoch train/validation loss that dvclive logged for one architecture."""
    frames = {}
    for split, label in (("train", "train_loss"), ("eval", "val_loss")):
        tsv = live_dir / arch / "plots" / "metrics" / split / "loss.tsv"
        if tsv.is_file():
            frame = pd.read_csv(tsv, sep="\t")
            frames[label] = frame.set_index("step")["loss"]
    curves = pd.DataFrame(frames)
    curves.index = curves.index + 1  # epochs count from 1 in the report
    return curves


def curves_wide(curves: dict[str, pd.DataFrame], column: str) -> pd.DataFrame:
    """One row per epoch, one column per architecture: what dvc.yaml's top-level plots overlay."""
    wide = pd.DataFrame({arch: frame[column] for arch, frame in curves.items() if column in frame})
    wide = wide.reindex(columns=[a for a in curves if a in wide.columns])
    wide.index.name = "epoch"
    return wide.sort_index()

"""What `data.znorm: auto` decides, and why, on every numeric classification set at hand: the
classification sets inside aeon's wheel (the whole official train file, as bench/realdata.py trains these small sets; the rule reads the
train split only)
and the project's own classification examples (their params.yaml, their split). No training: the
rule's computation alone (seqpipe.data.znorm_choice), through `prepare` as the pipeline runs it.

    .venv/bin/pip install -q aeon            # the UCR/UEA files only
    .venv/bin/python bench/znorm_rule.py     # a table: dataset, task, decision, why

Besides each decision it prints what the rule looked at: the largest |mean| and the range of the
stds of the train series (per feature), and a 1-NN (Euclidean, resampled to the longest series)
cross-validated on the train split on the raw and on the z-normalised series, a cheap hint of
what z-normalising costs or buys where the level carries the class.
"""
from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ["npz-classification", "csv-wide-classification", "parquet-long-classification", "text-classification"]


def _aeon_sets() -> list[Path]:
    spec = importlib.util.find_spec("aeon")
    if spec is None or spec.origin is None:
        sys.exit("bench/znorm_rule.py: aeon is not installed; .venv/bin/pip install -q aeon")
    return sorted((Path(spec.origin).parent / "datasets" / "data").glob("*/*_TRAIN.ts"))


def _one_nn(train: list[np.ndarray], y: np.ndarray) -> tuple[float, float] | None:
    """Cross-validated 1-NN accuracy on the raw and on the z-normalised train series (or None)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    from seqpipe.data.padding import resample
    from seqpipe.data.scaling import znorm_series

    folds = min(5, int(np.bincount(y).min()) if len(y) else 0)
    if folds < 2:
        return None
    steps = max(len(s) for s in train)
    raw = resample([np.asarray(s, dtype=np.float32).reshape(len(s), -1) for s in train], steps, "float32")
    z = resample(znorm_series([np.asarray(s).reshape(len(s), -1) for s in train]), steps, "float32")
    cv = StratifiedKFold(folds, shuffle=True, random_state=0)
    return tuple(float(cross_val_score(KNeighborsClassifier(1), x.reshape(len(y), -1), y, cv=cv).mean())
                 for x in (raw, z))  # type: ignore[return-value]


def _row(name: str, raw, val: float, test: float, seed: int) -> list[str]:
    from seqpipe.data.shaping import prepare
    from seqpipe.data.splits import official_split_indices, split_indices
    from seqpipe.data.znorm_choice import said, series_levels

    y = np.asarray(raw.targets)
    spec = prepare(raw, val=val, test=test, seed=seed, znorm="auto").spec
    if raw.input_kind != "numeric":
        return [name, raw.task, said(spec) if spec.znorm_from else "off", spec.znorm_from or "auto: not numeric", "", ""]
    parts = (official_split_indices(raw.split, y, raw.task, val, seed) if raw.split is not None
             else split_indices(y, raw.task, val, test, seed))
    train = [np.asarray(raw.sequences[i]) for i in parts["train"]]
    mean, std = series_levels([s.reshape(len(s), -1) for s in train])
    nn = _one_nn(train, np.unique(y[parts["train"]], return_inverse=True)[1])
    return [name, raw.task, said(spec), spec.znorm_from or "",
            f"|mean| <= {np.abs(mean).max():.3g}, std {std.min():.3g}-{std.max():.3g}",
            "" if nn is None else f"{nn[0]:.0%} -> {nn[1]:.0%}"]


def main() -> None:
    warnings.filterwarnings("ignore")
    sys.path.insert(0, str(ROOT))
    from seqpipe.config.context import context
    from seqpipe.data.loading import load_raw
    from seqpipe.ts_format import from_ts, read_ts

    rows = []
    for path in _aeon_sets():
        if path.name.startswith("UnitTestTimeStamps"):  # 4 series, no test file: too few to split
            continue
        test = path.with_name(path.name.replace("_TRAIN", "_TEST"))
        raw = from_ts(read_ts(str(path)), read_ts(str(test)) if test.is_file() else None, task="auto", labelled=True)
        if raw.task != "regression":
            rows.append(_row(path.name.removesuffix("_TRAIN.ts"), raw, val=0.0, test=0.2, seed=42))
    for example in EXAMPLES:
        ctx = context(ROOT / "examples" / example / "params.yaml")
        p = ctx.params.data
        rows.append(_row(f"examples/{example}", load_raw(ctx.dataset, ctx.params.seed), p.split.val, p.split.test,
                         ctx.params.seed))
    head = ["dataset", "task", "auto decides", "why", "train series", "1-NN raw -> z-normalised"]
    print("| " + " | ".join(head) + " |\n| " + " | ".join("---" for _ in head) + " |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()

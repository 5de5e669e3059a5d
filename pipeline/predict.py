"""`seqpipe predict`: run a trained model on new sequences, with the preprocessing saved at training.

Inputs are padded, truncated and scaled exactly as `prepare` did, from data/prepared/spec.json
(maxlen, padding side, scaler statistics), so training and inference cannot disagree. Loaders are
picked by file suffix from LOADERS; a new input format is one function added there. Output goes
to inference/ by default, not predictions/ (a dependency of the report stage).
"""
from __future__ import annotations

import json
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import DataError

PREPARED_DIR = Path("data/prepared")


# --- loaders: path -> raw sequences (array (n, steps[, features]) or list of 1-D/2-D arrays) -----


def _load_npy(path: Path) -> np.ndarray | list[np.ndarray]:
    array = np.load(path, allow_pickle=False)
    if array.ndim not in (2, 3):
        raise DataError(f"{path}: expected an array (sequences, steps) or (sequences, steps, features), got shape {array.shape}")
    return array


def _load_npz(path: Path) -> np.ndarray | list[np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        for key in ("X", "x", "X_test", "sequences"):
            if key in archive:
                return _check_ndim(path, archive[key])
        if len(archive.files) == 1:
            return _check_ndim(path, archive[archive.files[0]])
    raise DataError(f"{path}: no array named X, x, X_test or sequences")


def _check_ndim(path: Path, array: np.ndarray) -> np.ndarray:
    if array.ndim not in (2, 3):
        raise DataError(f"{path}: expected 2-D or 3-D sequences, got shape {array.shape}")
    return array


LOADERS: dict[str, Callable[[Path], Any]] = {".npy": _load_npy, ".npz": _load_npz}


def load_input(path: str | Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise DataError(f"{path}: unsupported input format '{path.suffix}'; supported: {', '.join(sorted(LOADERS))} "
                        "or --split test")
    try:
        return loader(path)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:  # pickled, truncated or not an array file
        raise DataError(f"{path}: cannot read: {' '.join(str(exc).split())}") from None


# --- preprocessing from spec.json ----------------------------------------------------------------


def preprocess(sequences: Any, spec: dict) -> np.ndarray:
    """Raw sequences -> the model's input, with the padding and scaling recorded at prepare time."""
    from pipeline import data

    tokens = spec["input_kind"] == "tokens"
    pad = spec["padding"]
    maxlen = int(pad["maxlen"])
    seqs = sequences
    if isinstance(seqs, np.ndarray) and not tokens and seqs.ndim == 2:
        seqs = seqs[..., None]
    if isinstance(seqs, np.ndarray) and tokens and seqs.ndim != 2:
        raise DataError(f"token inputs must be (sequences, steps) integer ids, got shape {seqs.shape}")
    n = len(seqs)
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=n)
    if not tokens:
        features = {np.asarray(s).shape[-1] for s in seqs}
        if features and features != {spec["features"]}:
            raise DataError(f"inputs have {sorted(features)} features per step; the model was trained on {spec['features']}")
    dtype = "int32" if tokens else "float32"
    if isinstance(seqs, np.ndarray) and seqs.shape[1] == maxlen:
        x = seqs.astype(dtype)
    else:
        x, _ = data.pad(seqs, maxlen, pad["padding"], pad["truncating"], dtype=dtype)
    if tokens:
        vocab = spec.get("vocab_size")
        if vocab and x.size and (x.max() >= vocab or x.min() < 0):
            raise DataError(f"token ids must be in [0, {vocab - 1}] (the training vocabulary), got {x.min()}..{x.max()}")
        return x
    if spec.get("scaler"):
        real = ~data.padding_positions(lengths, maxlen, pad["padding"])
        mean = np.asarray(spec["scaler"]["mean"], dtype=np.float64)
        scale = np.asarray(spec["scaler"]["scale"], dtype=np.float64)
        x = ((x - mean) / scale).astype(np.float32)
        x[~real] = 0.0
    return x


# --- prediction ----------------------------------------------------------------------------------


def predict_batches(model: Any, x: np.ndarray, batch_size: int, chunk: int = 4096, progress: bool | None = None) -> np.ndarray:
    """model.predict over `x` in chunks, with a progress bar on stderr for large inputs."""
    from tqdm import tqdm

    show = progress if progress is not None else (len(x) > chunk and sys.stderr.isatty())
    outputs = []
    with tqdm(total=len(x), unit="seq", desc="predicting", disable=not show, file=sys.stderr) as bar:
        for start in range(0, len(x), chunk):
            part = x[start:start + chunk]
            outputs.append(np.asarray(model.predict(part, batch_size=batch_size, verbose=0)))
            bar.update(len(part))
    return np.concatenate(outputs) if outputs else np.zeros((0,))


def predictions_frame(task_name: str, raw_output: np.ndarray, spec: dict, y_true: np.ndarray | None = None):
    """The CSV rows: prediction (class name for classification), probabilities, and y_true if known."""
    import pandas as pd

    from pipeline import tasks

    task = tasks.get(task_name)
    frame = pd.DataFrame({"index": np.arange(len(raw_output))})
    if y_true is not None:
        frame["y_true"] = y_true
    frame["y_pred"] = task.predict(raw_output)
    if task_name == "binary":
        frame["p_1"] = raw_output.reshape(-1)
    elif task_name == "multiclass":
        for c in range(raw_output.shape[-1]):
            frame[f"p_{c}"] = raw_output[:, c]
    names = spec.get("class_names")
    if names and task_name in ("binary", "multiclass"):
        frame["label"] = [names[int(i)] for i in frame["y_pred"]]
    return frame


def main(args) -> None:
    """The `seqpipe predict` subcommand (args from the CLI parser)."""
    from pipeline import atomic, stage
    from pipeline.model import load_model
    from pipeline.train import model_path

    stage.quiet_tensorflow()
    ctx = stage.context(args.params)
    choice = ctx.architectures.get(args.arch)
    if choice is None:
        raise DataError(f"--arch {args.arch}: not in params.yaml architectures ({', '.join(ctx.architectures)})")
    prepared = Path(args.prepared)
    spec_file = prepared / "spec.json"
    if not spec_file.is_file():
        raise DataError(f"{spec_file}: not found; run `dvc repro` first (predict reuses prepare's preprocessing)")
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    path = model_path(args.arch)
    if not path.is_file():
        raise DataError(f"{path}: not found; run `dvc repro train@{args.arch}` first")

    y_true = None
    if args.input:
        x = preprocess(load_input(args.input), spec)
    else:
        x = np.load(prepared / f"X_{args.split}.npy", allow_pickle=False)
        y_true = np.load(prepared / f"y_{args.split}.npy", allow_pickle=False)
    custom = choice.architecture.custom_objects() if choice.architecture.custom_objects else None
    model = load_model(str(path), custom_objects=custom)
    raw = predict_batches(model, x, ctx.params.train.batch_size, progress=True if args.progress else None)
    frame = predictions_frame(spec["task"], raw, spec, y_true)
    output = Path(args.output or f"inference/{args.arch}.{Path(args.input).stem if args.input else args.split}.csv")
    with atomic.atomic_path(output) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")
    print(f"wrote {len(frame)} predictions of {args.arch} to {output}")


def add_parser(sub) -> None:
    pr = sub.add_parser("predict", help="predict with a trained model; writes CSV")
    pr.add_argument("--arch", required=True, help="architecture name from params.yaml")
    source = pr.add_mutually_exclusive_group()
    source.add_argument("--input", help=f"sequences to predict ({', '.join(sorted(LOADERS))})")
    source.add_argument("--split", default="test", choices=("train", "val", "test"),
                        help="a prepared split instead of --input (default: test)")
    pr.add_argument("--output", "-o", help="CSV to write (default: inference/<arch>.<input or split>.csv)")
    pr.add_argument("--params", default="params.yaml")
    pr.add_argument("--prepared", default=str(PREPARED_DIR), help="prepared data directory (spec.json)")
    pr.add_argument("--progress", action="store_true", help="always show the progress bar")

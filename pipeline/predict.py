"""`seqpipe predict`: run a trained model on new sequences, with the preprocessing saved at training.

Inputs are padded, truncated and scaled exactly as `prepare` did, from data/prepared/spec.json
(maxlen, padding side, scaler statistics) and the saved vocabulary, so training and inference
cannot disagree. A file in the training data's format is read by the training data source
itself (so CSV/Parquet layouts and text columns mean the same; the target column is optional);
`.npy`/`.npz` arrays of sequences are read by LOADERS. Forecast and next-token inputs predict
what follows the end of each series or document. Output goes to inference/ by default, not
predictions/ (a dependency of the report stage).
"""
from __future__ import annotations

import json
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import DataError
from pipeline.params import TextParams
from pipeline.specs import RawData

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


@dataclass
class Inputs:
    """Model-ready inputs read from a file, with what the file said about them."""

    x: np.ndarray
    y_true: np.ndarray | None = None
    ids: list[Any] | None = None


def load_input(path: str | Path) -> Any:
    """Raw sequences from a .npy/.npz array file."""
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


def read_input(path: str | Path, source: Any, source_path: str, spec: dict, vocabulary: list[str] | None,
               text: TextParams) -> Inputs:
    """Read `path` the way the training data was read, and preprocess it as prepare did.

    A file in the training data's own format (same suffix as data.path, or any file when the
    source is not an array) goes through the training data source's loader, so columns, long/wide
    layout and text are understood the same way; its target column is optional. `.npy` arrays,
    and `.npz` arrays for sources that do not read .npz, are sequences as they are.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    suffix = path.suffix.lower()
    same_format = source.dataset.reads_path and suffix == Path(source_path).suffix.lower()
    if suffix in LOADERS and not same_format:
        return Inputs(preprocess(load_input(path), spec))
    if not source.dataset.reads_path:
        raise DataError(f"{path}: unsupported input format '{path.suffix}'; the training data source "
                        f"'{source.name}' is not a file, so give .npy/.npz arrays or use --split")
    raw = _load_with_source(source, path)
    return from_raw(raw, spec, vocabulary, text)


def _load_with_source(source: Any, path: Path) -> RawData:
    from pipeline import tables
    from pipeline.prepare import load_raw

    options = source.options.model_copy(update={"path": str(path)})
    with tables.reading_for_prediction():
        return load_raw(replace(source, options=options), seed=0)


def from_raw(raw: RawData, spec: dict, vocabulary: list[str] | None, text: TextParams) -> Inputs:
    """RawData from the training source -> model inputs, true targets (if the file had them) and ids."""
    from pipeline import data

    sequences: Any = raw.sequences
    if raw.input_kind == "text":
        if not vocabulary:
            raise DataError(f"{raw.origin}: text input, but the model was trained on {spec['input_kind']} data")
        sequences = data.vectorize([str(t) for t in sequences], vocabulary, text)
    if spec["task"] in ("forecast", "next_token"):
        sequences = _last_contexts(raw, sequences, int(spec["padding"]["maxlen"]), spec["task"] == "forecast")
    x = preprocess(sequences, spec)
    y_true = None
    if len(raw.targets) == len(x) and spec["task"] not in ("forecast", "next_token"):
        y_true = _targets_as_trained(raw, spec)
    return Inputs(x, y_true, raw.ids)


def _last_contexts(raw: RawData, sequences: Any, lookback: int, whole_window: bool) -> list[np.ndarray]:
    """The last `lookback` steps of every series or document: what comes next is predicted."""
    contexts = []
    for i, seq in enumerate(sequences):
        seq = np.asarray(seq)
        if whole_window and len(seq) < lookback:
            name = raw.ids[i] if raw.ids else i
            raise DataError(f"{raw.origin}: series {name!r} has {len(seq)} steps; forecasting needs the last "
                            f"{lookback} (data.window.lookback)")
        contexts.append(seq[-lookback:])
    return contexts


def _targets_as_trained(raw: RawData, spec: dict) -> np.ndarray:
    """The file's targets in the training encoding (class ids follow the training class names)."""
    if spec["task"] == "regression":
        return np.asarray(raw.targets, dtype=np.float32)
    trained = {str(name): i for i, name in enumerate(spec.get("class_names") or [])}
    names = raw.class_names or [str(c) for c in range(int(np.max(raw.targets)) + 1)]
    unknown = sorted({names[int(t)] for t in raw.targets} - set(trained))
    if unknown:
        raise DataError(f"{raw.origin}: labels {unknown[:5]} were not seen in training; known: {', '.join(trained)}")
    return np.asarray([trained[names[int(t)]] for t in raw.targets], dtype=np.int32)


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


def predictions_frame(task_name: str, raw_output: np.ndarray, spec: dict, y_true: np.ndarray | None = None,
                      ids: list[Any] | None = None, vocabulary: list[str] | None = None):
    """The CSV rows: id (if the input had them), y_true (if known), the prediction (one column per
    horizon step for forecasts), class probabilities, and class names or tokens."""
    import pandas as pd

    from pipeline import tasks

    task = tasks.get(task_name)
    frame = pd.DataFrame({"index": np.arange(len(raw_output))})
    if ids is not None and len(ids) == len(frame):
        frame["id"] = ids
    predicted = task.predict(raw_output)
    if np.ndim(predicted) == 2:  # multi-step forecast
        for h in range(predicted.shape[1]):
            if y_true is not None:
                frame[f"y_true_h{h + 1}"] = y_true[:, h]
            frame[f"y_pred_h{h + 1}"] = predicted[:, h]
        return frame
    if y_true is not None:
        frame["y_true"] = y_true
    frame["y_pred"] = predicted
    if task_name == "binary":
        frame["p_1"] = raw_output.reshape(-1)
    elif task_name == "multiclass":
        for c in range(raw_output.shape[-1]):
            frame[f"p_{c}"] = raw_output[:, c]
    names = spec.get("class_names")
    if names and task_name in ("binary", "multiclass"):
        frame["label"] = [names[int(i)] for i in frame["y_pred"]]
    if vocabulary and task_name == "next_token":
        frame["token"] = [vocabulary[int(i)] if int(i) < len(vocabulary) else "" for i in frame["y_pred"]]
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

    vocabulary = None
    if spec.get("vocabulary"):
        vocabulary = json.loads((prepared / spec["vocabulary"]).read_text(encoding="utf-8"))
    if args.input:
        inputs = read_input(args.input, ctx.dataset, ctx.params.data.path, spec, vocabulary, ctx.params.data.text)
    else:
        inputs = Inputs(np.load(prepared / f"X_{args.split}.npy", allow_pickle=False),
                        np.load(prepared / f"y_{args.split}.npy", allow_pickle=False))
    custom = choice.architecture.custom_objects() if choice.architecture.custom_objects else None
    model = load_model(str(path), custom_objects=custom)
    raw = predict_batches(model, inputs.x, ctx.params.train.batch_size, progress=True if args.progress else None)
    frame = predictions_frame(spec["task"], raw, spec, inputs.y_true, inputs.ids, vocabulary)
    output = Path(args.output or f"inference/{args.arch}.{Path(args.input).stem if args.input else args.split}.csv")
    with atomic.atomic_path(output) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")
    print(f"wrote {len(frame)} predictions of {args.arch} to {output}")


def add_parser(sub) -> None:
    pr = sub.add_parser("predict", help="predict with a trained model; writes CSV")
    pr.add_argument("--arch", required=True, help="architecture name from params.yaml")
    source = pr.add_mutually_exclusive_group()
    source.add_argument("--input", help="sequences to predict: a file in the training data's format (data.path's; "
                        "target column optional) or a .npy/.npz array")
    source.add_argument("--split", default="test", choices=("train", "val", "test"),
                        help="a prepared split instead of --input (default: test)")
    pr.add_argument("--output", "-o", help="CSV to write (default: inference/<arch>.<input or split>.csv)")
    pr.add_argument("--params", default="params.yaml")
    pr.add_argument("--prepared", default=str(PREPARED_DIR), help="prepared data directory (spec.json)")
    pr.add_argument("--progress", action="store_true", help="always show the progress bar")

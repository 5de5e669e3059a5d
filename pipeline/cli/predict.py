"""`seqpipe predict`: run a trained model on new sequences, with the preprocessing saved at training.

Inputs are read and preprocessed by `seqpipe.data.new_inputs` exactly as `prepare` did. Output
goes to inference/ by default, not predictions/ (a dependency of the report stage).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from seqpipe import layout
from seqpipe.data.new_inputs import Inputs, read_input
from seqpipe.data.spec import PreparedSpec
from seqpipe.errors import DataError
from seqpipe.quantiles import QuantileForecast

if TYPE_CHECKING:
    from seqpipe.config.params import TrainParams
    from seqpipe.tasks import Output

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


def forecast_frame(raw_output: Output, ids: list[Any] | None, future_times: list[np.ndarray] | None) -> Any:
    """The forecast after each series' end, one row per series and step: id (or the series'
    index), step (1..horizon), time (the timestamps continued, when the series had them), y_pred;
    a model trained with `train.quantiles` adds one column per level (`q0.1`, `q0.5`, `q0.9`;
    y_pred is the median)."""
    import pandas as pd

    point = raw_output.median if isinstance(raw_output, QuantileForecast) else raw_output
    n, horizon = point.shape
    frame = pd.DataFrame({"id": np.repeat(ids if ids is not None and len(ids) == n else np.arange(n), horizon),
                          "step": np.tile(np.arange(1, horizon + 1), n)})
    if future_times is not None and len(future_times) == n:
        frame["time"] = np.concatenate(future_times)
    frame["y_pred"] = point.reshape(-1)
    if isinstance(raw_output, QuantileForecast):
        for q in raw_output.levels:
            frame[f"q{q:g}"] = raw_output.at(q).reshape(-1)
    return frame


def predictions_frame(task_name: str, raw_output: Output, spec: PreparedSpec, y_true: np.ndarray | None = None,
                      ids: list[Any] | None = None, vocabulary: list[str] | None = None) -> Any:
    """The CSV rows: id (if the input had them), y_true (if known), the prediction (one column per
    horizon step for forecasts, and `q<level>_h<step>` for quantile forecasts), class
    probabilities, and class names or tokens."""
    import pandas as pd

    from seqpipe import tasks

    task = tasks.get(task_name)
    frame = pd.DataFrame({"index": np.arange(len(raw_output))})
    if ids is not None and len(ids) == len(frame):
        frame["id"] = ids
    predicted = task.predicted(raw_output)
    if np.ndim(predicted) == 2:  # multi-step forecast
        for h in range(predicted.shape[1]):
            if y_true is not None:
                frame[f"y_true_h{h + 1}"] = y_true[:, h]
            frame[f"y_pred_h{h + 1}"] = predicted[:, h]
        if isinstance(raw_output, QuantileForecast):
            frame = pd.concat([frame, pd.DataFrame(raw_output.columns())], axis=1)
        return frame
    assert isinstance(raw_output, np.ndarray), "a quantile forecast is (windows, horizon)"
    if y_true is not None:
        frame["y_true"] = y_true
    frame["y_pred"] = predicted
    for column, values in task.probabilities(raw_output).items():
        frame[column] = values
    if spec.class_names and task.labels:
        frame["label"] = [spec.label(int(i)) for i in frame["y_pred"]]
    if vocabulary and task.token_output:
        frame["token"] = [vocabulary[int(i)] if int(i) < len(vocabulary) else "" for i in frame["y_pred"]]
    return frame


def main(args) -> None:
    """The `seqpipe predict` subcommand (args from the CLI parser)."""
    from seqpipe import atomic, process, user_files
    from seqpipe.config.context import context
    from seqpipe.training import backends, ensemble
    from seqpipe.training.model import load_model

    process.quiet_tensorflow()

    process.defer_unused_imports()  # Keras imports pyplot and requests for tools never used here
    ctx = context(args.params)
    choice = ctx.architecture(args.arch)
    backends.activate_trained(layout.fit_summary_path(args.arch))  # the model's own backend, before keras loads
    from seqpipe.training import quantile_head  # imports keras: after the backend is chosen
    prepared = Path(args.prepared)
    spec_file = prepared / layout.SPEC_FILE
    path = layout.model_path(args.arch)
    default = layout.INFERENCE_DIR / f"{args.arch}.{Path(args.input).stem if args.input else args.split}.csv"
    output = Path(args.output or default)
    # Before any work: a CSV must never replace params, inputs, the model or tracked files.
    reads = {"the params file": args.params, "the training data (data.path)": ctx.params.data.path,
             "the model": path, "the prepared data": spec_file}
    if args.input:
        reads["the input file"] = args.input

    def guard() -> None:
        user_files.check_output(output, reads=reads, force=args.force, option="--output", example=str(default),
                                variables=ctx.params.model_dump())

    guard()
    if not spec_file.is_file():
        raise DataError(f"{spec_file}: not found; run `dvc repro` first (predict reuses prepare's preprocessing)")
    spec = PreparedSpec.read(spec_file)
    if not path.is_file():
        raise DataError(f"{path}: not found; run `dvc repro train@{args.arch}` first")

    vocabulary = None
    if spec.vocabulary:
        vocabulary = json.loads((prepared / spec.vocabulary).read_text(encoding="utf-8"))
    if args.input:
        inputs = read_input(args.input, ctx.dataset, ctx.params.data.path, spec, vocabulary, ctx.params.data.text)
    else:
        inputs = Inputs(np.load(prepared / f"X_{args.split}.npy", allow_pickle=False),
                        np.load(prepared / f"y_{args.split}.npy", allow_pickle=False))
    custom = choice.architecture.custom_objects() if choice.architecture.custom_objects else None
    seed_models = _ensemble_members(args.arch, ctx.train_settings(args.arch, spec).params, path)  # a small set's seeds too
    if len(seed_models) > 1:
        print(ensemble.line(args.arch, [seed for seed, _ in seed_models]), flush=True)

    def predict_one(model: Any) -> Output:
        return quantile_head.output(model, predict_batches(model, inputs.x, ctx.params.train.batch_size,
                                                           progress=True if args.progress else None))

    raw = ensemble.predict([load_model(str(p), custom_objects=custom) for _, p in seed_models], predict_one)
    if args.input and spec.forecast is not None:
        frame = forecast_frame(raw, inputs.ids, inputs.future_times)
    else:
        frame = predictions_frame(spec.task, raw, spec, inputs.y_true, inputs.ids, vocabulary)
    guard()  # again: loading and predicting take a while, and a directory may have appeared meanwhile
    with atomic.atomic_path(output) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")
    shown = f"{args.arch} (ensemble of {len(seed_models)} seeds)" if len(seed_models) > 1 else args.arch
    print(f"wrote {len(frame)} predictions of {shown} to {output}")


def _ensemble_members(arch: str, train: TrainParams, model_file: Path) -> list[tuple[int, Path]]:
    """The models `seqpipe predict` runs: every seed of `train.repeats` for an ensemble
    (`train.ensemble`), else models/<arch>.keras alone."""
    if not train.ensemble:
        return [(0, model_file)]
    hint = f"run `dvc repro train@{arch}` (train.ensemble predicts with every seed's model)"
    try:
        members = layout.seed_models(arch)
    except FileNotFoundError:
        raise DataError(f"{layout.repeats_dir(arch) / 'seeds.json'}: not found; {hint}") from None
    missing = [str(p) for _, p in members if not p.is_file()]
    if missing:
        raise DataError(f"{missing[0]}: not found; {hint}")
    if len(members) != train.repeats:
        raise DataError(f"{layout.repeats_dir(arch) / 'seeds.json'}: {len(members)} trained seed(s), but "
                        f"train.repeats is {train.repeats}: the models are older than params.yaml; {hint}")
    return members


def add_parser(sub) -> None:
    pr = sub.add_parser("predict", help="predict with a trained model; writes CSV")
    pr.add_argument("--arch", required=True, help="architecture name from params.yaml")
    source = pr.add_mutually_exclusive_group()
    source.add_argument("--input", help="sequences to predict: a file in the training data's format (data.path's; "
                        "target column optional) or a .npy/.npz array")
    source.add_argument("--split", default="test", choices=("train", "val", "test"),
                        help="a prepared split instead of --input (default: test)")
    pr.add_argument("--output", "-o", help="CSV to write (default: inference/<arch>.<input or split>.csv); an "
                    "existing directory, the params, input, model or a file tracked by git or DVC is refused")
    pr.add_argument("--force", action="store_true",
                    help="overwrite --output even if git or DVC tracks it or the command reads it (never a directory)")
    pr.add_argument("--params", default=str(layout.PARAMS_FILE))
    pr.add_argument("--prepared", default=str(layout.PREPARED_DIR), help="prepared data directory (spec.json)")
    pr.add_argument("--progress", action="store_true", help="always show the progress bar")

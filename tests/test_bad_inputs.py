"""Bad inputs, fed the way a user would: each one stops with exit code 1 and exactly one line
`seqpipe: error: ...` naming the culprit; no traceback, no output written, input files unchanged.

Each case is a small project directory (params.yaml plus data files) and a command. Commands run
in-process (`main([...])`, much faster than a subprocess); a few subprocess cases at the end prove
the same end to end. Stages that need TensorFlow (train) run only where the error lies there.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import BaseModel, ConfigDict

from seqpipe import Architecture, Dataset, RawData, hookimpl
from tests.conftest import ROOT, TINY_PARAMS, env, merge

BASE = merge(yaml.safe_load((ROOT / "params.yaml").read_text()), TINY_PARAMS)
BASE["architectures"] = ["lstm", "cnn"]
BASE["train"]["batch_size"] = 8


# --- data files ---------------------------------------------------------------------------


def _long_csv(n: int = 30, classes: int = 2) -> str:
    rows = ["id,time,x,target"]
    for sid in range(n):
        rows += [f"s{sid},{t},{(sid * 7 + t) % 5 * 0.5},{sid % classes}" for t in range(8)]
    return "\n".join(rows) + "\n"


def _with_x(text: str, row: str, value: str) -> str:
    """The long CSV with the feature of sequence/step `row` (e.g. "s3,1") set to `value`."""
    lines = text.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith(row + ","))
    sid, t, _, target = lines[i].split(",")
    lines[i] = f"{sid},{t},{value},{target}"
    return "\n".join(lines) + "\n"


def _parquet(df: pd.DataFrame) -> bytes:
    import io

    buffer = io.BytesIO()
    df.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _npy(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _npz(**arrays) -> bytes:
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


CSV = {"source": "csv", "path": "in.csv", "options": {"format": "long", "task": "classification"}}
CSV_REGRESSION = {"source": "csv", "path": "in.csv", "options": {"format": "long", "task": "regression"}}
PARQUET = {"source": "parquet", "path": "in.parquet", "options": {"format": "long", "task": "classification"}}
NPZ = {"source": "npz", "path": "in.npz", "options": {"task": "classification"}}
TEXT = {"source": "text", "path": "in.csv", "options": {"task": "classification"}}
GOOD_X = np.random.default_rng(0).normal(size=(20, 6, 1)).astype("float32")
GOOD_Y = np.arange(20) % 2


def data(section: dict) -> dict:
    """A params update that replaces the adding problem by a file source."""
    return {"data": {**section, "options": section["options"]}}


# --- plugins (registered inline, as in tests/test_registry.py) -----------------------------


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _arch_plugin(name: str, build: Callable) -> tuple[str, object]:
    register = hookimpl(lambda register: register(Architecture(name, build, NoParams, description="test")))
    return (f"{name}_plugin", types.SimpleNamespace(register_architectures=register))


def _raising_build(spec, hp):
    raise RuntimeError("kernel too large")


def _nan_build(spec, hp):
    from keras import layers, ops

    return lambda x: layers.Dense(2)(layers.Flatten()(x)) * ops.convert_to_tensor(float("nan"))


def _dataset_plugin(name: str, load: Callable) -> tuple[str, object]:
    register = hookimpl(lambda register: register(Dataset(name, load, NoParams, description="test")))
    return (f"{name}_plugin", types.SimpleNamespace(register_datasets=register))


def _loader_raises(options, seed):
    raise OSError("disk on fire")


def _numeric_next_token(options, seed):
    return RawData(np.zeros((20, 5, 1), np.float32), np.arange(20) % 3, "next_token", "numeric")


# --- the cases ------------------------------------------------------------------------------
# (id, params update or raw params text, files, command, culprit text, extra plugins)

VALIDATE = ["validate"]
PREPARE = ["prepare"]
TRAIN = ["train", "--arch"]

CASES = [
    # params.yaml: unknown keys, wrong types, out-of-range values, impossible combinations
    ("unknown-top-key", {"trian": {}}, {}, VALIDATE, "trian: unknown key; allowed: architectures"),
    ("unknown-nested-key", {"data": {"splt": {}}}, {}, VALIDATE, "data.splt: unknown key"),
    ("wrong-type", {"train": {"epochs": "ten"}}, {}, VALIDATE, "train.epochs: input should be a valid integer, got 'ten' (a string)"),
    ("out-of-range-lr", {"train": {"learning_rate": 0}}, {}, VALIDATE, "train.learning_rate: input should be greater than 0"),
    ("negative-seed", {"seed": -1}, {}, VALIDATE, "seed: input should be greater than or equal to 0, got -1"),
    ("horizon-zero", {"data": {"window": {"horizon": 0}}}, {}, VALIDATE, "data.window.horizon: input should be greater than or equal to 1, got 0"),
    ("batch-larger-than-train", {"train": {"batch_size": 500}}, {}, VALIDATE, "train.batch_size: 500 is larger than the training split (about 168"),
    ("maxlen-below-receptive-field", {"data": {"maxlen": 4}, "models": {"cnn": {"kernel_size": 3, "num_layers": 3}}}, {}, VALIDATE,
     "data.maxlen: 4 steps are fewer than the 7 that architecture 'cnn' needs"),
    ("lookback-below-kernel", {"architectures": ["tcn"], "models": {"tcn": {"kernel_size": 5, "num_blocks": 3}},
                               "data": {"source": "sine", "options": {}, "window": {"lookback": 10}}}, {}, VALIDATE,
     "data.window.lookback: 10 steps are fewer than the 17 that architecture 'tcn' needs"),
    ("season-above-lookback", {"data": {"source": "sine", "options": {}, "window": {"lookback": 4, "season": 12}}}, {}, VALIDATE,
     "data.window.season: 12 exceeds data.window.lookback (4)"),
    ("unknown-architecture", {"architectures": ["lstm", "lstmm"]}, {}, VALIDATE, "unknown architecture 'lstmm'"),
    ("hyperparameter-out-of-range", {"models": {"lstm": {"units": 0}}}, {}, VALIDATE, "models.lstm.units: input should be greater than or equal to 1, got 0"),
    ("transformer-heads", {"architectures": ["transformer"], "models": {"transformer": {"d_model": 6, "num_heads": 4}}}, {}, VALIDATE,
     "models.transformer"),
    ("duplicate-architectures", {"architectures": ["lstm", "lstm"]}, {}, VALIDATE, "names must be unique, repeated: lstm"),
    ("models-entry-for-nothing", {"models": {"lsmt": {}}}, {}, VALIDATE, "models.lsmt: no architecture of that name is registered"),
    ("nan-policy-choice", {"data": {"nan_policy": "ignore"}}, {}, VALIDATE, "data.nan_policy: input should be 'error', 'drop' or 'fill'"),
    ("unknown-data-source", {"data": {"source": "nope"}}, {}, VALIDATE, "data.source: unknown dataset 'nope'"),
    ("unknown-dataset-option", {"data": {"options": {"n_sample": 5}}}, {}, VALIDATE, "data.options.n_sample: unknown key"),
    ("next-token-on-numeric", data({**CSV, "options": {"format": "long", "task": "next_token"}}), {"in.csv": _long_csv()}, VALIDATE,
     "data.options.task: input should be 'regression', 'classification' or 'forecast'"),
    ("params-not-yaml", "seed: [1,\n", {}, VALIDATE, "params.yaml: not valid YAML at line"),
    ("params-a-list", "- seed\n- 1\n", {}, VALIDATE, "params.yaml: must be a mapping of sections, got list"),
    ("params-empty", "", {}, VALIDATE, "params.yaml: must be a mapping of sections, got NoneType"),
    ("params-latin1", b"seed: 1\n# caf\xe9\narchitectures: [lstm]\n", {}, VALIDATE, "params.yaml: not valid UTF-8"),
    ("params-missing", None, {}, VALIDATE, "params.yaml: file not found"),
    # data files
    ("csv-missing", data(CSV), {}, PREPARE, "in.csv: file not found"),
    ("csv-is-a-directory", data(CSV), {"in.csv/x": b""}, PREPARE, "in.csv: file not found"),
    ("csv-empty", data(CSV), {"in.csv": b""}, PREPARE, "in.csv: cannot read as csv"),
    ("csv-header-only", data(CSV), {"in.csv": "id,time,x,target\n"}, PREPARE, "in.csv: no rows"),
    ("csv-utf16", data(CSV), {"in.csv": _long_csv().encode("utf-16")}, PREPARE, "in.csv"),
    ("csv-latin1", data(TEXT), {"in.csv": ("text,label\n" + "caf\xe9 ok,1\nbad day,0\n" * 10).encode("latin-1")}, PREPARE, "in.csv"),
    ("csv-text-in-feature", data(CSV), {"in.csv": _with_x(_long_csv(), "s3,1", "abc") }, PREPARE,
     "in.csv: column 'x' is not numeric"),
    ("csv-nan", data(CSV), {"in.csv": _with_x(_long_csv(), "s3,1", "nan")}, PREPARE, "in.csv: NaN/inf value in sequence 's3'"),
    ("csv-inf", data(CSV), {"in.csv": _with_x(_long_csv(), "s3,1", "inf")}, PREPARE, "in.csv: NaN/inf value in sequence 's3'"),
    ("csv-huge-value", data(CSV), {"in.csv": _with_x(_long_csv(), "s3,1", "1e300")}, PREPARE, "in.csv"),
    ("csv-single-row", data(CSV_REGRESSION), {"in.csv": "id,time,x,target\na,0,1.0,2.0\n"}, PREPARE, "cannot split 1 sequences"),
    ("csv-single-class", data(CSV), {"in.csv": _long_csv(classes=1)}, PREPARE, "in.csv: column 'target' has only one class"),
    ("csv-duplicate-steps", data(CSV), {"in.csv": _long_csv() + "s1,2,0.5,1\n"}, PREPARE, "in.csv: sequence 's1' has duplicate"),
    ("csv-missing-target", data({**CSV, "options": {**CSV["options"], "target_column": "label"}}), {"in.csv": _long_csv()},
     PREPARE, "in.csv: column 'label' not found"),
    ("wide-duplicate-ids", data({**CSV, "options": {"format": "wide", "task": "classification", "target_column": "label"}}),
     {"in.csv": "id,label,t0,t1,t2,t3\n" + "".join(f"r{i % 19},{i % 2},{i},1,2,3\n" for i in range(24))}, PREPARE, "in.csv: duplicate id"),
    ("parquet-corrupt", data(PARQUET), {"in.parquet": b"PAR1 this is not parquet"}, PREPARE, "in.parquet: cannot read as parquet"),
    ("parquet-empty", data(PARQUET), {"in.parquet": _parquet(pd.DataFrame({"id": [], "time": [], "x": [], "target": []}))}, PREPARE,
     "in.parquet: no rows"),
    ("npz-not-a-zip", data(NPZ), {"in.npz": b"plain text"}, PREPARE, "in.npz: cannot read as npz"),
    ("npz-ragged", data(NPZ), {"in.npz": _npz(X=np.array([np.ones(3), np.ones(2)], dtype=object), y=np.array([0, 1]))}, PREPARE,
     "in.npz"),
    ("npz-missing-y", data(NPZ), {"in.npz": _npz(X=GOOD_X)}, PREPARE, "in.npz"),
    ("npz-length-mismatch", data(NPZ), {"in.npz": _npz(X=GOOD_X, y=GOOD_Y[:5])}, PREPARE, "in.npz"),
    ("npz-strings", data(NPZ), {"in.npz": _npz(X=np.array([["a", "b"]] * 20), y=GOOD_Y)}, PREPARE, "in.npz"),
    ("text-empty-row", data(TEXT), {"in.csv": "text,label\n" + "good day,1\nbad day,0\n" * 10 + ",1\n"}, PREPARE, "in.csv: empty text"),
    # plugins
    ("dataset-load-raises", {"data": {"source": "fragile", "options": {}}}, {}, PREPARE,
     "dataset 'fragile': load() raised OSError: disk on fire", [_dataset_plugin("fragile", _loader_raises)]),
    ("dataset-wrong-return", {"data": {"source": "sloppy", "options": {}}}, {}, PREPARE,
     "dataset 'sloppy': load() returned list, expected RawData", [_dataset_plugin("sloppy", lambda o, s: [1, 2])]),
    ("dataset-next-token-on-numeric", {"data": {"source": "numbers", "options": {}}}, {}, PREPARE,
     "task 'next_token' needs token or text inputs, got numeric series", [_dataset_plugin("numbers", _numeric_next_token)]),
    ("build-raises", {"architectures": ["boom"], "models": {"boom": {}}}, {}, TRAIN + ["boom"],
     "plugin 'boom': build() raised RuntimeError: kernel too large", [_arch_plugin("boom", _raising_build)]),
    ("build-wrong-type", {"architectures": ["odd"], "models": {"odd": {}}}, {}, TRAIN + ["odd"],
     "plugin 'odd': build() returned int, expected a keras Layer", [_arch_plugin("odd", lambda spec, hp: 42)]),
    ("nan-loss", {"architectures": ["nanny"], "models": {"nanny": {}}}, {}, TRAIN + ["nanny"],
     "train@nanny: training loss nan by batch 1 in epoch 1 is not finite", [_arch_plugin("nanny", _nan_build)]),
    # the CLI
    ("train-arch-not-in-params", {}, {}, TRAIN + ["gru"], "--arch gru: not in params.yaml architectures"),
    ("predict-without-model", {}, {}, ["predict", "--arch", "lstm"], "models/lstm.keras"),
    ("predict-input-missing", {}, {"models/lstm.keras": b"not used"}, ["predict", "--arch", "lstm", "--input", "new.npy"], "new.npy: file not found"),
    ("predict-input-format", {}, {"new.txt": "1 2 3", "models/lstm.keras": b"not used"}, ["predict", "--arch", "lstm", "--input", "new.txt"],
     "new.txt: unsupported input format '.txt'"),
    ("predict-pickled-input", {}, {"new.npy": _npy(np.array([[1, "a"]], dtype=object)), "models/lstm.keras": b"not used"},
     ["predict", "--arch", "lstm", "--input", "new.npy"], "new.npy: cannot read"),
    ("predict-corrupt-model", {}, {"models/lstm.keras": b"PK not a zip"}, ["predict", "--arch", "lstm"],
     "models/lstm.keras: cannot load as a Keras model"),
    ("show-unknown", {}, {}, ["show", "nope"], "unknown architecture 'nope'"),
    ("check-unknown", {}, {}, ["check", "nope"], "unknown architecture 'nope'"),
]
CASES = [c if len(c) == 6 else (*c, []) for c in CASES]


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _write_project(root: Path, params, files: dict) -> None:
    if isinstance(params, dict):
        base = merge(BASE, {"data": {"options": {}}}) if "options" in params.get("data", {}) else BASE
        if "options" in params.get("data", {}):
            base["data"]["options"] = {}
        (root / "params.yaml").write_text(yaml.safe_dump(merge(base, params), sort_keys=False))
    elif isinstance(params, bytes):
        (root / "params.yaml").write_bytes(params)
    elif isinstance(params, str):
        (root / "params.yaml").write_text(params)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


def _prepared(root: Path) -> None:
    """The prepared data of the base params, for cases that fail in the train stage."""
    from seqpipe.stages import prepare

    prepare.main([])
    assert (root / "data" / "prepared" / "spec.json").is_file()


def _run(command: list[str]) -> None:
    if command[0] == "prepare":
        from seqpipe.stages import prepare

        prepare.main(command[1:])
    elif command[0] == "train":
        from seqpipe.stages import train

        train.main(command[1:])
    else:
        from seqpipe.cli import main as cli

        cli.main(command)


@pytest.mark.parametrize(("case", "params", "files", "command", "culprit", "plugins"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_input_is_one_line_and_changes_nothing(case, params, files, command, culprit, plugins,
                                                      tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _write_project(tmp_path, params, files)
    if plugins:
        from seqpipe import registry

        real = registry.build_registry
        fake = lambda **kw: real(**{**kw, "extra_plugins": plugins})  # noqa: E731
        for module in ("seqpipe.config.context", "seqpipe.cli.main"):
            monkeypatch.setattr(f"{module}.build_registry", fake)
    if command[0] in ("train", "predict"):
        _prepared(tmp_path)
        capsys.readouterr()
    before = _snapshot(tmp_path)

    with pytest.raises(SystemExit) as exited:
        _run(command)

    err = capsys.readouterr().err
    assert exited.value.code == 1, err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("seqpipe: warning:")]
    assert len(lines) == 1, err
    assert lines[0].startswith("seqpipe: error: "), err
    assert culprit in lines[0], lines[0]
    assert "Traceback" not in err
    assert _snapshot(tmp_path) == before  # nothing written, nothing changed


def test_there_are_at_least_forty_distinct_bad_inputs():
    assert len({c[0] for c in CASES}) == len(CASES) >= 40


# --- end to end: the same promise through real processes -----------------------------------


def _subprocess(root: Path, *cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=root, env=env(), capture_output=True, text=True)


def test_a_plugin_that_fails_to_import_stops_validate_with_one_line(tmp_path):
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "__init__.py").write_text("")
    (tmp_path / "plugins" / "broken.py").write_text("import not_a_module_anywhere\n")
    for name in ("lstm.py", "adding.py"):
        (tmp_path / "plugins" / name).write_bytes((ROOT / "plugins" / name).read_bytes())
    _write_project(tmp_path, {"architectures": ["lstm", "broken"], "models": {"broken": {}}}, {})
    before = _snapshot(tmp_path)
    done = _subprocess(tmp_path, sys.executable, "-m", "seqpipe.cli", "validate")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("seqpipe: error: ")
    assert "plugin 'broken' is broken" in done.stderr and "not_a_module_anywhere" in done.stderr
    assert "Traceback" not in done.stderr
    assert {k: v for k, v in _snapshot(tmp_path).items() if "__pycache__" not in k} == before


def test_bad_data_through_the_prepare_stage_process(tmp_path):
    _write_project(tmp_path, data(CSV), {"in.csv": _with_x(_long_csv(), "s3,1", "nan")})
    before = _snapshot(tmp_path)
    done = _subprocess(tmp_path, sys.executable, "-m", "seqpipe.stages.prepare")
    assert done.returncode == 1
    assert done.stderr.startswith("seqpipe: error: in.csv: NaN/inf value in sequence 's3'") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
    assert _snapshot(tmp_path) == before

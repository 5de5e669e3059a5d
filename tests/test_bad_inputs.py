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


def _long_csv(n: int = 30, classes: int = 2, label: Callable[[int], object] | None = None,
              x: Callable[[int, int], object] | None = None) -> str:
    """A long CSV of `n` sequences of 8 steps; sequence `sid` is labelled `label(sid)` (default
    sid % classes) and its step `t` holds `x(sid, t)`. Data row 8 * sid + t + 1 is (sid, t)."""
    rows = ["id,time,x,target"]
    for sid in range(n):
        rows += [f"s{sid},{t},{x(sid, t) if x else (sid * 7 + t) % 5 * 0.5},{label(sid) if label else sid % classes}"
                 for t in range(8)]
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


class LaxParams(BaseModel):
    """A plugin's params model without extra="forbid": pydantic alone would drop unknown keys."""

    width: int = 4
    gated: bool = False


def _lax_plugin() -> tuple[str, object]:
    register = hookimpl(lambda register: register(Architecture("lax", _raising_build, LaxParams, description="test")))
    return ("lax_plugin", types.SimpleNamespace(register_architectures=register))


# --- params.yaml as text: what only YAML itself can say -----------------------------------


def _text(old: str = "", new: str = "", extra: str = "") -> str:
    """The base params as YAML text with `old` replaced by `new` (once) and `extra` appended."""
    text = yaml.safe_dump(BASE, sort_keys=False)
    assert old in text
    return (text.replace(old, new, 1) if old else text) + extra


def _line(text: str, needle: str) -> int:
    """The 1-based line of `needle`'s first occurrence in `text`."""
    return text[: text.index(needle)].count("\n") + 1


def _laughs(name: str = "lol", levels: int = 9) -> str:
    """A "billion laughs": anchors each repeating the previous one 9 times (9**9 values if expanded)."""
    lines = [f'{name}0: &{name}0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"{name}{i}: &{name}{i} [{', '.join([f'*{name}{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


BOMB_AS_SEED = "bomb:\n" + "".join(f"  {line}\n" for line in _laughs().splitlines())  # anchors under one key
DEEP = "[" * 100_000 + "]" * 100_000

# DVC files naming paths (written into the case's project): a predict -o onto one of them is refused.
DVC_YAML = "stages:\n  report:\n    matrix:\n      arch: [lstm, cnn]\n    cmd: echo\n    outs:\n      - reports/${item.arch}.csv\n"
DVC_LOCK = "schema: '2.0'\nstages:\n  score:\n    cmd: echo\n    outs:\n    - path: scores/summary.csv\n      md5: 0\n"
PREDICT = ["predict", "--arch", "lstm"]
FAKE_MODEL = {"models/lstm.keras": b"PK not a zip"}


# --- the cases ------------------------------------------------------------------------------
# (id, params update or raw params text, files, command, culprit text, extra plugins)

VALIDATE = ["validate"]
PREPARE = ["prepare"]
TRAIN = ["train", "--arch"]

CASES = [
    # params.yaml: unknown keys, wrong types, out-of-range values, impossible combinations
    ("unknown-top-key", {"trian": {}}, {}, VALIDATE, "trian: unknown key; allowed: architectures"),
    ("unknown-nested-key", {"data": {"splt": {}}}, {}, VALIDATE, "data.splt: unknown key"),
    ("wrong-type", {"train": {"epochs": "ten"}}, {}, VALIDATE, "train.epochs: must be auto or a whole number of epochs from 1 to 10000, got 'ten'"),
    ("out-of-range-lr", {"train": {"learning_rate": 0}}, {}, VALIDATE, "train.learning_rate: input should be greater than 0"),
    ("negative-seed", {"seed": -1}, {}, VALIDATE, "seed: input should be greater than or equal to 0, got -1"),
    ("horizon-zero", {"data": {"window": {"horizon": 0}}}, {}, VALIDATE, "data.window.horizon: input should be greater than or equal to 1, got 0"),
    ("batch-larger-than-train", {"train": {"batch_size": 500}}, {}, VALIDATE, "train.batch_size: 500 is larger than the training split (about 168"),
    ("maxlen-below-receptive-field", {"data": {"maxlen": 4}, "models": {"cnn": {"kernel_size": 3, "num_layers": 3, "dilation_growth": 1}}}, {}, VALIDATE,
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
    # params.yaml read as DVC reads it (ruamel.yaml, YAML 1.2), with limits and strict types
    ("params-duplicate-key", _text(extra="seed: 7\n"), {}, VALIDATE,
     f"params.yaml: seed: duplicate key at line {_text().count(chr(10)) + 1} (first at line 1); "
     "DVC refuses duplicate keys"),
    ("params-duplicate-nested-key", _text("  epochs: 1\n", "  epochs: 1\n  epochs: 2\n"), {}, VALIDATE,
     f"params.yaml: train.epochs: duplicate key at line {_line(_text(), '  epochs: 1') + 1} (first at line {_line(_text(), '  epochs: 1')})"),
    ("params-seed-yes", _text("seed: 42", "seed: yes"), {}, VALIDATE,  # YAML 1.1 read True; DVC reads 'yes'
     "params.yaml: seed: input should be a valid integer, got 'yes' (a string)"),
    ("params-alias-bomb-as-seed", _text("seed: 42", BOMB_AS_SEED + "seed: *lol8"), {}, VALIDATE,
     "params.yaml: bomb.lol5.0: more than 100,000 values by line 7 (an alias counts as everything it repeats)"),
    ("params-alias-bomb-as-hyperparameter", _text("  lstm:\n    units: 4\n", "  lstm:\n" + "".join(f"    {line}\n" for line in _laughs().splitlines())), {},
     VALIDATE, f"models.lstm.lol5.0: more than 100,000 values by line {_line(_text(), '  lstm:') + 6}"),
    ("params-deep-nesting", _text("seed: 42", "seed: " + DEEP), {}, VALIDATE,
     "nested deeper than 64 levels at line 1; at most 64 levels are allowed"),
    ("params-huge-integer", _text("seed: 42", "seed: " + "9" * 5000), {}, VALIDATE, "params.yaml: not valid YAML: Exceeds the limit"),
    ("epochs-true", {"train": {"epochs": True}}, {}, VALIDATE,  # lax pydantic trained 1 epoch
     "params.yaml: train.epochs: input should be one of 'auto' or a valid integer, got True (a boolean)"),
    ("learning-rate-true", {"train": {"learning_rate": True}}, {}, VALIDATE,
     "train.learning_rate: input should be a valid number, got True (a boolean)"),
    ("epochs-float", {"train": {"epochs": 3.0}}, {}, VALIDATE, "train.epochs: input should be one of 'auto' or a valid integer, got 3.0 (a float)"),
    ("seed-quoted-number", {"seed": "7"}, {}, VALIDATE, "seed: input should be a valid integer, got '7' (a string)"),
    ("scale-one", {"data": {"scale": 1}}, {}, VALIDATE,
     "data.scale: input should be a valid boolean (true or false), got 1 (an integer)"),
    ("scale-yes", {"data": {"scale": "yes"}}, {}, VALIDATE, "data.scale: input should be a valid boolean (true or false), got 'yes'"),
    ("jit-compile-one", {"train": {"jit_compile": 1}}, {}, VALIDATE, "train.jit_compile: input should be one of 'auto', True, False, got 1"),
    ("hyperparameter-boolean", {"models": {"lstm": {"units": True}}}, {}, VALIDATE,
     "models.lstm.units: input should be a valid integer, got True (a boolean)"),
    ("hyperparameter-quoted-number", {"models": {"lstm": {"dropout": "0.1"}}}, {}, VALIDATE,
     "models.lstm.dropout: input should be a valid number, got '0.1' (a string)"),
    ("lax-plugin-unknown-key", {"architectures": ["lax"], "models": {"lax": {"widht": 8}}}, {}, VALIDATE,
     "models.lax.widht: unknown key; allowed: gated, width", [_lax_plugin()]),
    ("lax-plugin-number-as-boolean", {"architectures": ["lax"], "models": {"lax": {"gated": 1}}}, {}, VALIDATE,
     "models.lax.gated: input should be a valid boolean (true or false), got 1 (an integer)", [_lax_plugin()]),
    ("long-value-truncated", {"data": {"padding": "p" * 1_000_000}}, {}, VALIDATE,
     "data.padding: input should be 'pre' or 'post', got '" + "p" * 56 + "..."),
    ("long-key-truncated", {"x" * 1_000_000: 1}, {}, VALIDATE, "params.yaml: " + "x" * 57 + "...: unknown key; allowed: architectures"),
    ("long-list-summarised", {"seed": list(range(50_000))}, {}, VALIDATE, "seed: input should be a valid integer, got a list of 50000 items"),
    # data files
    ("csv-missing", data(CSV), {}, PREPARE, "in.csv: file not found"),
    ("csv-is-a-directory", data(CSV), {"in.csv/x": b""}, PREPARE, "in.csv: is a directory, not a data file"),
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
     {"in.csv": "id,label,t0,t1,t2,t3\n" + "".join(f"r{i % 19},{i % 2},{i},1,2,3\n" for i in range(24))}, PREPARE,
     "in.csv: data row 20: duplicate id 'r0'"),
    ("parquet-corrupt", data(PARQUET), {"in.parquet": b"PAR1 this is not parquet"}, PREPARE, "in.parquet: cannot read as parquet"),
    ("parquet-empty", data(PARQUET), {"in.parquet": _parquet(pd.DataFrame({"id": [], "time": [], "x": [], "target": []}))}, PREPARE,
     "in.parquet: no rows"),
    ("npz-not-a-zip", data(NPZ), {"in.npz": b"plain text"}, PREPARE, "in.npz: cannot read as npz"),
    ("npz-ragged", data(NPZ), {"in.npz": _npz(X=np.array([np.ones(3), np.ones(2)], dtype=object), y=np.array([0, 1]))}, PREPARE,
     "in.npz"),
    ("npz-missing-y", data(NPZ), {"in.npz": _npz(X=GOOD_X)}, PREPARE, "in.npz"),
    ("npz-length-mismatch", data(NPZ), {"in.npz": _npz(X=GOOD_X, y=GOOD_Y[:5])}, PREPARE, "in.npz"),
    ("npz-strings", data(NPZ), {"in.npz": _npz(X=np.array([["a", "b"]] * 20), y=GOOD_Y)}, PREPARE, "in.npz"),
    ("text-empty-row", data(TEXT), {"in.csv": "text,label\n" + "good day,1\nbad day,0\n" * 10 + ",1\n"}, PREPARE, "in.csv: data row 21: empty text in column 'text'"),
    # --- data values and data files (issue 16)
    ("pad-value-nan", _text("pad_value: 0.0", "pad_value: .nan"), {}, VALIDATE,
     "params.yaml: data.pad_value: must be a finite number within +-3.4e+38 (the prepared arrays are float32), got nan"),
    ("pad-value-beyond-float32", {"data": {"pad_value": 1e39}}, {}, PREPARE, "data.pad_value: must be a finite number"),
    ("fill-value-inf", _text("fill_value: 0.0", "fill_value: .inf"), {}, PREPARE,
     "params.yaml: data.fill_value: must be a finite number within +-3.4e+38"),
    ("csv-value-beyond-float32", data(CSV), {"in.csv": _with_x(_long_csv(), "s3,1", "1e39")}, PREPARE,
     "in.csv: column 'x', data row 26: 1e+39 is beyond float32 range (+-3.4e+38), the type of the prepared arrays; "
     "rescale the data"),
    ("csv-target-beyond-float32", data(CSV_REGRESSION), {"in.csv": _long_csv(label=lambda sid: "1e300" if sid == 2 else sid)},
     PREPARE, "in.csv: target column 'target', data row 24: 1e+300 is beyond float32 range"),
    # data.znorm: false, or auto would z-normalise each series first and nothing would overflow
    ("csv-scaling-overflows", data({**CSV, "znorm": False}), {"in.csv": _long_csv(x=lambda sid, t: "3.3e38" if (sid, t) == (4, 2) else "-3.3e38")},
     PREPARE, "standardising it (data.scale: true) overflowed float32; rescale the data"),
    ("npz-no-features", data(NPZ), {"in.npz": _npz(X=np.zeros((30, 6, 0)), y=np.arange(30) % 2)}, PREPARE,
     "in.npz: array 'X' has shape (30, 6, 0): no features; each sequence needs at least one step of at least one feature"),
    ("npz-complex", data(NPZ), {"in.npz": _npz(X=GOOD_X + 1j, y=GOOD_Y)}, PREPARE,
     "in.npz: array 'X' holds complex numbers (dtype complex64); store real numbers"),
    ("npz-beyond-float32", data(NPZ), {"in.npz": _npz(X=np.where(np.arange(120).reshape(20, 6, 1) == 19, 1e39, 1.0), y=GOOD_Y)},
     PREPARE, "in.npz: array 'X' at [3, 1, 0]: 1e+39 is beyond float32 range"),
    ("csv-empty-id", data(CSV), {"in.csv": _long_csv() + ",0,0.5,1\n"}, PREPARE,
     "in.csv: data row 241: empty id in column 'id'; every row needs the id of its sequence"),
    ("csv-empty-time", data(CSV), {"in.csv": _long_csv().replace("s5,3,", "s5,,")}, PREPARE,
     "in.csv: data row 44: empty time in column 'time'"),
    ("csv-missing-label-row", data(CSV), {"in.csv": _long_csv(label=lambda sid: "" if sid == 3 else sid % 2)}, PREPARE,
     "in.csv: data row 32: missing label in column 'target'"),
    ("wide-missing-label-row", data({**CSV, "options": {"format": "wide", "task": "classification", "target_column": "label"}}),
     {"in.csv": "id,label,t0,t1\n" + "".join(f"r{i},{'' if i == 30 else i % 2},{i},1\n" for i in range(40))}, PREPARE,
     "in.csv: data row 31: missing label in column 'label'"),
    ("csv-class-of-one", data(CSV), {"in.csv": _long_csv(label=lambda sid: "rare" if sid == 7 else "common")}, PREPARE,
     "in.csv: cannot split 30 sequences into train/val/test (data.split.test 0.15, data.split.val 0.15): class 'rare' "
     "has 1 sequence (class counts 'common': 29, 'rare': 1); a stratified split needs at least 3 of each class"),
    ("csv-test-split-below-classes", data(CSV), {"in.csv": _long_csv(n=16, classes=4)}, PREPARE,
     "in.csv: cannot split 16 sequences into train/val/test (data.split.test 0.15, data.split.val 0.15): data.split.test "
     "0.15 of 16 sequences is 3, fewer than the 4 classes (class counts '0': 4, '1': 4, '2': 4, '3': 4); raise "
     "data.split.test to at least 0.25 or add data"),
    ("predict-input-nan", {}, {**FAKE_MODEL, "new.npy": _npy(np.where(np.arange(60).reshape(5, 6, 2) == 15, np.nan, 0.5))},
     PREDICT + ["--input", "new.npy"], "new.npy: sequence 1, step 1, feature 1: NaN/inf value; the model needs finite numbers"),
    ("predict-input-beyond-float32", {}, {**FAKE_MODEL, "new.npy": _npy(np.full((2, 6, 2), 1e39))},
     PREDICT + ["--input", "new.npy"], "new.npy: sequence 0, step 0, feature 0: 1e+39 is beyond float32 range"),
    ("predict-input-empty", {}, {**FAKE_MODEL, "new.npy": _npy(np.zeros((0, 6, 2)))}, PREDICT + ["--input", "new.npy"],
     "new.npy: no sequences to predict; give at least one"),
    ("predict-input-wrong-features", {}, {**FAKE_MODEL, "new.npy": _npy(np.zeros((3, 6, 5)))}, PREDICT + ["--input", "new.npy"],
     "new.npy: inputs have [5] features per step; the model was trained on 2"),
    ("predict-input-a-directory", {}, {**FAKE_MODEL, "new.npy/x": b""}, PREDICT + ["--input", "new.npy"],
     "new.npy: is a directory, not a data file (set --input to your data file)"),
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
    # predict never replaces what the user owns (the output check runs before any model is loaded)
    ("predict-output-a-directory", {}, FAKE_MODEL, PREDICT + ["-o", "models"],
     "models: --output is an existing directory; name a file to write (for example inference/lstm.test.csv)"),
    ("predict-output-a-directory-forced", {}, FAKE_MODEL, PREDICT + ["-o", "models", "--force"],
     "--force never replaces a directory"),
    ("predict-output-the-params", {}, FAKE_MODEL, PREDICT + ["-o", "params.yaml"],
     "params.yaml: --output would overwrite the params file; name a new file (for example inference/lstm.test.csv), or add --force"),
    ("predict-output-the-params-via-dot", {}, FAKE_MODEL, PREDICT + ["-o", "./data/../params.yaml"], "would overwrite the params file"),
    ("predict-output-the-input", {}, {**FAKE_MODEL, "new.npy": _npy(GOOD_X[:, :, 0])}, PREDICT + ["--input", "new.npy", "-o", "new.npy"],
     "new.npy: --output would overwrite the input file; name a new file (for example inference/lstm.new.csv)"),
    ("predict-output-the-model", {}, FAKE_MODEL, PREDICT + ["-o", "models/lstm.keras"], "would overwrite the model"),
    ("predict-output-a-dvc-yaml-out", {}, {**FAKE_MODEL, "dvc.yaml": DVC_YAML}, PREDICT + ["-o", "reports/cnn.csv"],
     "reports/cnn.csv: --output would overwrite a path DVC tracks (dvc.yaml: stage report: reports/${item.arch}.csv)"),
    ("predict-output-a-dvc-lock-out", {}, {**FAKE_MODEL, "dvc.lock": DVC_LOCK}, PREDICT + ["-o", "scores/summary.csv"],
     "a path DVC tracks (dvc.lock: stage score: scores/summary.csv)"),
    ("predict-output-a-prepared-file", {}, {**FAKE_MODEL, "dvc.yaml": DVC_YAML.replace("reports/${item.arch}.csv", "data/prepared")},
     PREDICT + ["-o", "data/prepared/X_test.npy"], "a path DVC tracks (dvc.yaml: stage report: data/prepared)"),
    ("predict-output-a-dot-dvc-file", {}, {**FAKE_MODEL, "raw.csv": "a\n1\n", "raw.csv.dvc": "outs:\n- path: raw.csv\n"},
     PREDICT + ["-o", "raw.csv"], "raw.csv: --output would overwrite a path tracked by DVC (raw.csv.dvc)"),
    ("predict-output-in-a-dvc-tracked-folder", {}, {**FAKE_MODEL, "images/a.csv": "a\n", "images.dvc": "outs:\n- path: images\n"},
     PREDICT + ["-o", "images/a.csv"], "a path tracked by DVC (images.dvc)"),
    ("predict-force-passes-the-check", {}, {**FAKE_MODEL, "dvc.lock": DVC_LOCK}, PREDICT + ["-o", "scores/summary.csv", "--force"],
     "models/lstm.keras: cannot load as a Keras model"),  # the check let it through; the fake model stops it
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
    for name in ("lstm.py", "_recurrent.py", "adding.py"):  # lstm.py imports its private helper
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


def test_predict_refuses_a_git_tracked_output_through_the_process(tmp_path):
    """A user's notes, committed to git, named as the CSV by mistake: refused, nothing touched."""
    _write_project(tmp_path, {}, {"notes.csv": "my,own\nwork,here\n"})
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "notes.csv"], cwd=tmp_path, check=True)
    before = _snapshot(tmp_path)
    done = _subprocess(tmp_path, sys.executable, "-m", "seqpipe.cli", "predict", "--arch", "lstm", "-o", "notes.csv")
    assert done.returncode == 1, done.stderr
    assert done.stderr == ("seqpipe: error: notes.csv: --output would overwrite a file tracked by git; name a new file "
                           "(for example inference/lstm.test.csv), or add --force\n")
    assert {k: v for k, v in _snapshot(tmp_path).items() if not k.startswith(".git/")} == \
        {k: v for k, v in before.items() if not k.startswith(".git/")}


def test_predict_into_the_models_folder_is_one_line_and_keeps_the_folder(tmp_path):
    """`-o models` once deleted models/ and wrote a CSV in its place."""
    _write_project(tmp_path, {}, {"models/lstm.keras": b"a trained model", "models/lstm.fit.json": "{}"})
    before = _snapshot(tmp_path)
    done = _subprocess(tmp_path, sys.executable, "-m", "seqpipe.cli", "predict", "--arch", "lstm", "-o", "models", "--force")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("seqpipe: error: models: --output is an existing directory")
    assert _snapshot(tmp_path) == before


def test_an_alias_bomb_through_the_validate_process_is_one_line_and_quick(tmp_path):
    import time

    _write_project(tmp_path, _text("seed: 42", BOMB_AS_SEED + "seed: *lol8"), {})
    start = time.perf_counter()
    done = _subprocess(tmp_path, sys.executable, "-m", "seqpipe.cli", "validate")
    assert done.returncode == 1 and time.perf_counter() - start < 30
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("seqpipe: error: params.yaml: bomb.")
    assert "at most 100,000 are allowed" in done.stderr


def test_error_lines_stay_short_however_long_the_value():
    from seqpipe.config import params as params_mod
    from seqpipe.errors import ParamsError

    for raw in ({"seed": "s" * 10**6}, {"seed": {"k" * 10**6: 1}}, {"s" * 10**6: 1}, {"seed": 10**5000}):
        with pytest.raises(ParamsError) as err:
            params_mod.validate(params_mod.Params, {**BASE, **raw})
        assert len(str(err.value)) < 300, str(err.value)[:400]


# --- YAML 1.2, as DVC reads params.yaml -------------------------------------------------------

YAML_12 = "seed: 010\narchitectures: [lstm]\ndata: {source: adding, options: {n_samples: 0o20}}\nmodels: {lstm: {}}\nx: yes\ny: on\nz: 1_000\n"


def test_params_are_read_as_dvc_reads_them(tmp_path):
    from dvc.utils.serialize import parse_yaml

    from seqpipe.config import params as params_mod

    (tmp_path / "params.yaml").write_text(YAML_12)
    ours = params_mod.read_yaml(tmp_path / "params.yaml")
    assert ours == parse_yaml(YAML_12, "params.yaml")
    assert ours["seed"] == 10 and ours["data"]["options"]["n_samples"] == 16 and ours["x"] == "yes" and ours["y"] == "on"


def test_a_duplicate_key_dvc_refuses_is_refused_too(tmp_path):
    from dvc.utils.serialize import YAMLError, parse_yaml

    from seqpipe.config import params as params_mod
    from seqpipe.errors import ParamsError

    text = "seed: 1\narchitectures: [lstm]\nseed: 2\n"
    with pytest.raises(YAMLError):
        parse_yaml(text, "params.yaml")
    (tmp_path / "params.yaml").write_text(text)
    with pytest.raises(ParamsError, match=r"params.yaml: seed: duplicate key at line 3 \(first at line 1\)"):
        params_mod.read_yaml(tmp_path / "params.yaml")


def test_dvc_set_param_writes_values_the_strict_schema_accepts(tmp_path):
    """`dvc exp run -S seed=3 -S train.jit_compile=True` (DVC's own override code) stays valid."""
    from dvc.utils.hydra import apply_overrides

    from seqpipe.config import params as params_mod

    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(BASE, sort_keys=False))
    apply_overrides(path, ["seed=3", "train.jit_compile=True", "train.learning_rate=1", "models.lstm.units=8"])
    params = params_mod.load(path)
    assert (params.seed, params.train.jit_compile, params.train.learning_rate) == (3, True, 1.0)
    assert params_mod.read_yaml(path)["models"]["lstm"]["units"] == 8


# --- data values and data files (issue 16): what a CASES row cannot set up ---------------------


def test_a_fifo_is_named_as_not_a_regular_file_without_blocking(tmp_path):
    import os

    from seqpipe.errors import DataError
    from seqpipe.tables import read_table

    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match=r"in.csv: is not a regular file \(a FIFO, socket or device\)"):
        read_table(fifo, "csv")  # a plain open() would wait for a writer forever


def test_an_unreadable_file_is_named_as_unreadable(tmp_path, monkeypatch):
    import os

    from seqpipe.errors import DataError
    from seqpipe.tables import check_file

    path = tmp_path / "in.csv"
    path.write_text("id,time,x,target\n")
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(path) else real(p, mode))  # root reads all
    with pytest.raises(DataError, match="in.csv: cannot be read: permission denied"):
        check_file(path)


@pytest.mark.parametrize(("times", "expected"), [
    ([f"t{i}" for i in (11, 2, 0, 10, 1)], ["t0", "t1", "t2", "t10", "t11"]),  # natural order, not t10 < t2
    (["step 10", "step 9", "step 1"], ["step 1", "step 9", "step 10"]),
    (["2024-01-10", "2023-12-31", "2024-01-02"], ["2023-12-31", "2024-01-02", "2024-01-10"]),
    (["01/10/2024", "12/31/2023", "02/01/2024"], ["12/31/2023", "01/10/2024", "02/01/2024"]),  # as dates, month first
    ([10, 9, 100], [9, 10, 100]),
])
def test_times_order_as_times_not_as_text(times, expected):
    from seqpipe.tables import from_long

    df = pd.DataFrame({"id": ["a"] * len(times), "time": times, "x": np.arange(len(times), dtype=float),
                       "target": [1.0] * len(times)})  # x: each row's place in the file
    raw = from_long(df, origin="in.csv", task="regression", id_column="id", time_column="time", feature_columns=["x"],
                    target_column="target", labelled=True)
    order = [df["time"].tolist().index(t) for t in expected]
    assert raw.sequences[0][:, 0].tolist() == df["x"].to_numpy(np.float32)[order].tolist()


def test_a_sequence_ordered_by_text_times_is_read_in_time_order(tmp_path):
    """t0..t11 as text: t10 and t11 once landed between t1 and t2."""
    from seqpipe.tables import TableOptions, from_table, read_table

    rows = "id,time,x,target\n" + "".join(f"a,t{t},{t},1\n" for t in range(12))
    (tmp_path / "in.csv").write_text(rows)
    raw = from_table(read_table(tmp_path / "in.csv", "csv"), TableOptions(path="in.csv"), labelled=True)
    assert raw.sequences[0][:, 0].tolist() == list(range(12))


def test_prepare_checks_pad_and_fill_values_given_directly():
    from seqpipe.data.shaping import prepare
    from seqpipe.errors import DataError

    raw = RawData(np.ones((20, 4, 1), np.float32), np.arange(20) % 2, "binary", "numeric")
    for kwargs, key in (({"pad_value": float("nan")}, "data.pad_value"), ({"fill_value": 1e39}, "data.fill_value")):
        with pytest.raises(DataError, match=f"{key}: .* is not a finite float32 number"):
            prepare(raw, val=0.2, test=0.2, seed=0, **kwargs)


def test_a_plugins_float64_values_beyond_float32_are_named_not_called_inf():
    from seqpipe.data.shaping import prepare
    from seqpipe.errors import DataError

    x = np.ones((20, 4, 1))
    x[5, 2, 0] = 1e39
    raw = RawData(list(x), np.arange(20) % 2, "binary", "numeric", origin="mine.bin", ids=[f"q{i}" for i in range(20)])
    with pytest.raises(DataError, match=r"mine.bin: sequence 'q5', step 2, feature 0: 1e\+39 is beyond float32 range"):
        prepare(raw, val=0.2, test=0.2, seed=0, nan_policy="fill")


def test_a_forecast_that_overflows_when_scaled_is_refused():
    from seqpipe.config.params import WindowParams
    from seqpipe.data.shaping import prepare
    from seqpipe.errors import DataError

    series = np.full((60, 1), -3.3e38, np.float32)
    series[-5] = 3.3e38  # in the test range, beyond what the train statistics can standardise
    raw = RawData([series], np.zeros(0, np.float32), "forecast", "numeric", origin="in.csv", ids=["a"])
    with pytest.raises(DataError, match=r"in.csv: a window of sequence 'a' \(X_test row \d+\): standardising it"):
        # data.scale standardises forecast inputs only without per-window normalisation
        prepare(raw, val=0.2, test=0.2, seed=0, window=WindowParams(lookback=8, normalize="none"))


# --- processes, plugins and writes (issue 16) -------------------------------------------------


def _one_error_line(done: subprocess.CompletedProcess, culprit: str) -> None:
    """Exit code 1 and nothing on stderr but `seqpipe: error: ...culprit...`."""
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("seqpipe: error: "), done.stderr
    assert culprit in done.stderr, done.stderr


def test_a_train_refusal_after_tensorflow_loads_is_the_only_line_on_stderr(tmp_path):
    # No prepared data: train refuses after its TensorFlow set-up, where TensorFlow's C++ start-up
    # chatter (absl's pre-init warning, the oneDNN notice, twice) used to come first.
    _write_project(tmp_path, {}, {})
    done = _subprocess(tmp_path, sys.executable, "-m", "seqpipe.stages.train", "--arch", "lstm")
    _one_error_line(done, "data/prepared/spec.json: not found")


def test_a_predict_refusal_after_keras_loads_is_the_only_line_on_stderr(tmp_path):
    _write_project(tmp_path, {}, {"models/lstm.keras": b"not a zip"})
    assert _subprocess(tmp_path, sys.executable, "-m", "seqpipe.stages.prepare").returncode == 0
    done = _subprocess(tmp_path, sys.executable, "-m", "seqpipe.cli", "predict", "--arch", "lstm")
    _one_error_line(done, "models/lstm.keras: cannot load as a Keras model")


def test_startup_chatter_is_dropped_below_the_log_level_and_real_errors_are_kept():
    from seqpipe.process import drop_startup_chatter

    text = ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
            "I0000 00:00:1796173793.565259    2319 port.cc:153] oneDNN custom operations are on.\n"
            "E0000 00:00:1796173793.565259    2319 cuda.cc:1] no GPU\nImportError: real problem\n")
    assert drop_startup_chatter(text, 3) == "ImportError: real problem\n"
    assert drop_startup_chatter(text, 2).splitlines()[0].startswith("E0000")


def test_a_stage_usage_mistake_is_one_house_line_with_what_is_allowed(tmp_path):
    _write_project(tmp_path, {}, {})
    done = _subprocess(tmp_path, sys.executable, "-m", "seqpipe.stages.train")
    _one_error_line(done, "the following arguments are required: --arch; usage: python -m seqpipe.stages.train")
    done = _subprocess(tmp_path, sys.executable, "-m", "seqpipe.stages.prepare", "--frob")
    _one_error_line(done, "unrecognized arguments: --frob; usage: python -m seqpipe.stages.prepare")


@pytest.mark.parametrize(("argv", "culprit"), [
    (["frob"], "argument command: invalid choice: 'frob' (choose from 'list', 'validate'"),
    (["predict", "--arch", "lstm", "--split", "nope"], "choose from 'train', 'val', 'test'); usage: seqpipe predict"),
])
def test_a_seqpipe_usage_mistake_is_one_house_line(argv, culprit, capsys):
    from seqpipe.cli import main as cli

    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exited.value.code == 1 and err.count("\n") == 1 and err.startswith("seqpipe: error: "), err
    assert culprit in err, err


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_params_naming_a_directory_or_a_fifo_says_so(kind, tmp_path, monkeypatch, capsys):
    import os

    from seqpipe.cli import main as cli

    monkeypatch.chdir(tmp_path)
    target = tmp_path / "params.d"
    target.mkdir() if kind == "directory" else os.mkfifo(target)
    with pytest.raises(SystemExit):
        cli.main(["validate", "--params", str(target)])  # a FIFO must not be opened: it would block
    err = capsys.readouterr().err
    expected = "is a directory" if kind == "directory" else "is not a regular file (a FIFO"
    assert err.startswith(f"seqpipe: error: {target}: {expected}") and err.count("\n") == 1, err


def _project_plugin(root: Path, name: str, code: str) -> None:
    (root / "plugins").mkdir(exist_ok=True)
    (root / "plugins" / "__init__.py").write_text("")
    (root / "plugins" / f"{name}.py").write_text(code)


NOISY = '''print("hello from noisy")
from pydantic import BaseModel
from seqpipe import Architecture, hookimpl

class P(BaseModel):
    pass

@hookimpl
def register_architectures(register):
    print("registering noisy")
    register(Architecture("noisy", lambda spec, hp: None, P, description="prints"))
'''


def test_a_plugin_printing_on_import_does_not_break_json_output(tmp_path):
    _project_plugin(tmp_path, "noisy", NOISY)
    listed = _subprocess(tmp_path, sys.executable, "-m", "seqpipe.cli", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "noisy" in {a["name"] for a in __import__("json").loads(listed.stdout)["architectures"]}
    assert "seqpipe: plugin 'noisy' printed: hello from noisy" in listed.stderr
    assert "seqpipe: plugin 'noisy' printed: registering noisy" in listed.stderr
    shown = _subprocess(tmp_path, sys.executable, "-m", "seqpipe.cli", "show", "noisy", "--json")
    assert __import__("json").loads(shown.stdout)["name"] == "noisy", shown.stdout


def test_a_plugin_that_blocks_on_import_stops_validate_with_one_line(tmp_path):
    import os
    import time

    _project_plugin(tmp_path, "stuck", "import time\ntime.sleep(3600)\n")
    for name in ("lstm.py", "_recurrent.py", "adding.py"):
        (tmp_path / "plugins" / name).write_bytes((ROOT / "plugins" / name).read_bytes())
    _write_project(tmp_path, {"architectures": ["lstm", "stuck"], "models": {"stuck": {}}}, {})
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "seqpipe.cli", "validate"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={**env(), "SEQPIPE_PLUGIN_IMPORT_TIMEOUT": "2"})
    assert time.perf_counter() - start < 60
    _one_error_line(done, "plugin 'stuck' is broken: import did not finish within 2 s")
    assert "SEQPIPE_PLUGIN_IMPORT_TIMEOUT" in done.stderr
    assert os.environ.get("SEQPIPE_PLUGIN_IMPORT_TIMEOUT") is None


def _validate_with(plugins: list, params: dict, tmp_path: Path, monkeypatch, capsys) -> str:
    from seqpipe import registry
    from seqpipe.cli import main as cli

    monkeypatch.chdir(tmp_path)
    _write_project(tmp_path, params, {})
    real = registry.build_registry
    monkeypatch.setattr("seqpipe.cli.main.build_registry", lambda **kw: real(**{**kw, "extra_plugins": plugins}))
    with pytest.raises(SystemExit) as exited:
        cli.main(["validate"])
    err = capsys.readouterr().err
    assert exited.value.code == 1 and err.count("\n") == 1, err
    return err


def test_validate_refuses_an_architecture_that_cannot_serve_the_datasets_task(tmp_path, monkeypatch, capsys):
    register = hookimpl(lambda register: register(
        Architecture("binonly", _raising_build, NoParams, description="test", tasks=("binary",))))
    err = _validate_with([("binonly_plugin", types.SimpleNamespace(register_architectures=register))],
                         {"architectures": ["binonly"], "models": {"binonly": {}}}, tmp_path, monkeypatch, capsys)
    assert "architectures: 'binonly' supports tasks binary, but data.source 'adding'" in err
    assert "gives regression" in err


def test_validate_checks_min_timesteps_against_a_sources_declared_length(tmp_path, monkeypatch, capsys):
    class Steps(BaseModel):
        model_config = ConfigDict(extra="forbid")
        timesteps: int = 4

    def load(options, seed):
        raise AssertionError("validate reads no data")

    register = hookimpl(lambda register: register(
        Dataset("short", load, Steps, description="test", tasks=("regression",),
                timesteps_for=lambda options: options.timesteps)))
    params = {"architectures": ["cnn"], "models": {"cnn": {"kernel_size": 3, "num_layers": 3, "dilation_growth": 1}},
              "data": {"source": "short", "options": {"timesteps": 4}, "maxlen": None}}
    err = _validate_with([("short_plugin", types.SimpleNamespace(register_datasets=register))], params,
                         tmp_path, monkeypatch, capsys)
    assert "data.maxlen (null: the 4 steps of data.source 'short'): 4 steps are fewer than the 7" in err


def _disk_full(*args, **kwargs):
    import errno

    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_saving_the_model_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    from seqpipe.stages import train

    monkeypatch.chdir(tmp_path)
    _write_project(tmp_path, {"architectures": ["lstm"]}, {})
    _prepared(tmp_path)
    capsys.readouterr()
    monkeypatch.setattr("seqpipe.training.resilience.normalise_keras_archive", _disk_full)
    with pytest.raises(SystemExit) as exited:
        train.main(["--arch", "lstm"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert exited.value.code == 1
    assert err == ["seqpipe: error: models/lstm.keras: cannot write: No space left on device; free some disk "
                   "space, then rerun; nothing partial was kept"], err
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert not [p for p in left if p.startswith(("models", "dvclive", "environment"))], left


def test_a_permission_error_in_an_atomic_write_names_the_real_path(tmp_path):
    from seqpipe import atomic
    from seqpipe.errors import OutputError

    with (pytest.raises(OutputError, match=r"/out/sources/lstm.json: cannot write: Permission denied"),
          atomic.atomic_path(tmp_path / "out" / "sources") as tmp):
        tmp.mkdir(parents=True)
        raise PermissionError(13, "Permission denied", str(tmp / "lstm.json"))
    assert not (tmp_path / "out" / "sources").exists()


def _edit_params(update: dict) -> None:
    path = Path("params.yaml")
    path.write_text(yaml.safe_dump(merge(yaml.safe_load(path.read_text()), update), sort_keys=False))


def test_params_edited_while_train_runs_are_refused_and_no_output_is_kept(tmp_path, monkeypatch, capsys):
    from seqpipe.stages import train

    monkeypatch.chdir(tmp_path)
    _write_project(tmp_path, {"architectures": ["lstm"]}, {})
    _prepared(tmp_path)
    capsys.readouterr()
    real = train.train_seeds

    def edited_meanwhile(*args, **kwargs):
        summaries = real(*args, **kwargs)
        _edit_params({"models": {"lstm": {"units": 5}}})  # as a user would, while the model trains
        return summaries

    monkeypatch.setattr(train, "train_seeds", edited_meanwhile)
    with pytest.raises(SystemExit) as exited:
        train.main(["--arch", "lstm"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert exited.value.code == 1
    assert err == ["seqpipe: error: params.yaml: changed during the run (models.lstm); this run used the values it "
                   "started with, so its outputs were not kept; rerun `dvc repro`"], err
    assert not (tmp_path / "models" / "lstm.keras").exists() and not (tmp_path / "dvclive" / "lstm").exists()


@pytest.mark.parametrize(("edit", "refused"), [({"data": {"scale": False}}, True), ({"train": {"epochs": 3}}, False)])
def test_prepare_refuses_only_edits_of_the_params_it_tracks(edit, refused, tmp_path, monkeypatch, capsys):
    from seqpipe.stages import prepare

    monkeypatch.chdir(tmp_path)
    _write_project(tmp_path, {}, {})
    real = prepare.save
    monkeypatch.setattr(prepare, "save", lambda *a, **kw: (real(*a, **kw), _edit_params(edit)))
    if refused:
        with pytest.raises(SystemExit):
            prepare.main([])
        assert "seqpipe: error: params.yaml: changed during the run (data)" in capsys.readouterr().err
    else:
        prepare.main([])
    assert (tmp_path / "data" / "prepared").exists() is not refused


def test_the_params_each_stage_checks_are_those_dvc_yaml_tracks():
    from seqpipe.config.tracked import STAGE_PARAMS

    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    from_dvc = {name: tuple(p.replace("${item.arch}", "{arch}") for p in stage.get("params", []) if isinstance(p, str))
                for name, stage in stages.items() if any(isinstance(p, str) for p in stage.get("params", []))}
    assert from_dvc == STAGE_PARAMS


def test_warnings_before_a_refusal_are_dropped_and_shown_when_the_command_succeeds(tmp_path):
    # A real process: pytest would catch the warnings itself and hide what a user sees on stderr.
    script = (
        "import sys, warnings\n"
        "from seqpipe.errors import DataError, user_errors_exit\n"
        "@user_errors_exit\n"
        "def command(fail):\n"
        "    warnings.warn(\"a library's deprecation notice\", UserWarning, stacklevel=1)\n"
        "    if fail:\n"
        "        raise DataError('in.csv: data row 3: bad value; use numbers')\n"
        "command(sys.argv[1] == 'fail')\n"
    )
    refused = _subprocess(tmp_path, sys.executable, "-c", script, "fail")
    assert refused.returncode == 1
    assert refused.stderr == "seqpipe: error: in.csv: data row 3: bad value; use numbers\n"
    done = _subprocess(tmp_path, sys.executable, "-c", script, "ok")
    assert done.returncode == 0 and "UserWarning: a library's deprecation notice" in done.stderr

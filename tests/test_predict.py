"""`seqpipe predict` reuses prepare's padding and scaling, so inference matches training exactly."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline import data, predict
from pipeline.registry import build_registry
from tests.conftest import ROOT, env

REGISTRY = build_registry()


def _raw(name: str, **options):
    ds = REGISTRY.dataset(name)
    return ds.load(ds.params(**options), 0)


@pytest.mark.parametrize(
    ("name", "options", "maxlen", "padding"),
    [
        ("adding", {"n_samples": 60, "timesteps": 9}, None, "pre"),      # numeric, scaled
        ("tokens", {"n_samples": 90, "n_classes": 3, "max_length": 14}, None, "post"),  # variable length
        ("tokens", {"n_samples": 90, "n_classes": 2, "max_length": 14}, 6, "pre"),      # truncated
    ],
)
def test_preprocess_reproduces_the_prepared_test_split(name, options, maxlen, padding):
    raw = _raw(name, **options)
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=3, maxlen=maxlen, padding=padding, truncating=padding)
    test_idx = data.split_indices(np.asarray(raw.targets), raw.task, 0.2, 0.2, 3)["test"]
    sequences = [raw.sequences[i] for i in test_idx] if isinstance(raw.sequences, list) else raw.sequences[test_idx]
    x = predict.preprocess(sequences, prepared.spec)
    assert x.dtype == prepared.arrays["X_test"].dtype
    np.testing.assert_allclose(x, prepared.arrays["X_test"], rtol=1e-6, atol=1e-6)


def _seqpipe(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=cwd, env=env(), capture_output=True, text=True)


@pytest.fixture
def trained(tmp_path):
    """A project directory with params.yaml, data/prepared and a one-epoch models/lstm.keras."""
    from pipeline.experiment import choose_architecture
    from pipeline.model import build_model
    from pipeline.params import load
    from pipeline.training import fit, seed_everything

    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params.update(architectures=["lstm"], train={**params["train"], "epochs": 1, "patience": 0, "batch_size": 16})
    params["data"]["options"] = {"n_samples": 80, "timesteps": 8}
    params["models"]["lstm"] = {"units": 3}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    raw = _raw("adding", n_samples=80, timesteps=8)
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=42)
    data.save(prepared, tmp_path / "data" / "prepared")
    p = load(tmp_path / "params.yaml")
    seed_everything(0)
    model = build_model(choose_architecture(p, REGISTRY, "lstm"), prepared.spec, p.train)
    fit(model, prepared.xy("train"), prepared.xy("val"), p.train, verbose=0)
    (tmp_path / "models").mkdir()
    model.save(tmp_path / "models" / "lstm.keras")
    return tmp_path, prepared, model, raw


def test_predict_on_a_raw_npy_file_matches_the_model_on_the_prepared_split(trained):
    path, prepared, model, raw = trained
    test_idx = data.split_indices(np.asarray(raw.targets), raw.task, 0.2, 0.2, 42)["test"]
    np.save(path / "new.npy", raw.sequences[test_idx])  # unscaled, as a user would have them
    result = _seqpipe("predict", "--arch", "lstm", "--input", "new.npy", "-o", "out.csv", cwd=path)
    assert result.returncode == 0, result.stderr
    assert "wrote 16 predictions of lstm to out.csv" in result.stdout
    frame = pd.read_csv(path / "out.csv")
    assert list(frame.columns) == ["index", "y_pred"]
    expected = model.predict(prepared.arrays["X_test"], verbose=0).reshape(-1)
    np.testing.assert_allclose(frame["y_pred"], expected, rtol=1e-4, atol=1e-5)


def test_predict_errors_are_one_line(trained):
    path = trained[0]
    (path / "notes.txt").write_text("x")
    for args, message in (
        (["--arch", "lstm", "--input", "notes.txt"], "notes.txt: unsupported input format '.txt'"),
        (["--arch", "lstm", "--input", "missing.npy"], "missing.npy: file not found"),
        (["--arch", "gru", "--split", "test"], "--arch gru: not in params.yaml architectures (lstm)"),
    ):
        result = _seqpipe("predict", *args, cwd=path)
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [f"seqpipe: error: {result.stderr.split('error: ')[1].strip()}"]
        assert message in result.stderr

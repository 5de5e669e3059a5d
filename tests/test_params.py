"""params.yaml validation: every mistake is one line naming the dotted key and what is allowed."""
from __future__ import annotations

import pytest
import yaml

from seqpipe.config import params as params_mod
from seqpipe.config.experiment import validate_experiment
from seqpipe.errors import ParamsError
from seqpipe.registry import build_registry
from tests.conftest import ROOT


def _params(**changes) -> dict:
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        node = raw
        for key in path:
            node = node.setdefault(key, {})
        node[last] = value
    return raw


def _check(raw: dict):
    params = params_mod.validate(params_mod.Params, raw)
    return validate_experiment(params, build_registry())


def test_the_committed_params_are_valid():
    _, dataset, choices = _check(_params())
    assert dataset.name == "adding"
    assert [c.name for c in choices] == ["rnn", "lstm", "gru", "transformer", "cnn", "linear"]
    assert choices[1].hp.units == 32


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"models__lstm": {"units": 0}}, "params.yaml: models.lstm.units: input should be greater than or equal to 1, got 0"),
        ({"models__lstm": {"units": "many"}}, "models.lstm.units: input should be a valid integer"),
        ({"models__lstm": {"unitz": 3}}, "models.lstm.unitz: unknown key; allowed: activation, bidirectional, dropout, num_layers, units"),
        ({"models__transformer": {"d_model": 30, "num_heads": 4}}, "must be divisible by num_heads"),
        ({"train__epochs": 0}, "params.yaml: train.epochs: must be auto or a whole number of epochs from 1 to 10000, got 0"),
        ({"train__learning_rate": "fast"}, "train.learning_rate: input should be a valid number"),
        ({"trian": {}}, "params.yaml: trian: unknown key; allowed: architectures, backtest, data, models, seed, train"),
        ({"data__split": {"val": 0.7}}, "data.split.val: input should be less than 0.5, got 0.7"),
        ({"data__padding": "middle"}, "data.padding: input should be 'pre' or 'post'"),
        ({"data__source": "nope"}, "data.source: unknown dataset 'nope'; available: adding, csv, npz, parquet, patterns, sine, text, tokens, ts"),
        ({"data__options": {"timesteps": 1}}, "data.options.timesteps: input should be greater than or equal to 2"),
        ({"architectures": ["lstm", "nope"]}, "unknown architecture 'nope'; available: cnn, fcn, gru, inceptiontime, linear, lstm, resnet, rnn, tcn, transformer"),
        ({"architectures": ["lstm", "lstm"]}, "architectures: value error, names must be unique, repeated: lstm"),
        ({"architectures": []}, "architectures: list should have at least 1 item"),
        ({"data__window": {"log": "maybe"}}, "params.yaml: data.window.log: must be auto, true or false, got 'maybe'"),
    ],
)
def test_bad_params_fail_with_one_line_naming_the_key(changes, message):
    with pytest.raises(ParamsError) as err:
        _check(_params(**changes))
    text = str(err.value)
    assert message in text
    assert "\n" not in text


def test_a_missing_models_entry_tells_the_one_line_fix():
    raw = _params()
    del raw["models"]["gru"]
    with pytest.raises(ParamsError, match=r"models\.gru: missing; add `gru: \{\}` under `models:`"):
        _check(raw)


def test_unreadable_params_files_are_named(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text("seed: [1,\n")
    with pytest.raises(ParamsError, match=r"params.yaml: not valid YAML at line"):
        params_mod.load(bad)
    with pytest.raises(ParamsError, match="file not found"):
        params_mod.load(tmp_path / "absent.yaml")


def _third_party_source(**hints):
    """A user's synthetic source registered inline, with an option called n_samples."""
    import types

    from pydantic import BaseModel, ConfigDict

    from seqpipe import Dataset, hookimpl

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")
        n_samples: int = 40

    dataset = Dataset("mysource", lambda options, seed: None, Options, tasks=("regression",), **hints)
    return ("mysource", types.SimpleNamespace(register_datasets=hookimpl(lambda register: register(dataset))))


def _check_experiment(raw: dict, plugin=None) -> None:
    """What `seqpipe validate` checks: each section, then the cross-field checks."""
    from seqpipe.config.checks import check_experiment

    params = params_mod.validate(params_mod.Params, raw)
    params, dataset, choices = validate_experiment(params, build_registry(extra_plugins=[plugin] if plugin else None))
    check_experiment(params, dataset, choices)


def test_a_source_that_declares_its_size_gets_the_batch_size_checked_before_any_data_is_read():
    raw = _params(data__source="mysource", data__options={"n_samples": 40}, train__batch_size=64)
    with pytest.raises(ParamsError, match=r"train.batch_size: 64 is larger than the training split \(about 28 "
                                          r"sequences\); use at most 28$"):
        _check_experiment(raw, _third_party_source(size_for=lambda options: options.n_samples))
    # an option that happens to be called n_samples is not guessed at: no size_for, no check
    _check_experiment(raw, _third_party_source())


def test_a_file_source_asked_for_forecast_gets_the_forecast_window_checks(tmp_path):
    raw = _params(data__source="csv", data__path=str(tmp_path / "series.csv"), data__options={"task": "forecast"},
                  data__window={"lookback": 4, "season": 12})
    with pytest.raises(ParamsError, match=r"data.window.season: 12 exceeds data.window.lookback \(4\)"):
        _check_experiment(raw)


def test_forecast_window_settings_read_as_a_user_writes_them():
    # an unquoted YAML date is a cutoff date; season is auto or a number; a cutoff needs its protocol
    window = yaml.safe_load("{season: auto, cutoff: 1958-12-31, normalize: mean}")
    params = params_mod.validate(params_mod.Params, _params(data__window=window))
    assert params.data.window.cutoff == "1958-12-31" and params.data.window.season == "auto"
    assert params_mod.validate(params_mod.Params, _params(data__window={"season": 12})).data.window.season == 12
    with pytest.raises(ParamsError, match="data.window.season: must be auto or a whole number of steps >= 1"):
        params_mod.validate(params_mod.Params, _params(data__window={"season": "monthly"}))
    with pytest.raises(ParamsError, match="data.window.cutoff: is used by protocol cutoff only"):
        params_mod.validate(params_mod.Params, _params(data__window={"protocol": "sliding", "cutoff": 100}))
    with pytest.raises(ParamsError, match="data.window.train_until: test is used by protocol cutoff only"):
        params_mod.validate(params_mod.Params, _params(data__window={"protocol": "sliding", "train_until": "test"}))
    with pytest.raises(ParamsError, match="data.window.train_until: .*'auto', 'val' or 'test'"):
        params_mod.validate(params_mod.Params, _params(data__window={"train_until": "all"}))
    with pytest.raises(ParamsError, match="data.window.val_windows: must be auto or a whole number of windows >= 1"):
        params_mod.validate(params_mod.Params, _params(data__window={"val_windows": 0}))
    with pytest.raises(ParamsError, match="data.window.val_windows: is used by protocol cutoff only"):
        params_mod.validate(params_mod.Params, _params(data__window={"protocol": "sliding", "val_windows": "auto"}))
    with pytest.raises(ParamsError, match="data.window.linear_skip: needs per-window normalisation"):
        params_mod.validate(params_mod.Params, _params(data__window={"normalize": "none", "linear_skip": True}))
    with pytest.raises(ParamsError, match="data.window.log: needs per-window normalisation.*or log: false"):
        params_mod.validate(params_mod.Params, _params(data__window={"normalize": "none", "log": True}))


def test_few_forecast_windows_are_not_refused_for_the_batch_size_but_noted():
    from seqpipe.config.checks import check_prepared
    from seqpipe.data.spec import ForecastSpec, PreparedSpec, SplitCounts

    params = params_mod.validate(params_mod.Params, _params(train__batch_size=16))
    spec = PreparedSpec(task="forecast", input_kind="numeric", timesteps=24, forecast=ForecastSpec(horizon=36),
                        sizes=SplitCounts(train=13, val=1, test=1))
    assert check_prepared(spec, params, []) == [
        "prepare: train.batch_size 16 is more than the 13 training windows: every step uses all 13 "
        "(set train.batch_size to at most 13 to silence this)"]
    with pytest.raises(ParamsError, match="train.batch_size: 16 is larger than the training split"):
        check_prepared(spec.model_copy(update={"task": "regression", "forecast": None}), params, [])

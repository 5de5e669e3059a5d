"""Forecast covariates (data.options future_covariates, static_covariates, calendar): read from a
long table, learned by every architecture through the core, and needed again by `seqpipe predict`."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqpipe.config.experiment import ArchitectureChoice
from seqpipe.config.params import TrainParams, WindowParams
from seqpipe.data import api as data
from seqpipe.data import calendar
from seqpipe.errors import DataError
from seqpipe.registry import build_registry
from seqpipe.tables import TableOptions, from_table

REGISTRY = build_registry()
WINDOW = WindowParams(lookback=12, horizon=3, season=1)


def promo_table(seed: int = 0, future_rows: int = 0) -> pd.DataFrame:
    """Three stores, 150 days each: sales = promotion flag x 10 + noise (+ 5 for the big stores);
    `future_rows` more days per store with the promotion planned and no sales yet."""
    rng = np.random.default_rng(seed)
    frames = []
    for store, kind in (("a", "big"), ("b", "small"), ("c", "big")):
        days = pd.date_range("2024-01-01", periods=150 + future_rows, freq="D")
        promo = (rng.random(len(days)) < 0.3).astype(int)
        sales = promo * 10.0 + rng.normal(0, 0.5, len(days)) + (5.0 if kind == "big" else 0.0)
        sales[150:] = np.nan
        frames.append(pd.DataFrame({"store": store, "day": days.strftime("%Y-%m-%d"), "sales": sales.round(3),
                                    "promo": promo, "kind": kind}))
    return pd.concat(frames, ignore_index=True)


def raw_of(df: pd.DataFrame, **options):
    base = {"path": "promo.csv", "task": "forecast", "id_column": "store", "time_column": "day",
            "target_column": "sales"}
    return from_table(df, TableOptions(**{**base, **options}), labelled=True)


def test_prepare_puts_future_and_static_covariates_beside_the_series_over_lookback_and_horizon():
    prepared = data.prepare(raw_of(promo_table(), future_covariates=["promo"], static_covariates=["kind"],
                                   calendar=["day_of_week"]), val=0.1, test=0.1, seed=0, window=WINDOW)
    spec = prepared.spec
    c = spec.forecast.covariates
    assert (c.series_features, c.future_channels, c.static_channels) == (1, 3, 2)  # promo, dow sin+cos, big/small
    assert c.categories == {"kind": ["big", "small"]}
    x, y = prepared.xy("train")
    assert x.shape[1:] == (12 + 3, 1 + 3 + 2) and spec.features == 6 and spec.timesteps == 12
    assert (x[:, 12:, 0] == 0).all()  # the series is unknown over the horizon
    promo = x[:, 12:, 1] * c.scale[0] + c.mean[0]  # the promotion over the horizon, back in 0/1
    np.testing.assert_allclose((y - 5.0 * (x[:, :1, 4] > 0)) > 5, promo > 0.5)  # it drives the target
    assert np.allclose(x[:, :, 4:], x[:, :1, 4:])  # static: the same on every step


def test_calendar_features_follow_the_frequency_and_are_cyclic():
    assert calendar.features_for(True, "D") == ["day_of_week", "day_of_year"]
    assert calendar.features_for(True, "MS") == ["month"] and calendar.features_for(True, "h") == ["hour", "day_of_week"]
    with pytest.raises(DataError, match="data.options.calendar: the data's frequency 'YS'"):
        calendar.features_for(True, "YS")
    months = calendar.values(pd.date_range("2023-12-01", periods=3, freq="MS").to_numpy(), ["month"])
    np.testing.assert_allclose(months[0], [np.sin(2 * np.pi * 11 / 12), np.cos(2 * np.pi * 11 / 12)], atol=1e-6)
    np.testing.assert_allclose(months[1], [0.0, 1.0], atol=1e-6)  # January right after December


def _forecast_error(covariates: dict, arch: str = "gru") -> float:
    """Test MAE of a small model trained 30 epochs on the promotion data with `covariates`."""
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model

    prepared = data.prepare(raw_of(promo_table(), **covariates), val=0.1, test=0.1, seed=0,
                            window=WINDOW.model_copy(update={"cutoff": "2024-05-09"}))
    train = TrainParams(epochs=30, batch_size=16, patience=0, lr_schedule="constant", learning_rate=0.01)
    a = REGISTRY.architecture(arch)
    seed_everything(0)
    hp = {"gru": {"units": 8}, "cnn": {"filters": 8, "kernel_size": 3}}[arch]
    model = build_model(ArchitectureChoice(arch, a, a.params(**hp)), prepared.spec, train)
    fit(model, prepared.xy("train"), prepared.xy("val"), train, verbose=0)
    x, y = prepared.xy("test")
    return float(np.abs(model.predict(x, verbose=0) - y).mean())


@pytest.mark.keras  # trains or builds Keras models: the full lane, not `make check`
@pytest.mark.parametrize("arch", ["gru", "cnn"])
def test_a_covariate_that_drives_the_target_is_learned_with_it_and_not_without(arch):
    # sales = promotion x 10 + noise: without the promotion's plan (here: the promotions of the
    # lookback only, an input feature as before) no model can know the next days (the best guess is
    # the mean, error ~4); with it the forecast is close (noise 0.5).
    with_promo = _forecast_error({"future_covariates": ["promo"], "static_covariates": ["kind"]}, arch)
    without = _forecast_error({"feature_columns": ["promo"]}, arch)
    assert with_promo < 1.5 < 3.0 < without, (with_promo, without)


def test_an_earlier_backtest_origin_cuts_the_covariates_with_the_series():
    from seqpipe.backtest import origins

    raw = raw_of(promo_table(), future_covariates=["promo"], static_covariates=["kind"], calendar=["day_of_week"])
    earlier = origins.cut(raw, WINDOW, 2, 3)
    assert [len(s) for s in earlier.sequences] == [len(v) for v in earlier.covariates.values] == [144] * 3
    assert [len(a) for a in earlier.covariates.after] == [6] * 3  # the cut steps are its future
    prepared = data.prepare(earlier, val=0.1, test=0.1, seed=0, window=WINDOW)
    assert prepared.xy("test")[0].shape[1:] == (15, 1 + 3 + 2)


def test_a_series_dropped_for_a_gap_takes_its_covariates_and_dates_with_it():
    table = promo_table()
    table.loc[10, "sales"] = np.nan  # store a, inside its history
    raw = raw_of(table, future_covariates=["promo"], static_covariates=["kind"], calendar=True)
    prepared = data.prepare(raw, val=0.1, test=0.1, seed=0, window=WINDOW, nan_policy="drop")
    assert prepared.spec.forecast.series == 2 and prepared.spec.forecast.covariates.categories == {"kind": ["big", "small"]}
    x, y = prepared.xy("test")
    assert (x[:, 0, -2:] > 0).tolist() == [[False, True], [True, False]]  # b is small, c is big


# --- through the processes a user runs -------------------------------------------------------


def _project(tmp_path, **options) -> None:
    import yaml

    promo_table(future_rows=3).to_csv(tmp_path / "promo.csv", index=False)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({
        "architectures": ["cnn"], "models": {"cnn": {"filters": 4, "num_layers": 1}},
        "train": {"epochs": 2, "batch_size": 16},
        "data": {"source": "csv", "path": "promo.csv", "window": {"lookback": 12, "horizon": 3},
                 "options": {"task": "forecast", "id_column": "store", "time_column": "day",
                             "target_column": "sales", **options}}}))


def _run(tmp_path, *args):
    import subprocess
    import sys

    from tests.conftest import env

    return subprocess.run([sys.executable, "-m", *args], cwd=tmp_path, env=env(), capture_output=True, text=True)


@pytest.mark.parametrize("options, message", [
    ({"future_covariates": ["promo2"]},
     "promo.csv: data.options.future_covariates: column 'promo2' not found; columns found: store, day, sales, promo"),
    ({"future_covariates": ["kind"]},
     "promo.csv: data.options.future_covariates: column 'kind' is not numeric (e.g. 'big' at data row 1)"),
    ({"static_covariates": ["kind", "promo"]},
     "promo.csv: data.options.static_covariates: column 'promo' varies within series 'a' (0 and 1)"),
    ({"future_covariates": ["promo"], "static_covariates": ["kind"], "calendar": ["weekday"]},
     "params.yaml: data.options.calendar: value error, must be true, false or a list of calendar features from: hour"),
])
def test_a_bad_covariate_declaration_stops_prepare_with_one_line_naming_the_key(tmp_path, options, message):
    _project(tmp_path, **options)
    done = _run(tmp_path, "seqpipe.stages.prepare")
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"seqpipe: error: {message}"), done.stderr
    assert not (tmp_path / "data").exists()


@pytest.mark.keras  # trains or builds Keras models: the full lane, not `make check`
def test_predict_forecasts_after_each_series_end_with_its_planned_covariates(tmp_path):
    # The file's rows after each store's last sales (sales empty) hold the promotions planned for
    # the next days: predict forecasts those days with them and their dates; a store whose plan
    # is one day short is one line naming it and the key.
    _project(tmp_path, future_covariates=["promo"], static_covariates=["kind"], calendar=True)
    for stage in (["seqpipe.stages.prepare"], ["seqpipe.stages.train", "--arch", "cnn"]):
        done = _run(tmp_path, *stage)
        assert done.returncode == 0, done.stderr
    assert "prepare: covariates: future promo; calendar day_of_week, day_of_year (sin and cos); static kind" in \
        _run(tmp_path, "seqpipe.stages.prepare").stdout
    done = _run(tmp_path, "seqpipe.cli", "predict", "--arch", "cnn", "--input", "promo.csv")
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(tmp_path / "inference" / "cnn.promo.csv")
    assert list(frame.columns) == ["id", "step", "time", "y_pred"] and len(frame) == 9
    assert frame["time"].tolist()[:3] == ["2024-05-30", "2024-05-31", "2024-06-01"]
    assert np.isfinite(frame["y_pred"]).all()

    table = pd.read_csv(tmp_path / "promo.csv")
    table.drop(table.index[(table["store"] == "b") & table["sales"].isna()][-1]).to_csv(tmp_path / "short.csv",
                                                                                        index=False)
    done = _run(tmp_path, "seqpipe.cli", "predict", "--arch", "cnn", "--input", "short.csv")
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("seqpipe: error: short.csv: sequence 'b': data.options.future_covariates promo: "
                                  "2 of the 3 steps after its last target have them"), done.stderr


TINY_HP = {"rnn": {"units": 3}, "lstm": {"units": 3}, "gru": {"units": 3},
           "transformer": {"d_model": 4, "num_heads": 2, "ff_dim": 4, "num_blocks": 1},
           "cnn": {"filters": 3, "kernel_size": 3}, "tcn": {"filters": 3, "num_blocks": 2}, "fcn": {"filters": 3},
           "resnet": {"filters": 3, "num_blocks": 1},
           "inceptiontime": {"filters": 2, "bottleneck": 2, "kernel_size": 8, "depth": 3}}


@pytest.mark.keras  # trains or builds Keras models: the full lane, not `make check`
@pytest.mark.parametrize("name", sorted(REGISTRY.architectures))
def test_every_architecture_takes_covariates_through_the_core_and_reloads(name, tmp_path):
    # The plugin's builder is unchanged: it sees the series and the future covariates over the
    # lookback as channels; the core adds the horizon's covariates and the static ones to the head.
    # Quantile heads take them the same way (one architecture is enough for that).
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model, load_model

    prepared = data.prepare(raw_of(promo_table(), future_covariates=["promo"], static_covariates=["kind"],
                                   calendar=True), val=0.1, test=0.1, seed=0, window=WINDOW)
    quantiles = [0.1, 0.5, 0.9] if name == "gru" else None
    train = TrainParams(epochs=1, batch_size=32, patience=0, quantiles=quantiles)
    a = REGISTRY.architecture(name)
    seed_everything(0)
    model = build_model(ArchitectureChoice(name, a, a.params(**TINY_HP.get(name, {}))), prepared.spec, train)
    assert model.get_layer("covariates").output[0].shape[1:] == (12, 1)
    fit(model, prepared.xy("train"), prepared.xy("val"), train, verbose=0)
    x = prepared.xy("test")[0]
    out = model.predict(x, verbose=0)
    assert out.shape == ((3, 3, 3) if quantiles else (3, 3)) and np.isfinite(out).all()
    model.save(tmp_path / "m.keras")
    custom = a.custom_objects() if a.custom_objects else None
    np.testing.assert_allclose(load_model(str(tmp_path / "m.keras"), custom).predict(x, verbose=0), out, rtol=1e-5,
                               atol=1e-5)

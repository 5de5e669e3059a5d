"""The prepared data of one backtest origin, built in memory the way the prepare stage builds the main run's."""
from __future__ import annotations

from collections.abc import Callable

from seqpipe import progress as progress_module
from seqpipe.backtest import origins
from seqpipe.config.context import Context
from seqpipe.data.cleaning import clean_values
from seqpipe.data.forecast_windows import point_forecast_until
from seqpipe.data.loading import load_raw
from seqpipe.data.prepared import Prepared
from seqpipe.data.shaping import prepare


def prepare_origin(ctx: Context, k: int, progress: Callable[[str], None] = progress_module.nothing) -> Prepared:
    """Origin `k` (>= 1) of params.yaml's experiment: the data source loaded and cleaned as in
    `prepare`, every series cut `k * step` steps earlier (`origins.cut`), then windowed, split and
    scaled with params.yaml's settings. Errors name `backtest.origins` when the origin does not fit."""
    p = ctx.params.data
    raw = load_raw(ctx.dataset, ctx.params.seed)
    origins.check_task(raw, p.window)
    raw = clean_values(raw, p.nan_policy, p.fill_value)
    step = origins.step_of(ctx.params.backtest, p.window)
    origins.check_fits(raw, p.window, [k], step)
    _, main_test = origins.test_starts(raw, p.window)
    prepared = prepare(
        origins.cut(raw, p.window, k, step), val=p.split.val, test=p.split.test, seed=ctx.params.seed,
        scale=p.scale, nan_policy=p.nan_policy, fill_value=p.fill_value,
        window=origins.window_at(point_forecast_until(p.window, ctx.params.train.quantiles)[0]),
        progress=progress,
    )
    spec = prepared.spec
    assert spec.forecast is not None, "check_task let only forecasts through"
    where = f"origin {k}: {main_test}, {k * step} steps earlier"
    prepared.spec = spec.model_copy(update={"forecast": spec.forecast.model_copy(update={"test_from": where})})
    return prepared

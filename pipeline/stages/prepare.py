"""Stage `prepare`: load the configured data source, split, pad and scale; write data/prepared/."""
from __future__ import annotations

from seqpipe import atomic, layout, process
from seqpipe.config import checks, tracked
from seqpipe.config.context import context
from seqpipe.data.forecast import log_lines as forecast_log
from seqpipe.data.forecast_windows import point_forecast_until
from seqpipe.data.loading import load_raw
from seqpipe.data.prepared import load as load_prepared
from seqpipe.data.prepared import save
from seqpipe.data.shaping import PREPARE_PHASES, prepare
from seqpipe.data.znorm_choice import origin as znorm_origin
from seqpipe.data.znorm_choice import said as znorm_said
from seqpipe.errors import one_line, user_errors_exit
from seqpipe.progress import Phases


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    args = process.parser(__doc__).parse_args(argv)
    process.quiet_tensorflow()
    ctx = context(args.params)
    started = ctx.tracked("prepare")
    p = ctx.params.data
    window, until_said = point_forecast_until(p.window, ctx.params.train.quantiles)
    with Phases("prepare", PREPARE_PHASES) as phase:
        phase("loading")
        raw = load_raw(ctx.dataset, ctx.params.seed)
        prepared = prepare(
            raw,
            val=p.split.val,
            test=p.split.test,
            seed=ctx.params.seed,
            scale=p.scale,
            znorm=p.znorm,
            maxlen=p.maxlen,
            maxlen_percentile=p.maxlen_percentile,
            lengths=p.lengths,
            padding=p.padding,
            truncating=p.truncating,
            pad_value=p.pad_value,
            nan_policy=p.nan_policy,
            fill_value=p.fill_value,
            window=window,
            text=p.text,
            progress=phase,
        )
        notes = checks.check_prepared(prepared.spec, ctx.params, list(ctx.architectures.values()), args.params)
        phase("saving")
        with atomic.removed_on_failure(layout.PREPARED_DIR):
            save(prepared, layout.PREPARED_DIR)
            tracked.check_unchanged(args.params, started)
    spec = prepared.spec
    if spec.split_note:
        print(f"prepare: {spec.split_note}")
    if spec.znorm_from:
        print(f"prepare: {znorm_origin(spec)}: {znorm_said(spec)}")
    for line in [*forecast_log(spec), *filter(None, [until_said]), *notes]:
        print(line)
    print(
        f"prepared {ctx.dataset.name}: task={spec.task} "
        f"train/val/test={spec.sizes.train}/{spec.sizes.val}/{spec.sizes.test} timesteps={spec.timesteps} "
        f"coverage={spec.coverage:.1%}"
    )
    _fill_baselines_cache(ctx.params.train.quantiles)


def _fill_baselines_cache(levels: list[float] | None) -> None:
    """The baselines stage's outputs, fitted here where pandas and scikit-learn are loaded already
    (seqpipe.baselines.outputs); the stage then copies them. Best effort: on any failure the
    baselines stage fits them (and reports the problem) as it always could."""
    from seqpipe import baselines
    from seqpipe.baselines import outputs
    from seqpipe.evaluation import cache

    if not cache.enabled():
        return
    try:
        prepared = load_prepared(layout.PREPARED_DIR)  # as the stage reads it, so both paths write the same bytes
        task = prepared.spec.task
        outcomes = baselines.run(prepared, tuple(levels) if levels and task == "forecast" else None)
        outputs.store(outputs.key(levels), outcomes, task, prepared.arrays["y_test"])
    except Exception as exc:  # noqa: BLE001  (the baselines stage repeats it and reports it properly)
        print(f"note: baselines not cached ({type(exc).__name__}: {one_line(str(exc))[:200]}); "
              "the baselines stage will fit them", flush=True)


if __name__ == "__main__":
    main()
    process.skip_final_collection()

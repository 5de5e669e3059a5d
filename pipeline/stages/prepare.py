"""Stage `prepare`: load the configured data source, split, pad and scale; write data/prepared/."""
from __future__ import annotations

from seqpipe import atomic, layout, process
from seqpipe.config import checks, tracked
from seqpipe.config.context import context
from seqpipe.data.forecast import log_lines as forecast_log
from seqpipe.data.loading import load_raw
from seqpipe.data.prepared import save
from seqpipe.data.shaping import PREPARE_PHASES, prepare
from seqpipe.errors import user_errors_exit
from seqpipe.progress import Phases


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    args = process.parser(__doc__).parse_args(argv)
    process.quiet_tensorflow()
    ctx = context(args.params)
    started = ctx.tracked("prepare")
    p = ctx.params.data
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
            window=p.window,
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
    for line in [*forecast_log(spec), *notes]:
        print(line)
    print(
        f"prepared {ctx.dataset.name}: task={spec.task} "
        f"train/val/test={spec.sizes.train}/{spec.sizes.val}/{spec.sizes.test} timesteps={spec.timesteps} "
        f"coverage={spec.coverage:.1%}"
    )


if __name__ == "__main__":
    main()
    process.skip_final_collection()

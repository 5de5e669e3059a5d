"""Stage `backtest_baselines@<k>`: the statistical baselines at backtest origin k (>= 1).

The same origin's data as `backtest@<arch>-<k>` (seqpipe.backtest.prepare), and the same
baselines as the `baselines` stage at the main cutoff. Writes metrics/backtest/baselines-o<k>.json
({name: {description, scores}}, after the origin's test range and window counts).
"""
from __future__ import annotations

from seqpipe import atomic, baselines, layout, process
from seqpipe.backtest.cell import origin_record
from seqpipe.backtest.prepare import prepare_origin
from seqpipe.config import tracked
from seqpipe.config.context import context
from seqpipe.errors import user_errors_exit


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    ap = process.parser(__doc__)
    ap.add_argument("--origin", type=int, required=True, help="the backtest origin, one of backtest.origins")
    args = ap.parse_args(argv)
    ctx = context(args.params)
    started = ctx.tracked("backtest_baselines")
    prepared = prepare_origin(ctx, args.origin)
    outcomes = baselines.run(prepared)
    out = layout.backtest_path(layout.BASELINES, args.origin)
    with atomic.removed_on_failure(out):
        atomic.write_json(out, {**origin_record(prepared, args.origin),
                                "baselines": {o.name: {"description": o.description, **o.scores} for o in outcomes}})
        tracked.check_unchanged(args.params, started)
    for o in outcomes:
        print(f"backtest baseline {o.name} at origin {args.origin}: "
              + ", ".join(f"{k}={v}" for k, v in o.scores.items()) + f" ({o.seconds}s)")


if __name__ == "__main__":
    main()
    process.skip_final_collection()

"""Stage `backtest@<arch>-<k>`: train and score one architecture at backtest origin k (>= 1).

Origin k is the main run's cutoff protocol with every series ending k * backtest.step steps
earlier (seqpipe.backtest.origins); the data is prepared in memory from the data source, the
architecture trained with its train@ settings (every seed of train.repeats) and scored on the
origin's test windows. Writes metrics/backtest/<arch>-o<k>.json; the report averages the origins.
"""
from __future__ import annotations

from seqpipe import atomic, layout, process
from seqpipe.backtest.cell import origin_record, train_and_score
from seqpipe.backtest.prepare import prepare_origin
from seqpipe.config import checks, tracked
from seqpipe.config.context import context
from seqpipe.data import differencing
from seqpipe.errors import user_errors_exit
from seqpipe.training import acceleration, backends, resilience


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    ap = process.parser(__doc__, with_arch=True)
    ap.add_argument("--origin", type=int, required=True, help="the backtest origin, one of backtest.origins")
    args = ap.parse_args(argv)
    process.quiet_tensorflow()
    process.defer_unused_imports()  # Keras imports pyplot and requests for tools never used here
    ctx = context(args.params)
    started = ctx.tracked("backtest", args.arch)
    choice = ctx.architecture(args.arch)
    backend = backends.activate(backends.for_architecture(choice))  # as train@<arch>, before keras loads
    print(backend.line(), flush=True)
    acceleration.configure_threads()  # before TensorFlow starts its runtime
    prepared = prepare_origin(ctx, args.origin)
    checks.check_prepared(prepared.spec, ctx.params, [choice], args.params)
    forecast = differencing.for_choice(choice, prepared.spec, source=args.params).forecast  # train.difference checked
    print(f"backtest {args.arch}: {differencing.describe(forecast)}", flush=True)  # type: ignore[arg-type]
    settings = ctx.train_settings(args.arch, prepared.spec)
    train = settings.params
    if train.distribute == "multi_worker":  # the other machines run train@<arch> only: one machine here
        print("backtest: train.distribute multi_worker applies to train@<arch>; this cell trains on this machine")
        train = train.model_copy(update={"distribute": "none"})
    print(f"backtest {args.arch} at origin {args.origin}: test = {prepared.spec.forecast.test_from}; "  # type: ignore[union-attr]
          f"{prepared.spec.sizes.train} training windows", flush=True)
    seeds = [ctx.params.seed + i for i in range(train.repeats)]
    name = f"{args.arch}-o{args.origin}"
    key = resilience.run_key(ctx.params.seed, train.model_dump(mode="json"), ctx.params.models.get(args.arch),
                             name, ctx.params.backtest.step,
                             files=[layout.fingerprint_path(args.arch), layout.DATA_FINGERPRINT])
    backup = resilience.backup_dir(name, key, root=layout.BACKTEST_BACKUP)
    resilience.forget_other_backups(name, key, root=layout.BACKTEST_BACKUP)
    scores = train_and_score(choice, prepared, train, seeds, backup)
    out = layout.backtest_path(args.arch, args.origin)
    with atomic.removed_on_failure(out):
        atomic.write_json(out, {**origin_record(prepared, args.origin), **scores})
        tracked.check_unchanged(args.params, started)
    resilience.remove_backup(backup)
    print(f"backtest {args.arch} at origin {args.origin}: " + ", ".join(f"{k}={v}" for k, v in scores.items()))


if __name__ == "__main__":
    main()
    process.skip_final_collection()

"""Stage `train@<arch>`: build the architecture through the plugin manager, fit it, save it.

With `train.repeats: N` it fits N models with seeds seed, seed+1, ...: the first is
models/<arch>.keras (its curves are in dvclive/<arch>/), the others go to models/<arch>.repeats/.
Each run also records its environment in environment/<arch>.json.

Once its outputs are written, it also evaluates the saved model on the test split while TensorFlow
is loaded, into the evaluation cache that evaluate@<arch> reads (seqpipe.evaluation.cache).

Training is resumable: every completed epoch is checkpointed under .seqpipe/backup/ (see
seqpipe.training.resilience), a killed run continues from there on the next `dvc repro`, and the
backup is removed once every output is written. A NaN/inf loss stops with one line, writing nothing.
"""
from __future__ import annotations

import json
import os
import sys

from seqpipe import atomic, environment, layout, process, warm
from seqpipe.config import checks, tracked
from seqpipe.config.context import Context, context
from seqpipe.config.experiment import ArchitectureChoice
from seqpipe.config.params import TrainParams
from seqpipe.data import differencing
from seqpipe.data.prepared import load as load_prepared
from seqpipe.errors import one_line, user_errors_exit
from seqpipe.training import acceleration, backends, resilience
from seqpipe.training.run import summary_record, train_as_worker, train_seeds


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    args = process.parser(__doc__, with_arch=True).parse_args(argv)
    process.quiet_tensorflow()
    process.defer_unused_imports()  # Keras imports pyplot and requests for tools never used here
    ctx = context(args.params)
    started = ctx.tracked("train", args.arch)
    choice = ctx.architecture(args.arch)
    train = choice.train()  # train < the plugin's recipe < models.<arch>.train (seqpipe.config.recipes)
    acceleration.check_distribute(train.distribute)  # TF_CONFIG problems: one line, before any work
    chosen = backends.for_architecture(choice)
    backend = backends.activate(chosen)  # before anything imports keras
    if warm.in_child():  # Keras came loaded: the environment says so, as activate() does in a fresh process
        if backend.name != chosen.name:
            sys.exit(warm.OTHER_BACKEND)  # the worker loaded another backend: the client runs the stage itself
        os.environ["KERAS_BACKEND"] = backend.name
    print(backend.line() + ("; Keras imported ahead by this repro's warm worker" if warm.in_child() else ""), flush=True)
    acceleration.configure_threads()  # before TensorFlow starts its runtime
    acceleration.strategy(train.distribute)  # multi_worker must start before any other op
    prepared = load_prepared(layout.PREPARED_DIR, splits=("train", "val"))
    checks.check_prepared(prepared.spec, ctx.params, [choice], args.params)
    settings = ctx.train_settings(args.arch, prepared.spec)  # a small split's seeds and batch cap (seqpipe.config.seeds)
    train = settings.params
    forecast = differencing.for_choice(choice, prepared.spec, source=args.params).forecast  # train.difference checked here
    print("\n".join(settings.lines() + ([differencing.describe(forecast)] if forecast else [])), flush=True)
    resilience.warn_nondeterministic(train, gpus=int(acceleration.gpu_visible()))
    seeds = [ctx.params.seed + i for i in range(train.repeats)]
    if not acceleration.is_chief(train.distribute):
        train_as_worker(choice, prepared, train, seeds)
        return
    backup = resilience.backup_dir(args.arch, _run_key(ctx, args.arch, train))
    resilience.forget_other_backups(args.arch, backup.name.removeprefix(f"{args.arch}-"))
    outputs = [layout.model_path(args.arch), layout.repeats_dir(args.arch), layout.live_dir(args.arch),
               layout.fit_summary_path(args.arch), layout.environment_path(args.arch)]
    with atomic.removed_on_failure(*outputs):  # a full disk or edited params: no output is kept
        summaries = train_seeds(choice, prepared, train, seeds, backup=backup, model_file=outputs[0],
                                repeats_dir=outputs[1], live_dir=outputs[2])
        atomic.write_json(outputs[3], {**summary_record(summaries), "backend": backend.name,
                                        "train_settings": settings.record(),
                                        **({"difference": differencing.record(forecast)} if forecast else {})})
        atomic.write_json(outputs[4], environment.snapshot())
        tracked.check_unchanged(args.params, started)  # before DVC records these outputs as current
    resilience.remove_backup(backup)
    _fill_evaluation_cache(ctx, choice, args.arch)


def _fill_evaluation_cache(ctx: Context, choice: ArchitectureChoice, arch: str) -> None:
    """evaluate@<arch>'s outputs, computed here, where TensorFlow is loaded already. Best effort: on
    any failure the evaluate stage computes them (and reports the problem) as it always could."""
    from seqpipe.evaluation import cache, run

    if not cache.enabled():
        return
    try:
        cache_key = cache.key(layout.evaluation_inputs(arch), cache.settings(arch, ctx.raw))
        prepared = load_prepared(layout.PREPARED_DIR, splits=("test",))
        fit_summary = json.loads(layout.fit_summary_path(arch).read_text(encoding="utf-8"))
        evaluation = run.evaluate(choice, prepared, layout.seed_models(arch), ctx.params.train.batch_size, fit_summary,
                                  ensemble=ctx.train_settings(arch, prepared.spec).params.ensemble)
        cache.store(arch, cache_key, lambda paths: run.write(evaluation, paths))
    except Exception as exc:  # noqa: BLE001  (the evaluate stage repeats it and reports it properly)
        print(f"note: evaluation not cached ({type(exc).__name__}: {one_line(str(exc))[:200]}); "
              f"evaluate@{arch} will compute it", flush=True)


def _run_key(ctx: Context, arch: str, train: TrainParams) -> str:
    """What a checkpoint depends on: seed, effective train settings, hyperparameters, prepared data, plugin code."""
    files = sorted(p for p in layout.PREPARED_DIR.iterdir() if p.is_file())
    return resilience.run_key(ctx.params.seed, train.model_dump(mode="json"),
                              ctx.params.models.get(arch), arch, files=[*files, layout.fingerprint_path(arch)])


if __name__ == "__main__":
    main()
    process.skip_final_collection()

"""Stage `train@<arch>`: build the architecture through the plugin manager, fit it, save it.

With `train.repeats: N` it fits N models with seeds seed, seed+1, ...: the first is
models/<arch>.keras (its curves are in dvclive/<arch>/), the others go to models/<arch>.repeats/.
Each run also records its environment fingerprint in environment/<arch>.json.

Training is resumable: every completed epoch is checkpointed under .seqpipe/backup/ (see
pipeline/resilience.py), a killed run continues from there on the next `dvc repro`, and the
backup is removed once every output is written. A NaN/inf loss stops with one line, writing nothing.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from pipeline import acceleration, atomic, checks, data, environment, resilience, stage
from pipeline.errors import user_errors_exit
from pipeline.model import build_model
from pipeline.training import fit, seed_everything

MODELS_DIR = Path("models")
LIVE_DIR = Path("dvclive")
ENV_DIR = Path("environment")


def model_path(arch: str) -> Path:
    return MODELS_DIR / f"{arch}.keras"


def fit_summary_path(arch: str) -> Path:
    return MODELS_DIR / f"{arch}.fit.json"


def repeats_dir(arch: str) -> Path:
    """The models of seeds 2..N of `train.repeats` (and seeds.json, also for N = 1)."""
    return MODELS_DIR / f"{arch}.repeats"


def seed_models(arch: str) -> list[tuple[int, Path]]:
    """(seed, model file) for every repeat the train stage saved, the main model first."""
    listing = json.loads((repeats_dir(arch) / "seeds.json").read_text(encoding="utf-8"))
    return [(int(s), model_path(arch) if i == 0 else repeats_dir(arch) / f"seed{s}.keras")
            for i, s in enumerate(listing["seeds"])]


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    args = stage.parser(__doc__, with_arch=True).parse_args(argv)
    stage.quiet_tensorflow()
    ctx = stage.context(args.params)
    choice = ctx.architectures.get(args.arch)
    if choice is None:
        from pipeline.errors import ParamsError

        raise ParamsError(f"--arch {args.arch}: not in params.yaml architectures ({', '.join(ctx.architectures)})")
    train = ctx.params.train
    acceleration.check_distribute(train.distribute)  # TF_CONFIG problems: one line, before any work
    acceleration.configure_threads()  # before TensorFlow starts its runtime
    acceleration.strategy(train.distribute)  # multi_worker must start before any other op
    prepared = data.load(stage.PREPARED_DIR, splits=("train", "val"))
    checks.check_prepared(prepared.spec, ctx.params, [choice], args.params)
    resilience.warn_nondeterministic(train, gpus=int(acceleration.gpu_visible()))
    seeds = [ctx.params.seed + i for i in range(train.repeats)]
    if not acceleration.is_chief(train.distribute):
        for seed in seeds:  # a worker of a multi-worker run: train in step with the chief, write nothing
            seed_everything(seed)
            summary = fit(build_model(choice, prepared.spec, train), prepared.xy("train"), prepared.xy("val"), train)
            print(f"worker done {args.arch} (seed {seed}): {summary.epochs_run} epochs; the chief writes the outputs")
        return
    backup = resilience.backup_dir(args.arch, _run_key(ctx, args.arch))
    resilience.forget_other_backups(args.arch, backup.name.removeprefix(f"{args.arch}-"))
    from dvclive import Live

    summaries = []
    with atomic.atomic_path(repeats_dir(args.arch)) as extra:
        extra.mkdir(parents=True)
        for i, seed in enumerate(seeds):
            seed_everything(seed)
            model = build_model(choice, prepared.spec, train)  # plugin errors surface before any output
            run = f" (seed {seed}, repeat {i + 1}/{len(seeds)})" if len(seeds) > 1 else ""
            print(f"training {args.arch}{run}: {model.count_params():,} parameters", flush=True)
            # Early stopping lives next to the checkpoint (which saves its state), so fit's own is off.
            stopper = resilience.early_stopping(train.patience)
            guard = resilience.nan_guard(args.arch)
            ckpt = resilience.checkpoint(backup / f"seed{seed}", stopper, log=lambda m: print(m, flush=True))
            callbacks = [guard, *([stopper] if stopper else []), ckpt]
            no_stopper = train.model_copy(update={"patience": 0})
            if i == 0:
                with Live(dir=str(LIVE_DIR / args.arch), dvcyaml=None, save_dvc_exp=False, report=None) as live:
                    resilience.replay_history(live, resilience.saved_history(backup / f"seed{seed}"))
                    summary = fit(model, prepared.xy("train"), prepared.xy("val"), no_stopper,
                                  extra_callbacks=[*callbacks, resilience.live_logger(live)])
                if guard.failed:
                    shutil.rmtree(LIVE_DIR / args.arch, ignore_errors=True)  # no curves ending in NaN
                resilience.raise_if_diverged(guard)
                resilience.save_model(model, model_path(args.arch))
            else:
                summary = fit(model, prepared.xy("train"), prepared.xy("val"), no_stopper, extra_callbacks=callbacks)
                resilience.raise_if_diverged(guard)
                resilience.save_model(model, extra / f"seed{seed}.keras")
            summary = _whole_run(summary, ckpt)
            summaries.append(summary)
            print(f"trained {args.arch}{run}: {summary.epochs_run} epochs in {summary.train_seconds:.1f}s "
                  f"(best epoch {summary.best_epoch})", flush=True)
        (extra / "seeds.json").write_text(json.dumps({"seeds": seeds}) + "\n", encoding="utf-8")
    fit_summary = summaries[0].as_dict()
    if len(seeds) > 1:
        fit_summary["repeats"] = len(seeds)
        fit_summary["train_seconds_all_repeats"] = round(sum(s.train_seconds for s in summaries), 3)
    atomic.write_json(fit_summary_path(args.arch), fit_summary)
    atomic.write_json(ENV_DIR / f"{args.arch}.json", environment.fingerprint())
    resilience.remove_backup(backup)


def _run_key(ctx: stage.Context, arch: str) -> str:
    """What a checkpoint depends on: seed, train params, hyperparameters, prepared data, plugin code."""
    files = sorted(p for p in Path(stage.PREPARED_DIR).iterdir() if p.is_file())
    return resilience.run_key(ctx.params.seed, ctx.params.train.model_dump(mode="json"),
                              ctx.params.models.get(arch), arch, files=[*files, Path("sources") / f"{arch}.json"])


def _whole_run(summary, ckpt):
    """Epoch counts of a resumed run include the epochs done before the interruption."""
    if not ckpt.resumed_from:
        return summary
    val = [h.get("val_loss", float("inf")) for h in ckpt.history]
    summary.epochs_run += ckpt.resumed_from
    summary.best_epoch = (val.index(min(val)) + 1) if val else summary.epochs_run
    return summary


if __name__ == "__main__":
    main()
    stage.skip_final_collection()

"""Stage `train@<arch>`: build the architecture through the plugin manager, fit it, save it."""
from __future__ import annotations

from pathlib import Path

from pipeline import atomic, data, stage
from pipeline.errors import user_errors_exit
from pipeline.model import build_model
from pipeline.training import fit, seed_everything

MODELS_DIR = Path("models")
LIVE_DIR = Path("dvclive")


def model_path(arch: str) -> Path:
    return MODELS_DIR / f"{arch}.keras"


def fit_summary_path(arch: str) -> Path:
    return MODELS_DIR / f"{arch}.fit.json"


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    args = stage.parser(__doc__, with_arch=True).parse_args(argv)
    stage.quiet_tensorflow()
    ctx = stage.context(args.params)
    choice = ctx.architectures.get(args.arch)
    if choice is None:
        from pipeline.errors import ParamsError

        raise ParamsError(f"--arch {args.arch}: not in params.yaml architectures ({', '.join(ctx.architectures)})")
    prepared = data.load(stage.PREPARED_DIR, splits=("train", "val"))

    seed_everything(ctx.params.seed)
    model = build_model(choice, prepared.spec, ctx.params.train)  # plugin errors surface before any output

    from dvclive import Live
    from dvclive.keras import DVCLiveCallback

    print(f"training {args.arch}: {model.count_params():,} parameters")
    with Live(dir=str(LIVE_DIR / args.arch), dvcyaml=None, save_dvc_exp=False, report=None) as live:
        summary = fit(
            model,
            prepared.xy("train"),
            prepared.xy("val"),
            ctx.params.train,
            extra_callbacks=[DVCLiveCallback(live=live)],
        )
    with atomic.atomic_path(model_path(args.arch)) as tmp:
        model.save(tmp)
    atomic.write_json(fit_summary_path(args.arch), summary.as_dict())
    print(f"trained {args.arch}: {summary.epochs_run} epochs in {summary.train_seconds:.1f}s (best epoch {summary.best_epoch})")


if __name__ == "__main__":
    main()

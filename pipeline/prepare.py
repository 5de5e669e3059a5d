"""Stage `prepare`: load the configured data source, split, pad and scale; write data/prepared/."""
from __future__ import annotations

from pipeline import checks, data, stage
from pipeline.progress import Phases
from pipeline.errors import PluginError, SeqpipeError, one_line, user_errors_exit
from pipeline.experiment import DatasetChoice
from pipeline.specs import TASKS, RawData


def load_raw(choice: DatasetChoice, seed: int) -> RawData:
    """Call the dataset plugin; its failures are reported as one line naming it."""
    try:
        raw = choice.dataset.load(choice.options, seed)
    except SeqpipeError:
        raise
    except Exception as exc:
        raise PluginError(f"dataset '{choice.name}': load() raised {type(exc).__name__}: {one_line(str(exc))}") from None
    if not isinstance(raw, RawData):
        raise PluginError(f"dataset '{choice.name}': load() returned {type(raw).__name__}, expected RawData")
    if raw.task not in TASKS or raw.input_kind not in ("numeric", "tokens", "text"):
        raise PluginError(
            f"dataset '{choice.name}': load() returned task {raw.task!r} with input_kind {raw.input_kind!r}; "
            f"tasks: {', '.join(TASKS)}; input kinds: numeric, tokens, text"
        )
    return raw


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    args = stage.parser(__doc__).parse_args(argv)
    stage.quiet_tensorflow()
    ctx = stage.context(args.params)
    p = ctx.params.data
    with Phases("prepare", data.PREPARE_PHASES) as phase:
        phase("loading")
        raw = load_raw(ctx.dataset, ctx.params.seed)
        prepared = data.prepare(
            raw,
            val=p.split.val,
            test=p.split.test,
            seed=ctx.params.seed,
            scale=p.scale,
            maxlen=p.maxlen,
            maxlen_percentile=p.maxlen_percentile,
            padding=p.padding,
            truncating=p.truncating,
            pad_value=p.pad_value,
            nan_policy=p.nan_policy,
            fill_value=p.fill_value,
            window=p.window,
            text=p.text,
            progress=phase,
        )
        checks.check_prepared(prepared.spec, ctx.params, list(ctx.architectures.values()), args.params)
        phase("saving")
        data.save(prepared, stage.PREPARED_DIR)
    sizes = prepared.spec["sizes"]
    print(
        f"prepared {ctx.dataset.name}: task={prepared.spec['task']} "
        f"train/val/test={sizes['train']}/{sizes['val']}/{sizes['test']} timesteps={prepared.spec['timesteps']} "
        f"coverage={prepared.spec['coverage']:.1%}"
    )


if __name__ == "__main__":
    main()
    stage.skip_final_collection()

"""Stage `evaluate@<arch>`: score the saved model on the held-out test split.

Writes metrics/<arch>.json (deterministic: scores and parameter count), timings/<arch>.json
(wall-clock and CPU seconds with the machine's load, `contended` when it exceeded the cores; kept
apart so reruns can be compared byte for byte) and
predictions/<arch>.csv. With `train.repeats: N`, every seed's model is scored: scores/<arch>.csv
holds one row per seed (with each class's precision, recall and F1 for labelled tasks), and
metrics/<arch>.json the mean (plus `<metric>_std` and `repeats`); with `train.ensemble`, the scores of the
seeds' mean output (`ensemble`: how many), and an `ensemble` row ends scores/<arch>.csv.

The train stage has usually computed all of this already, in its own process (TensorFlow loaded):
when the evaluation cache holds an entry for exactly these inputs, params and code
(seqpipe.evaluation.cache), its files are copied and TensorFlow is never imported.
"""
from __future__ import annotations

import json

from seqpipe import layout, process
from seqpipe.config.context import context
from seqpipe.errors import user_errors_exit
from seqpipe.evaluation import cache
from seqpipe.training import backends


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    args = process.parser(__doc__, with_arch=True).parse_args(argv)
    ctx = context(args.params)
    choice = ctx.architecture(args.arch)
    # The model's own backend, before keras loads; also part of the cache key (as in train@<arch>).
    backends.activate_trained(layout.fit_summary_path(args.arch))
    outputs = layout.evaluation_outputs(args.arch)
    cache_key = cache.key(layout.evaluation_inputs(args.arch), cache.settings(args.arch, ctx.raw))
    if cache.restore(args.arch, cache_key, outputs):
        source = f" (computed by train@{args.arch}: evaluation cache)"
    else:
        process.quiet_tensorflow()
        process.defer_unused_imports()  # Keras imports pyplot and requests for tools never used here
        from seqpipe.data.prepared import load as load_prepared
        from seqpipe.evaluation import run

        prepared = load_prepared(layout.PREPARED_DIR, splits=("test",))
        fit_summary = json.loads(layout.fit_summary_path(args.arch).read_text(encoding="utf-8"))
        evaluation = run.evaluate(choice, prepared, layout.seed_models(args.arch), ctx.params.train.batch_size,
                                  fit_summary, ensemble=ctx.train_settings(args.arch, prepared.spec).params.ensemble)
        run.write(evaluation, outputs)
        source = ""
    metrics = json.loads(outputs[0].read_text(encoding="utf-8"))
    shown = ", ".join(f"{k}={v}" for k, v in metrics.items())
    print(f"evaluated {args.arch}: {shown}{source}")


if __name__ == "__main__":
    main()
    process.skip_final_collection()

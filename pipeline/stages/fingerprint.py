"""Stage `fingerprint`: a content hash of the code of every plugin that params.yaml selects.

DVC can only depend on files it can name in dvc.yaml, and an architecture from an installed
package has no file in this project (`plugins/<arch>.py` exists only for in-tree plugins). So
this stage (no TensorFlow, well under a second) writes `sources/<arch>.json` per architecture and
`sources/data-source.json` for the data source (`seqpipe.fingerprints`). `train@<arch>` depends
on its own file only, so editing `plugins/cnn.py` reruns this stage and then only the CNN; an
unchanged plugin reruns nothing, and a second `dvc repro` does nothing at all. The stage depends
on the `plugins/` folder and the names in params.yaml; code in an installed package is outside
the project, so after upgrading or editing a plugin package run `dvc repro -f fingerprint` (or
`make repro`, which does) to pick it up.
"""
from __future__ import annotations

from seqpipe import atomic, layout, process
from seqpipe.config import tracked
from seqpipe.config.context import context
from seqpipe.errors import user_errors_exit
from seqpipe.fingerprints import fingerprint


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    args = process.parser(__doc__).parse_args(argv)
    process.quiet_tensorflow()
    ctx = context(args.params)
    with atomic.atomic_path(layout.SOURCES_DIR) as tmp:
        tmp.mkdir(parents=True)
        for name in ctx.architectures:
            atomic.write_json(tmp / layout.fingerprint_path(name).name, fingerprint(ctx.registry, name))
        atomic.write_json(tmp / layout.DATA_FINGERPRINT.name, fingerprint(ctx.registry, ctx.dataset.name, kind="dataset"))
        tracked.check_unchanged(args.params, ctx.tracked("fingerprint"))  # before the rename


if __name__ == "__main__":
    main()
    process.skip_final_collection()

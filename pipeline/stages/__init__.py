"""One module per dvc.yaml stage and nothing else: each a thin main() over the library.

Run as `python -m seqpipe.stages.<stage>` (dvc.yaml), a stage takes its first step here, before its
module's imports: its place in the repro, and its warm worker if the repro has one for it
(seqpipe.warm.handoff; it does nothing in any other process).
"""
from seqpipe.warm import handoff

handoff.stage_start()

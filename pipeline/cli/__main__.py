"""`python -m seqpipe.cli`: the `seqpipe` command."""
from seqpipe.cli.main import run

run()

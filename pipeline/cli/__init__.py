"""The `seqpipe` command line: one module per group of subcommands; `main` parses and dispatches."""

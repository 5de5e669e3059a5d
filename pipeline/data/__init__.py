"""Step `prepare`: a data source's RawData to padded, split and scaled arrays plus their spec.

`shaping.prepare` orchestrates; one module per concern (splits, padding, scaling, cleaning,
text, forecast windows); `spec` is the typed spec.json and `prepared` the arrays on disk, which
the later stages read; `new_inputs` applies the recorded preprocessing to new data for
`seqpipe predict`; `api` gathers the functions for scripts and notebooks. Importing this package
imports nothing else, so `seqpipe.data.spec` stays cheap.
"""

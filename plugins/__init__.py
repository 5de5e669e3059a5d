"""Built-in seqpipe plugins: one module per architecture or data source.

Every public module here is loaded by the plugin manager (modules starting with `_` are not).
"""

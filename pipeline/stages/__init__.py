"""One module per dvc.yaml stage and nothing else: each a thin main() over the library."""

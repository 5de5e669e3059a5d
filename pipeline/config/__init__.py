"""Step 0: params.yaml read, validated and resolved against the registered plugins."""

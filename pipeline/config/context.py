"""What every stage does first: read and validate params.yaml and build the plugin registry."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seqpipe import layout, process
from seqpipe.config import checks
from seqpipe.config import params as params_mod
from seqpipe.config.experiment import ArchitectureChoice, DatasetChoice, validate_experiment
from seqpipe.config.params import Params
from seqpipe.errors import ParamsError
from seqpipe.registry import Registry, build_registry


@dataclass
class Context:
    params: Params
    registry: Registry
    dataset: DatasetChoice
    architectures: dict[str, ArchitectureChoice]

    def architecture(self, name: str) -> ArchitectureChoice:
        """The `--arch` of a stage: one of params.yaml's architectures, or a one-line error."""
        choice = self.architectures.get(name)
        if choice is None:
            raise ParamsError(f"--arch {name}: not in params.yaml architectures ({', '.join(self.architectures)})")
        return choice


def context(params_file: str | Path = layout.PARAMS_FILE) -> Context:
    """Validated params and plugins; fails with one line before any data or training work."""
    process.check_project_code()
    params = params_mod.load(params_file)
    registry = build_registry()
    dataset, choices = validate_experiment(params, registry, str(params_file))
    checks.check_experiment(params, dataset, choices, str(params_file))
    return Context(params, registry, dataset, {c.name: c for c in choices})

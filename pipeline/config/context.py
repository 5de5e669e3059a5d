"""What every stage does first: read and validate params.yaml and build the plugin registry."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqpipe import layout, process
from seqpipe.config import checks, tracked
from seqpipe.config import params as params_mod
from seqpipe.config.experiment import ArchitectureChoice, DatasetChoice, validate_experiment
from seqpipe.config.params import Params
from seqpipe.config.recipes import TrainSettings
from seqpipe.errors import ParamsError
from seqpipe.registry import Registry, build_registry

if TYPE_CHECKING:  # the fingerprint stage reads no prepared data (tests/test_dvc_deps.py)
    from seqpipe.data.spec import PreparedSpec


@dataclass
class Context:
    params: Params
    registry: Registry
    dataset: DatasetChoice
    architectures: dict[str, ArchitectureChoice]
    raw: dict[str, Any] = field(default_factory=dict)  # params.yaml as read at the start

    def tracked(self, stage: str, arch: str | None = None) -> dict[str, Any]:
        """The params DVC tracks for `stage`, as this run read them (for `tracked.check_unchanged`)."""
        return tracked.tracked_values(self.raw, stage, arch)

    def architecture(self, name: str) -> ArchitectureChoice:
        """The `--arch` of a stage: one of params.yaml's architectures, or a one-line error."""
        choice = self.architectures.get(name)
        if choice is None:
            raise ParamsError(f"--arch {name}: not in params.yaml architectures ({', '.join(self.architectures)})")
        return choice

    def train_settings(self, name: str, data: PreparedSpec | None = None) -> TrainSettings:
        """Architecture `name`'s training settings (seqpipe.config.recipes), fitted to the prepared
        data where given: a small training split's seeds (seqpipe.config.seeds) and
        train.max_batch_fraction. Every stage after prepare, `seqpipe predict` and the report pass
        it, so that they see the seeds the train stage trained."""
        settings = self.architecture(name).settings
        assert settings is not None  # validate_experiment resolves every choice
        return settings if data is None else settings.for_data(data.sizes.train, data.task)


def context(params_file: str | Path = layout.PARAMS_FILE) -> Context:
    """Validated params and plugins; fails with one line before any data or training work."""
    process.check_project_code()
    raw = params_mod.read_yaml(params_file)  # read once: validated and remembered are the same
    params = params_mod.validate(Params, copy.deepcopy(raw), source=str(params_file))
    registry = build_registry()
    # with the task's defaults: every stage sees the seeds the architectures train
    params, dataset, choices = validate_experiment(params, registry, str(params_file))
    checks.check_experiment(params, dataset, choices, str(params_file))
    return Context(params, registry, dataset, {c.name: c for c in choices}, raw)

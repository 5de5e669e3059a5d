"""Params plus plugins: resolve names in params.yaml to validated plugin settings."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seqpipe.config import params as params_mod
from seqpipe.config import recipes, seeds
from seqpipe.config.params import Params
from seqpipe.errors import ParamsError
from seqpipe.registry import Registry
from seqpipe.specs import Architecture, Dataset


@dataclass(frozen=True)
class ArchitectureChoice:
    name: str
    architecture: Architecture
    hp: Any  # the architecture's validated pydantic params
    # its training settings (train < recipe < models.<name>.train, seqpipe.config.recipes); None: not resolved
    settings: recipes.TrainSettings | None = None

    def train(self, default: params_mod.TrainParams | None = None) -> params_mod.TrainParams:
        """The effective train settings (`default`, else the schema's, where none were resolved)."""
        if self.settings is not None:
            return self.settings.params
        return default if default is not None else params_mod.TrainParams()


@dataclass(frozen=True)
class DatasetChoice:
    name: str
    dataset: Dataset
    options: Any


def choose_architecture(
    params: Params, registry: Registry, name: str, source: str = params_mod.PARAMS_FILE
) -> ArchitectureChoice:
    """The architecture `name` with `models.<name>` validated against its own schema."""
    architecture = registry.architecture(name)
    if name not in params.models:
        # DVC tracks `models.<name>` per matrix item and refuses to run when the key is absent.
        raise ParamsError(
            f"{source}: models.{name}: missing; add `{name}: {{}}` under `models:` "
            f"(an empty mapping uses the plugin's defaults, see `seqpipe list`)"
        )
    raw_hp, raw_train = recipes.split_entry(params.models[name])
    hp = params_mod.validate(architecture.params, raw_hp, prefix=f"models.{name}", source=source)
    settings = recipes.effective(params.train, name, architecture, raw_train, source)
    return ArchitectureChoice(name, architecture, hp, settings)


def choose_dataset(params: Params, registry: Registry, source: str = params_mod.PARAMS_FILE) -> DatasetChoice:
    """The data source named by `data.source`, with `data.options` validated against its schema."""
    try:
        dataset = registry.dataset(params.data.source)
    except Exception as exc:
        raise ParamsError(f"{source}: data.source: {exc}") from None
    raw_options = dict(params.data.options or {})
    if dataset.reads_path:
        if "path" in raw_options:
            raise ParamsError(f"{source}: data.options.path: set the input file as data.path (a DVC dependency of prepare)")
        raw_options["path"] = params.data.path
    options = params_mod.validate(dataset.params, raw_options, prefix="data.options", source=source)
    return DatasetChoice(params.data.source, dataset, options)


def with_task_defaults(params: Params, dataset: DatasetChoice) -> Params:
    """`params` with the task's defaults of the `train:` settings it leaves out (a forecast's seeds,
    seqpipe.config.seeds), the task being the one the data source gives with its options."""
    from seqpipe.config import checks  # it imports this module

    train = seeds.by_task(params.train, checks.forecast_only(dataset))
    return params if train is params.train else params.model_copy(update={"train": train})


def validate_experiment(
    params: Params, registry: Registry, source: str = params_mod.PARAMS_FILE
) -> tuple[Params, DatasetChoice, list[ArchitectureChoice]]:
    """Everything params.yaml names, checked before any data or training work: `params` with the
    task's defaults (`with_task_defaults`, which each architecture's settings start from), the data
    source and the architectures."""
    dataset = choose_dataset(params, registry, source)
    params = with_task_defaults(params, dataset)
    choices = []
    for name in params.architectures:
        try:
            choices.append(choose_architecture(params, registry, name, source))
        except ParamsError:
            raise
        except Exception as exc:
            raise ParamsError(f"{source}: architectures: {exc}") from None
    # An entry for a broken or ambiguous plugin is not a typo: it only fails once selected.
    known = set(registry.architectures) | set(registry.broken) | set(registry.ambiguous)
    unused = sorted(set(params.models) - set(params.architectures) - known)
    if unused:
        raise ParamsError(
            f"{source}: models.{unused[0]}: no architecture of that name is registered; "
            f"available: {', '.join(sorted(registry.architectures))}"
        )
    return params, dataset, choices

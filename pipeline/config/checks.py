"""Cross-field checks: combinations of valid values that cannot work together.

Each section's schema checks its own fields; these checks look across sections and plugins.
`check_experiment` runs on params alone (`seqpipe validate`, every stage's start, no TensorFlow);
`check_prepared` runs once the prepared data's shape is known (prepare, before writing; train,
before building). Every failure is one ParamsError naming the dotted key, the value and the fix.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from seqpipe.config.experiment import ArchitectureChoice, DatasetChoice
from seqpipe.config.params import PARAMS_FILE, Params
from seqpipe.errors import ParamsError, PluginError, SeqpipeError, one_line

if TYPE_CHECKING:  # the spec is only read here; importing it would tie this module to the data step
    from seqpipe.data.spec import PreparedSpec


def _hint(dataset: DatasetChoice, field: str) -> Any:
    """Call the source's declared hint `field` (tasks_for, size_for); plugin failures are one line."""
    hint = getattr(dataset.dataset, field)
    try:
        return hint(dataset.options)
    except SeqpipeError:
        raise
    except Exception as exc:
        raise PluginError(f"dataset '{dataset.name}': {field}() raised {type(exc).__name__}: {one_line(str(exc))}") from None


def source_tasks(dataset: DatasetChoice) -> tuple[str, ...]:
    """The tasks the source can produce with these options (its `tasks_for` hint, else `tasks`)."""
    source = dataset.dataset
    return tuple(source.tasks if source.tasks_for is None else _hint(dataset, "tasks_for"))


def forecast_only(dataset: DatasetChoice) -> bool:
    """Whether the source, with these options, can only produce forecast data."""
    return source_tasks(dataset) == ("forecast",)


def _timesteps(dataset: DatasetChoice) -> int | None:
    """The sequence length the source declares for these options (`timesteps_for`), None when unknown."""
    if getattr(dataset.dataset, "timesteps_for", None) is None:
        return None
    steps = _hint(dataset, "timesteps_for")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int)):
        raise PluginError(f"dataset '{dataset.name}': timesteps_for() returned {steps!r}, expected an int or None")
    return steps


def check_tasks(offered: tuple[str, ...], choices: list[ArchitectureChoice], what: str, source: str = PARAMS_FILE) -> None:
    """Every architecture serves at least one of the tasks the data can be (all of them once known)."""
    for choice in choices:
        supported = tuple(choice.architecture.tasks)
        if not set(offered) & set(supported):
            raise ParamsError(
                f"{source}: architectures: '{choice.name}' supports tasks {', '.join(supported)}, but {what} gives "
                f"{' or '.join(offered)}; remove '{choice.name}' from architectures or use data of a task it supports"
            )


def check_quantiles(params: Params, offered: tuple[str, ...], what: str, source: str = PARAMS_FILE) -> None:
    """`train.quantiles` is for forecasts: refused (not ignored) when the data cannot be one."""
    if params.train.quantiles is not None and "forecast" not in offered:
        raise ParamsError(f"{source}: train.quantiles: quantile forecasts need task forecast, but {what}; "
                          "set train.quantiles: null")


def _size(dataset: DatasetChoice) -> int | None:
    """The number of sequences the source says it will produce, None when unknown."""
    if dataset.dataset.size_for is None:
        return None
    size = _hint(dataset, "size_for")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
        raise PluginError(f"dataset '{dataset.name}': size_for() returned {size!r}, expected an int or None")
    return size


def _min_timesteps(choice: ArchitectureChoice) -> int | None:
    needs = choice.architecture.min_timesteps
    return None if needs is None else int(needs(choice.hp))


def check_timesteps(timesteps: int, key: str, choices: list[ArchitectureChoice], source: str = PARAMS_FILE) -> None:
    """Every architecture's shortest usable input (its `min_timesteps`) fits in `timesteps`."""
    for choice in choices:
        needs = _min_timesteps(choice)
        if needs is not None and timesteps < needs:
            raise ParamsError(
                f"{source}: {key}: {timesteps} steps are fewer than the {needs} that architecture "
                f"'{choice.name}' needs with its models.{choice.name} settings; use longer sequences "
                f"or smaller kernels/fewer layers"
            )


def check_batch_size(batch_size: int, train_size: int, source: str = PARAMS_FILE, estimated: bool = False,
                     key: str = "train.batch_size") -> None:
    if batch_size > train_size:
        about = "about " if estimated else ""
        raise ParamsError(
            f"{source}: {key}: {batch_size} is larger than the training split ({about}{train_size} "
            f"sequences); use at most {train_size}"
        )


def check_batch_sizes(choices: list[ArchitectureChoice], params: Params, train_size: int, source: str = PARAMS_FILE,
                      estimated: bool = False) -> None:
    """Each architecture's batch size (its effective train settings, capped by max_batch_fraction) fits the split
    (train.batch_size when no architecture is given)."""
    if not choices:
        check_batch_size(params.train.batch_size, train_size, source, estimated)
    for choice in choices:
        if choice.settings is None:
            check_batch_size(params.train.batch_size, train_size, source, estimated)
            continue
        settings = choice.settings.for_data(train_size)
        origin = settings.sources["batch_size"]
        key = ("train.batch_size" if origin in ("train", "default") else f"models.{choice.name}.train.batch_size"
               + ("" if origin.startswith("models.") else f" (the {origin} sets it)"))
        check_batch_size(settings.params.batch_size, train_size, source, estimated, key)


def check_experiment(
    params: Params, dataset: DatasetChoice, choices: list[ArchitectureChoice], source: str = PARAMS_FILE
) -> None:
    """What can be told from params.yaml and the plugins alone, before any data is read."""
    data = params.data
    check_tasks(source_tasks(dataset), choices, f"data.source '{dataset.name}' with its data.options", source)
    check_quantiles(params, source_tasks(dataset), f"data.source '{dataset.name}' gives task {' or '.join(source_tasks(dataset))}",
                    source)
    check_strategy(choices, source, None if "forecast" in source_tasks(dataset) else
                   f"data.source '{dataset.name}' gives task {' or '.join(source_tasks(dataset))}, not forecast")
    if data.maxlen is not None and not forecast_only(dataset):
        check_timesteps(data.maxlen, "data.maxlen", choices, source)
    elif not forecast_only(dataset) and (steps := _timesteps(dataset)) is not None:
        # data.maxlen: null pads to a percentile of the lengths: all the same for a fixed-length source
        check_timesteps(steps, f"data.maxlen (null: the {steps} steps of data.source '{dataset.name}')", choices, source)
    if forecast_only(dataset):
        window = data.window
        if window.season != "auto" and window.season > window.lookback:
            raise ParamsError(
                f"{source}: data.window.season: {window.season} exceeds data.window.lookback "
                f"({window.lookback}); the seasonal naive baseline needs a full season of history"
            )
        check_timesteps(window.lookback, "data.window.lookback", choices, source)
    n_samples = _size(dataset)
    if n_samples is not None and not forecast_only(dataset):
        # Sources that know their size: the split's arithmetic (scikit-learn rounds test and val up).
        rest = n_samples - math.ceil(n_samples * data.split.test)
        train = rest - math.ceil(rest * data.split.val / (1.0 - data.split.test))
        check_batch_sizes(choices, params, train, source, estimated=True)


def check_prepared(spec: PreparedSpec, params: Params, choices: list[ArchitectureChoice],
                   source: str = PARAMS_FILE) -> list[str]:
    """Checks that need the prepared data's shape: sequence length and training-split size.
    Returns notes for the log: a forecast with fewer training windows than train.batch_size is
    not refused (a series gives few windows under the cutoff protocol): each step then uses them all."""
    origin = spec.padding.maxlen_from  # the key the length came from, or how it was computed
    key = origin if origin.startswith("data.") else f"data.maxlen (null: {origin})"
    check_tasks((spec.task,), choices, "the prepared data", source)
    check_quantiles(params, (spec.task,), f"the prepared data is task {spec.task}", source)
    check_timesteps(spec.timesteps, key, choices, source)
    check_strategy(choices, source, spec.why_not_recursive())
    if spec.task == "forecast":  # a short series has few windows: never refused, noted
        n = spec.sizes.train
        sizes = [_batch_size(c, params, n) for c in choices] or [params.train.batch_size]
        larger = sorted({b for b in sizes if b > n})
        if larger:
            return [f"prepare: train.batch_size {', '.join(map(str, larger))} is more than the {n} training "
                    f"windows: every step uses all {n} (set train.batch_size to at most {n} to silence this)"]
        return []
    check_batch_sizes(choices, params, spec.sizes.train, source)
    return []


def check_strategy(choices: list[ArchitectureChoice], source: str = PARAMS_FILE, data_problem: str | None = None
                   ) -> None:
    """`train.strategy: recursive` only where a one-step model's forecast can be fed back: a point
    forecast (no train.quantiles) of data without `data_problem` (PreparedSpec.why_not_recursive:
    another task, covariates, several columns)."""
    for choice in choices:
        train = choice.train()
        if train.strategy != "recursive":
            continue
        key = choice.settings.key("strategy") if choice.settings is not None else "train.strategy"
        why = data_problem or (
            "train.quantiles is set, and a fed-back forecast is a point forecast" if train.quantiles else None)
        if why is not None:
            raise ParamsError(f"{source}: {key}: recursive (architecture '{choice.name}') cannot forecast this data: "
                              f"{why}; set {key} to direct")


def _batch_size(choice: ArchitectureChoice, params: Params, train_size: int) -> int:
    """The batch size an architecture trains with (its recipe and models.<arch>.train applied)."""
    if choice.settings is None:
        return params.train.batch_size
    return choice.settings.for_data(train_size).params.batch_size

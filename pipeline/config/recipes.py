"""One architecture's training settings: params.yaml's `train:`, the plugin's recipe and
`models.<arch>.train:`, merged, with where each setting came from.

Precedence, lowest first:

1. the schema's defaults (`seqpipe.config.params.TrainParams`), and for a forecast or a small
   classification or regression training split their own defaults of `repeats` and `ensemble`
   (3 seeds and their ensemble, `seqpipe.config.seeds`; the split's size is known once the data is
   prepared: `TrainSettings.for_data`);
2. params.yaml's `train:`, shared by every architecture;
3. the architecture's recipe (`Architecture(recipe=Recipe(...))`, `seqpipe show ARCH`), unless
   `train.recipes: false` (or `models.<arch>.train.recipes: false` for one architecture);
4. params.yaml's `models.<arch>.train:`, this architecture's own settings.

The recipe beats `train:` because `train:` is written once for every architecture (params.yaml
lists all of it), while a recipe is what one architecture was published with; the train log and
`models/<arch>.fit.json` name the `train:` value a recipe replaced, so nothing changes in silence.
`effective` is the one place that merges them: the train stage, model assembly, the budget, the
checks, the report and `seqpipe show` all read an architecture's settings from it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from seqpipe.config import seeds
from seqpipe.config.params import PARAMS_FILE, TrainParams, validate
from seqpipe.errors import ParamsError
from seqpipe.specs import Architecture

KEY = "train"  # models.<arch>.train: reserved, never a hyperparameter
# Settings every architecture shares: the report pairs the architectures' seeds and compares their
# intervals (and the baselines stage forecasts the same quantile levels).
SHARED = ("repeats", "quantiles")
DEFAULT, TRAIN = "default", "train"


def recipe_label(arch: str) -> str:
    return f"recipe of {arch}"


def override_label(arch: str) -> str:
    return f"models.{arch}.{KEY}"


@dataclass(frozen=True)
class TrainSettings:
    """The effective `train.*` settings of one architecture and, for each, where it came from."""

    arch: str
    params: TrainParams
    # setting -> "default", "default for a forecast", "default for a small training set", "train", "recipe of <arch>"
    # or "models.<arch>.train"
    sources: dict[str, str]
    notes: dict[str, str] = field(default_factory=dict)  # setting -> what else it replaced or how it was fitted

    def origin(self, key: str) -> str:
        note = self.notes.get(key)
        return f"{self.sources[key]}, {note}" if note else self.sources[key]

    def key(self, setting: str) -> str:
        """The params.yaml key that changes `setting` for this architecture: `models.<arch>.train.<setting>`
        where the recipe or that key set it, else `train.<setting>`."""
        own = self.sources[setting] in (override_label(self.arch), recipe_label(self.arch))
        return f"{override_label(self.arch) if own else TRAIN}.{setting}"

    def describe(self, key: str) -> str:
        """`learning_rate 0.001 (recipe of fcn)`."""
        return f"{key} {_show(getattr(self.params, key))} ({self.origin(key)})"

    def lines(self) -> list[str]:
        """The train log's lines: the precedence, then one line per source, highest first."""
        order = [override_label(self.arch), recipe_label(self.arch), TRAIN, seeds.SOURCE, seeds.SMALL_SOURCE, DEFAULT]
        head = (f"training settings of {self.arch} (highest first: {' > '.join(order)}; "
                f"train.recipes: {str(self.params.recipes).lower()})")
        lines = [head]
        for source in order:
            keys = [k for k, s in self.sources.items() if s == source]
            if keys:
                shown = ", ".join(f"{k} {_show(getattr(self.params, k))}"
                                  + (f" ({self.notes[k]})" if k in self.notes else "") for k in keys)
                lines.append(f"  from {source}: {shown}")
        return lines

    def record(self) -> dict[str, dict[str, Any]]:
        """For models/<arch>.fit.json: {setting: {"value": ..., "from": ...}} in schema order."""
        values = self.params.model_dump(mode="json")
        return {k: {"value": values[k], "from": self.origin(k)} for k in self.sources}

    def own(self) -> dict[str, str]:
        """The settings that differ from `train:` (from the recipe or models.<arch>.train; the seeds a
        forecast or a small training set chooses are every architecture's, in `train:`), for the
        report's params: {setting: "0.001 (recipe of fcn)"}."""
        return {k: f"{_show(getattr(self.params, k))} ({self.origin(k)})" for k, s in self.sources.items()
                if s != seeds.SMALL_SOURCE and (s not in (TRAIN, seeds.SOURCE, DEFAULT) or k in self.notes)}

    def small_set(self) -> dict[str, str]:
        """The seeds a small training set chose (`for_data`), for the report's `train:` (every
        architecture's): {setting: "3 (default for a small training set, 72 training sequences, ...)"}."""
        return {k: f"{_show(getattr(self.params, k))} ({self.origin(k)})" for k, s in self.sources.items()
                if s == seeds.SMALL_SOURCE}

    def for_data(self, n_train: int, task: str | None = None) -> TrainSettings:
        """These settings on a prepared training split of `n_train` sequences of `task`: a small
        classification or regression split's seeds (seqpipe.config.seeds.by_size; `task` None: not
        applied), then `train.max_batch_fraction`."""
        settings = self
        unset = {key for key in ("repeats", "ensemble") if self.sources[key] == DEFAULT}
        picked = seeds.by_size(self.params, task, n_train, unset)
        if picked:
            settings = replace(self, params=self.params.model_copy(update=picked),
                               sources={**self.sources, **dict.fromkeys(picked, seeds.SMALL_SOURCE)},
                               notes={**self.notes, next(iter(picked)): seeds.small_note(n_train)})
        fraction = settings.params.max_batch_fraction
        if fraction is None:
            return settings
        cap = max(1, math.floor(n_train * fraction))
        if cap >= settings.params.batch_size:
            return settings
        note = f"capped at max_batch_fraction {fraction:g} of {n_train} training sequences"
        return replace(settings, params=settings.params.model_copy(update={"batch_size": cap}),
                       notes={**settings.notes, "batch_size": _joined(settings.notes.get("batch_size"), note)})


def split_entry(raw: Any) -> tuple[Any, Any]:
    """`models.<arch>` as (its hyperparameters, its `train:` mapping or None)."""
    if not isinstance(raw, dict) or KEY not in raw:
        return raw, None
    hp = {k: v for k, v in raw.items() if k != KEY}
    return hp, raw[KEY]


def effective(train: TrainParams, name: str, architecture: Architecture, override: Any = None,
              source: str = PARAMS_FILE) -> TrainSettings:
    """The settings `name` trains with: `train` < its recipe < `override` (`models.<name>.train`).

    Errors in `override` are one line naming the dotted key (`models.fcn.train.batch_size`).
    """
    prefix = override_label(name)
    if override is None:
        override = {}
    if not isinstance(override, dict):
        raise ParamsError(f"{source}: {prefix}: must be a mapping of train.* settings (e.g. {{batch_size: 32}}), "
                          f"got {override!r}")
    for key in SHARED:
        if key in override:
            raise ParamsError(f"{source}: {prefix}.{key}: set train.{key} instead; every architecture shares it "
                              "(the report compares the architectures with the same settings)")
    base = train.model_dump()
    # the override alone first, so that its keys and types are checked (and named) before anything merges
    checked = validate(TrainParams, {**base, **override}, prefix=prefix, source=source)
    recipe = architecture.recipe.settings() if architecture.recipe is not None and checked.recipes else {}
    merged = validate(TrainParams, {**base, **recipe, **override}, prefix=prefix, source=source)
    sources: dict[str, str] = {}
    notes: dict[str, str] = {}
    by_task = seeds.chosen(train)  # a forecast's repeats and ensemble, where params.yaml leaves them out
    for key in TrainParams.model_fields:
        if key in override:
            sources[key] = prefix
        elif key in recipe:
            sources[key] = recipe_label(name)
            if key in train.model_fields_set and recipe[key] != base[key]:
                notes[key] = f"over train.{key} {_show(base[key])}"
        else:
            sources[key] = TRAIN if key in train.model_fields_set else seeds.SOURCE if key in by_task else DEFAULT
    settings = TrainSettings(name, merged, sources, notes)
    if merged.ensemble and merged.repeats < 2:
        raise ParamsError(f"{source}: {settings.key('ensemble')}: true averages the seeds of train.repeats, "
                          f"which is {merged.repeats}; set train.repeats to 2 or more (3 for forecasts), or "
                          "ensemble to false")
    return settings


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else str(value)


def _joined(first: str | None, second: str) -> str:
    return f"{first}; {second}" if first else second

"""How a forecast model reaches its horizon (`train.strategy`): direct, one output per step, or
recursive, a one-step model whose forecasts are fed back (seqpipe.data.one_step).

`auto`, the default, forecasts recursively wherever a fed-back forecast is the whole next input (a
point forecast of one column without covariates) under the cutoff protocol, else directly. On
eighteen offline series, six of them held out of every earlier choice (bench/RESULTS.md, "Recursive
by default"), recursive forecasts trained up to the test range met issue 15's goal on 16, direct
ones on 11. Where a seed's recursive forecast of the validation windows runs away
(seqpipe.training.diagnostics.runaway), `auto` trains the architecture again as a direct forecast
(`after_runaway`); the strategy a model was trained with is recorded (`Strategy.record`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from seqpipe.config.params import TrainParams
from seqpipe.data.spec import PreparedSpec

# Why auto forecasts directly under the sliding protocol (bench/RESULTS.md, "Recursive forecasts under
# the sliding protocol"): there training stops at data.split's fraction, and on 13 offline series
# recursive won 19 of 39 (series, architecture) pairs, the best architecture's MASE equal on average
# (0.99x), while one fed-back cnn ran away (lynx: MASE 600); recursive's wins were measured trained up
# to the test range, which only the cutoff protocol allows.
SLIDING = "where recursive forecasts were no better on average and one ran away"


@dataclass(frozen=True)
class Strategy:
    """The strategy an architecture trains with, and why (auto's reason, for the train log)."""

    name: Literal["direct", "recursive"]
    why: str = ""
    falls_back: bool = False  # auto's recursive: trained again as direct where a seed's forecast runs away

    @property
    def recursive(self) -> bool:
        return self.name == "recursive"

    def record(self) -> dict[str, str]:
        """For models/<arch>.fit.json and timings/<arch>.json (`trained` reads it back)."""
        return {"name": self.name, "why": self.why}


def why_not_recursive(train: TrainParams, spec: PreparedSpec) -> str | None:
    """Why this architecture's forecast cannot be fed back step by step; None: it can."""
    return spec.why_not_recursive() or (
        "train.quantiles is set, and a fed-back forecast is a point forecast" if train.quantiles else None)


def resolve(train: TrainParams, spec: PreparedSpec) -> Strategy:
    """`train.strategy` for this data (checks.check_strategy has refused an explicit recursive that
    cannot run)."""
    if train.strategy != "auto":
        return Strategy(train.strategy)
    if spec.forecast is None:
        return Strategy("direct")
    why_not = why_not_recursive(train, spec)
    if why_not is not None:
        return Strategy("direct", f"train.strategy auto: direct, because {why_not}")
    if spec.forecast.protocol == "sliding":
        return Strategy("direct", f"train.strategy auto: direct under the sliding protocol, {SLIDING}")
    return Strategy("recursive", "train.strategy auto: a point forecast of one column", falls_back=True)


def after_runaway(seed: int) -> Strategy:
    """auto's strategy once `seed`'s recursive forecast ran away on the validation windows."""
    return Strategy("direct", f"train.strategy auto: direct, because the recursive forecast of seed {seed} ran away "
                              "on the validation windows")


def trained(record: dict[str, str] | None, train: TrainParams, spec: PreparedSpec) -> Strategy:
    """The strategy a model was trained with: its `record` (timings/<arch>.json), else what its
    `train` settings resolve to (a model trained before strategies were recorded)."""
    if record and record.get("name") in ("direct", "recursive"):
        return Strategy("recursive" if record["name"] == "recursive" else "direct", record.get("why", ""))
    return resolve(train, spec)


def report_rows(chosen: dict[str, Strategy], spec: PreparedSpec) -> dict[str, str]:
    """The report's data-table rows (label -> value) on the strategy each architecture trained
    with: one row when they all share it; none for data that is not a forecast."""
    if spec.forecast is None:
        return {}
    said = {name: describe(strategy, spec) for name, strategy in chosen.items()}
    if len(set(said.values())) == 1:
        return {"forecast strategy": next(iter(said.values()))}
    return {f"forecast strategy of {name}": line for name, line in said.items()}


def recursive_names(chosen: dict[str, Strategy]) -> frozenset[str]:
    """The architectures that forecast recursively."""
    return frozenset(name for name, strategy in chosen.items() if strategy.recursive)


def describe(chosen: Strategy, spec: PreparedSpec) -> str:
    """The strategy in words, for the report's data table."""
    assert spec.forecast is not None, "a strategy is a forecast's"
    if chosen.recursive:
        return (f"recursive: a one-step model fed back {spec.forecast.horizon} times "
                f"({chosen.why or 'train.strategy recursive'})")
    return f"direct: one output per horizon step ({chosen.why or 'train.strategy direct'})"

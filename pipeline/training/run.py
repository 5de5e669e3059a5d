"""One architecture's whole training run: every seed of `train.repeats`, resumable, with its curves.

The train stage calls `train_seeds` with the paths it owns; everything here takes values.
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from seqpipe import atomic, conformal, tasks
from seqpipe.config import budget
from seqpipe.config.budget import Budget
from seqpipe.config.experiment import ArchitectureChoice
from seqpipe.config.params import TrainParams
from seqpipe.data import one_step
from seqpipe.data.prepared import Prepared
from seqpipe.data.spec import PreparedSpec
from seqpipe.quantiles import QuantileForecast
from seqpipe.training import acceleration, diagnostics, ensemble, least_squares, resilience, schedules, strategy
from seqpipe.training import live as live_log
from seqpipe.training.fit import FitSummary, Load, fit, kept_epoch, kept_line, seed_everything
from seqpipe.training.model import build_model


def train_as_worker(choice: ArchitectureChoice, prepared: Prepared, train: TrainParams, seeds: list[int]) -> None:
    """A worker of a multi-worker run: train in step with the chief, write nothing."""
    prepared = fit_data(prepared, strategy.resolve(train, prepared.spec))
    spec = prepared.spec
    plan = budget.plan(train, spec.sizes.train, spec.sizes.val, train.batch_size * acceleration.replicas(train.distribute),
                       spec.task)  # the chief's: regression early-stops on a small validation split
    for seed in seeds:
        seed_everything(seed)
        summary = fit(build_model(choice, spec, train), prepared.xy("train"), prepared.xy("val"), train, plan=plan)
        print(f"worker done {choice.name} (seed {seed}): {summary.epochs_run} epochs; the chief writes the outputs")


class RanAway(Exception):
    """A seed's recursive forecast ran away (seqpipe.training.diagnostics.runaway), under a strategy
    that falls back to direct: the seeds trained so far are dropped, unsaved."""

    def __init__(self, seed: int, finding: diagnostics.Finding) -> None:
        super().__init__(finding.line())
        self.seed, self.finding = seed, finding


def train_seeds(
    choice: ArchitectureChoice,
    prepared: Prepared,
    train: TrainParams,
    seeds: list[int],
    *,
    backup: Path,
    model_file: Path,
    repeats_dir: Path,
    live_dir: Path,
) -> list[FitSummary]:
    """Fit one model per seed. The first goes to `model_file` with its curves in `live_dir`; the
    others to `repeats_dir`, which also lists the seeds. Each epoch is checkpointed under `backup`.
    A forecast's summaries record the strategy trained (seqpipe.training.strategy): `auto`'s
    recursive one is trained again as direct where a seed's validation forecast runs away."""
    chosen = strategy.resolve(train, prepared.spec)
    if chosen.falls_back and train.distribute == "multi_worker":  # the workers could not follow the chief
        chosen = replace(chosen, falls_back=False)
    paths = {"model_file": model_file, "repeats_dir": repeats_dir, "live_dir": live_dir}
    try:
        summaries = _train_as(chosen, choice, prepared, train, seeds, backup=backup / chosen.name, **paths)
    except RanAway as away:
        print(f"{choice.name}: {away.finding.problem}, so train.strategy auto trains it again as a direct forecast, "
              "one output per horizon step", flush=True)
        shutil.rmtree(live_dir, ignore_errors=True)  # the first seed's curves were the recursive model's
        chosen = strategy.after_runaway(away.seed)
        summaries = _train_as(chosen, choice, prepared, train, seeds, backup=backup / chosen.name, **paths)
    if prepared.spec.forecast is not None:
        for summary in summaries:
            summary.strategy = chosen.record()
    return summaries


def _train_as(chosen: strategy.Strategy, choice: ArchitectureChoice, prepared: Prepared, train: TrainParams,
              seeds: list[int], *, backup: Path, model_file: Path, repeats_dir: Path, live_dir: Path
              ) -> list[FitSummary]:
    """`train_seeds` with the strategy `chosen`."""
    from dvclive import Live

    arch = choice.name
    summaries = []
    direct_data = prepared
    direct = prepared.spec  # the saved models forecast its horizon, also when trained one step at a time
    prepared = fit_data(prepared, chosen)
    if prepared.spec is not direct:
        print(one_step.line(arch, direct, prepared.spec, chosen.why or "train.strategy recursive"), flush=True)
    elif chosen.why:
        print(f"{arch}: direct forecast, one output per horizon step ({chosen.why})", flush=True)
    plan = budget.plan(train, prepared.spec.sizes.train, prepared.spec.sizes.val,
                       train.batch_size * acceleration.replicas(train.distribute), prepared.spec.task)
    budget_said = False  # said before the first seed trained by steps: a solved head has no budget
    train = budget.resolved(train, plan)  # what build_model and the stopper below see
    # an ensemble's intervals are calibrated on the ensemble's validation forecast, not seed by seed
    calibrate_together = bool(train.ensemble and train.quantiles and train.conformal and len(seeds) > 1)
    members: list[tuple[Any, Path]] = []
    solution: least_squares.Solution | None = None  # a head solved once is the same for every seed
    solvable = True  # until a seed's model is found not to be (the same for every seed)
    with atomic.atomic_path(repeats_dir) as extra:
        extra.mkdir(parents=True)
        for i, seed in enumerate(seeds):
            seed_everything(seed)
            model = build_model(choice, prepared.spec, train)  # plugin errors surface before any output
            run = f" (seed {seed}, repeat {i + 1}/{len(seeds)})" if len(seeds) > 1 else ""
            print(f"training {arch}{run}: {model.count_params():,} parameters", flush=True)
            solved = solve_head(model, prepared, train, arch, solution) if solvable else None
            solvable = solved is not None
            if solved is not None:
                summary, solution = solved
                if i == 0:
                    with Live(dir=str(live_dir), dvcyaml=None, save_dvc_exp=False, report=None) as live:
                        live_log.log_once(live, _scores(model, prepared, train))
                if i == 0:  # a solved head is the same for every seed: so is its forecast
                    check_runaway(chosen, arch, model, direct_data, prepared, train.batch_size, seed, first=True)
                target = model_file if i == 0 else extra / f"seed{seed}.keras"
                resilience.save_model(forecaster(model, direct, prepared), target)
                summaries.append(summary)
                print(f"trained {arch}{run}: {summary.kept}", flush=True)
                if i == 0:
                    for finding in run_findings(arch, model, prepared, summary, [], train.batch_size):
                        print(f"check: {finding.line()}", flush=True)
                continue
            if not budget_said:
                print(plan.line(), flush=True)
                print(plan.stopping, flush=True)
                budget_said = True
            # Early stopping lives next to the checkpoint (which saves its state), so fit's own is off.
            # the weights kept: lowest val_loss (early stopping), lowest training loss or the last (plan.keep)
            stopper = resilience.kept_weights(plan, train.patience)
            plateau = schedules.plateau(train)  # lr_schedule: plateau; its counters are checkpointed
            guard = resilience.nan_guard(arch)
            ckpt = resilience.checkpoint(backup / f"seed{seed}", stopper, log=lambda m: print(m, flush=True),
                                         plateau=plateau)
            callbacks = [guard, *([plateau] if plateau else []), *([stopper] if stopper else []), ckpt]
            no_stopper = train.model_copy(update={"patience": 0})
            if i == 0:
                with Live(dir=str(live_dir), dvcyaml=None, save_dvc_exp=False, report=None) as live:
                    live_log.replay_history(live, resilience.saved_history(backup / f"seed{seed}"))
                    summary = fit(model, prepared.xy("train"), prepared.xy("val"), no_stopper,
                                  extra_callbacks=[*callbacks, live_log.live_logger(live)], plan=plan)
                if guard.failed:
                    shutil.rmtree(live_dir, ignore_errors=True)  # no curves ending in NaN
                resilience.raise_if_diverged(guard)
            else:
                summary = fit(model, prepared.xy("train"), prepared.xy("val"), no_stopper, extra_callbacks=callbacks,
                              plan=plan)
                resilience.raise_if_diverged(guard)
            check_runaway(chosen, arch, model, direct_data, prepared, train.batch_size, seed, first=i == 0)
            target = model_file if i == 0 else extra / f"seed{seed}.keras"
            if calibrate_together:
                members.append((model, target))  # calibrated and saved once every seed is trained
            else:
                model = calibrate_intervals(model, prepared, train, run)
                resilience.save_model(forecaster(model, direct, prepared), target)
            summary = _whole_run(summary, ckpt, plan)
            summaries.append(summary)
            print(f"trained {arch}{run}: {summary.epochs_run} epochs in {summary.train_seconds:.1f}s "
                  f"(best epoch {summary.best_epoch}){_load_note(summary)}", flush=True)
            print(f"{summary.kept} ({_why_kept(plan)})", flush=True)
            if i == 0:  # the run whose model is models/<arch>.keras
                for finding in run_findings(arch, model, prepared, summary, [h.get("loss") for h in ckpt.history],
                                            train.batch_size):
                    print(f"check: {finding.line()}", flush=True)
        if calibrate_together:
            for model, target in calibrate_ensemble(members, prepared, train):
                resilience.save_model(model, target)
        (extra / "seeds.json").write_text(json.dumps({"seeds": seeds}) + "\n", encoding="utf-8")
    if train.ensemble and len(seeds) > 1:
        print(ensemble.line(arch, seeds), flush=True)
    return summaries


def fit_data(prepared: Prepared, chosen: strategy.Strategy) -> Prepared:
    """What the model is fitted on: the prepared windows, or one-step windows where it forecasts
    recursively (seqpipe.training.strategy; seqpipe.data.one_step)."""
    return one_step.one_step(prepared) if chosen.recursive else prepared


def forecaster(model: Any, direct: PreparedSpec, fitted: Prepared) -> Any:
    """The model to save: `model` itself, or a one-step model wrapped to forecast `direct`'s horizon."""
    from seqpipe.training import recursive  # keras: after the stage chose the backend

    return model if fitted.spec is direct else recursive.wrap(model, direct)


def solve_head(model: Any, prepared: Prepared, train: TrainParams, arch: str,
               solved_before: least_squares.Solution | None) -> tuple[FitSummary, least_squares.Solution] | None:
    """The run's summary where the model's head is solved by least squares rather than trained
    (seqpipe.training.least_squares), with the solution; None where the model must be trained.
    `solved_before`, an earlier seed's solution, is the same model: its weights are reused."""
    reason = least_squares.why_not(model, prepared.spec.task, train)
    if reason is not None:
        if reason.startswith(least_squares.TOO_LARGE):  # it would qualify but for its size: say why it trains
            print(f"{arch}: {reason}, so its head is trained by gradient steps", flush=True)
        return None
    started, cpu = time.perf_counter(), time.process_time()
    if solved_before is not None:
        model.get_layer(least_squares.HEAD).set_weights([solved_before.kernel, solved_before.bias])
        solution = solved_before
    else:
        found = least_squares.solve(model, *prepared.xy("train"))
        if found is None:
            print(f"{arch}: its output is not affine in its head (e.g. data.window.log's exponential), so its head is "
                  "trained by gradient steps, not solved by least squares", flush=True)
            return None
        solution = found
        print(solution.line(arch), flush=True)
    load = Load()
    load.sample()
    seconds = time.perf_counter() - started
    summary = FitSummary(
        epochs_run=0, best_epoch=0, train_seconds=round(seconds, 3), seconds_per_epoch=0.0, epochs_budget=0,
        budget="none: the head solved by least squares (train.least_squares)",
        early_stopping="none: nothing is trained by steps",
        kept="kept the least-squares head, the exact minimum of the training loss"
             + (" (the same as the first seed's)" if solved_before is not None else ""),
        kept_by=budget.KEEP_LAST, cpu_seconds=round(time.process_time() - cpu, 3), load_avg=load.mean,
        cores=load.cores, contended=load.contended, least_squares=True)
    return summary, solution


def _scores(model: Any, prepared: Prepared, train: TrainParams) -> dict[str, float]:
    """The compiled loss and metrics on the training split, and on the validation split as val_*,
    as one epoch of Keras' fit would log them."""
    scores = model.evaluate(*prepared.xy("train"), batch_size=train.batch_size, verbose=0, return_dict=True)
    x_val, y_val = prepared.xy("val")
    if len(y_val):
        val = model.evaluate(x_val, y_val, batch_size=train.batch_size, verbose=0, return_dict=True)
        scores.update({f"val_{k}": v for k, v in val.items()})
    return {k: float(v) for k, v in scores.items()}


def calibrate_intervals(model: Any, prepared: Prepared, train: TrainParams, run: str) -> Any:
    """Quantile models with `train.conformal`: the model with its intervals calibrated on the
    validation windows (seqpipe.conformal), said in the log; any other model as it is."""
    from seqpipe.training import quantile_head

    if not train.quantiles:
        return model
    if not train.conformal:
        print(f"intervals{run} as trained: not calibrated (train.conformal: false)", flush=True)
        return model
    x_val, y_val = prepared.xy("val")
    model, calibration = quantile_head.calibrated(model, x_val, y_val, train.batch_size)
    print(calibration.line() + run if calibration else
          f"intervals{run} not calibrated: no validation windows (or no interval around the median)", flush=True)
    return model


def calibrate_ensemble(members: list[tuple[Any, Path]], prepared: Prepared, train: TrainParams
                       ) -> list[tuple[Any, Path]]:
    """An ensemble's quantile models (`train.ensemble`), each with the one calibration fitted on
    the validation forecast of their mean (seqpipe.conformal), so the ensemble's intervals are the
    ones calibrated; said in the log once. A correction widens each band by the same amount in
    every model, so the mean of the corrected models is the corrected mean."""
    from seqpipe.training import quantile_head

    x_val, y_val = prepared.xy("val")
    models = [model for model, _ in members]
    forecast = ensemble.mean_output([quantile_head.output(m, np.asarray(m.predict(x_val, batch_size=train.batch_size,
                                                                                  verbose=0))) for m in models])
    calibration = conformal.fit(y_val, forecast) if isinstance(forecast, QuantileForecast) and len(y_val) else None
    if calibration is None:
        print("intervals of the ensemble not calibrated: no validation windows (or no interval around the median)",
              flush=True)
        return members
    print(calibration.line() + f" (the ensemble of {len(models)} seeds)", flush=True)
    return [(quantile_head.with_calibration(model, calibration), target) for model, target in members]


def run_findings(arch: str, model: Any, prepared: Prepared, summary: FitSummary, train_loss: list[Any],
                 batch_size: int) -> list[diagnostics.Finding]:
    """The report's rules (seqpipe.training.diagnostics) applied to one finished run, on the
    validation split: too small to choose an epoch by, no better than the task's no-skill baseline,
    best epoch among the first few, training loss still falling at the end of the budget (a
    recursive forecast running away: `check_runaway`, for every seed)."""
    from seqpipe.training import quantile_head  # Keras: imported once training has begun

    spec = prepared.spec
    task = tasks.get(spec.task)
    x_val, y_val = prepared.xy("val")
    found = [diagnostics.small_validation(spec.sizes.val, spec.task)]
    if len(y_val):
        base = task.baseline(prepared.arrays["y_train"], y_val, x_val, spec)
        output = quantile_head.output(model, np.asarray(model.predict(x_val, batch_size=batch_size, verbose=0)))
        score = task.scores(y_val, output, spec)[task.primary_metric]
        found.append(diagnostics.no_skill(arch, task.primary_metric, score, base.name,
                                          base.scores.get(task.primary_metric), task.greater_is_better, "validation",
                                          solved=summary.least_squares))
    loss = np.array([v for v in train_loss if v is not None], dtype=float)
    by_val_loss = summary.best_epoch if summary.kept_by == budget.KEEP_VAL_LOSS else None
    found += [diagnostics.early_best(arch, by_val_loss, summary.epochs_run, spec.sizes.val, spec.task),
              diagnostics.still_falling(arch, loss, summary.epochs_run, summary.epochs_budget)]
    return [f for f in found if f]


def check_runaway(chosen: strategy.Strategy, arch: str, model: Any, direct: Prepared, fitted: Prepared,
                  batch_size: int, seed: int, *, first: bool) -> None:
    """A one-step `model` (`fitted` is not `direct`) whose forecast of the validation windows runs
    away: RanAway where `chosen` falls back to direct, else a `check:` line in the log."""
    if fitted.spec is direct.spec:
        return
    finding = runaway(arch, model, direct, fitted, batch_size, seed=None if first and not chosen.falls_back else seed)
    if finding is None:
        return
    if chosen.falls_back:
        raise RanAway(seed, finding)
    print(f"check: {finding.line()}", flush=True)


def runaway(arch: str, model: Any, direct: Prepared, fitted: Prepared, batch_size: int,
            seed: int | None = None) -> diagnostics.Finding | None:
    """A one-step `model` (trained on `fitted`) fed back over `direct`'s horizon: whether its forecast
    of the validation windows runs away from the training targets' range (`seed`: named in the line)."""
    x_val, _ = direct.xy("val")
    y_train = np.asarray(direct.arrays["y_train"], dtype=float)
    if not len(x_val) or not y_train.size:
        return None
    forecast = np.asarray(forecaster(model, direct.spec, fitted).predict(x_val, batch_size=batch_size, verbose=0))
    return diagnostics.runaway(arch, forecast, float(y_train.min()), float(y_train.max()), "validation", seed=seed)


def _load_note(summary: FitSummary) -> str:
    """What the train log adds to a run timed on a busy machine (the report marks it too)."""
    if not summary.contended:
        return ""
    return (f"; timed under load (load average {summary.load_avg:g} > {summary.cores} cores): "
            "its times are not its own")


def summary_record(summaries: list[FitSummary]) -> dict[str, Any]:
    """models/<arch>.fit.json: the first seed's fit, plus the total time of all repeats."""
    record = summaries[0].as_dict()
    record["contended"] = any(s.contended for s in summaries)  # any seed's time shared the cores
    if len(summaries) > 1:
        record["repeats"] = len(summaries)
        record["train_seconds_all_repeats"] = round(sum(s.train_seconds for s in summaries), 3)
    return record


def _whole_run(summary: FitSummary, ckpt: Any, plan: Budget) -> FitSummary:
    """Epoch counts of a resumed run include the epochs done before the interruption."""
    if not ckpt.resumed_from:
        return summary
    history = {key: [h.get(key, float("inf")) for h in ckpt.history] for key in (budget.KEEP_VAL_LOSS, budget.KEEP_TRAIN_LOSS)}
    summary.epochs_run += ckpt.resumed_from
    summary.best_epoch = kept_epoch(history, summary.epochs_run, plan)
    summary.kept = kept_line(history, summary.best_epoch, summary.epochs_run, plan)
    return summary


def _why_kept(plan: Budget) -> str:
    return {budget.KEEP_VAL_LOSS: "early stopping on the validation loss",
            budget.KEEP_TRAIN_LOSS: "no usable validation split: the last epoch, or the lowest training loss if it ended on a spike",
            }.get(plan.keep, "train.patience 0: the last epoch")

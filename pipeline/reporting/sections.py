"""What the report says, section by section, as document blocks."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from seqpipe import quantiles, tasks
from seqpipe.data.spec import PreparedSpec
from seqpipe.data.znorm_choice import origin as znorm_origin
from seqpipe.data.znorm_choice import said as znorm_said
from seqpipe.environment import backend_groups, differences, differences_beyond_backends
from seqpipe.reporting.diagnostics import Finding, headline
from seqpipe.reporting.document import Block, contended_note, display_table, fmt, mean_std
from seqpipe.reporting.probability import metric_notes
from seqpipe.reporting.ranking import with_baseline_row
from seqpipe.reporting.statistics import classical_line


def data_summary(spec: PreparedSpec, x_train: np.ndarray, model_rows: dict[str, str] | None = None) -> pd.DataFrame:
    """Sizes, padding coverage and class balance per split, as one small table; `model_rows`: how
    the models forecast where the data alone does not say (row label -> value, after scaling)."""
    pad = spec.padding
    sizes, truncated = spec.sizes, spec.truncated
    if spec.tokens:
        padded = x_train == 0
    else:
        padded = np.all(x_train == 0.0, axis=-1)
    rows = [
        ("task", spec.task),
        ("input", f"{spec.input_kind}, {spec.timesteps} steps"
                  + (f", vocabulary {spec.vocab_size}" if spec.tokens else f", {spec.features} features")),
        ("sequences train / val / test", f"{sizes.train} / {sizes.val} / {sizes.test}"),
        ("padding", f"maxlen {spec.timesteps}: unequal lengths resampled to it (data.lengths resample)" if pad.resampled
         else f"maxlen {spec.timesteps}, {pad.side}-padding, {pad.truncating}-truncation"),
        ("padded steps in train", f"{padded.mean():.1%}" if pad.padded else "0% (all sequences have maxlen steps)"),
        ("truncated sequences train / val / test", f"{truncated.train} / {truncated.val} / {truncated.test}"),
        ("scaling", _scaling(spec)),
        *(model_rows or {}).items(),
        ("coverage", coverage_line(spec).removeprefix("- coverage: ")),
    ]
    balance = spec.class_balance
    if balance:
        names = [spec.label(i) for i in range(len(balance["train"]))]
        for split in ("train", "val", "test"):
            counts = balance[split]
            total = max(sum(counts), 1)
            rows.append((f"class balance {split}", ", ".join(f"{n}: {c} ({c / total:.0%})" for n, c in zip(names, counts))))
    return pd.DataFrame(rows, columns=["item", "value"])


def report_blocks(
    table: pd.DataFrame,
    base: tasks.Baseline,
    spec: PreparedSpec,
    params: dict,
    figures: list[tuple[str, str]],
    data_table: pd.DataFrame,
    tests: pd.DataFrame,
    environments: dict[str, dict],
    plugin_origins: dict[str, str],
    findings: list[Finding] | None = None,
    per_class: pd.DataFrame | None = None,
    classical: list | None = None,
    versus: list[dict] | None = None,
    comparison: list[Block] | None = None,
) -> list[Block]:
    """The report's blocks; `classical`: the baselines stage's `ClassicalResult`s, `versus`: the
    best architecture against each (`statistics.versus_classical`); `comparison`: the section
    comparing with the baseline commit (`compare.comparison_blocks`)."""
    task = tasks.get(spec.task)
    metric = task.primary_metric
    direction = "higher" if task.greater_is_better else "lower"
    best = table.iloc[0]
    repeats = int(table["repeats"].max()) if "repeats" in table else 1
    ensembles = [str(a) for a, n in zip(table["architecture"], table.get("ensemble", [None] * len(table)))
                 if pd.notna(n)]
    seeds = f", mean over {repeats} seeds" if repeats > 1 else ""
    if ensembles:
        seeds = (f", {'each' if len(ensembles) == len(table) else ', '.join(ensembles) + ':'} an ensemble of "
                 f"{repeats} seeds" + (f", the others a mean over {repeats} seeds" if len(ensembles) < len(table) else ""))
    blocks = [
        Block("h1", "seqpipe report"),
        Block("p", f"Task **{spec.task}** on `{params['data']['source']}`: "
                   f"{spec.sizes.train} train / {spec.sizes.val} validation / {spec.sizes.test} test "
                   f"sequences of {spec.timesteps} steps. Ranked by test **{metric}** ({direction} is better{seeds})."),
        Block("p", headline(table, tests, base, metric)),
    ]
    if versus:
        blocks.append(Block("p", classical_line(versus, metric)))
    for finding in findings or []:
        blocks.append(Block("warn", finding.line()))
    groups = backend_groups(environments)
    if len(groups) > 1:
        shown = "; ".join(f"{backend} for {', '.join(names)}" for backend, names in groups.items())
        blocks.append(Block("p", f"Keras backends: {shown} (`train.backend`; `auto` takes the one measured fastest "
                                 "for each architecture on this kind of machine: the same models, so the scores "
                                 "compare; the timings include the backend)."))
    for key, values in differences_beyond_backends(environments).items():
        shown = ", ".join(f"{a}: {v}" for a, v in values.items())
        blocks.append(Block("warn", f"the architectures were trained in different environments ({key}: {shown}); "
                                    "scores and timings may not be comparable."))
    blocks += [
        Block("h2", "Leaderboard"),
        Block("table", display_table(with_baseline_row(
            table, base, [(c.description, c.scores, c.seconds) for c in classical or []]), metric)),
        Block("p", "`params`: trainable and non-trainable weights; `train_s`: sum of epoch times inside `fit` "
                   "(first seed); `cpu_s`: CPU seconds of those epochs, all threads; `s_per_epoch`: median epoch time; `latency_ms`: batched inference time per "
                   "test sequence."
                   + (f" `classical:` rows are not architectures and are not ranked: {task.classical_fit}, by "
                      "the `baselines` stage (`train_s`: their fit seconds)." if classical else "")
                   + (f" Every score is the mean ± standard deviation over {repeats} seeds." if repeats > 1 and not ensembles
                      else "")
                   + (f" {', '.join(ensembles)}: the scores of an ensemble (`train.ensemble`: the mean of the {repeats} "
                      "seeds' outputs, which is what the model predicts), ± the standard deviation of the single seeds' "
                      "scores (scores/<arch>.csv: one row per seed, then the ensemble's)"
                      + (f"; the others: the mean ± standard deviation over {repeats} seeds." if len(ensembles) < len(table)
                         else ".") if ensembles else "")),
    ]
    intervals = quantiles.interval_note(
        {**{str(r["architecture"]): r.to_dict() for _, r in table.iterrows()},
         **{f"classical: {c.description}": c.scores for c in classical or []}})
    for note in (metric_notes(list(task.metrics)), intervals, contended_note(table)):
        if note:
            blocks.append(Block("p", note))
    if not tests.empty:
        blocks += [
            Block("h2", f"Is the gap to {best['architecture']} real?"),
            Block("table", tests.map(fmt)),
            Block("p", "`gap_to_best`: the architecture's test " + metric + " minus the best one's. "
                       + ("A paired t-test across seeds (same seeds for every architecture"
                          + ("; an ensemble's single seeds, so it tests the architectures, not the ensembles)."
                             if ensembles else ").")
                          if repeats > 1 else
                          "One seed per architecture: a paired bootstrap over the test sequences (95% interval "
                          "of the gap and its p-value). It covers test-set noise, not training noise: set "
                          "`train.repeats` to 3 or more for a test across seeds.")
                       + " `p_holm`: the p-value after Holm's correction for comparing every architecture with "
                         "the best at once; significant when below 0.05."),
        ]
    if per_class is not None and not per_class.empty:
        blocks += [
            Block("h2", "Per class"),
            Block("table", per_class.map(fmt)),
            Block("p", f"Precision, recall and F1 of **{best['architecture']}** per class on the test split, and "
                       "every other architecture's F1; `support`: test sequences of the class."
                       + (f" Mean ± std over {repeats} seeds." if repeats > 1 else "")),
        ]
    blocks += comparison or []
    blocks.append(Block("h2", "Figures"))
    for caption, name in figures:
        blocks.append(Block("img", name, caption))
    blocks += [Block("h2", "Data"), Block("table", data_table)]
    env_rows = _environment_table(environments, plugin_origins)
    blocks += [Block("h2", "Versions and environment"), Block("table", env_rows)]
    blocks += [Block("h2", "Params"), Block("pre", json.dumps(applicable_params(params, spec), indent=2))]
    return blocks


def per_class_table(predictions: dict[str, pd.DataFrame], spec: PreparedSpec,
                    scores: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Labelled tasks: one row per class; the first architecture's precision, recall and F1, then
    each other architecture's F1 (architectures in rank order). With several seeds in `scores`
    (scores/<arch>.csv with `precision_c<id>` columns): `mean ± std` over seeds, as strings."""
    from sklearn.metrics import precision_recall_fscore_support

    if not tasks.get(spec.task).labels or not predictions:
        return pd.DataFrame()
    labels = list(range(spec.n_classes or len(spec.class_names or [])))
    rows: dict[int, dict[str, object]] = {c: {"class": spec.label(c)} for c in labels}
    for i, (arch, frame) in enumerate(predictions.items()):
        p, r, f, support = precision_recall_fscore_support(
            frame["y_true"].astype(int), frame["y_pred"].astype(int), labels=labels, zero_division=0)
        seeds = (scores or {}).get(arch)
        if seeds is None or len(seeds) < 2 or not all(f"f1_c{c}" in seeds for c in labels):
            seeds = None
        for c in labels:
            if i == 0:
                rows[c].update({"support": int(support[c]), f"{arch} precision": _over_seeds(seeds, "precision", c, p[c]),
                                f"{arch} recall": _over_seeds(seeds, "recall", c, r[c])})
            rows[c][f"{arch} F1"] = _over_seeds(seeds, "f1", c, f[c])
    return pd.DataFrame(list(rows.values()))


def _over_seeds(seeds: pd.DataFrame | None, name: str, c: int, first_seed: float) -> object:
    """`mean ± std` of a per-class score over the seeds of scores/<arch>.csv, or the first seed's value."""
    if seeds is None:
        return first_seed
    column = seeds[f"{name}_c{c}"]
    return mean_std(float(column.mean()), float(column.std(ddof=1)))


def applicable_params(params: dict, spec: PreparedSpec) -> dict:
    """The params that shaped this run: no forecast window for a classifier, no text settings for
    numbers, no hyperparameters of architectures that were not trained."""
    data = dict(params.get("data", {}))
    if spec.forecast is None and spec.task != "next_token":
        data.pop("window", None)
    if spec.vocabulary is None:
        data.pop("text", None)
    if spec.forecast is not None:
        for key in ("maxlen", "maxlen_percentile", "lengths", "padding", "truncating", "pad_value"):
            data.pop(key, None)
    trained = set(params.get("architectures", []))
    models = {name: hp for name, hp in (params.get("models") or {}).items() if name in trained}
    return {**params, "data": data, "models": models}


def _environment_table(environments: dict[str, dict], plugin_origins: dict[str, str]) -> pd.DataFrame:
    """One row per fingerprint key; a single column when every architecture ran in the same environment."""
    keys = [k for k in (next(iter(environments.values()), {}) or {}) if k != "executable"]
    rows = [{"item": f"plugin origin: {a}", "value": s} for a, s in plugin_origins.items()]
    same = not differences(environments, tuple(keys))
    for key in keys:
        if same:
            value = str(next(iter(environments.values())).get(key))
            if key.startswith("tf_threads") and value == "0":
                value = "0 (TensorFlow default: all cores)"
        else:
            value = "; ".join(f"{a}: {fp.get(key)}" for a, fp in environments.items())
        rows.append({"item": key, "value": value})
    return pd.DataFrame(rows, columns=["item", "value"])


def coverage_line(spec: PreparedSpec) -> str:
    """How many sequences fit in maxlen without truncation, and where maxlen came from."""
    total, n_cut = spec.sizes.total(), spec.truncated.total()
    source = spec.padding.maxlen_from
    return (
        f"- coverage: {total - n_cut} of {total} sequences ({spec.coverage:.1%}) fit in {spec.timesteps} "
        f"steps without truncation" + (f" (maxlen from {source})" if source else "")
    )


def _scaling(spec: PreparedSpec) -> str:
    if spec.forecast is not None and spec.forecast.normalize != "none":
        f = spec.forecast
        changes = f"; forecasts {f.difference} changes ({f.difference_from})" \
            if f.difference != "none" else ""
        logs = f"; in logs ({f.log_from})" if f.log else ""
        return f"per window (data.window.normalize: {f.normalize}){logs}{changes}"
    chosen = spec.znorm or (spec.znorm_from or "").startswith("auto")  # auto says why, also when it left them
    per_series = f"{znorm_said(spec)} ({znorm_origin(spec)})" if chosen else ""
    features = "standardised with train statistics" if spec.scaler else ""
    return "; then ".join(part for part in (per_series, features) if part) or "none"

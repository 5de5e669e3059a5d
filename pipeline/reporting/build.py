"""Write one experiment's report directory (leaderboard, figures, report.md/.html, summary.json) and its curves."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from seqpipe import layout, tasks
from seqpipe.data.prepared import Prepared
from seqpipe.reporting import compare, diagnostics, figures, ranking, sections, statistics
from seqpipe.reporting import curves as curves_mod
from seqpipe.reporting.backtest import Backtest
from seqpipe.reporting.document import render_html, render_markdown
from seqpipe.reporting.results import Results
from seqpipe.training import ensemble


def write_report(out: Path, curves_out: Path, results: Results, prepared: Prepared, params: dict[str, Any],
                 plugin_origins: dict[str, str], seed_note: str = "",
                 committed: compare.CommitMetrics | None = None,
                 backtest: Backtest | None = None,
                 model_rows: dict[str, str] | None = None,
                 recursive: frozenset[str] = frozenset()) -> tuple[Any, list[diagnostics.Finding]]:
    """Everything the report stage writes, into the directories `out` (the report) and `curves_out`
    (one TSV per loss for `dvc plots`), both to be created; returns the leaderboard and the findings.
    `committed`: the baseline commit's metrics, for the section comparing with it (none without);
    `backtest`: the rolling-origin backtest (seqpipe.reporting.backtest), a section before the figures;
    `model_rows`: the data table's rows on how the models forecast; `recursive`: the architectures
    that forecast recursively (train.strategy), whose forecasts are checked for running away."""
    spec = prepared.spec
    names = list(results.metrics)
    task = tasks.get(spec.task)
    primary = task.primary_metric
    table = ranking.leaderboard(results.metrics, results.timings, spec.task)
    base = task.baseline(prepared.arrays["y_train"], prepared.arrays["y_test"], prepared.arrays["X_test"], spec)
    tests = statistics.significance(table, spec.task, results.scores, results.predictions)
    versus = statistics.versus_classical(table, spec.task, results.predictions, results.classical)

    out.mkdir(parents=True)
    curves_out.mkdir(parents=True)
    curves = {a: curves_mod.read_curves(layout.LIVE_DIR, a) for a in names}
    for column in ("train_loss", "val_loss"):
        curves_mod.curves_wide(curves, column).to_csv(curves_out / f"{column}.tsv", sep="\t", float_format="%.6g")
    figures.plot_learning_curves(curves, out / "learning_curves.png")
    figures.plot_score_vs_cost(table, primary, out / "score_vs_cost.png", task.greater_is_better)
    ranked_predictions = {a: results.predictions[a] for a in table["architecture"] if a in results.predictions}
    shown = [
        (f"Learning curves: training and validation loss per epoch, all architectures{seed_note}",
         "learning_curves.png"),
        (f"Score against cost: test {primary} against parameters and training time", "score_vs_cost.png"),
        # the task's figures draw predictions/<arch>.csv: the first seed's, with repeats (an ensemble's: its own)
        *((f"{caption}{_predictions_note(seed_note, ranked_predictions, results)}", name)
          for caption, name in figures.task_figures(task, ranked_predictions, spec, out)),
    ]
    table.to_csv(out / "leaderboard.csv", index=False)
    names_ranked = table["architecture"].tolist()
    y_train = np.asarray(prepared.arrays["y_train"], dtype=float)
    fed_back = {a: results.predictions[a].filter(regex=r"^y_pred_h\d+$").to_numpy(dtype=float)
                for a in recursive if a in results.predictions}
    findings = diagnostics.diagnose(table, base, spec, curves, results.timings, fed_back,
                                    (float(np.nanmin(y_train)), float(np.nanmax(y_train))) if y_train.size else (0.0, 0.0))
    blocks = sections.report_blocks(
        table, base, spec, params, shown, sections.data_summary(spec, prepared.arrays["X_train"], model_rows), tests,
        results.environments, plugin_origins, findings, sections.per_class_table(ranked_predictions, spec, results.scores),
        results.classical, versus,
        compare.comparison_blocks(results.metrics, committed, spec.task, names_ranked, params.get("data"))
        if committed else None,
    )
    if backtest is not None:
        at = next((i for i, b in enumerate(blocks) if b.kind == "h2" and b.content == "Figures"), len(blocks))
        blocks[at:at] = backtest.blocks
        backtest.per_origin.to_csv(out / "backtest.csv", index=False, float_format="%.6g")
    (out / "report.md").write_text(render_markdown(blocks), encoding="utf-8")
    (out / "report.html").write_text(render_html(blocks, out), encoding="utf-8")
    summary = {
        "task": spec.task,
        "primary_metric": primary,
        "ranking": table["architecture"].tolist(),
        "best": table.iloc[0]["architecture"],
        "baseline": {"baseline": base.name, **base.scores},
        "significance": tests.to_dict(orient="records"),
        "classical": [{"baseline": c.name, "description": c.description, **c.scores} for c in results.classical],
        "versus_classical": versus,
        "headline": diagnostics.headline(table, tests, base, primary),
        "findings": [f.line() for f in findings],
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return table, findings


def _predictions_note(seed_note: str, predictions: dict, results: Results) -> str:
    """Whose predictions the task's figures draw, with repeats: the first seed's, or for the
    seed ensembles (`train.ensemble`) the ensemble's."""
    ensembles = [a for a in predictions if ensemble.KEY in results.metrics.get(a, {})]
    if not ensembles or not seed_note:
        return seed_note
    others = len(ensembles) < len(predictions)
    return (f" ({', '.join(ensembles)}: the ensemble of the seeds"
            + (f"; the others: {seed_note.strip()[1:-1]}" if others else "") + ")")

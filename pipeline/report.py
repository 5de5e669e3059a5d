"""Stage `report`: rank the architectures of params.yaml on the test split and draw the figures.

Writes reports/report.md (PNGs next to it), a self-contained reports/report.html, leaderboard.csv,
summary.json and reports/curves/*.tsv (one column per architecture, for `dvc plots`).
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pipeline import atomic, data, reporting, stage, tasks
from pipeline.errors import DataError, user_errors_exit
from pipeline.evaluate import METRICS_DIR, PREDICTIONS_DIR, SCORES_DIR, TIMINGS_DIR
from pipeline.train import ENV_DIR, LIVE_DIR

REPORTS_DIR = Path("reports")


def _read(path: Path) -> dict:
    if not path.is_file():
        raise DataError(f"{path}: not found; run `dvc repro` so every architecture is evaluated")
    return json.loads(path.read_text(encoding="utf-8"))


def _read_csvs(directory: Path, names: list[str]) -> dict[str, pd.DataFrame]:
    return {a: pd.read_csv(directory / f"{a}.csv") for a in names if (directory / f"{a}.csv").is_file()}


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    args = stage.parser(__doc__).parse_args(argv)
    ctx = stage.context(args.params)
    names = ctx.params.architectures
    prepared = data.load(stage.PREPARED_DIR, splits=("train", "test"))
    spec = prepared.spec
    metrics = {a: _read(METRICS_DIR / f"{a}.json") for a in names}
    timings = {a: _read(TIMINGS_DIR / f"{a}.json") for a in names}
    environments = {a: _read(ENV_DIR / f"{a}.json") for a in names if (ENV_DIR / f"{a}.json").is_file()}
    scores = _read_csvs(SCORES_DIR, names)
    predictions = _read_csvs(PREDICTIONS_DIR, names)

    table = reporting.leaderboard(metrics, timings, spec["task"])
    if spec["task"] == "forecast":
        base = reporting.forecast_baseline(spec, prepared.arrays["X_test"], prepared.arrays["y_test"])
    else:
        base = reporting.baseline(spec["task"], prepared.arrays["y_train"], prepared.arrays["y_test"])
    primary = tasks.get(spec["task"]).primary_metric
    tests = reporting.significance(table, spec["task"], scores, predictions)
    with atomic.atomic_path(REPORTS_DIR) as out:
        (out / "curves").mkdir(parents=True)
        curves = {a: reporting.read_curves(LIVE_DIR, a) for a in names}
        for column in ("train_loss", "val_loss"):
            reporting.curves_wide(curves, column).to_csv(out / "curves" / f"{column}.tsv", sep="\t", float_format="%.6g")
        reporting.plot_learning_curves(curves, out / "learning_curves.png")
        task = tasks.get(spec["task"])
        reporting.plot_score_vs_cost(table, primary, out / "score_vs_cost.png", task.greater_is_better)
        first_seed = f" (first seed, {ctx.params.seed})" if ctx.params.train.repeats > 1 else ""
        figures = [
            (f"Learning curves: training and validation loss per epoch, all architectures{first_seed}",
             "learning_curves.png"),
            (f"Score against cost: test {primary} against parameters and training time", "score_vs_cost.png"),
            *reporting.task_figures(spec["task"], {a: predictions[a] for a in table["architecture"] if a in predictions},
                                    spec, out),
        ]
        table.to_csv(out / "leaderboard.csv", index=False)
        raw_params = ctx.params.model_dump(mode="json")
        sources = {a: ctx.registry.source_of(a) for a in names}
        blocks = reporting.report_blocks(
            table, base, spec, raw_params, figures,
            reporting.data_summary(spec, prepared.arrays["X_train"]), tests, environments, sources,
        )
        (out / "report.md").write_text(reporting.render_markdown(blocks), encoding="utf-8")
        (out / "report.html").write_text(reporting.render_html(blocks, out), encoding="utf-8")
        summary = {
            "task": spec["task"],
            "primary_metric": primary,
            "ranking": table["architecture"].tolist(),
            "best": table.iloc[0]["architecture"],
            "baseline": base,
            "significance": tests.to_dict(orient="records"),
        }
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
    stage.skip_final_collection()

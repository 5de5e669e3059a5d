"""Stage `report`: rank the architectures of params.yaml on the test split and draw the figures."""
from __future__ import annotations

import json
from pathlib import Path

from pipeline import atomic, data, reporting, stage, tasks
from pipeline.errors import DataError, user_errors_exit
from pipeline.evaluate import METRICS_DIR, TIMINGS_DIR
from pipeline.train import LIVE_DIR

REPORTS_DIR = Path("reports")


def _read(path: Path) -> dict:
    if not path.is_file():
        raise DataError(f"{path}: not found; run `dvc repro` so every architecture is evaluated")
    return json.loads(path.read_text(encoding="utf-8"))


@user_errors_exit
def main(argv: list[str] | None = None) -> None:
    args = stage.parser(__doc__).parse_args(argv)
    ctx = stage.context(args.params)
    names = ctx.params.architectures
    prepared = data.load(stage.PREPARED_DIR, splits=("train", "test"))
    spec = prepared.spec
    metrics = {a: _read(METRICS_DIR / f"{a}.json") for a in names}
    timings = {a: _read(TIMINGS_DIR / f"{a}.json") for a in names}

    table = reporting.leaderboard(metrics, timings, spec["task"])
    if spec["task"] == "forecast":
        base = reporting.forecast_baseline(spec, prepared.arrays["X_test"], prepared.arrays["y_test"])
    else:
        base = reporting.baseline(spec["task"], prepared.arrays["y_train"], prepared.arrays["y_test"])
    primary = tasks.get(spec["task"]).primary_metric
    with atomic.atomic_path(REPORTS_DIR) as out:
        out.mkdir(parents=True)
        curves = {a: reporting.read_curves(LIVE_DIR, a) for a in names}
        reporting.plot_learning_curves(curves, out / "learning_curves.png")
        reporting.plot_score_vs_cost(table, primary, out / "score_vs_cost.png")
        table.to_csv(out / "leaderboard.csv", index=False)
        raw_params = ctx.params.model_dump(mode="json")
        shown = reporting.with_baseline_row(table, base) if spec["task"] == "forecast" else table
        text = reporting.markdown(shown, base, spec, raw_params, ["learning_curves.png", "score_vs_cost.png"])
        (out / "report.md").write_text(text, encoding="utf-8")
        summary = {
            "task": spec["task"],
            "primary_metric": primary,
            "ranking": table["architecture"].tolist(),
            "best": table.iloc[0]["architecture"],
            "baseline": base,
        }
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()

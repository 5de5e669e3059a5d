"""Every path the pipeline reads or writes, relative to the project root: the one owner of them.

dvc.yaml names the same paths; `tests/test_dvc_deps.py` checks the two agree. A stage, the CLI
or the report asks here for a path instead of building it, so a new dimension of the layout
(for example a dataset per experiment) changes this module only.
"""
from __future__ import annotations

import json
from pathlib import Path

PARAMS_FILE = Path("params.yaml")
PREPARED_DIR = Path("data/prepared")
SPEC_FILE = "spec.json"  # inside PREPARED_DIR
# The fingerprint stage's hashes of each selected plugin's code.
SOURCES_DIR = Path("sources")
# Not a possible architecture file name ("-" is not allowed in a plugin module name).
DATA_FINGERPRINT = SOURCES_DIR / "data-source.json"
MODELS_DIR = Path("models")
LIVE_DIR = Path("dvclive")
ENV_DIR = Path("environment")
METRICS_DIR = Path("metrics")
TIMINGS_DIR = Path("timings")
PREDICTIONS_DIR = Path("predictions")
CONFUSION_DIR = Path("plots")  # plots/<arch>/confusion.csv: dvc plots' confusion template
SCORES_DIR = Path("scores")
REPORTS_DIR = Path("reports")
CURVES_DIR = Path("curves")  # one column per architecture, for dvc.yaml's top-level plots
# `<arch>.<primary metric>` and `<arch>.rank` of every architecture in one flat file: the only DVC
# metrics file, what `dvc exp show` and `dvc metrics show` show (the report stage writes it; in git)
SUMMARY_METRICS = Path("summary") / "metrics.json"
# The report's diagnostics as a small file in git, {arch: {check id: 1}}, which `seqpipe leaderboard`
# reads for every experiment (seqpipe.reporting.rev_files).
DIAGNOSTICS_FILE = Path("diagnostics") / "checks.json"
# The classical baselines (the `baselines` stage): not architectures, so the name is refused as one.
BASELINES = "baselines"
BASELINES_METRICS = METRICS_DIR / f"{BASELINES}.json"
BASELINES_TIMINGS = TIMINGS_DIR / f"{BASELINES}.json"
BASELINES_PREDICTIONS = PREDICTIONS_DIR / BASELINES  # <name>.csv per classical baseline
# Rolling-origin backtesting (README "Backtesting"): one file per architecture (or `baselines`) and
# origin k >= 1, inside metrics/ so that the report, which depends on metrics/, runs after them;
# not declared as metrics (one column each in `dvc exp show`): summary/metrics.json has the means.
BACKTEST_DIR = METRICS_DIR / "backtest"
# Outside DVC: the resumable training state (git-ignored) and `seqpipe predict`'s default output.
BACKUP_ROOT = Path(".seqpipe") / "backup"
EVALUATION_CACHE = Path(".seqpipe") / "evaluations"  # evaluate@<arch>'s outputs, filled by train@<arch>
BASELINES_CACHE = Path(".seqpipe") / "baselines"  # the baselines stage's outputs, filled by prepare
INFERENCE_DIR = Path("inference")
BACKTEST_BACKUP = BACKUP_ROOT / "backtest"  # apart: the main run's train@<arch> forgets `<arch>-*` backups


def fingerprint_path(arch: str) -> Path:
    return SOURCES_DIR / f"{arch}.json"


def model_path(arch: str) -> Path:
    return MODELS_DIR / f"{arch}.keras"


def fit_summary_path(arch: str) -> Path:
    return MODELS_DIR / f"{arch}.fit.json"


def repeats_dir(arch: str) -> Path:
    """The models of seeds 2..N of `train.repeats` (and seeds.json, also for N = 1)."""
    return MODELS_DIR / f"{arch}.repeats"


def seed_models(arch: str) -> list[tuple[int, Path]]:
    """(seed, model file) for every repeat the train stage saved, the main model first."""
    listing = json.loads((repeats_dir(arch) / "seeds.json").read_text(encoding="utf-8"))
    return [(int(s), model_path(arch) if i == 0 else repeats_dir(arch) / f"seed{s}.keras")
            for i, s in enumerate(listing["seeds"])]


def live_dir(arch: str) -> Path:
    return LIVE_DIR / arch


def environment_path(arch: str) -> Path:
    return ENV_DIR / f"{arch}.json"


def metrics_path(arch: str) -> Path:
    return METRICS_DIR / f"{arch}.json"


def timings_path(arch: str) -> Path:
    return TIMINGS_DIR / f"{arch}.json"


def predictions_path(arch: str) -> Path:
    return PREDICTIONS_DIR / f"{arch}.csv"


def scores_path(arch: str) -> Path:
    return SCORES_DIR / f"{arch}.csv"


def confusion_path(arch: str) -> Path:
    return CONFUSION_DIR / arch / "confusion.csv"


def baseline_predictions_path(name: str) -> Path:
    return BASELINES_PREDICTIONS / f"{name}.csv"


def backtest_path(name: str, origin: int) -> Path:
    """The scores of architecture `name` (or BASELINES) at backtest origin `origin` (>= 1)."""
    return BACKTEST_DIR / f"{name}-o{origin}.json"


def evaluation_outputs(arch: str) -> list[Path]:
    """evaluate@<arch>'s outputs, in the order of seqpipe.evaluation.run.ROLES."""
    return [metrics_path(arch), timings_path(arch), scores_path(arch), predictions_path(arch), confusion_path(arch)]


def evaluation_inputs(arch: str) -> list[Path]:
    """What evaluate@<arch> reads besides params and code: every model file, the fit summary, the
    prepared data and the plugin's fingerprint (directories are expanded, sorted)."""
    paths = [model_path(arch), fit_summary_path(arch), repeats_dir(arch), PREPARED_DIR, fingerprint_path(arch)]
    return [f for p in paths for f in (sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p])]

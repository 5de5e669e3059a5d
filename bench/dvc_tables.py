"""How wide `dvc exp show` and `dvc metrics show` are with five and ten architectures (issue 17).

For each count: a temporary copy of the project at git revision REV (or the working tree), tests'
tiny settings (one epoch), `dvc repro`, a commit, one `dvc exp run -S models.lstm.units=5`, then the
longest line of `COLUMNS=100000 dvc exp show --no-pager` (plain and `--only-changed`), its `--csv`
column count, the longest line of `dvc metrics show`, how both print lstm's primary metric, and
whether `seqpipe leaderboard` lists every architecture of both rows. The copy's own pipeline/ is
the `seqpipe` package (PYTHONPATH), so a revision's code is measured, not the editable install's.
The tenth architecture is `lstm2`, a project plugin (plugins/lstm2.py) with the LSTM's builder.

    python bench/dvc_tables.py                 # the working tree
    python bench/dvc_tables.py --rev HEAD~3    # a commit, e.g. before a change
"""
from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import BIN, ROOT, copy_project, save_results  # noqa: E402
from tests.conftest import TINY_PARAMS, merge  # noqa: E402

FIVE = ["rnn", "lstm", "gru", "transformer", "cnn"]
TEN = [*FIVE, "tcn", "fcn", "resnet", "inceptiontime", "lstm2"]
TINY_MORE = {
    "tcn": {"filters": 4, "num_blocks": 1},
    "fcn": {"filters": 4},
    "resnet": {"filters": 4, "num_blocks": 1},
    "inceptiontime": {"filters": 4, "bottleneck": 4, "kernel_size": 8, "depth": 1},
    "lstm2": {"units": 4},
}
LSTM2 = '''"""LSTM, registered a second time under another name (bench/dvc_tables.py's tenth architecture)."""
from seqpipe import Architecture, hookimpl
from seqpipe.plugins.lstm import LSTMParams, build


@hookimpl
def register_architectures(register):
    register(Architecture("lstm2", build, LSTMParams, description=__doc__, supports_masking=True))
'''


def tree(rev: str | None) -> Path:
    """A temporary copy of the project: the working tree's tracked files, or revision `rev`'s."""
    if rev is None:
        return copy_project("seqpipe-tables-")
    dest = Path(tempfile.mkdtemp(prefix="seqpipe-tables-"))
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def width(text: str) -> int:
    return max((len(line.rstrip()) for line in text.splitlines()), default=0)


def measure(names: list[str], rev: str | None) -> dict:
    proj = tree(rev)
    site = proj.parent / f"{proj.name}-site"
    site.mkdir()
    (site / "seqpipe").symlink_to(proj / "pipeline")  # this copy's code is the `seqpipe` package
    (proj / "pipeline" / "plugins").symlink_to(proj / "plugins")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(site),
           "TF_CPP_MIN_LOG_LEVEL": "3", "COLUMNS": "100000"}
    try:
        (proj / "dvc.lock").unlink(missing_ok=True)
        (proj / "plugins" / "lstm2.py").write_text(LSTM2)
        params = merge(yaml.safe_load((proj / "params.yaml").read_text()), TINY_PARAMS)
        params["architectures"] = names
        params["models"] = {n: {**TINY_PARAMS["models"].get(n, {}), **TINY_MORE.get(n, {})} for n in names}
        (proj / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        git = ["git", "-c", "user.name=b", "-c", "user.email=b@b"]
        run(["git", "init", "-q"], proj, env)
        (proj / ".git" / "info" / "exclude").write_text("pipeline/plugins\n")
        run([*git, "add", "-A"], proj, env)
        run([*git, "commit", "-qm", "copy"], proj, env)
        run(["dvc", "repro", "--quiet"], proj, env)
        run([*git, "add", "-A"], proj, env)
        run([*git, "commit", "-qm", "results"], proj, env)
        run(["dvc", "exp", "run", "--quiet", "-S", "models.lstm.units=5", "-n", "lstm5"], proj, env)
        show = run(["dvc", "exp", "show", "--no-pager"], proj, env)
        changed = run(["dvc", "exp", "show", "--no-pager", "--only-changed"], proj, env)
        header = run(["dvc", "exp", "show", "--csv"], proj, env).splitlines()[0]
        metrics = run(["dvc", "metrics", "show"], proj, env)
        board = json.loads(run(["seqpipe", "leaderboard", "--json"], proj, env))
        primary = next(line for line in metrics.splitlines() if "lstm" in line) if "lstm" in metrics else ""
        return {
            "architectures": len(names),
            "exp_show_width": width(show),
            "exp_show_only_changed_width": width(changed),
            "exp_show_columns": len(header.split(",")),
            "metrics_show_width": width(metrics),
            "metrics_show_lines": len(metrics.splitlines()),
            "leaderboard_rows": len(board),
            "leaderboard_columns": sorted({k for row in board for k in row}),
            "exp_show": show,
            "metrics_show": metrics,
            "metrics_show_lstm_line": primary,
        }
    finally:
        shutil.rmtree(proj, ignore_errors=True)
        shutil.rmtree(site, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", help="measure this git revision's code (default: the working tree)")
    parser.add_argument("--counts", type=int, nargs="+", default=[5, 10], choices=[5, 10])
    args = parser.parse_args()
    results = []
    for count in args.counts:
        found = measure(FIVE if count == 5 else TEN, args.rev)
        results.append(found)
        print(f"{count} architectures: exp show {found['exp_show_width']:,} characters "
              f"({found['exp_show_columns']} columns), --only-changed {found['exp_show_only_changed_width']:,}, "
              f"metrics show {found['metrics_show_width']:,} wide x {found['metrics_show_lines']} lines; "
              f"leaderboard {found['leaderboard_rows']} rows", flush=True)
    out = save_results(f"dvc_tables_{args.rev or 'worktree'}".replace("/", "_").replace("~", "-"), results)
    print(f"details (the tables as printed): {out}")


if __name__ == "__main__":
    main()

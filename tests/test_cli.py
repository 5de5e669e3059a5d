"""The `seqpipe` command answers quickly, without TensorFlow, and fails with one line."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT, env


def _seqpipe(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seqpipe.cli", *args], cwd=cwd, env=env(), capture_output=True, text=True)


def test_list_shows_every_architecture_with_source_and_defaults():
    result = _seqpipe("list", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    by_name = {a["name"]: a for a in payload["architectures"]}
    assert {"rnn", "lstm", "gru", "transformer", "cnn"} <= set(by_name)
    assert by_name["gru"]["origin"] == "plugins/gru.py"
    assert by_name["cnn"]["defaults"]["kernel_size"] == 5
    assert {d["name"] for d in payload["datasets"]} >= {"adding", "tokens"}


def test_list_and_validate_do_not_import_tensorflow_or_the_data_libraries():
    # what they do not need is start-up time (issue 18: `seqpipe list` within a second, under load too)
    code = (
        "import sys; from seqpipe.cli.main import main\n"
        "for cmd in (['list'], ['validate']):\n"
        "    main(cmd)\n"
        "bad = sorted(m for m in ('tensorflow', 'keras', 'dvclive', 'pandas', 'sklearn') if m in sys.modules)\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_list_piped_into_a_reader_that_stops_early_ends_quietly():
    code = "import sys; sys.argv = ['seqpipe', 'list']; from seqpipe.cli.main import run; run()"
    listing = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, bufsize=1)
    first = listing.stdout.readline()
    listing.stdout.close()  # like `| head -1`
    stderr = listing.stderr.read()
    assert listing.wait() in (0, 1)
    assert first.startswith("architectures")
    assert "Traceback" not in stderr, stderr


def test_a_stage_process_ends_without_the_shutdown_collection(tmp_path):
    # Every stage runs as `python -m pipeline.<stage>`; its last step freezes the garbage collector
    # so that Python's exit does not rescan TensorFlow's objects (bench/shutdown.py measures it).
    code = ("import gc, runpy, sys\nsys.argv = ['fingerprint']\n"
            "runpy.run_module('seqpipe.stages.fingerprint', run_name='__main__')\nprint(gc.get_freeze_count())")
    for name in ("params.yaml", "plugins"):
        src = ROOT / name
        (tmp_path / name).symlink_to(src, target_is_directory=src.is_dir())
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip().splitlines()[-1]) > 0
    assert (tmp_path / "sources").is_dir()


def test_validate_reports_a_bad_value_in_one_line(tmp_path):
    params = (ROOT / "params.yaml").read_text().replace("lstm: {}", "lstm: {units: -4}")
    (tmp_path / "params.yaml").write_text(params)
    result = _seqpipe("validate", "--params", str(tmp_path / "params.yaml"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"seqpipe: error: {tmp_path / 'params.yaml'}: models.lstm.units: input should be greater than or equal to 1, got -4"
    ]

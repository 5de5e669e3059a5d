"""Where a stage stands in the `dvc repro` (or `dvc exp run`) that runs it: `[3/12] train@lstm: ~2m10s left`.

DVC runs each stage as its own process and tells it only its name (`DVC_STAGE`) and the project
root (`DVC_ROOT`). The processes of one repro share their DVC ancestor process, so a small state
file under `.seqpipe/repro/` (git-ignored) links them:

- the first stage of a repro asks DVC, in process and once, which other stages are changed
  (`Stage.status`) and adds every stage downstream of them and of itself (DVC reruns those after
  an upstream change): that is the plan, its length the `/12`. `dvc repro -f` plans every stage.
  A stage that DVC then skips (an upstream output came out identical) simply never counts.
- every later stage reads that file (a few milliseconds) and counts itself among those started;
- each stage that ends well records its wall time in `.seqpipe/repro/durations.json`, and the
  estimate of the time left is the sum of the last recorded times of the stages not yet finished
  (a stage never timed borrows the median of its kind, `train@*`; else the line says `+`).

Display only: nothing here changes an output, so stages do not depend on this file (test_dvc_deps'
EXEMPT list). Any failure to find DVC or read the state prints nothing rather than stopping a stage.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from seqpipe import warm

STATE_DIR = Path(".seqpipe") / "repro"
_started: tuple[Path, str] | None = None  # (state dir, stage) of this process, once begin() printed
_joined: Session | None = None  # the repro this process's stage belongs to, once begin() found it
_opened = False  # whether this process's stage is the repro's first (it planned the repro)


@dataclass
class Session:
    """One repro: the DVC process it belongs to, its planned stages, and those started so far."""

    key: str
    plan: list[str]
    started: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)


def dvc_ancestor() -> tuple[str, list[str]] | None:
    """(key, command line) of the `dvc` process this one runs under, or None outside DVC."""
    import psutil

    try:
        process = psutil.Process().parent()
        while process is not None:
            cmdline = process.cmdline()
            if any(Path(part).name in ("dvc", "dvc.exe") or part == "dvc" for part in cmdline[:3]):
                return f"{process.pid}-{process.create_time():.2f}", cmdline
            process = process.parent()
    except psutil.Error:
        return None
    return None


def dvc_plan(root: Path, cmdline: list[str], current: str) -> list[str]:
    """Stages this repro will run, in an order DVC could run them, as seen from its first stage
    `current`: that one and all downstream of it, plus every other changed stage and all downstream
    of those (every stage with -f). Stages upstream of `current` were up to date (DVC ran none before
    it), so only the rest are checked; `current`'s own outputs are locked by DVC while it runs."""
    import networkx as nx
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        graph = repo.index.graph  # edges point from a stage to the stages it depends on
        names = {stage: stage.addressing for stage in graph.nodes}
        order = list(reversed(list(nx.topological_sort(graph))))
        scope = in_scope(cmdline, graph, names)
        if {"-f", "--force"} & set(cmdline):
            return [names[s] for s in order if s in scope]
        by_name = {name: stage for stage, name in names.items()}
        this = by_name[current]
        planned = {this, *nx.ancestors(graph, this)}
        skip = planned | nx.descendants(graph, this)
        with repo.lock:
            for stage in graph.nodes:
                if stage in scope and stage not in skip and stage not in planned and stage.status():
                    planned |= {stage, *nx.ancestors(graph, stage)}
    return [names[s] for s in order if s in planned and s in scope]


def in_scope(cmdline: list[str], graph: Any, names: dict[Any, str]) -> set[Any]:
    """The stages `dvc repro TARGET...` may run: each target and everything upstream of it (only the
    targets with -s/--single-item); every stage without targets (`dvc repro`, `dvc exp run`).
    A target names a stage (`train@lstm`, `dvc.yaml:train@lstm`) or a matrix group (`train`)."""
    import networkx as nx

    args = cmdline[cmdline.index("repro") + 1:] if "repro" in cmdline else []
    targets = {a.rpartition(":")[2] for a in args if not a.startswith("-")}
    if not targets:
        return set(graph.nodes)
    chosen = {s for s, name in names.items() if name in targets or name.partition("@")[0] in targets}
    if {"-s", "--single-item"} & set(args):
        return chosen
    return chosen.union(*(nx.descendants(graph, s) for s in chosen))  # edges point to dependencies


def estimate_left(pending: list[str], durations: dict[str, float]) -> tuple[float, bool]:
    """(seconds, complete): the recorded times of `pending` stages; a stage never timed counts as the
    median of its kind (`train@*`) when there is one, else it is left out and `complete` is False."""
    kinds: dict[str, list[float]] = {}
    for name, seconds in durations.items():
        kinds.setdefault(name.partition("@")[0], []).append(seconds)
    total, complete = 0.0, True
    for name in pending:
        if name in durations:
            total += durations[name]
        elif kinds.get(name.partition("@")[0]):
            total += statistics.median(kinds[name.partition("@")[0]])
        else:
            complete = False
    return total, complete


def duration_text(seconds: float) -> str:
    """`45s`, `2m10s`, `1h05m`."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def status_line(stage: str, session: Session, durations: dict[str, float]) -> str:
    """`[3/12] train@lstm: ~2m10s left in this repro` (this stage's own time included)."""
    index = len(session.started)
    total = max(len(session.plan), index)
    pending = [s for s in session.plan if s not in session.finished]
    if stage not in pending:
        pending.append(stage)
    seconds, complete = estimate_left(pending, durations)
    if not seconds and not complete:
        left = "no estimate yet (first run)"
    else:
        left = f"~{duration_text(seconds)}{'' if complete else '+'} left in this repro"
    return f"[{index}/{total}] {stage}: {left}"


def begin(stream: IO[str] | None = None, plan: Any = dvc_plan, ancestor: Any = dvc_ancestor) -> str | None:
    """At a stage's start under DVC: join (or open) this repro's session and print its status line."""
    global _started, _joined, _opened
    stage, root = os.environ.get("DVC_STAGE"), os.environ.get("DVC_ROOT")
    if not stage or not root or warm.in_child():  # a warm worker's child: its client began
        return None
    try:
        state = Path(root) / STATE_DIR
        found = ancestor()
        if found is None:
            return None
        key, cmdline = found
        session = _load_session(state, key)
        opened = session is None
        if session is None:
            session = Session(key, plan(Path(root), cmdline, stage))
        session.started.append(stage)
        _save(state / "session.json", session.__dict__)
        line = status_line(stage, session, _durations(state))
    except Exception:  # display only: never stop a stage over its progress line
        return None
    _started, _joined, _opened = (state, stage), session, opened
    print(line, file=stream or sys.stdout, flush=True)
    return line


def repro_key() -> str | None:
    """The key (`<dvc pid>-<its start time>`) of the repro this process's stage runs in, once begin() joined it."""
    return _joined.key if _joined is not None else None


def opened_repro() -> Session | None:
    """The repro this process's stage planned, if it is the repro's first stage."""
    return _joined if _opened else None


def finish() -> None:
    """At a stage's successful end: record its wall time for the next estimates."""
    global _started
    if _started is None:
        return
    state, stage = _started
    _started = None
    try:
        import psutil

        durations = _durations(state)
        # from the process's start: Python's and TensorFlow's imports are part of the stage's time
        durations[stage] = round(time.time() - psutil.Process().create_time(), 2)
        _save(state / "durations.json", durations)
        session_file = state / "session.json"
        session = json.loads(session_file.read_text(encoding="utf-8"))
        session["finished"] = [*session.get("finished", []), stage]
        _save(session_file, session)
    except Exception:  # display only
        return


def _load_session(state: Path, key: str) -> Session | None:
    try:
        data = json.loads((state / "session.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Session(**data) if data.get("key") == key else None


def _durations(state: Path) -> dict[str, float]:
    try:
        return {str(k): float(v) for k, v in json.loads((state / "durations.json").read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def _save(path: Path, data: Any) -> None:
    from seqpipe import atomic

    atomic.write_json(path, data)

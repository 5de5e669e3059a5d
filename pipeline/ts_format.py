"""The UCR/UEA `.ts` format (the time-series archives' own, as sktime and aeon write it), read
without extra dependencies: public helpers for file sources, like `seqpipe.tables`.

A file is a header, then `@data` and one case a line:

    # comments (and % lines) anywhere
    @problemName Shapes
    @timeStamps false          @missing true          @univariate false
    @dimensions 2              @equalLength false     @seriesLength 40
    @classLabel true circle square       (or @targetLabel true for regression)
    @data
    1.0,2.5,?,3.1:0.2,0.4,0.1,0.0:circle

Within a case, dimensions are separated by `:` and values by `,`; `?` (or `NaN`) is a missing
value, read as NaN for `data.nan_policy`; the last field is the class label or the target. The
dimensions of one case have one value per step each; cases may differ in length unless the
header says `@equalLength true`. With `@timeStamps true` a value is `(time,value)`: the values
are read in the file's order and the times are not kept. Class names keep the order
`@classLabel` lists them in (class id = position in that list). Tags and `true`/`false` are
read case-insensitively, as aeon reads them; labels keep their case.

Every problem is a DataError of one line naming the file, the line and what is allowed.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqpipe.data_files import FLOAT32_MAX, beyond_float32, check_file
from seqpipe.errors import DataError
from seqpipe.specs import RawData, TaskName

__all__ = ["TsFile", "from_ts", "matching_test_file", "parse_ts", "read_ts"]

BOOLEAN_TAGS = ("timestamps", "missing", "univariate", "equallength", "classlabel", "targetlabel")
TAGS = {"problemname": "@problemName", "timestamps": "@timeStamps", "missing": "@missing",
        "univariate": "@univariate", "dimensions": "@dimensions", "equallength": "@equalLength",
        "serieslength": "@seriesLength", "classlabel": "@classLabel", "targetlabel": "@targetLabel",
        "data": "@data"}
_TIMED_VALUE = re.compile(r"\(([^()]*)\)")


@dataclass
class TsFile:
    """One parsed .ts file. `sequences[i]` is `(steps, dimensions)` float64 (NaN where missing),
    from the file's line `lines[i]`; `labels` (class labels, in `class_names`, @classLabel's order)
    or `targets` (@targetLabel true) when the file has them."""

    origin: str
    problem_name: str | None
    sequences: list[np.ndarray]
    lines: list[int]
    dimensions: int
    class_names: list[str] | None = None
    labels: list[str] | None = None
    targets: np.ndarray | None = None
    header: dict[str, object] = field(default_factory=dict)

    @property
    def kind(self) -> str | None:
        """"classification", "regression" or None (a file without labels or targets)."""
        return "classification" if self.class_names is not None else "regression" if self.targets is not None else None


def read_ts(path: str | Path, setting: str = "data.path") -> TsFile:
    """Read and parse a .ts file; `setting` is where the user named it (for a missing file)."""
    checked = check_file(path, setting)
    try:
        text = checked.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = checked.read_bytes()[: exc.start].count(b"\n") + 1
        raise DataError(f"{path}: line {line}: not UTF-8 text ({exc.reason}); save the .ts file as UTF-8") from None
    return parse_ts(text.splitlines(), str(path))


def parse_ts(lines: Iterable[str], origin: str) -> TsFile:
    """The header and cases of a .ts file given as its lines; `origin` names it in messages."""
    header: dict[str, object] = {}
    seen: dict[str, int] = {}
    numbered = enumerate(lines, start=1)
    data_line = 0
    for number, raw_line in numbered:
        line = raw_line.strip()
        if not line or line[0] in "#%":
            continue
        if not line.startswith("@"):
            raise DataError(f"{origin}: line {number}: {_clip(line)!r} comes before @data; the header holds only "
                            "@tags and # comments, and @data comes before the first case")
        tag, *values = line.split()
        key = tag[1:].lower()
        if key not in TAGS:
            raise DataError(f"{origin}: line {number}: unknown tag {tag!r}; the .ts header tags are "
                            f"{', '.join(TAGS.values())}")
        value = _header_value(key, values, origin, number)
        # a repeated tag may only repeat itself (aeon's own UnitTest_TEST.ts names its problem twice)
        if key in seen and key != "problemname" and header[key] != value:
            raise DataError(f"{origin}: line {number}: {TAGS[key]} contradicts line {seen[key]}; give it once")
        seen[key], header[key] = number, value
        if key == "data":
            data_line = number
            break
    if not data_line:
        raise DataError(f"{origin}: no @data line; the header (@problemName, @classLabel, ...) ends with @data and the "
                        "cases follow it, one a line")
    labels_listed = header.get("classlabel")
    if labels_listed and header.get("targetlabel"):
        raise DataError(f"{origin}: line {seen['targetlabel']}: @classLabel true and @targetLabel true; a file holds "
                        "class labels or regression targets, not both")
    if header.get("univariate") is True and header.get("dimensions", 1) != 1:
        raise DataError(f"{origin}: line {seen['dimensions']}: @dimensions {header['dimensions']} with @univariate "
                        "true; set @univariate false for several dimensions")
    class_names = list(labels_listed) if isinstance(labels_listed, list) else None
    target = class_names is not None or header.get("targetlabel") is True
    dimensions = 1 if header.get("univariate") is True else header.get("dimensions")
    cases = _Cases(origin, header, class_names, target, dimensions if isinstance(dimensions, int) else None)
    for number, raw_line in numbered:
        line = raw_line.strip()
        if line and line[0] not in "#%":
            cases.add(line, number)
    if not cases.sequences:
        raise DataError(f"{origin}: no cases after @data (line {data_line}); give one case a line")
    name = header.get("problemname")
    return TsFile(origin, name if isinstance(name, str) else None, cases.sequences, cases.lines,
                  cases.dimensions or 1, class_names=class_names,
                  labels=cases.labels if class_names is not None else None,
                  targets=np.asarray(cases.targets, np.float64) if header.get("targetlabel") is True else None,
                  header=header)


def _header_value(key: str, values: list[str], origin: str, number: int) -> object:
    """A tag's value: a bool, a positive int, a name, or for @classLabel true its list of labels."""
    where = f"{origin}: line {number}: {TAGS[key]}"
    if key == "data":
        if values:
            raise DataError(f"{where} takes no value, got {_clip(' '.join(values))!r}; the cases start on the next line")
        return True
    if key == "problemname":
        if len(values) != 1:
            raise DataError(f"{where} takes one name without spaces, got {len(values)} words")
        return values[0]
    if key in ("dimensions", "serieslength"):
        if len(values) != 1 or not values[0].isdigit() or int(values[0]) < 1:
            raise DataError(f"{where} takes a whole number >= 1, got {_clip(' '.join(values))!r}")
        return int(values[0])
    flag = values[0].lower() if values else ""
    if flag not in ("true", "false"):
        raise DataError(f"{where} takes true or false, got {_clip(' '.join(values))!r}")
    if key != "classlabel":
        if len(values) != 1:
            raise DataError(f"{where} takes only true or false, got {_clip(' '.join(values))!r}")
        return flag == "true"
    labels = values[1:]
    if flag == "false":
        if labels:
            raise DataError(f"{where} false lists no labels; write @classLabel true {' '.join(labels[:3])} ... "
                            "for a labelled file")
        return False
    if not labels:
        raise DataError(f"{where} true needs its labels: @classLabel true label1 label2 ...")
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise DataError(f"{where} lists {repeated[0]!r} twice; list each class once")
    return labels


class _Cases:
    """The cases after @data, checked line by line against the header and the first case."""

    def __init__(self, origin: str, header: dict[str, object], class_names: list[str] | None, target: bool,
                 dimensions: int | None) -> None:
        self.origin, self.header, self.target = origin, header, target
        self.class_set = set(class_names) if class_names is not None else None
        self.class_names = class_names
        self.dimensions = dimensions
        self.said_by = "the header"
        self.timestamps = header.get("timestamps") is True
        self.equal = header.get("equallength") is True
        self.series_length = header.get("serieslength")
        self.sequences: list[np.ndarray] = []
        self.lines: list[int] = []
        self.labels: list[str] = []
        self.targets: list[float] = []

    def add(self, line: str, number: int) -> None:
        where = f"{self.origin}: line {number}"
        fields = _split_timed(line) if self.timestamps else line.split(":")
        if self.dimensions is None:  # from the first case when the header does not say
            self.dimensions, self.said_by = max(len(fields) - self.target, 1), f"line {number}"
        want = self.dimensions + self.target
        if len(fields) != want:
            what = f"{self.dimensions} dimension{'s' if self.dimensions > 1 else ''}"
            last = " and the class label" if self.class_names is not None else " and the target" if self.target else ""
            raise DataError(f"{where}: {len(fields)} fields separated by ':', expected {want} ({what}{last}, as "
                            f"{self.said_by} says)")
        columns = [self._values(f, where, k + 1) for k, f in enumerate(fields[: self.dimensions])]
        steps = len(columns[0])
        for k, column in enumerate(columns[1:], start=2):
            if len(column) != steps:
                raise DataError(f"{where}: dimension {k} has {len(column)} values, dimension 1 has {steps}; the "
                                "dimensions of a case have one value per step each (? where one is missing)")
        self._check_length(steps, where)
        values = np.stack(columns, axis=1)
        huge = beyond_float32(values)
        if huge is not None:
            raise DataError(f"{where}: dimension {huge[1] + 1}, step {huge[0] + 1}: {values[huge]:.6g} is beyond "
                            f"float32 range (+-{FLOAT32_MAX:.3g}), the type of the prepared arrays; rescale the data")
        if self.target:
            self._target(fields[-1].strip(), where)
        self.sequences.append(values)
        self.lines.append(number)

    def _values(self, text: str, where: str, dimension: int) -> np.ndarray:
        """One dimension's comma-separated values; ? and NaN are missing (NaN)."""
        if self.timestamps:
            tokens = [pair.rsplit(",", 1)[-1] for pair in _TIMED_VALUE.findall(text)]
        else:
            tokens = text.split(",")
        tokens = [t.strip() for t in tokens]
        try:
            return np.array(["nan" if t == "?" else t for t in tokens], dtype=np.float64)
        except ValueError:
            pass
        for step, token in enumerate(tokens, start=1):  # the failing value, for the message
            try:
                float("nan" if token == "?" else token)
            except ValueError:
                shown = "an empty value" if not token else f"{_clip(token)!r}"
                raise DataError(f"{where}: dimension {dimension}, step {step}: {shown} is not a number; values are "
                                "numbers separated by ',', ? where one is missing") from None
        raise AssertionError("numpy refused a value that float() accepts")  # pragma: no cover

    def _check_length(self, steps: int, where: str) -> None:
        if isinstance(self.series_length, int) and self.equal and steps != self.series_length:
            raise DataError(f"{where}: {steps} steps, but the header says @seriesLength {self.series_length}; fix "
                            "the case or the header (@equalLength false allows cases of different lengths)")
        if self.equal and self.sequences and steps != len(self.sequences[0]):
            raise DataError(f"{where}: {steps} steps, but line {self.lines[0]} has {len(self.sequences[0])} and the "
                            "header says @equalLength true; set @equalLength false for cases of different lengths")

    def _target(self, text: str, where: str) -> None:
        if self.class_set is not None:
            if text not in self.class_set:
                listed = ", ".join(self.class_names or [])
                raise DataError(f"{where}: class label {_clip(text)!r} is not listed by @classLabel; the labels are "
                                f"{listed}")
            self.labels.append(text)
            return
        try:
            self.targets.append(float("nan" if text == "?" else text))
        except ValueError:
            raise DataError(f"{where}: target {_clip(text)!r} is not a number; with @targetLabel true the last field "
                            "is a number (? if missing)") from None


def _split_timed(line: str) -> list[str]:
    """Fields of a timestamped case: `:` separates them only outside `( )` (times hold `:`)."""
    fields, depth, start = [], 0, 0
    for i, char in enumerate(line):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == ":" and depth == 0:
            fields.append(line[start:i])
            start = i + 1
    fields.append(line[start:])
    return fields


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def matching_test_file(path: str | Path) -> Path | None:
    """`X_TEST.ts` beside a `X_TRAIN.ts` (the archive's naming, either case), if it exists."""
    path = Path(path)
    match = re.fullmatch(r"(.*)_(train)(\.ts)", path.name, flags=re.IGNORECASE)
    if not match:
        return None
    test = "TEST" if match.group(2).isupper() else "test"
    candidate = path.with_name(f"{match.group(1)}_{test}{match.group(3)}")
    return candidate if candidate.is_file() else None


def from_ts(train: TsFile, test: TsFile | None = None, *, task: str = "auto", labelled: bool) -> RawData:
    """RawData from a parsed file and, optionally, the test file of its official split.

    `task` is "auto" (what the header says), "classification" or "regression" (then the header
    must say so). Class ids follow `@classLabel`'s order; a class the header lists but no case
    has still counts. With `labelled=False` (new data for `seqpipe predict`) a file without labels
    is read too; otherwise it needs class labels or targets.
    """
    origin = train.origin
    kind = train.kind
    if task != "auto" and kind is not None and kind != task:
        says = "@classLabel true" if kind == "classification" else "@targetLabel true"
        raise DataError(f"{origin}: data.options.task is {task}, but the header says {says} ({kind}); set task: "
                        f"{kind} or auto")
    if kind is None and labelled:
        raise DataError(f"{origin}: no labels or targets (no @classLabel true or @targetLabel true in the header); a "
                        "training file needs class labels or regression targets")
    parts = [train] if test is None else [train, test]
    if test is not None:
        _check_pair(train, test)
    sequences = [s.astype(np.float32) for part in parts for s in part.sequences]
    ids = [f"line {n}" for n in train.lines] + ([f"{Path(test.origin).name} line {n}" for n in test.lines]
                                                 if test is not None else [])
    split = None if test is None else np.asarray(["train"] * len(train.sequences) + ["test"] * len(test.sequences))
    lengths = {len(s) for s in sequences}
    dense = np.stack(sequences) if len(lengths) == 1 else None
    description = {"file": origin, "format": "ts", "problem": train.problem_name, "sequences": len(sequences),
                   "dimensions": train.dimensions, "equal_length": dense is not None,
                   "official_split": test is not None, "test_file": None if test is None else test.origin}
    seqs = dense if dense is not None else sequences
    features = [f"dim_{k}" for k in range(train.dimensions)]

    def raw(targets: np.ndarray, concrete: TaskName, names: list[str] | None = None) -> RawData:
        info = description if names is None else {**description, "classes": names}
        return RawData(seqs, targets, concrete, "numeric", class_names=names, description=info, split=split,
                       origin=origin, ids=ids, feature_names=features)

    if kind is None:
        return raw(np.zeros(0, np.float32), "regression" if task == "regression" else "multiclass")
    if kind == "regression":
        return raw(np.concatenate([p.targets for p in parts if p.targets is not None]).astype(np.float32), "regression")
    names = list(train.class_names or [])
    if len(names) < 2 and labelled:
        raise DataError(f"{origin}: @classLabel lists one class ({names[0]!r}); classification needs two or more")
    index = {name: i for i, name in enumerate(names)}
    targets = np.asarray([index[label] for part in parts for label in part.labels or []], np.int32)
    return raw(targets, "binary" if len(names) == 2 else "multiclass", names)


def _check_pair(train: TsFile, test: TsFile) -> None:
    """The test file of an official split must describe the same problem as the train file."""
    where = f"{test.origin}: the test file of {train.origin}"
    if test.dimensions != train.dimensions:
        raise DataError(f"{where} has {test.dimensions} dimensions, the train file {train.dimensions}; both need the "
                        "same")
    if test.kind != train.kind:
        raise DataError(f"{where} holds {test.kind or 'no labels'}, the train file {train.kind or 'no labels'}; both "
                        "need the same (@classLabel or @targetLabel)")
    if test.class_names is not None and set(test.class_names) != set(train.class_names or []):
        raise DataError(f"{where} lists classes {', '.join(test.class_names)} in @classLabel, the train file "
                        f"{', '.join(train.class_names or [])}; both need the same labels")

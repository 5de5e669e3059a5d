"""The `ts` source: UCR/UEA .ts files as the archives ship them, and the npz source's `classes`.

Each test writes a tiny file the way a user would get one from the archive (or by hand) and
reads it through the registered source. Bad files are one DataError naming the file, the line
and what is allowed. Tests that prepare data (padding, the official split) are marked keras.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seqpipe import DataError
from seqpipe.registry import build_registry
from seqpipe.ts_format import parse_ts, read_ts

REGISTRY = build_registry()

SHAPES = """\
# Two shapes drawn with a pen; the classes are listed in the archive's order, not sorted.
@problemName Shapes
@timeStamps false
@missing false
@univariate true
@equalLength true
@seriesLength 4
@classLabel true square circle
@data
1.0,2.0,3.0,4.0:circle
4,3,2,1:square
0.5,0.5,0.5,0.5:circle
"""

MOTIONS = """\
@problemName Motions
@missing true
@univariate false
@dimensions 2
@equalLength false
@classLabel true walk run sit
@data
1,2,3:10,20,30:walk
% a comment between cases
4,?,6,7,8:40,50,?,70,80:run

9:90:sit
"""

PRICES = """\
@problemName Prices
@univariate false
@equalLength true
@seriesLength 3
@targetLabel true
@data
1,2,3:0.1,0.2,0.3:0.25
4,5,6:0.4,0.5,0.6:-1.5e1
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def _load(path: Path, labelled: bool = True, **options):
    source = REGISTRY.dataset("ts")
    return source.load(source.params(path=str(path), **options), 0, labelled=labelled)


def test_a_univariate_equal_length_file_keeps_the_header_s_class_order(tmp_path):
    raw = _load(_write(tmp_path, "Shapes.ts", SHAPES))
    assert raw.task == "binary" and raw.input_kind == "numeric"
    assert raw.class_names == ["square", "circle"]  # as @classLabel lists them
    assert raw.targets.tolist() == [1, 0, 1]
    assert isinstance(raw.sequences, np.ndarray) and raw.sequences.shape == (3, 4, 1)
    assert raw.sequences.dtype == np.float32 and raw.sequences[1, :, 0].tolist() == [4, 3, 2, 1]
    assert raw.split is None and raw.ids == ["line 10", "line 11", "line 12"]
    assert raw.description["problem"] == "Shapes"


def test_a_multivariate_unequal_length_file_with_missing_values(tmp_path):
    raw = _load(_write(tmp_path, "Motions.ts", MOTIONS))
    assert raw.task == "multiclass" and raw.class_names == ["walk", "run", "sit"]
    assert raw.targets.tolist() == [0, 1, 2]
    assert [s.shape for s in raw.sequences] == [(3, 2), (5, 2), (1, 2)]  # (steps, dimensions), the core pads
    assert raw.sequences[1][:, 0].tolist()[0] == 4 and np.isnan(raw.sequences[1][1, 0])  # ? is NaN
    assert np.isnan(raw.sequences[1][2, 1]) and raw.feature_names == ["dim_0", "dim_1"]
    assert raw.ids == ["line 8", "line 10", "line 12"]  # the lines a user finds them on


@pytest.mark.keras
def test_missing_values_follow_data_nan_policy_and_unequal_lengths_are_padded(tmp_path):
    from seqpipe.data import api as data

    raw = _load(_write(tmp_path, "Motions.ts", MOTIONS))
    with pytest.raises(DataError, match=r"Motions.ts: NaN/inf value in sequence 'line 10', step 1, feature 'dim_0'"):
        data.prepare(raw, val=0.0, test=0.0, seed=0, scale=False)
    many = MOTIONS + "".join(f"{i},{i + 1}:{i},{i}:{['walk', 'run', 'sit'][i % 3]}\n" for i in range(30))
    raw = _load(_write(tmp_path, "Many.ts", many))
    prepared = data.prepare(raw, val=0.2, test=0.2, seed=0, scale=False, nan_policy="fill", fill_value=-1.0, maxlen=5,
                            lengths="pad")  # the default, resample, is tests/test_lengths.py's
    assert prepared.spec.features == 2 and prepared.spec.padding.padded
    x = np.concatenate([prepared.arrays[f"X_{s}"] for s in ("train", "val", "test")])
    assert x.shape[1:] == (5, 2) and (x == -1.0).sum() == 2  # the two ? filled, the short cases padded with 0
    assert prepared.spec.class_names == ["walk", "run", "sit"]


def test_a_regression_file_gives_float_targets(tmp_path):
    raw = _load(_write(tmp_path, "Prices.ts", PRICES))
    assert raw.task == "regression" and raw.class_names is None
    assert raw.targets.tolist() == [0.25, -15.0] and raw.sequences.shape == (2, 3, 2)
    with pytest.raises(DataError, match=r"Prices.ts: data.options.task is classification, but the header says "
                                        r"@targetLabel true \(regression\)"):
        _load(tmp_path / "Prices.ts", task="classification")


def test_the_test_file_beside_a_train_file_is_the_official_split(tmp_path):
    train = _write(tmp_path, "Shapes_TRAIN.ts", SHAPES)
    _write(tmp_path, "Shapes_TEST.ts", SHAPES.replace("@classLabel true square circle", "@classLabel true square circle")
           + "9,9,9,9:square\n")
    raw = _load(train)
    assert raw.split.tolist() == ["train"] * 3 + ["test"] * 4
    assert raw.ids[3:5] == ["Shapes_TEST.ts line 10", "Shapes_TEST.ts line 11"]
    assert raw.targets.tolist() == [1, 0, 1, 1, 0, 1, 0] and raw.description["official_split"] is True
    # the user can turn the pairing off, or name a test file named otherwise
    assert _load(train, official_split=False).split is None
    other = _write(tmp_path, "held_out.ts", SHAPES)
    assert _load(train, test_path=str(other)).split.tolist() == ["train"] * 3 + ["test"] * 3
    # seqpipe predict reads the file it is given, not its pair
    assert len(_load(train, labelled=False).sequences) == 3
    with pytest.raises(DataError, match=r"nope.ts: file not found \(set data.options.test_path"):
        _load(train, test_path=str(tmp_path / "nope.ts"))


@pytest.mark.keras
def test_prepare_keeps_the_official_test_file_as_the_test_split(tmp_path):
    from seqpipe.data import api as data

    cases = "".join(f"{i},{i},{i},{i}:{'circle' if i % 2 else 'square'}\n" for i in range(20))
    train = _write(tmp_path, "Shapes_TRAIN.ts", SHAPES + cases)
    _write(tmp_path, "Shapes_TEST.ts", SHAPES)
    prepared = data.prepare(_load(train), val=0.2, test=0.5, seed=0)
    assert prepared.spec.official_split is True
    # 23 train series: 20% would be 5 validation series, too few to use, so all 23 are trained on
    assert prepared.spec.sizes.model_dump() == {"train": 23, "val": 0, "test": 3}


def test_a_file_without_labels_is_read_for_prediction_only(tmp_path):
    path = _write(tmp_path, "new.ts", "@problemName New\n@classLabel false\n@data\n1,2,3\n4,5\n")
    raw = _load(path, labelled=False)
    assert len(raw.targets) == 0 and [len(s) for s in raw.sequences] == [3, 2]
    with pytest.raises(DataError, match=r"new.ts: no labels or targets \(no @classLabel true or @targetLabel true"):
        _load(path)


def test_timestamped_values_are_read_in_file_order(tmp_path):
    text = ("@problemName Timed\n@timeStamps true\n@univariate true\n@classLabel true a b\n@data\n"
            "(2007-01-01 00:00:00,1.5),(2007-01-01 00:01:00,?):a\n(1,3),(2,-4.0):b\n")
    raw = _load(_write(tmp_path, "Timed.ts", text))
    assert raw.sequences[0, 0, 0] == 1.5 and np.isnan(raw.sequences[0, 1, 0])
    assert raw.sequences[1, :, 0].tolist() == [3.0, -4.0] and raw.targets.tolist() == [0, 1]


BAD = [
    ("missing-data", "@problemName X\n@classLabel true a b\n1,2:a\n", "line 3: '1,2:a' comes before @data"),
    ("no-data-line", "@problemName X\n@classLabel true a b\n", "no @data line; the header"),
    ("no-cases", "@classLabel true a b\n@data\n\n", "no cases after @data (line 2)"),
    ("unknown-tag", "@classLabels true a b\n@data\n1:a\n", "line 1: unknown tag '@classLabels'; the .ts header tags are "
                                                           "@problemName, @timeStamps"),
    ("bad-boolean", "@missing yes\n@data\n1\n", "line 1: @missing takes true or false, got 'yes'"),
    ("bad-dimensions", "@univariate false\n@dimensions two\n@data\n1\n", "line 2: @dimensions takes a whole number"),
    ("no-labels-listed", "@classLabel true\n@data\n1:a\n", "line 1: @classLabel true needs its labels"),
    ("repeated-label", "@classLabel true a b a\n@data\n1:a\n", "line 1: @classLabel lists 'a' twice"),
    ("contradiction", "@missing true\n@missing false\n@data\n1\n", "line 2: @missing contradicts line 1"),
    ("class-and-target", "@classLabel true a b\n@targetLabel true\n@data\n1:a\n",
     "line 2: @classLabel true and @targetLabel true; a file holds class labels or regression targets, not both"),
    ("univariate-dimensions", "@univariate true\n@dimensions 2\n@data\n1:1:a\n", "line 2: @dimensions 2 with @univariate true"),
    ("wrong-dimension-count", "@univariate false\n@dimensions 2\n@classLabel true a b\n@data\n1,2:3,4:a\n1,2:b\n",
     "line 6: 2 fields separated by ':', expected 3 (2 dimensions and the class label, as the header says)"),
    ("dimension-count-from-first-case", "@univariate false\n@classLabel true a b\n@data\n1:2:a\n1:2:3:b\n",
     "line 5: 4 fields separated by ':', expected 3 (2 dimensions and the class label, as line 4 says)"),
    ("label-not-listed", "@classLabel true a b\n@data\n1,2:a\n3,4:c\n",
     "line 4: class label 'c' is not listed by @classLabel; the labels are a, b"),
    ("non-numeric-value", "@classLabel true a b\n@data\n1,2:a\n3,x4:b\n",
     "line 4: dimension 1, step 2: 'x4' is not a number; values are numbers separated by ',', ? where one is missing"),
    ("empty-value", "@classLabel true a b\n@data\n1,,2:a\n", "line 3: dimension 1, step 2: an empty value is not a number"),
    ("non-numeric-target", "@targetLabel true\n@data\n1,2:high\n",
     "line 3: target 'high' is not a number; with @targetLabel true the last field is a number"),
    ("unequal-dimensions", "@univariate false\n@dimensions 2\n@classLabel true a b\n@data\n1,2,3:4,5:a\n",
     "line 5: dimension 2 has 2 values, dimension 1 has 3; the dimensions of a case have one value per step each"),
    ("unequal-lengths", "@equalLength true\n@classLabel true a b\n@data\n1,2,3:a\n1,2:b\n",
     "line 5: 2 steps, but line 4 has 3 and the header says @equalLength true"),
    ("series-length", "@equalLength true\n@seriesLength 3\n@classLabel true a b\n@data\n1,2:a\n",
     "line 5: 2 steps, but the header says @seriesLength 3"),
    ("beyond-float32", "@classLabel true a b\n@data\n1,1e39:a\n", "line 3: dimension 1, step 2: 1e+39 is beyond float32"),
    ("one-class", "@classLabel true a\n@data\n1:a\n", "@classLabel lists one class ('a'); classification needs two"),
]


@pytest.mark.parametrize("text, message", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_a_malformed_file_is_one_line_naming_the_file_the_line_and_what_is_allowed(tmp_path, text, message):
    path = _write(tmp_path, "bad.ts", text)
    with pytest.raises(DataError) as caught:
        _load(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_test_file_that_describes_another_problem_is_refused(tmp_path):
    train = _write(tmp_path, "Shapes_TRAIN.ts", SHAPES)
    _write(tmp_path, "Shapes_TEST.ts", SHAPES.replace("square circle", "square circle star"))
    with pytest.raises(DataError, match=r"Shapes_TEST.ts: the test file of .*Shapes_TRAIN.ts lists classes square, "
                                        r"circle, star in @classLabel, the train file square, circle"):
        _load(train)
    _write(tmp_path, "Shapes_TEST.ts", MOTIONS)
    with pytest.raises(DataError, match=r"has 2 dimensions, the train file 1"):
        _load(train)


def test_a_file_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin.ts"
    path.write_bytes(b"@problemName X\n# caf\xe9\n@data\n")
    with pytest.raises(DataError, match=r"latin.ts: line 2: not UTF-8 text"):
        read_ts(path)


def test_the_reader_matches_aeon_on_the_files_aeon_ships():
    aeon = pytest.importorskip("aeon")
    from aeon.datasets import load_from_ts_file

    folder = Path(aeon.__file__).parent / "datasets" / "data"
    names = ["ArrowHead/ArrowHead_TRAIN.ts", "JapaneseVowels/JapaneseVowels_TRAIN.ts",
             "PickupGestureWiimoteZ/PickupGestureWiimoteZ_TEST.ts", "CardanoSentiment/CardanoSentiment_TRAIN.ts",
             "BasicMotions/BasicMotions_TRAIN.ts", "UnitTest/UnitTestTimeStamps_TRAIN.ts"]
    for name in names:
        mine = read_ts(folder / name)
        x, y = load_from_ts_file(str(folder / name))
        assert len(x) == len(mine.sequences), name
        for theirs, ours in zip(x, mine.sequences):
            np.testing.assert_array_equal(np.asarray(theirs).T, ours, err_msg=name)  # aeon: (dimensions, steps)
        if mine.targets is not None:
            np.testing.assert_array_equal(y.astype(float), mine.targets, err_msg=name)
        else:  # aeon lower-cases labels; seqpipe keeps them as written
            assert [label.lower() for label in mine.labels] == list(y), name


def test_parse_ts_takes_lines_for_plugins_that_read_files_themselves():
    parsed = parse_ts(SHAPES.splitlines(), "memory")
    assert parsed.kind == "classification" and parsed.lines == [10, 11, 12] and parsed.dimensions == 1


# --- npz `classes` ------------------------------------------------------------------------------


def _npz(tmp_path: Path, **arrays) -> Path:
    path = tmp_path / "arrays.npz"
    np.savez(path, X=np.zeros((4, 3), np.float32), **arrays)
    return path


def _load_npz(path: Path):
    source = REGISTRY.dataset("npz")
    return source.load(source.params(path=str(path)), 0)


def test_an_npz_classes_array_names_integer_labels_in_class_id_order(tmp_path):
    names = [f"c{i}" for i in range(12)]  # more than ten: sorted text would put 10 before 2
    raw = _load_npz(_npz(tmp_path, y=np.array([0, 2, 10, 11]), classes=np.array(names)))
    assert raw.class_names == names and raw.targets.tolist() == [0, 2, 10, 11] and raw.task == "multiclass"


def test_an_npz_classes_array_orders_text_labels(tmp_path):
    raw = _load_npz(_npz(tmp_path, y=np.array(["low", "high", "mid", "low"]), classes=np.array(["low", "mid", "high"])))
    assert raw.class_names == ["low", "mid", "high"] and raw.targets.tolist() == [0, 2, 1, 0]


@pytest.mark.parametrize("arrays, message", [
    ({"y": np.array([0, 1, 2, 3]), "classes": np.array(["a", "b", "c"])},
     "label '3' is not in array 'classes' (3 classes: labels are ids 0..2)"),
    ({"y": np.array(["a", "b", "a", "z"]), "classes": np.array(["a", "b"])},
     "label 'z' is not in array 'classes' (2 classes: labels are names a, b)"),
    ({"y": np.array([0, 1, 0, 1]), "classes": np.array(["a", "a"])}, "array 'classes' lists 'a' twice"),
    ({"y": np.array([0, 1, 0, 1]), "classes": np.array([["a", "b"]])}, "array 'classes' must be 1-D text or numbers"),
], ids=["id-out-of-range", "name-not-listed", "repeated-name", "not-1d"])
def test_a_bad_npz_classes_array_is_one_line(tmp_path, arrays, message):
    path = _npz(tmp_path, **arrays)
    with pytest.raises(DataError) as caught:
        _load_npz(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)

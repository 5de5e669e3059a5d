"""The cnn's depth by default: as many dilated layers as fit the input (`num_layers: auto`)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from seqpipe.plugins.cnn import CNNParams, depth, field_of, growth, receptive_field
from tests.conftest import ROOT, env


@pytest.mark.parametrize(("timesteps", "layers", "field"), [
    (6, 2, 9),       # a forecast window keeps the plain stack: two undilated layers
    (28, 2, 9),
    (29, 3, 29),     # long enough for three layers dilated 1, 2, 4
    (100, 4, 61),    # the adding problem
    (150, 5, 125),   # GunPoint
    (251, 5, 125),   # ArrowHead
    (253, 6, 253),
    (100_000, 8, 1021),
])
def test_auto_stacks_the_deepest_dilated_stack_whose_receptive_field_fits_the_input(timesteps, layers, field):
    hp = CNNParams()
    assert depth(hp, timesteps) == layers
    assert field_of(hp, layers) == field
    assert growth(hp, layers) == (1 if layers == 2 else 2)


def test_a_fixed_stack_keeps_its_layers_and_needs_inputs_as_long_as_its_receptive_field():
    fixed = CNNParams(num_layers=3, kernel_size=3, dilation_growth=1)
    assert depth(fixed, 500) == 3
    assert receptive_field(fixed) == 7
    assert receptive_field(CNNParams(num_layers=3, kernel_size=3)) == 15  # dilated 1, 2, 4 under auto growth
    assert receptive_field(CNNParams()) == 5  # auto pads short inputs: one kernel is enough


@pytest.mark.keras
def test_a_built_cnn_has_the_auto_depth_for_its_input():
    import keras
    from keras import layers

    from seqpipe import InputSpec
    from seqpipe.plugins.cnn import build

    inputs = layers.Input((150, 1))
    encoder = build(InputSpec(timesteps=150, features=1), CNNParams(filters=2))
    model = keras.Model(inputs, encoder(inputs))
    convolutions = [layer for layer in model.layers if isinstance(layer, layers.Conv1D)]
    assert [c.dilation_rate[0] for c in convolutions] == [1, 2, 4, 8, 16]


@pytest.mark.parametrize(("value", "message"), [
    ({"num_layers": "deep"}, "models.cnn.num_layers: must be auto or a whole number of layers from 1 to 16, got 'deep'"),
    ({"num_layers": 0}, "models.cnn.num_layers: must be auto or a whole number of layers from 1 to 16, got 0"),
    ({"dilation_growth": 9}, "models.cnn.dilation_growth: must be auto or a whole number from 1 to 8, got 9"),
])
def test_a_bad_depth_is_one_line_naming_the_key(project, value, message):
    project.set_params({"architectures": ["cnn"], "models": {"cnn": value}})
    result = subprocess.run([sys.executable, "-m", "seqpipe.cli", "validate"], cwd=project.path, env=env(),
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [f"seqpipe: error: params.yaml: {message}"]


def test_show_names_the_depth_and_dilation_as_a_number_or_auto():
    result = subprocess.run([sys.executable, "-m", "seqpipe.cli", "show", "cnn"], cwd=ROOT, env=env(),
                            capture_output=True, text=True)
    for key in ("num_layers", "dilation_growth"):
        line = next(line for line in result.stdout.splitlines() if line.startswith(key))
        assert "int or 'auto'" in line and "auto" in line.split("int or 'auto'")[1]

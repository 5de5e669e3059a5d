"""`seqpipe new NAME`: write a working plugin file and its conformance test from a template."""
from __future__ import annotations

from pathlib import Path

from seqpipe.errors import PluginError
from seqpipe.registry import PLUGINS_DIR, Registry
from seqpipe.specs import valid_name

TESTS_DIR = "tests"

PLUGIN_TEMPLATE = '''"""{title} - replace this line: it is what `seqpipe list` shows.

Source: cite the paper or page the architecture comes from (authors, year, title, venue).
Describe in a few lines what the encoder does and when it helps.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from seqpipe import Architecture, InputSpec, hookimpl

# Code shared by several plugins goes in a private module of this folder (a name starting with
# `_`, which is not loaded as a plugin) imported relatively, e.g. `from ._blocks import conv_block`;
# it is part of this plugin's fingerprint, so editing it retrains what uses it.


class {cls}Params(BaseModel):
    """Hyperparameters: each one typed, with a default, bounds and a one-line meaning."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key in params.yaml is an error

    units: int = Field(16, ge=1, le=4096, description="width of the per-step projection")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout after the projection")


def build(spec: InputSpec, hp: {cls}Params):
    """(batch, spec.timesteps, spec.features) -> (batch, hp.units).

    Return a keras Layer or a function on keras tensors. Import keras here, not at module
    level, and use only keras.layers / keras.ops. The core adds the input, token embedding,
    masking, task head, loss and optimizer.
    """
    from keras import layers

    def encoder(x):
        x = layers.Dense(hp.units, activation="relu")(x)  # per step; passes the mask on
        if hp.dropout:
            x = layers.Dropout(hp.dropout)(x)
        return layers.GlobalAveragePooling1D()(x)  # mask-aware average over time

    return encoder


@hookimpl
def register_architectures(register):
    register(
        Architecture(
            "{name}",  # a lowercase Python identifier: it names files, params.yaml and dvc.yaml keys
            build,
            {cls}Params,
            description=__doc__,
            # Dense and GlobalAveragePooling1D respect the padding mask. Set this to False if
            # your layers do not (convolutions, for example), and `seqpipe check` stops
            # testing it.
            supports_masking=True,
        )
    )
'''

TEST_TEMPLATE = '''"""The {name} plugin passes the seqpipe conformance kit (`seqpipe check {name}`)."""
from seqpipe.testing import run_checks
from seqpipe.registry import build_registry


def test_{name}_passes_every_conformance_check():
    results = list(run_checks(build_registry().architecture("{name}")))
    failed = [f"{{r.name}}: {{r.reason}}" for r in results if not r.passed]
    assert not failed, failed
'''


def validate_name(name: str, registry: Registry) -> None:
    """A new architecture name: a lowercase identifier no plugin or keyword already uses."""
    if not valid_name(name):  # the rule the registry applies to every registered name
        raise PluginError(
            f"'{name}' is not a valid plugin name; use a lowercase Python identifier such as my_model"
        )
    taken = {**registry.architectures, **registry.datasets}
    if name in taken:
        raise PluginError(f"'{name}' is already registered by {taken[name].origin}; choose another name")
    if name in registry.broken:
        raise PluginError(f"'{name}' is the name of an existing (broken) plugin: {registry.broken[name]}")


def plan_files(name: str, root: Path) -> dict[Path, str]:
    """The files `seqpipe new` writes, with their contents."""
    title = name.replace("_", " ").title()
    cls = "".join(part.title() for part in name.split("_"))
    return {
        root / PLUGINS_DIR / f"{name}.py": PLUGIN_TEMPLATE.format(name=name, title=title, cls=cls),
        root / TESTS_DIR / f"test_plugin_{name}.py": TEST_TEMPLATE.format(name=name),
    }


def new_plugin(name: str, registry: Registry, root: Path) -> list[Path]:
    """Write the plugin and its test under `root`; refuse to overwrite anything."""
    validate_name(name, registry)
    if not (root / PLUGINS_DIR / "__init__.py").is_file():
        raise PluginError(f"{root}: no {PLUGINS_DIR}/ package here; run from the project root")
    files = plan_files(name, root)
    existing = [str(p.relative_to(root)) for p in files if p.exists()]
    if existing:
        raise PluginError(f"{', '.join(existing)} already exists; not overwriting")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)

"""What the zoo's recipes cost on a CPU: seconds per optimizer step of fcn, resnet and inceptiontime
at their papers' sizes and recipes (batch capped at a tenth of the split) on an ArrowHead-sized set
(36 training series of 251 steps, 3 classes; random values: only the time is measured), XLA as
each plugin measured it. Prints the minutes of the recipes' 3000 steps.

    .venv/bin/python bench/recipes_cost.py fcn resnet inceptiontime
"""
from __future__ import annotations

import sys

import numpy as np

from seqpipe.config.experiment import ArchitectureChoice
from seqpipe.config.params import TrainParams
from seqpipe.config.recipes import effective
from seqpipe.data.spec import PaddingSpec, PreparedSpec
from seqpipe.registry import build_registry
from seqpipe.training.fit import fit, seed_everything
from seqpipe.training.model import build_model

reg = build_registry()
n, steps = 36, 251
x = np.random.default_rng(0).normal(size=(n, steps, 1)).astype("float32")
y = np.arange(n) % 3
spec = PreparedSpec(task="multiclass", input_kind="numeric", timesteps=steps, features=1, n_classes=3,
                    padding=PaddingSpec(padded=False))
for name in sys.argv[1:]:
    arch = reg.architecture(name)
    base = effective(TrainParams(), name, arch).for_data(n).params
    train = base.model_copy(update={"epochs": 3, "jit_compile": bool(arch.jit_compile), "patience": 0})
    seed_everything(0)
    model = build_model(ArchitectureChoice(name, arch, arch.params()), spec, train)
    s = fit(model, (x, y), (x[:6], y[:6]), train, verbose=0)
    per_step = s.seconds_per_epoch / (n // train.batch_size)
    print(f"{name}: {model.count_params():,} params, batch {train.batch_size}, xla {model.jit_compile}, "
          f"{per_step*1000:.1f} ms/step -> 3000 steps ~ {3000*per_step/60:.1f} min", flush=True)

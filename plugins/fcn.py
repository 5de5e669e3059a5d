"""FCN - fully convolutional network: three Conv1D + batch-norm + ReLU blocks, global pooling.

Source: Wang, Z., Yan, W. and Oates, T. (2017). Time series classification from scratch with deep
neural networks: a strong baseline. IJCNN. The defaults are the paper's network: blocks of 128,
256 and 128 filters (`filters`, `2 * filters`, `filters`) with kernel sizes 8, 5 and 3. Padded
steps are not masked (convolutions mix them in).

Recipe (`seqpipe show fcn`), from dl-4-tsc (Ismail Fawaz, H. et al. (2019). Deep learning for time
series classification: a review. Data Mining and Knowledge Discovery 33; github.com/hfawaz/dl-4-tsc,
classifiers/fcn.py): Adam at 1e-3, ReduceLROnPlateau on the training loss (factor 0.5, patience 50,
down to 1e-4), batch 16 capped at a tenth of the training split, no gradient clipping. The paper
trains 2000 epochs whatever the data's size; here the budget is `epochs: auto` with at least 3000
optimizer steps and at most those 2000 epochs: ~1/8 of dl-4-tsc's steps on a UCR set of ~40
training series (on an ArrowHead-sized set, 1.4 minutes on two shared CPU cores instead of ~11;
bench/RESULTS.md, "Neutral defaults") and far fewer on large sets, where 2000 epochs would take
days on a CPU.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from seqpipe import Architecture, InputSpec, Recipe, hookimpl

KERNEL_SIZES = (8, 5, 3)
# dl-4-tsc's FCN recipe; the budget is this project's (see the docstring)
RECIPE = Recipe(optimizer="adam", learning_rate=1e-3, lr_schedule="plateau", clipnorm=None, batch_size=16,
                max_batch_fraction=0.1, epochs="auto", min_steps=3000, max_epochs=2000,
                reference="dl-4-tsc (Ismail Fawaz et al. 2019), classifiers/fcn.py; budget: at least 3000 steps, "
                "at most the paper's 2000 epochs")


class FCNParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: int = Field(128, ge=1, le=4096, description="filters of the first and last block; the middle has twice as many (paper: 128)")


def build(spec: InputSpec, hp: FCNParams):
    """(batch, steps, features) -> (batch, filters)."""
    from keras import layers

    def encoder(x):
        for width, kernel in zip((hp.filters, 2 * hp.filters, hp.filters), KERNEL_SIZES):
            x = layers.Conv1D(width, kernel, padding="same")(x)
            x = layers.BatchNormalization()(x)
            x = layers.Activation("relu")(x)
        return layers.GlobalAveragePooling1D()(x)

    return encoder


@hookimpl
def register_architectures(register):
    # jit_compile: measured by bench/tuning_jit.py (figures in bench/RESULTS.md)
    register(Architecture("fcn", build, FCNParams, description=__doc__, min_timesteps=lambda hp: max(KERNEL_SIZES),
                          jit_compile=True, backend="tensorflow", recipe=RECIPE))

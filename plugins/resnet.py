"""ResNet - residual blocks of three Conv1D + batch-norm layers with shortcuts, global pooling.

Source: Wang, Z., Yan, W. and Oates, T. (2017). Time series classification from scratch with deep
neural networks: a strong baseline. IJCNN. Each block has convolutions with kernel sizes 8, 5 and
3, batch normalisation and ReLU, and a shortcut (a 1x1 convolution + batch norm when the width
changes). The defaults are the paper's network: three blocks of 64, 128 and 128 filters (block
widths are `filters`, then `2 * filters` for every later block). Padded steps are not masked
(convolutions mix them in).

Recipe (`seqpipe show resnet`), from dl-4-tsc (Ismail Fawaz, H. et al. (2019). Deep learning for
time series classification: a review. Data Mining and Knowledge Discovery 33; classifiers/resnet.py):
Adam at 1e-3, ReduceLROnPlateau on the training loss (factor 0.5, patience 50, down to 1e-4),
batch 64 capped at a tenth of the training split, no gradient clipping. The paper trains 1500
epochs whatever the data's size; here the budget is `epochs: auto` with at least 3000 optimizer
steps and at most those 1500 epochs: ~1/6 of dl-4-tsc's steps on a UCR set of ~40 training
series (on an ArrowHead-sized set, 3.2 minutes on two shared CPU cores instead of ~20;
bench/RESULTS.md, "Neutral defaults").
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from seqpipe import Architecture, InputSpec, Recipe, hookimpl

KERNEL_SIZES = (8, 5, 3)
# dl-4-tsc's ResNet recipe; the budget is this project's (see the docstring)
RECIPE = Recipe(optimizer="adam", learning_rate=1e-3, lr_schedule="plateau", clipnorm=None, batch_size=64,
                max_batch_fraction=0.1, epochs="auto", min_steps=3000, max_epochs=1500,
                reference="dl-4-tsc (Ismail Fawaz et al. 2019), classifiers/resnet.py; budget: at least 3000 steps, "
                "at most the paper's 1500 epochs")


class ResNetParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: int = Field(64, ge=1, le=4096, description="filters of the first block; later blocks use twice as many (paper: 64)")
    num_blocks: int = Field(3, ge=1, le=12, description="residual blocks (paper: 3)")


def build(spec: InputSpec, hp: ResNetParams):
    """(batch, steps, features) -> (batch, filters or 2 * filters)."""
    from keras import layers

    def block(x, width: int):
        y = x
        for i, kernel in enumerate(KERNEL_SIZES):
            y = layers.Conv1D(width, kernel, padding="same")(y)
            y = layers.BatchNormalization()(y)
            if i < len(KERNEL_SIZES) - 1:
                y = layers.Activation("relu")(y)
        shortcut = x
        if x.shape[-1] != width:
            shortcut = layers.BatchNormalization()(layers.Conv1D(width, 1, padding="same")(x))
        return layers.Activation("relu")(layers.Add()([shortcut, y]))

    def encoder(x):
        for i in range(hp.num_blocks):
            x = block(x, hp.filters if i == 0 else 2 * hp.filters)
        return layers.GlobalAveragePooling1D()(x)

    return encoder


@hookimpl
def register_architectures(register):
    # jit_compile: measured by bench/tuning_jit.py (figures in bench/RESULTS.md)
    register(Architecture("resnet", build, ResNetParams, description=__doc__,
                          min_timesteps=lambda hp: max(KERNEL_SIZES), jit_compile=False, backend="tensorflow", recipe=RECIPE))

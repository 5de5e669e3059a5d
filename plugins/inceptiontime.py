"""InceptionTime - inception modules (parallel convolutions of three widths) with residuals.

Source: Ismail Fawaz, H. et al. (2020). InceptionTime: finding AlexNet for time series
classification. Data Mining and Knowledge Discovery 34. Each module: a 1x1 bottleneck
convolution, three convolutions with kernel sizes `kernel_size`, `kernel_size // 2` and
`kernel_size // 4` in parallel with a max-pool + 1x1 branch, concatenated, batch norm and ReLU.
A residual shortcut joins every third module. The defaults are the paper's network: 32 filters
per branch, a bottleneck of 32, kernels 40, 20 and 10, depth 6, a residual every three modules.
This is ONE network: the paper's InceptionTime is an ensemble of five such networks (averaged
predictions), which `train.repeats: 5` trains but does not average. Kernels wider than the
series are allowed (same padding), as the paper applies kernel 40 to series of 24 steps; only
the shortest kernel must fit. Padded steps are not masked (convolutions mix them in).

Recipe (`seqpipe show inceptiontime`), from the paper's code (github.com/hfawaz/InceptionTime)
and dl-4-tsc (Ismail Fawaz et al. 2019): Adam at 1e-3, ReduceLROnPlateau on the training loss
(factor 0.5, patience 50, down to 1e-4), batch 64, no gradient clipping; as for ResNet the batch
is capped at a tenth of the training split, so that small sets get several steps per epoch.
The paper trains 1500 epochs whatever the data's size; here the budget is `epochs: auto` with at
least 3000 optimizer steps and at most those 1500 epochs (on an ArrowHead-sized set, 6.4 minutes
on two shared CPU cores instead of ~38; bench/RESULTS.md, "Neutral defaults").
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from seqpipe import Architecture, InputSpec, Recipe, hookimpl

# The paper's recipe; the budget is this project's (see the docstring)
RECIPE = Recipe(optimizer="adam", learning_rate=1e-3, lr_schedule="plateau", clipnorm=None, batch_size=64,
                max_batch_fraction=0.1, epochs="auto", min_steps=3000, max_epochs=1500,
                reference="InceptionTime (Ismail Fawaz et al. 2020) and dl-4-tsc; budget: at least 3000 steps, "
                "at most the paper's 1500 epochs")


class InceptionTimeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filters: int = Field(32, ge=1, le=1024, description="filters of each branch; a module outputs 4 * filters (paper: 32)")
    bottleneck: int = Field(32, ge=1, le=1024, description="width of the 1x1 bottleneck (paper: 32)")
    kernel_size: int = Field(40, ge=4, le=256, description="longest kernel; the others are 1/2 and 1/4 of it (paper: 40)")
    depth: int = Field(6, ge=1, le=24, description="inception modules; a residual joins every third (paper: 6)")
    residual: bool = Field(True, description="residual shortcut around every three modules")


def build(spec: InputSpec, hp: InceptionTimeParams):
    """(batch, steps, features) -> (batch, 4 * filters)."""
    from keras import layers

    kernels = [max(1, hp.kernel_size // d) for d in (1, 2, 4)]

    def module(x):
        y = layers.Conv1D(hp.bottleneck, 1, padding="same", use_bias=False)(x) if x.shape[-1] > 1 else x
        branches = [layers.Conv1D(hp.filters, k, padding="same", use_bias=False)(y) for k in kernels]
        pooled = layers.MaxPooling1D(3, strides=1, padding="same")(x)
        branches.append(layers.Conv1D(hp.filters, 1, padding="same", use_bias=False)(pooled))
        x = layers.Concatenate(axis=-1)(branches)
        return layers.Activation("relu")(layers.BatchNormalization()(x))

    def shortcut(residual, x):
        residual = layers.BatchNormalization()(layers.Conv1D(x.shape[-1], 1, padding="same", use_bias=False)(residual))
        return layers.Activation("relu")(layers.Add()([residual, x]))

    def encoder(x):
        residual = x
        for i in range(hp.depth):
            x = module(x)
            if hp.residual and i % 3 == 2:
                x = shortcut(residual, x)
                residual = x
        return layers.GlobalAveragePooling1D()(x)

    return encoder


def shortest_kernel(hp: InceptionTimeParams) -> int:
    """The shortest input the network is built for: its shortest kernel (kernel_size // 4)."""
    return max(1, hp.kernel_size // 4)


@hookimpl
def register_architectures(register):
    # jit_compile: measured by bench/tuning_jit.py (figures in bench/RESULTS.md)
    register(Architecture("inceptiontime", build, InceptionTimeParams, description=__doc__,
                         min_timesteps=shortest_kernel, jit_compile=False, backend="tensorflow", recipe=RECIPE))

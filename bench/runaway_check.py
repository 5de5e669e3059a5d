"""The `runaway` check (seqpipe.training.diagnostics) on a recursive forecast that runs away (issue 15).

Fits one architecture as bench/forecast_quality.py does (its recipe, the bench's batch cap) with
`train.strategy: recursive` on one offline series and protocol, then prints what the train log's
check says on the validation windows (seqpipe.training.run.runaway) and what the report's says on
the test windows, with the forecasts' ranges beside the training targets'.

    .venv/bin/pip install -q aeon
    .venv/bin/python bench/runaway_check.py --series lynx --arch cnn --protocol sliding --seed 44
    .venv/bin/python bench/runaway_check.py --series solar --arch gru --protocol cutoff --seed 42 --lookback 48
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import forecast_quality  # noqa: E402  (the bench's series and their windows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", default="lynx")
    parser.add_argument("--arch", default="cnn")
    parser.add_argument("--protocol", default="sliding", choices=["cutoff", "sliding"])
    parser.add_argument("--seed", type=int, default=44)
    parser.add_argument("--lookback", type=int, default=None, help="the window's lookback (default: the series')")
    args = parser.parse_args()

    from seqpipe.config import recipes
    from seqpipe.config.experiment import ArchitectureChoice
    from seqpipe.config.params import TrainParams
    from seqpipe.registry import build_registry
    from seqpipe.training import diagnostics, strategy
    from seqpipe.training.fit import fit, seed_everything
    from seqpipe.training.model import build_model
    from seqpipe.training.run import fit_data, forecaster, runaway

    window = {"protocol": args.protocol, **({"lookback": args.lookback} if args.lookback else {})}
    prepared = forecast_quality.prepared_for(args.series, window)
    spec = prepared.spec
    architecture = build_registry().architecture(args.arch)
    chosen = recipes.effective(TrainParams(batch_size=min(16, spec.sizes.train), strategy="recursive"), args.arch,
                               architecture)
    choice = ArchitectureChoice(args.arch, architecture, architecture.params(), chosen)
    seed_everything(args.seed)
    fitted = fit_data(prepared, strategy.resolve(chosen.params, spec))
    model = build_model(choice, fitted.spec, chosen.params)
    fit(model, fitted.xy("train"), fitted.xy("val"), chosen.params, verbose=0)
    y = np.asarray(prepared.arrays["y_train"], dtype=float)
    whole = forecaster(model, spec, fitted)
    val = np.asarray(whole.predict(prepared.xy("val")[0], verbose=0))
    test = np.asarray(whole.predict(prepared.xy("test")[0], verbose=0))
    span = max(float(y.max() - y.min()), 1e-12)
    beyond = {name: max(float(y.min() - f.min()), float(f.max() - y.max())) / span for name, f in (("val", val), ("test", test))}
    print(f"training targets {y.min():.4g} to {y.max():.4g}; validation forecasts {val.min():.4g} to {val.max():.4g} "
          f"({beyond['val']:+.2f} spans beyond); test forecasts {test.min():.4g} to {test.max():.4g} "
          f"({beyond['test']:+.2f} spans)")
    for where, finding in (("train log", runaway(args.arch, model, prepared, fitted, 32)),
                           ("report", diagnostics.runaway(args.arch, test, float(y.min()), float(y.max())))):
        print(f"{where}: " + (f"check: {finding.line()}" if finding else "no runaway"))


if __name__ == "__main__":
    main()

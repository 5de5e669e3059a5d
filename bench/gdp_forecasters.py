"""bench/gdp_forecasters.py: gdp, every statistical forecaster on the bench's protocol (test = the last 8 quarters, 2007 Q4 - 2009 Q3,
forecast in one shot from the cutoff), MASE on the bench's scale. seqpipe's three baselines, then
statsforecast's other classical models for reference. No training; seconds.

    .venv/bin/pip install -q aeon && .venv/bin/python bench/gdp_forecasters.py
"""
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import forecast_quality as fq  # noqa: E402
from statsforecast.models import AutoTheta, HistoricAverage, HoltWinters, Naive, RandomWalkWithDrift, WindowAverage  # noqa: E402

from seqpipe.baselines import forecast as statistical  # noqa: E402
from seqpipe.data.history import histories  # noqa: E402

warnings.simplefilter("ignore")
prepared = fq.prepared_for("gdp", {"normalize": "none"})
f, y = prepared.spec.forecast, prepared.arrays["y_test"]
hist = histories(prepared.arrays, "test")
print("test range:", np.round(y[0].ravel(), 1).tolist(), "history end:", np.round(hist[0].ravel()[-6:], 1).tolist())
for model in statistical.MODELS:
    out = statistical.forecast_windows(model, hist, np.asarray(prepared.arrays["origin_test"])[:, 0], f.horizon, f.season)
    print(f"{model:<28} MASE {fq.mae(y, out.values) / fq.mase_scale('gdp'):.3f} MAPE {fq.mape(y, out.values):.4f}  "
          f"forecast {np.round(np.asarray(out.values)[0].ravel(), 1).tolist()}")
h = hist[0].ravel().astype(float)
for name, m in [("naive (last value)", Naive()), ("random walk with drift", RandomWalkWithDrift()),
                ("historic average", HistoricAverage()), ("window average (4)", WindowAverage(window_size=4)),
                ("Holt-Winters (additive, 4)", HoltWinters(season_length=4)), ("AutoTheta (4)", AutoTheta(season_length=4))]:
    p = m.forecast(y=h, h=f.horizon)["mean"][None, :]
    yy = y.reshape(1, -1)
    print(f"{name:<28} MASE {fq.mae(yy, p) / fq.mase_scale('gdp'):.3f} MAPE {fq.mape(yy, p):.4f}  forecast {np.round(p[0], 1).tolist()}")
print("MASE scale (mean |seasonal difference| on the training range):", round(fq.mase_scale("gdp"), 2))

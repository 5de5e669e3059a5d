"""Regenerate the small example data files (seeded): `python examples/make_data.py`.

Each example directory holds one data file and a `params.yaml`; the data files are committed,
so this script is only needed to change them.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def long_regression(rng) -> pd.DataFrame:
    """Variable-length two-feature sequences; target: mean of `x` where `gate` is on."""
    rows = []
    for sid in range(80):
        steps = int(rng.integers(6, 15))
        x = rng.normal(size=steps).round(3)
        gate = (rng.random(steps) < 0.4).astype(int)
        gate[rng.integers(steps)] = 1
        target = round(float(x[gate == 1].mean()), 4)
        rows += [{"id": f"s{sid:03d}", "time": t, "x": x[t], "gate": gate[t], "target": target} for t in range(steps)]
    return pd.DataFrame(rows)


def wide_classification(rng) -> pd.DataFrame:
    """One row per sequence, up to 16 steps (shorter rows end in empty cells); label: the trend."""
    rows = []
    for sid in range(120):
        steps = int(rng.integers(10, 17))
        label = ["down", "flat", "up"][sid % 3]
        slope = {"down": -0.15, "flat": 0.0, "up": 0.15}[label]
        values = (slope * np.arange(steps) + rng.normal(0, 0.3, steps)).round(3)
        row = {"id": f"w{sid:03d}", "label": label}
        row.update({f"t{t:02d}": (values[t] if t < steps else None) for t in range(16)})
        rows.append(row)
    return pd.DataFrame(rows)


def long_classification_with_split(rng) -> pd.DataFrame:
    """Parquet, long form, official train/test split; label: which of two features oscillates."""
    rows = []
    for sid in range(100):
        steps = 12
        label = "a" if sid % 2 else "b"
        t = np.arange(steps)
        wave = np.sin(t * 1.3 + rng.uniform(0, 6))
        noise = rng.normal(0, 0.4, steps)
        a, b = (wave, noise) if label == "a" else (noise, wave)
        split = "test" if sid >= 80 else "train"
        rows += [{"seq": sid, "step": i, "a": round(a[i], 3), "b": round(b[i], 3), "label": label, "split": split}
                 for i in range(steps)]
    return pd.DataFrame(rows)


def npz_classification(rng) -> dict[str, np.ndarray]:
    """(n, 10, 3) arrays with official train/test parts; class: the feature with the largest sum."""
    def make(n):
        x = rng.normal(size=(n, 10, 3)).astype(np.float32)
        y = rng.integers(0, 3, size=n)
        x[np.arange(n), :, y] += 0.8
        return x, y.astype(np.int64)
    x_train, y_train = make(150)
    x_test, y_test = make(50)
    return {"X_train": x_train, "y_train": y_train, "X_test": x_test, "y_test": y_test}


POS = ["great", "wonderful", "loved", "excellent", "fun", "moving", "brilliant"]
NEG = ["boring", "awful", "hated", "dull", "terrible", "slow", "weak"]
FILL = ["the", "film", "plot", "was", "acting", "really", "story", "a", "bit", "and", "very", "ending", "cast"]


def text_classification(rng) -> pd.DataFrame:
    rows = []
    for i in range(160):
        label = "positive" if i % 2 else "negative"
        words = list(rng.choice(FILL, size=int(rng.integers(4, 10))))
        for _ in range(2):
            words.insert(int(rng.integers(len(words) + 1)), str(rng.choice(POS if label == "positive" else NEG)))
        text = " ".join(words).capitalize() + rng.choice([".", "!", "..."])
        rows.append({"text": text, "label": label})
    return pd.DataFrame(rows)


def text_next_token(rng) -> pd.DataFrame:
    """Short documents with a regular grammar: counting and days of the week."""
    days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    numbers = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    docs = []
    for i in range(120):
        seq = days if i % 2 else numbers
        start = int(rng.integers(len(seq)))
        length = int(rng.integers(5, 12))
        docs.append(" ".join(seq[(start + k) % len(seq)] for k in range(length)))
    return pd.DataFrame({"text": docs})


def forecast_long(rng) -> pd.DataFrame:
    """Three daily series with a weekly cycle: id, time, sales (forecast) and temperature."""
    rows = []
    for sid, store in enumerate(["north", "south", "east"]):
        t = np.arange(200)
        temp = 15 + 8 * np.sin(2 * np.pi * t / 60 + sid) + rng.normal(0, 1, t.shape)
        sales = 50 + 10 * sid + 12 * np.sin(2 * np.pi * t / 7) + 0.3 * temp + rng.normal(0, 2, t.shape)
        rows += [{"store": store, "day": int(d), "sales": round(float(s), 2), "temperature": round(float(x), 1)}
                 for d, s, x in zip(t, sales, temp)]
    return pd.DataFrame(rows)


def forecast_promotions(rng) -> pd.DataFrame:
    """Four daily store series (dates) driven by covariates: weekends sell more (calendar), planned
    promotions add ~25 (future covariate), mall stores sell twice what street stores do (static).
    Each store's last 7 rows are the coming week: promotions planned, sales empty (to forecast)."""
    frames = []
    days = pd.date_range("2024-01-01", periods=217, freq="D")
    for store, fmt in (("s1", "mall"), ("s2", "street"), ("s3", "mall"), ("s4", "street")):
        base = 80.0 if fmt == "mall" else 40.0
        promo = (rng.random(len(days)) < 0.2).astype(int)
        weekend = (days.dayofweek >= 5).astype(float)
        sales = base * (1 + 0.25 * weekend) + 25 * promo + 0.03 * np.arange(len(days)) + rng.normal(0, 4, len(days))
        sales[-7:] = np.nan
        frames.append(pd.DataFrame({"store": store, "date": days.strftime("%Y-%m-%d"), "sales": sales.round(1),
                                    "promo": promo, "format": fmt}))
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    rng = np.random.default_rng(0)
    long_regression(rng).to_csv(HERE / "csv-long-regression" / "sequences.csv", index=False)
    wide_classification(rng).to_csv(HERE / "csv-wide-classification" / "trends.csv", index=False)
    long_classification_with_split(rng).to_parquet(HERE / "parquet-long-classification" / "signals.parquet", index=False)
    np.savez(HERE / "npz-classification" / "arrays.npz", **npz_classification(rng))
    text_classification(rng).to_csv(HERE / "text-classification" / "reviews.csv", index=False)
    text_next_token(rng).to_csv(HERE / "text-next-token" / "documents.csv", index=False)
    forecast_long(rng).to_csv(HERE / "csv-forecast" / "sales.csv", index=False)
    forecast_promotions(np.random.default_rng(1)).to_csv(HERE / "csv-forecast-covariates" / "promotions.csv", index=False)


if __name__ == "__main__":
    main()

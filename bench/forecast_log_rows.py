"""The rows of bench/forecast_quality.py's JSON, read back from its printed log, for a run stopped
before it wrote the JSON (which it writes only at the end).

    .venv/bin/python bench/forecast_log_rows.py recV4.log bench/results/recV4p.json
    .venv/bin/python bench/strategy_choice.py --cell recursive,val=recV4p:recV4 ...

Rows: the statistical baselines (series, variant, MASE, MAPE), each seed's run (series, variant,
architecture, seed, MASE, validation MASE) and each ensemble (`<variant>+ens`); the other fields of
a finished run's rows (windows, seconds, ...) are not in them.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

CLASSICAL = re.compile(r"^(\S+)\s+(\S+)\s+MASE\s+([\d.]+)\s+MAPE\s+([\d.]+)\s*$")
SEED = re.compile(r"^(\S+)\s+(\S+)\s+(\S+)\s+MASE\s+([\d.]+)\s+MAPE\s+([\d.]+)\s+seed\s+(\d+)\s+val\s+([\d.]+)")
ENSEMBLE = re.compile(r"^(\S+)\s+(\S+\+ens)\s+(\S+)\s+MASE\s+([\d.]+)\s+MAPE\s+([\d.]+)")


def rows(lines: list[str]) -> list[dict]:
    out: list[dict] = []
    for line in lines:
        if m := CLASSICAL.match(line):
            out.append({"series": m[1], "variant": m[2], "arch": "-", "mase": float(m[3]), "mape": float(m[4])})
        elif m := SEED.match(line):
            out.append({"series": m[1], "variant": m[2], "arch": m[3], "mase": float(m[4]), "mape": float(m[5]),
                        "seed": int(m[6]), "val_mase": float(m[7])})
        elif m := ENSEMBLE.match(line):
            out.append({"series": m[1], "variant": m[2], "arch": m[3], "mase": float(m[4]), "mape": float(m[5])})
    return out


if __name__ == "__main__":
    log, target = sys.argv[1:3]
    found = rows(Path(log).read_text(encoding="utf-8").splitlines())
    with open(target, "w", encoding="utf-8") as out:
        json.dump({"rows": found}, out)
    print(f"{len(found)} rows -> {target}")

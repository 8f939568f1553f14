"""What the quality and forecast suites share: options, configurations, rows.

A *configuration* is a named set of estimator-parameter overrides
(``--config NAME --set key=value ...``) applied to ``RNNRegressor`` and
``RNNClassifier``; ``default`` is the estimators' own defaults. Every fit is
one result row (suite, dataset, contender, configuration, seed, metrics, fit
time); rows go to a JSON and a CSV file, and earlier result files can be
merged into the tables (``--merge``) to compare configurations side by side.
"""

import argparse
import ast
import csv
import datetime
import gc
import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
import skorch
import torch

import sklearn_rnn
from sklearn_rnn import RNNClassifier, RNNRegressor

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"


def parse_overrides(items):
    """``["hidden_size=128", "cell='gru'"]`` -> ``{"hidden_size": 128, ...}``.

    Values are Python literals (numbers, tuples, None, True); anything that
    is not a literal is taken as a string, so ``cell=gru`` works too.
    """
    overrides = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            overrides[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            overrides[key.strip()] = value.strip()
    known = set(RNNRegressor().get_params()) | set(RNNClassifier().get_params())
    unknown = sorted(set(overrides) - known - {"random_state"})
    if unknown:
        raise ValueError(f"--set: unknown estimator parameter(s) {unknown}; "
                         f"expected some of {sorted(known)}")
    if "random_state" in overrides:
        raise ValueError("--set random_state: seeds come from --seeds")
    return overrides


def estimator_params(Estimator, overrides, seed):
    """The overrides this estimator accepts (class_weight is the classifier's)."""
    accepted = Estimator().get_params()
    params = {k: v for k, v in overrides.items() if k in accepted}
    return {**params, "random_state": seed}


def make_parser(prog, description, datasets, contenders, docs_path):
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--config", default=None,
                        help="name of the configuration (default: 'default' "
                        "without --set, else 'custom')")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="estimator parameter override, repeatable "
                        "(e.g. --set hidden_size=128 --set cell=gru)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="random_state of each fit of the seeded "
                        "contenders (default: 0 1 2); deterministic "
                        "baselines run once")
    parser.add_argument("--datasets", nargs="*", default=list(datasets),
                        choices=list(datasets), metavar="NAME",
                        help="subset of: " + ", ".join(datasets))
    parser.add_argument("--contenders", nargs="+", default=list(contenders),
                        choices=list(contenders), metavar="NAME",
                        help="subset of: " + ", ".join(contenders))
    parser.add_argument("--only-ours", action="store_true",
                        help="run sklearn-rnn alone (to try a configuration; "
                        "merge the baselines' rows with --merge)")
    parser.add_argument("--results", type=Path, default=None,
                        help="JSON file of every result row (a CSV is written "
                        "beside it; default: benchmarks/results/"
                        f"{prog.split('.')[-1]}-CONFIG.json)")
    parser.add_argument("--merge", type=Path, nargs="+", default=[],
                        help="earlier result JSON files whose rows join the "
                        "tables (other configurations, baselines)")
    parser.add_argument("--docs", type=Path, default=docs_path,
                        help=f"Markdown page to write (default {docs_path})")
    parser.add_argument("--no-docs", action="store_true",
                        help="write the result files, not the docs page")
    return parser


def finish_args(args):
    args.overrides = parse_overrides(args.set)
    if args.config is None:
        args.config = "custom" if args.overrides else "default"
    if args.only_ours:
        args.contenders = [c for c in args.contenders if c.startswith("ours")]
    if args.results is None:
        suite = "quality" if "quality" in str(args.docs) else "forecast"
        args.results = RESULTS_DIR / f"{suite}-{args.config}.json"
    return args


def timed(fn, *args, **kwargs):
    """(seconds, result) of one call, after a garbage collection."""
    gc.collect()
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def environment():
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPU cores ({platform.machine()})",
        "torch_threads": torch.get_num_threads(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset"),
        "load_average_start": round(load, 2),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "skorch": skorch.__version__,
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "sklearn-rnn": sklearn_rnn.__version__,
        },
        "command": "python -m " + " ".join(
            [sys.modules["__main__"].__spec__.name if getattr(
                sys.modules["__main__"], "__spec__", None) else sys.argv[0],
             *sys.argv[1:]]),
    }


def write_results(path, meta, rows):
    """Every row to ``path`` (JSON, with the run's metadata) and a CSV beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1,
                               default=float) + "\n")
    fields = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    with open(path.with_suffix(".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path, path.with_suffix(".csv")


def load_rows(paths):
    """The rows and the run metadata of earlier result files."""
    rows, metas = [], []
    for path in paths:
        content = json.loads(Path(path).read_text())
        rows += content["rows"]
        metas.append(content["meta"])
    return rows, metas


def runs_text(metas):
    """One Markdown line per run behind a table: command, date, load."""
    return "\n".join(
        f"- `{m['command']}` on {m['date']}: OMP_NUM_THREADS="
        f"{m['omp_num_threads']}, torch threads {m['torch_threads']}, load "
        f"average {m['load_average_start']} at the start."
        for m in metas)


def contender_label(row, labels):
    """Column name: the baselines by name, ours by name and configuration."""
    label = labels.get(row["contender"], row["contender"])
    return f"{label} [{row['config']}]" if row["config"] is not None else label


def aggregate(rows, metric):
    """Mean and spread (sample std over seeds) of a metric and of fit time."""
    values = [r[metric] for r in rows if r.get(metric) is not None]
    if not values:
        return None
    fit = [r["fit_s"] for r in rows]
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else None,
        "n": len(values),
        "fit_s": statistics.fmean(fit),
    }


def cell(agg, digits=3, time=True):
    """``0.897 ± 0.012 (3 seeds), 4.1 s`` style table cell."""
    if agg is None:
        return "-"
    text = f"{agg['mean']:.{digits}f}"
    if agg["std"] is not None:
        text += f" ± {agg['std']:.{digits}f}"
    if time:
        text += f" ({format_seconds(agg['fit_s'])})"
    return text


def format_seconds(seconds):
    if seconds < 0.1:
        return f"{seconds * 1e3:.0f} ms"
    if seconds < 100:
        return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


def markdown_table(header, body):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
    return "\n".join(lines)


def config_order(config):
    """Sort key of a configuration name: numbers by value, so that
    'round-13-defaults' follows 'round-9-defaults' (as the rounds ran)."""
    return [int(part) if part.isdigit() else part
            for part in re.split(r"(\d+)", str(config))]


def columns(rows, order, labels):
    """Contender columns in a fixed order: ours (per configuration) first."""
    keys = []
    for name in order:
        configs = sorted({r["config"] for r in rows if r["contender"] == name},
                         key=lambda c: (c != "default", config_order(c)))
        keys += [(name, c) for c in configs]
    return keys, [contender_label({"contender": n, "config": c}, labels)
                  for n, c in keys]


def log(message):
    print(message, flush=True)


def epochs_table(rows, seeded, labels, order):
    """Epochs our estimators trained, per dataset: mean (min-max) over seeds."""
    keys = sorted({(r["contender"], r["config"]) for r in rows
                   if r["contender"] in seeded and r.get("epochs") is not None},
                  key=lambda k: (list(labels).index(k[0]), config_order(k[1])))
    if not keys:
        return ""
    datasets = [d for d in order if any(r["dataset"] == d for r in rows)]
    body = []
    for dataset in datasets:
        line = [dataset]
        for key in keys:
            epochs = [r["epochs"] for r in rows if r["dataset"] == dataset
                      and (r["contender"], r["config"]) == key]
            line.append(f"{statistics.fmean(epochs):.0f} ({min(epochs)}-"
                        f"{max(epochs)})" if epochs else "-")
        body.append(line)
    header = ["dataset"] + [contender_label({"contender": n, "config": c}, labels)
                            for n, c in keys]
    return ("## Epochs trained: mean (min-max) over seeds\n\n"
            + markdown_table(header, body))


def run_and_render(parser, args, meta, run, render):
    """A suite's main: run it, write its rows, add the --merge files' rows
    and write the page (to the docs unless --no-docs)."""
    meta["config"] = args.config
    meta["overrides"] = {k: repr(v) for k, v in args.overrides.items()}
    rows = run(args, meta)
    if rows:
        paths = write_results(args.results, meta, rows)
        log("rows written to " + ", ".join(str(p) for p in paths))
    merged_rows, merged_metas = load_rows(args.merge)
    metas = ([meta] if rows else []) + merged_metas
    rows = rows + merged_rows
    if not rows:
        parser.error("nothing to show: no dataset ran and no --merge file")
    page = render(rows, metas, args)
    log(page)
    if not args.no_docs:
        args.docs.write_text(page)
        log(f"written to {args.docs}")
    return 0


def page_fields(rows, metas, args):
    """The fields every suite's page shows: runs, configurations, machine,
    versions and the result files."""
    meta = metas[0]
    files = ([args.results] if args.datasets else []) + list(args.merge)
    files = [p.resolve().relative_to(ROOT) if ROOT in p.resolve().parents
             else p for p in files]
    configs = ", ".join(sorted({str(r["config"]) for r in rows
                                if r["config"] is not None}, key=config_order))
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
    return {
        "runs": runs_text(metas),
        "configs": configs,
        "machine": meta["machine"],
        "versions": versions,
        # The lines every page states under its runs, the same words for all.
        "setup": (
            f"sklearn-rnn configuration(s): `{configs}`.\n"
            f"Machine: {meta['machine']}. Timings were taken on a machine shared "
            "with other\nprocesses (2 cores, up to 4 other users): read them as "
            "orders of magnitude.\n"
            f"Versions: {versions}."
        ),
        "results": ", ".join(f"`{p}`" for p in files),
    }


def record_versions(meta, packages):
    """Add the versions of those ``packages`` that are installed to ``meta``."""
    for package in packages:
        try:
            meta["versions"][package] = __import__(package).__version__
        except ImportError:
            pass


def skip_without_sktime(args, meta, needs, target):
    """Drop the datasets that load through sktime when it is not installed
    (after record_versions), saying which and how to get it."""
    if "sktime" in meta["versions"]:
        return
    skipped = [d for d in args.datasets if d in needs]
    if skipped:
        log(f"sktime is not installed: skipping {skipped} (pip install sktime, "
            f"or {target})")
        args.datasets = [d for d in args.datasets if d not in needs]

"""Run the benchmark suite, print the tables and write them to the docs.

Usage (from the repository root)::

    make bench                                   # full suite (~10 min, 2 cores)
    python -m benchmarks --quick                 # smaller data, 2 rounds
    python -m benchmarks --workloads sine,rows --rounds 5 --no-write
    python -m benchmarks --device cuda           # GPU mode, where one is present

Contenders run interleaved: each round times every contender once, in an
order rotated from round to round, so that a slow phase of the machine
(another process, thermal throttling) hits them alike. Tables report the
median over rounds and ratios of medians.
"""

import argparse
import dataclasses
import datetime
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import sklearn
import skorch
import torch
from numpy.lib.stride_tricks import sliding_window_view

import sklearn_rnn
from sklearn_rnn import RNNRegressor, SlidingWindowTransformer, make_windows

from . import contenders as C
from .workloads import WORKLOADS, Data, windowing_series

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"

FIT = {
    "hand": ("hand-written torch loop", C.fit_hand),
    "ours": ("sklearn-rnn", C.fit_ours),
    "skorch": ("plain skorch net, default DataLoader", C.fit_skorch),
    "keras": ("Keras (TensorFlow CPU)", C.fit_keras),
}
PREDICT = {
    "bare": ("bare inference_mode forward", C.predict_bare, "ours"),
    "ours": ("sklearn-rnn predict", C.predict_ours, "ours"),
    "skorch": ("plain skorch predict", C.predict_skorch, "skorch"),
    "keras": ("Keras predict", C.predict_keras, "keras"),
}
# Predict is timed on the fixed-length workloads with enough rows for
# the per-call overheads not to dominate.
PREDICT_WORKLOADS = ("rows", "lstm")
PREDICT_ROUNDS = 5


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a fifth of the data, 2 rounds (about 2 minutes)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="interleaved rounds per workload (default: 5 for "
                        "the small workloads, 3 for the large; quick: 2)")
    parser.add_argument("--workloads",
                        default=",".join([*WORKLOADS, "windows", "memory"]),
                        help="comma-separated subset of: "
                        + ", ".join([*WORKLOADS, "windows", "memory"])
                        + " (memory: peak memory of a fit on windowed "
                        "data; default: all)")
    parser.add_argument("--contenders", default=",".join(FIT),
                        help="comma-separated subset of: " + ", ".join(FIT))
    parser.add_argument("--device", default="cpu",
                        help="torch device: cpu, cuda, auto (cuda when present)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads for every contender (default: "
                        "torch's, one per core); sklearn-rnn's policy may "
                        "use fewer")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help=f"Markdown file to write (default {DEFAULT_OUTPUT})")
    parser.add_argument("--no-write", action="store_true",
                        help="print the tables only")
    args = parser.parse_args(argv)
    if args.quick and args.rounds is None:
        args.rounds = 2
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device is available here")
    return args


# ------------------------------------------------------------------ timing
def timed(fn, *args, device="cpu"):
    gc.collect()
    start = time.perf_counter()
    result = fn(*args)
    C.synchronize(device)
    return time.perf_counter() - start, result


def subset(data, n):
    return Data(
        data.X[:n],
        data.y[:n],
        data.X_ours[:n],
        None if data.lengths is None else data.lengths[:n],
        data.n_classes,
    )


def bench_fit(workload, data, names, rounds, device, log):
    """Median fit time per contender, and the models of the last round."""
    # Warm-up: one tiny fit each, so that first-use costs (lazy imports,
    # allocator growth, TensorFlow's function library) are nobody's.
    tiny = dataclasses.replace(workload, epochs=1)
    for name in names:
        FIT[name][1](tiny, subset(data, 4 * workload.batch_size), device)
    times = {name: [] for name in names}
    models = {}
    for r in range(rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            seconds, models[name] = timed(FIT[name][1], workload, data, device,
                                          device=device)
            times[name].append(seconds)
            log(f"  round {r + 1}/{rounds}  {name:<7} {seconds:8.3f} s")
    return {k: statistics.median(v) for k, v in times.items()}, times, models


def bench_predict(data, models, device, log):
    names = [n for n, (_, _, needs) in PREDICT.items() if needs in models]
    for name in names:  # warm-up
        PREDICT[name][1](models[PREDICT[name][2]], subset(data, 64), device)
    times = {name: [] for name in names}
    for r in range(PREDICT_ROUNDS):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            _, fn, needs = PREDICT[name]
            seconds, _ = timed(fn, models[needs], data, device, device=device)
            times[name].append(seconds)
    medians = {k: statistics.median(v) for k, v in times.items()}
    log("  predict: " + ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in medians.items()))
    return medians


def bench_windowing(n_rows, n_features, window, repeats, log):
    """Time, allocations and view-ness of windowing one long series."""
    series = windowing_series(n_rows, n_features)
    cases = {
        "numpy sliding_window_view": lambda: sliding_window_view(
            series, window, axis=0
        ).transpose(0, 2, 1),
        "make_windows": lambda: make_windows(series, window, target=0)[0],
        "SlidingWindowTransformer": lambda: SlidingWindowTransformer(
            window_size=window
        ).fit_transform(series),
    }
    rows = []
    for name, fn in cases.items():
        fn()
        seconds = []
        for _ in range(repeats):
            start = time.perf_counter()
            out = fn()
            seconds.append(time.perf_counter() - start)
        tracemalloc.start()
        out = fn()
        allocated = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append({
            "name": name,
            "ms": statistics.median(seconds) * 1e3,
            "shape": out.shape,
            "allocated_mb": allocated / 2**20,
            "materialised_mb": out.size * out.itemsize / 2**20,
            "view": not out.flags.owndata,
            "series": (n_rows, n_features, window),
        })
        log(f"  {name:<28} {rows[-1]['ms']:8.2f} ms  allocated "
            f"{rows[-1]['allocated_mb']:.1f} MiB")
    return rows


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def bench_fit_memory(n_rows, n_features, window, epochs, log):
    """Peak memory of a fit on windowed data (Linux /proc; else tracemalloc)."""
    series = windowing_series(n_rows, n_features)
    X, y = make_windows(series, window, target=0)
    est = RNNRegressor(cell="rnn", hidden_size=8, batch_size=1024, max_iter=epochs,
                       n_iter_no_change=epochs, random_state=0, device="cpu")
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets the peak resident size (VmHWM)
        before = _status_kib("VmRSS")
    except OSError:
        before = None
    tracemalloc.start()
    start = time.perf_counter()
    est.fit(X, y)
    seconds = time.perf_counter() - start
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    peak_rss = None if before is None else (_status_kib("VmHWM") - before) / 1024
    result = {
        "shape": X.shape,
        "series_mb": series.nbytes / 2**20,
        "windows_f32_mb": X.size * 4 / 2**20,
        "peak_rss_mb": peak_rss,
        "numpy_peak_mb": traced / 2**20,
        "seconds": seconds,
        "epochs": epochs,
    }
    log(f"  fit on {X.shape} windows: peak RSS +{peak_rss or float('nan'):.0f} MiB, "
        f"numpy peak {result['numpy_peak_mb']:.0f} MiB, windows as float32 "
        f"{result['windows_f32_mb']:.0f} MiB")
    return result


# --------------------------------------------------------------- reporting
def environment(device, keras_version):
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "skorch": skorch.__version__,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "sklearn_rnn": sklearn_rnn.__version__,
        "keras": keras_version,
        "device": device,
        "load": load,
    }
    if device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def _ratio(a, b):
    return a / b if a and b else float("nan")


def _rounds_text(fit_results):
    counts = sorted({r["rounds"] for r in fit_results}, reverse=True)
    return " or ".join(str(c) for c in counts) or "no"


def _fmt(value, suffix=""):
    return "–" if value != value else f"{value:.2f}{suffix}"


def render(env, args, fit_results, predict_results, windowing, memory,
           load_after):
    # "orphan": Sphinx (MyST) does not warn while no toctree lists the page.
    lines = ["---", "orphan: true", "---", "", "# Benchmarks", ""]
    lines.append(
        "Generated by `make bench` (`python -m benchmarks"
        + (" --quick" if args.quick else "")
        + (f" --device {args.device}" if args.device != "cpu" else "")
        + (f" --threads {args.threads}" if args.threads else "")
        + f"`) on {env['date']}. Fit and predict times are medians of "
        f"{_rounds_text(fit_results)} interleaved rounds (predict: "
        f"{PREDICT_ROUNDS}); ratios are ratios of medians."
    )
    lines.append("")
    keras = env["keras"] or "not installed (skipped)"
    load = env["load"]
    load_text = (
        f"{load[0]:.2f} before, {load_after[0]:.2f} after"
        if load and load_after else "n/a"
    )
    lines += [
        f"- Machine: {env['cores']} CPU cores ({env['cpu']}), "
        f"device `{env['device']}`"
        + (f" ({env['gpu']})" if "gpu" in env else "")
        + f", torch threads at start: {env['torch_threads']}; "
        f"1-minute load average {load_text}.",
        f"- Versions: Python {env['python']}, torch {env['torch']}, "
        f"skorch {env['skorch']}, scikit-learn {env['sklearn']}, "
        f"numpy {env['numpy']}, sklearn-rnn {env['sklearn_rnn']}, "
        f"Keras {keras}.",
        "- Same model everywhere: one recurrent layer and a linear layer on "
        "its last state, Adam (learning rate 1e-3), same batch size and "
        "epochs, shuffled batches. sklearn-rnn runs with its defaults "
        "otherwise: it standardises inputs (one extra elementwise op per "
        "batch) and, for regression, targets; it never stops early here.",
        "- The hand-written loop is the strong baseline: whole tensors, "
        "sliced batches, no DataLoader, no `.item()` per batch. The skorch "
        "net is what a user writes first: `NeuralNetRegressor`/"
        "`NeuralNetClassifier` with its default DataLoader. The first "
        "optimizer of a process imports `torch._dynamo` (over a second): "
        "every contender is warmed up first, so nobody pays it in the table.",
        "",
    ]
    if fit_results:
        lines += ["## Fit time, relative to the hand-written torch loop", ""]
        names = [n for n in FIT if any(n in r["medians"] for r in fit_results)]
        lines.append("| workload | " + " | ".join(FIT[n][0] for n in names) + " |")
        lines.append("|---|" + "---|" * len(names))
        for r in fit_results:
            med = r["medians"]
            cells = []
            for n in names:
                if n not in med:
                    cells.append("–")
                elif n == "hand":
                    cells.append(f"1.00 ({med[n]:.2f} s)")
                else:
                    cells.append(f"{_ratio(med[n], med.get('hand')):.2f} "
                                 f"({med[n]:.2f} s)")
            lines.append(f"| {r['title']} | " + " | ".join(cells) + " |")
        lines += ["", "### Targets", ""]
        lines += ["| workload | sklearn-rnn / hand loop (target <= 1.10) | "
                  "speed-up vs skorch | speed-up vs Keras |", "|---|---|---|---|"]
        for r in fit_results:
            med = r["medians"]
            ours = med.get("ours")
            vs_hand = _ratio(ours, med.get("hand"))
            vs_skorch = _ratio(med.get("skorch"), ours)
            vs_keras = _ratio(med.get("keras"), ours)
            lines.append(
                f"| {r['key']} | {_fmt(vs_hand)} | {_fmt(vs_skorch, 'x')} | "
                f"{_fmt(vs_keras, 'x')} |"
            )
        lines += ["", "Targets from the issue: sklearn-rnn <= 1.10x the hand "
                  "loop on every workload; >= 1.3x faster than plain skorch on "
                  "the smallest (sine); >= 2.5x faster than Keras on the small "
                  "ones (sine, rows) and faster on all.", ""]
    if predict_results:
        lines += ["## Predict time", ""]
        names = [n for n in PREDICT
                 if any(n in r["medians"] for r in predict_results)]
        lines.append("| workload | " + " | ".join(PREDICT[n][0] for n in names)
                     + " | sklearn-rnn / bare (target <= 1.10) |")
        lines.append("|---|" + "---|" * (len(names) + 1))
        for r in predict_results:
            med = r["medians"]
            cells = [f"{med[n] * 1e3:.1f} ms" if n in med else "–" for n in names]
            lines.append(f"| {r['key']} ({r['n']} sequences) | " + " | ".join(cells)
                         + f" | {_fmt(_ratio(med.get('ours'), med.get('bare')))} |")
        lines += ["", "The bare forward runs the fitted module of sklearn-rnn "
                  "over the same batches of "
                  f"{C.PREDICT_BATCH_SIZE} rows; sklearn-rnn's predict adds "
                  "input validation and the inverse target scaling (or label "
                  "decoding). skorch and Keras predict with their defaults "
                  "(skorch: the training batch size; Keras: 32).", ""]
    if windowing:
        n_rows, n_features, window = windowing[0]["series"]
        lines += [f"## Windowing {n_rows:,} rows x {n_features} features, "
                  f"window {window}", ""]
        lines += ["| method | time | output | a view? | memory allocated | "
                  "the windows as a copy would take |", "|---|---|---|---|---|---|"]
        for w in windowing:
            lines.append(
                f"| {w['name']} | {w['ms']:.2f} ms | {w['shape']} | "
                f"{'yes' if w['view'] else 'no'} | {w['allocated_mb']:.1f} MiB | "
                f"{w['materialised_mb']:,.0f} MiB |"
            )
        lines += ["", "`SlidingWindowTransformer` keeps the row count (the "
                  "first rows are padded), so it copies the series once "
                  "with its padding rows; the windows are views of that copy.",
                  ""]
    if memory:
        m = memory
        rss = "n/a" if m["peak_rss_mb"] is None else f"{m['peak_rss_mb']:.0f} MiB"
        lines += ["## Memory of a fit on windowed data", ""]
        lines += [
            f"`RNNRegressor(cell='rnn', hidden_size=8, batch_size=1024, "
            f"max_iter={m['epochs']})` on the {m['shape']} windows of "
            f"`make_windows` (a view of a {m['series_mb']:.1f} MiB float32 "
            f"series); the windows copied as float32 would take "
            f"{m['windows_f32_mb']:.0f} MiB.",
            "",
            "| peak resident memory added by fit | peak numpy allocations "
            "(tracemalloc) | fit time |",
            "|---|---|---|",
            f"| {rss} | {m['numpy_peak_mb']:.0f} MiB | {m['seconds']:.1f} s |",
            "",
        ]
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    selected = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = set(selected) - {*WORKLOADS, "windows", "memory"}
    if unknown:
        raise SystemExit(f"unknown workloads: {sorted(unknown)}")
    names = [n.strip() for n in args.contenders.split(",") if n.strip()]
    if set(names) - set(FIT):
        raise SystemExit(f"unknown contenders: {sorted(set(names) - set(FIT))}")

    def log(msg):
        print(msg, flush=True)

    if args.threads:
        torch.set_num_threads(args.threads)
        # Keras/TensorFlow reads its thread pools' sizes when it starts.
        os.environ["TF_NUM_INTRAOP_THREADS"] = str(args.threads)
        os.environ["TF_NUM_INTEROP_THREADS"] = str(args.threads)
    C.warm_up_torch()
    keras_version = None
    if "keras" in names:
        keras_version = C.keras_available()
        if keras_version is None:
            log("Keras with TensorFlow is not installed: skipping it "
                "(pip install -e '.[bench]' to include it).")
            names.remove("keras")
        elif args.device != "cpu":
            log("Keras runs on TensorFlow CPU here: skipped in GPU mode.")
            names.remove("keras")
    env = environment(args.device, keras_version)
    log(f"{env['cores']} cores, torch {env['torch']} ({env['torch_threads']} "
        f"threads), skorch {env['skorch']}, Keras {keras_version}, "
        f"device {args.device}, load {env['load']}")

    scale = 5 if args.quick else 1
    rng = np.random.RandomState(0)
    fit_results, predict_results = [], []
    for key in selected:
        if key not in WORKLOADS:
            continue
        workload = WORKLOADS[key]
        n = workload.n_samples if key == "sine" else workload.n_samples // scale
        data = workload.make(n, rng)
        log(f"{key}: {workload.title} ({n} sequences)")
        rounds = args.rounds or workload.rounds
        medians, times, models = bench_fit(workload, data, names, rounds,
                                           args.device, log)
        fit_results.append({"key": key, "title": workload.title, "n": n,
                            "rounds": rounds, "medians": medians, "times": times})
        if key in PREDICT_WORKLOADS:
            predict_results.append({
                "key": key, "n": n,
                "medians": bench_predict(data, models, args.device, log),
            })
        del models
    windowing = memory = None
    if "windows" in selected:
        log("windows: 1,000,000 rows x 8 features, window 64")
        windowing = bench_windowing(1_000_000, 8, 64, repeats=7, log=log)
    if "memory" in selected:
        log("memory: fit on windowed data")
        memory = bench_fit_memory(100_000 // scale, 8, 64, epochs=2, log=log)
    load_after = os.getloadavg() if hasattr(os, "getloadavg") else None
    text = render(env, args, fit_results, predict_results, windowing, memory,
                  load_after)
    print("\n" + text)
    if not args.no_write:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
        log(f"\nwritten to {args.output}")
    return 0

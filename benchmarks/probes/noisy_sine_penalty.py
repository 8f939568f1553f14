"""PROBE, not a library feature: what ``alpha=1.0`` does to the noisy-sine
tutorial on series of 100-200 windows, and whether a score of the windows
several steps ahead against several simple forecasts tells such a sine from
the benchmark's series that the penalty helps (issue 24, round 12).

Round 11 kept the 'auto' weight decay off a single series' windows that stop
early (100 windows or more): gated by the predictability score, the penalty
helped the benchmark but broke the sine gallery example (790 windows). The
benchmark's rows say that the series it helps there have fewer than 200
windows (``predictability_gate --include-long 200``); the sine examples
have 740-790. ``--sines`` fits ``RNNRegressor(alpha=0.0)`` and ``(alpha=1.0)``
on shorter noisy sines (``sin(freq t)`` plus noise 0.1, the tutorials'
kind) and prints the 30-step RMSE of ``recursive_forecast`` against the
clean sine, seeds 0-2::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.noisy_sine_penalty --sines \\
        0.1:180:20 0.05:190:10

``--scores`` fits no network: for every series of the forecast benchmark
that has rows with and without the penalty, and for a few noisy sines, it
prints two scores of the windows (as the network reads them: centred on
their last value, over their spread): RidgeCV's squared error ``k`` steps
ahead (fitted on the first two thirds of the windows, scored on the last
third) over the naive forecast's (the library's score at ``k=1``), and over
the best of the naive, the window's drift and the window's mean, with the
series' recursive MASE ratio to the seasonal naive forecast without and
with ``alpha=1.0`` (means over the seeds of the committed rows)::

    python -m benchmarks.probes.noisy_sine_penalty --scores --steps 1 half

``--spectral`` scores the whole training series instead: the share of the
periodogram (after a straight line is taken off) in its strongest component
with a period longer than the window, for the series the library's score
puts above the threshold::

    python -m benchmarks.probes.noisy_sine_penalty --spectral
"""

import argparse
import warnings

import numpy as np
from sklearn.linear_model import RidgeCV

from sklearn_rnn import RNNRegressor, make_windows, recursive_forecast
from sklearn_rnn._plan import PREDICTABILITY_THRESHOLD

from .. import forecast_data as D
from .predictability_gate import load_rows, predictability

DEFAULT_ROWS = ["benchmarks/results/forecast-round-10-defaults.json"]
PENALISED_ROWS = [
    "benchmarks/results/round10-alpha1.0-seed0.json",
    "benchmarks/results/round11-alpha1.0-seed1.json",
    "benchmarks/results/round11-alpha1.0-seed2.json",
    "benchmarks/results/round11-alpha1.0-long-a.json",
    "benchmarks/results/round11-alpha1.0-long-b.json",
]
SCORED_SINES = ("0.1:800:60", "0.05:800:10", "0.1:180:20", "0.05:190:10",
                "0.05:100:10")


def noisy_sine(freq, n, seed, extra=30):
    """``n + extra`` values of ``sin(freq t)`` plus noise 0.1, and the clean
    sine."""
    t = np.arange(n + extra)
    clean = np.sin(freq * t)
    return clean + 0.1 * np.random.RandomState(seed).normal(size=len(t)), clean


def parse_sine(spec):
    freq, n, window = spec.split(":")
    return float(freq), int(n), int(window)


def run_sines(specs, seeds):
    for spec in specs:
        freq, n, window = parse_sine(spec)
        for seed in seeds:
            series, clean = noisy_sine(freq, n, seed)
            X, y = make_windows(series[:n], window)
            rmse = {}
            for alpha in (0.0, 1.0):
                model = RNNRegressor(alpha=alpha, random_state=seed).fit(X, y)
                forecast = recursive_forecast(model, series[n - window:n], 30)
                rmse[alpha] = float(np.sqrt(np.mean((forecast - clean[n:]) ** 2)))
            print(f"sin({freq} t), {n} values, windows of {window} ({len(X)} "
                  f"windows), score {predictability(series[:n], window):.2f}, "
                  f"seed {seed}: 30-step RMSE alpha=0 {rmse[0.0]:.3f}, "
                  f"alpha=1 {rmse[1.0]:.3f}", flush=True)


def several_baseline_scores(train, window, steps):
    """(RidgeCV's error ``steps`` ahead over the naive forecast's, over the
    best of the naive, drift and window-mean forecasts'), on the windows
    centred on their last value over their spread."""
    X, Y = make_windows(train, window, horizon=steps)
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64).reshape(len(X), -1)
    last, spread = X[:, -1:], X.std(axis=1, keepdims=True) + 1e-8
    Z, target = (X - last) / spread, ((Y[:, -1:] - last) / spread)[:, 0]
    cut = 2 * len(Z) // 3
    ridge = RidgeCV(alphas=np.logspace(-3, 3, 13)).fit(Z[:cut], target[:cut])
    error = np.mean((ridge.predict(Z[cut:]) - target[cut:]) ** 2)
    naive = np.mean(target[cut:] ** 2)
    slope = (Z[cut:, -1] - Z[cut:, 0]) / (window - 1)
    drift = np.mean((slope * steps - target[cut:]) ** 2)
    mean = np.mean((Z[cut:].mean(axis=1) - target[cut:]) ** 2)
    return error / naive, error / min(naive, drift, mean)


def mean_ratio(paths, snaive):
    by = {}
    for row in load_rows(paths):
        if row["contender"] == "ours":
            by.setdefault(row["dataset"], []).append(row["mase"])
    return {name: np.mean(v) / snaive[name] for name, v in by.items()
            if snaive.get(name)}


def scored_series(sines):
    """``(before, after, items)``: each series' recursive ratio to the
    seasonal naive forecast without and with ``alpha=1.0`` (the committed
    rows), and ``(name, training values, window)`` of those series and of
    the noisy sines ``sines`` (``FREQ:N:WINDOW``, seed 0)."""
    baselines = load_rows(["benchmarks/results/forecast-baselines.json"])
    snaive = {r["dataset"]: r["mase"] for r in baselines
              if r["contender"] == "snaive"}
    before, after = mean_ratio(DEFAULT_ROWS, snaive), mean_ratio(PENALISED_ROWS, snaive)
    items = [(s.name, s.train, s.window) for name in D.LOADERS
             for s in D.load(name).series if s.name in before and s.name in after]
    for spec in sines:
        freq, n, window = parse_sine(spec)
        items.append((f"sine {spec}", noisy_sine(freq, n, 0, extra=0)[0], window))
    return before, after, items


def run_scores(steps_options):
    before, after, items = scored_series(SCORED_SINES)
    for option in steps_options:
        print(f"\nsteps ahead: {option} | score vs naive | vs best of naive, "
              "drift, mean | windows | ratio alpha=0 -> alpha=1")
        rows = []
        for name, train, window in items:
            steps = 1 if option == "1" else max(1, window // 2)
            vs_naive, vs_best = several_baseline_scores(train, window, steps)
            rows.append((vs_best, vs_naive, name, len(train) - window))
        for vs_best, vs_naive, name, n_windows in sorted(rows):
            if name in before:
                change = f"{before[name]:.2f} -> {after[name]:.2f}"
                verdict = ("gain" if after[name] < 0.95 * before[name] else
                           "loss" if after[name] > 1.05 * before[name] else "")
            else:
                change, verdict = "(tutorial sine)", ""
            print(f"  {vs_naive:6.2f} {vs_best:6.2f} {n_windows:5d}  "
                  f"{name:32s} {change} {verdict}")


def spectral_peak_share(values, window):
    """The strongest periodogram component with a period longer than
    ``window`` as a share of the whole (a straight line taken off first)."""
    values = np.asarray(values, dtype=np.float64)
    t = np.arange(len(values))
    values = values - np.polyval(np.polyfit(t, values, 1), t)
    power = np.abs(np.fft.rfft(values))[1:] ** 2
    slow = np.fft.rfftfreq(len(values))[1:] < 1.0 / window
    return float(power[slow].max() / power.sum()) if slow.any() else 0.0


def run_spectral():
    before, after, items = scored_series(SCORED_SINES + ("0.1:120:20",))
    rows = []
    for name, train, window in items:
        score = predictability(train, window)
        if score > PREDICTABILITY_THRESHOLD:
            rows.append((spectral_peak_share(train, window), score, name,
                         len(train) - window))
    print("peak share | score | windows | series | ratio alpha=0 -> alpha=1")
    for share, score, name, n_windows in sorted(rows):
        change = (f"{before[name]:.2f} -> {after[name]:.2f}" if name in before
                  else "(tutorial sine)")
        print(f"  {share:5.2f} {score:5.2f} {n_windows:5d}  {name:32s} {change}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sines", nargs="*", metavar="FREQ:N:WINDOW")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--scores", action="store_true")
    parser.add_argument("--spectral", action="store_true")
    parser.add_argument("--steps", nargs="+", default=["1", "half"],
                        choices=("1", "half"))
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if args.sines:
            run_sines(args.sines, args.seeds)
        if args.scores:
            run_scores(args.steps)
        if args.spectral:
            run_spectral()


if __name__ == "__main__":
    main()

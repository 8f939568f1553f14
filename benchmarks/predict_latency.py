"""Predict latency by the size of the fixed forward block (issue 25).

Every forward pass of ``predict`` gets exactly ``PREDICT_BATCH_SIZE`` rows
(the last block zero-padded), so that a row's prediction never depends on
the rows it is predicted with. A small block makes a single window cheap (a
recursive forecast predicts one window per step); a large one amortises the
per-call cost over big predicts. This times both in one run, side by side,
for a fitted default ``RNNRegressor`` on windows of 24 steps: predict on one
window, a 30-step ``recursive_forecast``, and predict on 10,000 windows.

    OMP_NUM_THREADS=1 python -m benchmarks.predict_latency [--blocks 256 64 32]

Prints medians over interleaved rounds and each block size's ratio to the
first. Not part of the test suite; no test asserts a time.
"""

import argparse
import time

import numpy as np

import sklearn_rnn._predicting as predicting
from sklearn_rnn import RNNRegressor, make_windows, recursive_forecast


def _median_ms(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, nargs="+", default=[256, 64, 32])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    t = np.arange(1200)
    series = np.sin(2 * np.pi * t / 24) + 0.01 * t
    X, y = make_windows(series[:1000], 24)
    reg = RNNRegressor(random_state=0, max_iter=5).fit(X, y)
    many = np.resize(X, (10_000, 24))
    cases = {
        "predict, 1 window": (lambda: reg.predict(X[:1]), 50),
        "recursive_forecast, 30 steps": (
            lambda: recursive_forecast(reg, series[976:1000], 30), 5),
        "predict, 10,000 windows": (lambda: reg.predict(many), 3),
    }
    results = {block: {name: [] for name in cases} for block in args.blocks}
    default = predicting.PREDICT_BATCH_SIZE
    try:
        for _ in range(args.rounds):
            for block in args.blocks:
                predicting.PREDICT_BATCH_SIZE = block
                for name, (fn, repeats) in cases.items():
                    fn()
                    results[block][name].append(_median_ms(fn, repeats))
    finally:
        predicting.PREDICT_BATCH_SIZE = default
    first = args.blocks[0]
    print(f"library default PREDICT_BATCH_SIZE = {default}; medians of "
          f"{args.rounds} interleaved rounds, ms (ratio to block {first})")
    print("| case | " + " | ".join(f"block {b}" for b in args.blocks) + " |")
    print("|---|" + "---|" * len(args.blocks))
    for name in cases:
        base = np.median(results[first][name])
        cells = [f"{np.median(results[b][name]):.2f} "
                 f"({np.median(results[b][name]) / base:.2f}x)" for b in args.blocks]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

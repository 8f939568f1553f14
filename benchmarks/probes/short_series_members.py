"""PROBE: one network or three for the one-step windows of a short series
(issue 24, round 16, fit time). Below 100 windows such windows train to the
end and, unless weight decay is chosen (unpredictable series), the 'auto'
ensemble trains three networks: on today's development list that is three
series only (shampoo, austourists, souvenirs), the slowest fits per value.
This generates short seasonal series nothing was chosen on and compares
``ensemble_size=3`` (what 'auto' picks there; checked) with ``1``:
recursive forecasts, MASE over the seasonal naive forecast's, geometric
mean over ``--seeds`` series of each kind, mean fit time::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.short_series_members --seeds 0 1 2 3 4
"""

import argparse
import time

import numpy as np

from benchmarks.forecast import mase
from sklearn_rnn import RNNRegressor, make_windows, recursive_forecast

# (season, values, horizon, window)
KINDS = {
    "monthly season + noise": (12, 72, 12, 24),
    "monthly season on a trend": (12, 84, 12, 24),
    "monthly season, growing": (12, 96, 12, 24),
    "quarterly season + noise": (4, 60, 8, 10),
}


def generate(kind, seed):
    season, n, _, _ = KINDS[kind]
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    shape = rng.normal(size=season)
    pattern = np.tile(shape - shape.mean(), n // season + 1)[:n]
    noise = 0.3 * rng.normal(size=n)
    if kind.endswith("noise"):
        return 20 + 2 * pattern + noise
    if kind.endswith("trend"):
        return 20 + 0.1 * t + 2 * pattern + noise
    return (10 + 0.1 * t) * (1 + 0.1 * pattern) + noise


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    print("| series | 'auto' members | 3 networks | 1 network | fit 3 / 1 |")
    print("|---|---|---|---|---|")
    every = {3: [], 1: []}
    for kind, (season, _, h, w) in KINDS.items():
        ratios, seconds, chosen = {3: [], 1: []}, {3: [], 1: []}, set()
        for seed in args.seeds:
            series = generate(kind, seed)
            train, test = series[:-h], series[-h:]
            snaive = mase(train, test, np.tile(train[-season:], h // season + 1)[:h],
                          season)
            X, y = make_windows(train, w)
            for size in (3, 1):
                start = time.perf_counter()
                model = RNNRegressor(random_state=seed, **(
                    {} if size == 3 else {"ensemble_size": 1})).fit(X, y)
                seconds[size].append(time.perf_counter() - start)
                if size == 3:
                    chosen.add(int(model.ensemble_size_))
                forecast = recursive_forecast(model, train[-w:], h)
                ratios[size].append(mase(train, test, forecast, season) / snaive)
        cells = []
        for size in (3, 1):
            every[size] += ratios[size]
            cells.append(f"{np.exp(np.mean(np.log(ratios[size]))):.3f}")
        print(f"| {kind} | {sorted(chosen)} | " + " | ".join(cells)
              + f" | {np.mean(seconds[3]):.1f} / {np.mean(seconds[1]):.1f} s |",
              flush=True)
    print("| all | | " + " | ".join(
        f"{np.exp(np.mean(np.log(every[size]))):.3f}" for size in (3, 1))
        + " | |")


if __name__ == "__main__":
    main()

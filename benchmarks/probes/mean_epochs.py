"""PROBE: epochs of the two models of RNNForecaster's mean (issue 24, round
18, fit time). On the development list the mean of a recursive and a
direct model each trained ``max_iter=100`` epochs scored as the defaults'
200 (0.603) in less time; this checks it on generated series nothing was
chosen on: the long series of ``level_only_synthetic`` (four kinds, 240
values, windows of 24, 24 steps ahead) and the short seasonal ones of
``short_series_members`` (four kinds, 60-96 values), one series per seed
and kind. ``--epochs`` are the regressor's ``max_iter`` values compared
(MASE over the seasonal naive forecast's, geometric mean per kind and
over all; mean fit time)::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.mean_epochs --set long \
        --seeds 0 1 2 3 4
    OMP_NUM_THREADS=1 python -m benchmarks.probes.mean_epochs --set short \
        --seeds 0 1 2 3 4
"""

import argparse
import time

import numpy as np

from benchmarks.forecast import geometric_mean, mase
from benchmarks.probes import level_only_synthetic as long_series
from benchmarks.probes import short_series_members as short_series
from sklearn_rnn import RNNForecaster, RNNRegressor


def cases(which, seeds):
    """``(kind, seed, train, test, season, window)`` of the set."""
    if which == "long":
        for kind in ("ar1", "drifting walk", "season + noise", "growing season"):
            for seed in seeds:
                series = long_series.generate(kind, seed)
                h = long_series.H
                yield (kind, seed, series[:-h], series[-h:], long_series.SEASON,
                       long_series.W)
    else:
        for kind, (season, _, h, window) in short_series.KINDS.items():
            for seed in seeds:
                series = short_series.generate(kind, seed)
                yield kind, seed, series[:-h], series[-h:], season, window


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=("long", "short"), required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, nargs="+", default=[200, 100])
    args = parser.parse_args(argv)
    ratios, seconds = {}, {}
    for kind, seed, train, test, season, window in cases(args.set, args.seeds):
        h = len(test)
        snaive = mase(train, test, np.tile(train[-season:], h // season + 1)[:h],
                      season)
        for epochs in args.epochs:
            forecaster = RNNForecaster(
                h, window_size=window, random_state=seed,
                regressor=RNNRegressor(max_iter=epochs))
            start = time.perf_counter()
            forecaster.fit(train)
            seconds.setdefault((kind, epochs), []).append(
                time.perf_counter() - start)
            ratios.setdefault((kind, epochs), []).append(
                mase(train, test, forecaster.predict(), season) / snaive)
    kinds = list(dict.fromkeys(kind for kind, _ in ratios))
    print("| series | " + " | ".join(f"max_iter={e}" for e in args.epochs)
          + " | fit " + " / ".join(map(str, args.epochs)) + " |")
    print("|---|" + "---|" * (len(args.epochs) + 1))

    for kind in [*kinds, "all"]:
        chosen = kinds if kind == "all" else [kind]

        def pooled(table, epochs, chosen=chosen):
            return [v for k in chosen for v in table[k, epochs]]

        # Unfloored (floor=0): the ratios as measured.
        cells = [f"{geometric_mean(pooled(ratios, e), floor=0):.3f}"
                 for e in args.epochs]
        fits = [f"{np.mean(pooled(seconds, e)):.1f}" for e in args.epochs]
        worst = [max(pooled(ratios, e)) for e in args.epochs]
        print(f"| {kind} | " + " | ".join(cells) + " | " + " / ".join(fits)
              + " s |" + ("" if kind != "all" else
                          " worst " + " / ".join(f"{w:.2f}" for w in worst)),
              flush=True)


if __name__ == "__main__":
    main()

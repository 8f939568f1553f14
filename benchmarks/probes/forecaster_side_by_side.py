"""PROBE: wall time of RNNForecaster's default fit with its two models
trained side by side in two threads (round 18) against one after the other,
on the development list's series, the same forecasts checked (issue 24,
item 4). Run it alone on an idle machine, with torch's default threads (2
on a 2-core machine); rounds interleave the two ways::

    python -m benchmarks.probes.forecaster_side_by_side --series shampoo nile
"""

import argparse
import time

import numpy as np
import torch

import sklearn_rnn._forecaster as forecaster_module
from benchmarks import forecast_data as D
from sklearn_rnn import RNNForecaster


def fit_seconds(series, side_by_side, seed):
    """Seconds of one default fit, and its forecast."""
    allowed = forecaster_module.fits_side_by_side
    if not side_by_side:
        forecaster_module.fits_side_by_side = lambda regressors: False
    try:
        forecaster = RNNForecaster(series.horizon, window_size=series.window,
                                   random_state=seed)
        start = time.perf_counter()
        forecaster.fit(series.train)
        return time.perf_counter() - start, forecaster.predict()
    finally:
        forecaster_module.fits_side_by_side = allowed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", nargs="+",
                        default=["shampoo", "nile", "euretail", "austourists"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(f"torch threads {torch.get_num_threads()}; median over "
          f"{args.rounds} interleaved rounds")
    print("| series | one after the other | side by side | ratio | same forecast |")
    print("|---|---|---|---|---|")
    ratios = []
    fit_seconds(D.load(args.series[0]).series[0], True, args.seed)  # warm-up
    for name in args.series:
        series = D.load(name).series[0]
        times = {False: [], True: []}
        forecasts = {}
        for _ in range(args.rounds):
            for side_by_side in (False, True):
                seconds, forecasts[side_by_side] = fit_seconds(
                    series, side_by_side, args.seed)
                times[side_by_side].append(seconds)
        before, after = (float(np.median(times[k])) for k in (False, True))
        ratios.append(after / before)
        same = bool(np.array_equal(forecasts[False], forecasts[True]))
        print(f"| {name} | {before:.2f} s | {after:.2f} s | {after / before:.2f} "
              f"| {same} |", flush=True)
    print(f"| geometric mean | | | {np.exp(np.mean(np.log(ratios))):.2f} | |")


if __name__ == "__main__":
    main()

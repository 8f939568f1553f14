"""PROBE: the README's noisy sine forecast 30 steps ahead by RNNForecaster's
strategies (issue 24, round 16): windows of 60, fitted on the first 800
values, RMSE against the clean sine (the noise is 0.1); the noise and the
networks drawn from each seed::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.forecaster_sine --seeds 0 1 2
"""

import argparse
import time

import numpy as np

from sklearn_rnn import RNNForecaster, recursive_forecast


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    t = np.arange(1000)
    clean = np.sin(t[800:830] * 0.1)
    print("| seed | recursive | direct | mean (RNNForecaster) | fit (both) |")
    print("|---|---|---|---|---|")
    for seed in args.seeds:
        noise = 0.1 * np.random.RandomState(seed).normal(size=1000)
        series = np.sin(t * 0.1) + noise
        start = time.perf_counter()
        forecaster = RNNForecaster(horizon=30, window_size=60,
                                   random_state=seed).fit(series[:800])
        seconds = time.perf_counter() - start
        forecasts = [recursive_forecast(estimator, series[740:800], 30)
                     for estimator in (forecaster.recursive_estimator_,
                                       forecaster.direct_estimator_)]
        forecasts.append(forecaster.predict())
        cells = " | ".join(f"{np.sqrt(np.mean((f - clean) ** 2)):.3f}"
                           for f in forecasts)
        print(f"| {seed} | {cells} | {seconds:.0f} s |", flush=True)


if __name__ == "__main__":
    main()

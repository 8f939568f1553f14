"""PROBE: RNNForecaster's strategies on generated series that nothing was
chosen on (issue 24, round 16): the series of ``level_only_synthetic``
(AR(1) noise, a drifting walk, a season under noise, a season on a growing
trend; 240 values, the last 24 held out), windows of 24. One forecaster
per series fits both models; the recursive, the direct and the mean
forecast are scored from it (MASE over the seasonal naive forecast's,
geometric mean over ``--seeds`` series of each kind)::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.forecaster_synthetic --seeds 0 1 2
"""

import argparse

import numpy as np

from benchmarks.forecast import mase
from benchmarks.probes.level_only_synthetic import SEASON, H, W, generate
from sklearn_rnn import RNNForecaster, recursive_forecast

KINDS = ("ar1", "drifting walk", "season + noise", "growing season")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    print("| series | recursive | direct | mean (RNNForecaster) |")
    print("|---|---|---|---|")
    every = {"recursive": [], "direct": [], "mean": []}
    for kind in KINDS:
        ratios = {key: [] for key in every}
        for seed in args.seeds:
            series = generate(kind, seed)
            train, test = series[:-H], series[-H:]
            snaive = mase(train, test, np.tile(train[-SEASON:], H // SEASON),
                          SEASON)
            forecaster = RNNForecaster(H, window_size=W, random_state=seed)
            forecaster.fit(train)
            forecasts = {
                "recursive": recursive_forecast(
                    forecaster.recursive_estimator_, train[-W:], H),
                "direct": recursive_forecast(
                    forecaster.direct_estimator_, train[-W:], H),
                "mean": forecaster.predict(),
            }
            for key, forecast in forecasts.items():
                ratios[key].append(mase(train, test, forecast, SEASON) / snaive)
        cells = []
        for key, values in ratios.items():
            every[key] += values
            cells.append(f"{np.exp(np.mean(np.log(values))):.3f}")
        print(f"| {kind} | " + " | ".join(cells) + " |", flush=True)
    print("| all | " + " | ".join(
        f"{np.exp(np.mean(np.log(v))):.3f}" for v in every.values()) + " |")


if __name__ == "__main__":
    main()

"""PROBE: ``instance_norm_scale='auto'`` against ``'window'`` on generated
series that no rule was chosen on (issue 24, round 15).

Four kinds of monthly-length series, 240 values, the last 24 held out:
AR(1) noise around a level, a random walk with a small drift, a yearly
season under noise, and a season on a growing trend (multiplicative).
Windows of 24, recursive and direct forecasts, MASE over the seasonal naive
forecast (season 12), the geometric mean over ``--seeds`` series of each
kind (one network seed per series)::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.level_only_synthetic --seeds 0 1 2
"""

import argparse

import numpy as np

from benchmarks.forecast import mase
from sklearn_rnn import RNNRegressor, make_windows, recursive_forecast

N, H, W, SEASON = 240, 24, 24, 12


def generate(kind, seed):
    rng = np.random.RandomState(seed)
    t = np.arange(N)
    noise = rng.normal(size=N)
    if kind == "ar1":
        x = np.zeros(N)
        for i in range(1, N):
            x[i] = 0.7 * x[i - 1] + noise[i]
        return 50 + x
    if kind == "drifting walk":
        return 100 + np.cumsum(0.2 + noise)
    if kind == "season + noise":
        return 20 + 3 * np.sin(2 * np.pi * t / SEASON) + noise
    # "growing season": a multiplicative season on an exponential trend
    level = 10 * np.exp(0.01 * t)
    return level * (1 + 0.2 * np.sin(2 * np.pi * t / SEASON)) + 0.3 * noise


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    kinds = ("ar1", "drifting walk", "season + noise", "growing season")
    print("| series | forecast | 'window' | 'auto' | 'auto' chose |")
    print("|---|---|---|---|---|")
    for kind in kinds:
        for design in ("recursive", "direct"):
            scores = {"window": [], "auto": []}
            chosen = set()
            for seed in args.seeds:
                series = generate(kind, seed)
                train, test = series[:-H], series[-H:]
                snaive = np.tile(train[-SEASON:], H // SEASON)
                for scale in scores:
                    reg = RNNRegressor(random_state=seed, instance_norm_scale=scale)
                    if design == "recursive":
                        reg.fit(*make_windows(train, W))
                        forecast = recursive_forecast(reg, train[-W:], H)
                    else:
                        reg.fit(*make_windows(train, W, horizon=H))
                        forecast = reg.predict(train[-W:][None, :])[0]
                    if scale == "auto":
                        chosen.add(reg.instance_norm_scale_)
                    scores[scale].append(mase(train, test, forecast, SEASON)
                                         / mase(train, test, snaive, SEASON))
            gm = {k: float(np.exp(np.mean(np.log(v)))) for k, v in scores.items()}
            print(f"| {kind} | {design} | {gm['window']:.3f} | {gm['auto']:.3f} | "
                  f"{', '.join(sorted(chosen))} |", flush=True)


if __name__ == "__main__":
    main()

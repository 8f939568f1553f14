"""PROBE: RNNForecaster on generated panels that nothing was chosen on
(issue 24, round 17). Each panel holds six series of one kind of
``level_only_synthetic`` (AR(1) noise, a drifting walk, a season under
noise, a season on a growing trend; 240 values, the last 24 held out), each
drawn with its own seed and multiplied by its own scale (10 ** U(-1, 3): the
series of a panel differ in size, as stores or countries do). Windows of
24. Three global models per panel, scored per series (MASE over the
seasonal naive forecast's; geometric mean over the panel, then over the
panels of a kind):

* ``raw``: ``RNNRegressor`` on ``make_windows`` of the raw series, a
  recursive forecast each (the forecast benchmark's ``ours_global``);
* ``recursive``: ``RNNForecaster(strategy='recursive')`` on the panel;
* ``mean``: ``RNNForecaster()`` on the panel (its default).

::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.panel_synthetic \\
        --kinds ar1 "drifting walk" --seeds 0 1
"""

import argparse
import time

import numpy as np

from benchmarks.forecast import mase
from benchmarks.probes.forecaster_synthetic import KINDS
from benchmarks.probes.level_only_synthetic import SEASON, H, W, generate
from sklearn_rnn import RNNForecaster, RNNRegressor, make_windows, recursive_forecast

SERIES_PER_PANEL = 6


def make_panel(kind, seed):
    """Six series of ``kind``, each with its own draw and scale."""
    rng = np.random.RandomState(1000 + seed)
    scales = 10 ** rng.uniform(-1, 3, size=SERIES_PER_PANEL)
    return [scale * generate(kind, 100 * seed + j)
            for j, scale in enumerate(scales)]


def forecasts(design, trains, seed):
    """Each series' ``H``-step forecast by the ``design``'s global model."""
    if design == "raw":
        est = RNNRegressor(random_state=seed).fit(*make_windows(trains, W))
        return recursive_forecast(est, [t[-W:] for t in trains], H)
    strategy = "recursive" if design == "recursive" else "mean"
    return RNNForecaster(H, window_size=W, strategy=strategy,
                         random_state=seed).fit(trains).predict()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args(argv)
    designs = ("raw", "recursive", "mean")
    for kind in args.kinds:
        per_design = {d: [] for d in designs}
        seconds = {d: 0.0 for d in designs}
        for seed in args.seeds:
            panel = make_panel(kind, seed)
            trains = [s[:-H] for s in panel]
            for design in designs:
                start = time.perf_counter()
                predicted = forecasts(design, trains, seed)
                seconds[design] += time.perf_counter() - start
                ratios = []
                for series, forecast in zip(panel, predicted, strict=True):
                    train, test = series[:-H], series[-H:]
                    snaive = np.tile(train[-SEASON:], H // SEASON)
                    ratios.append(mase(train, test, forecast, SEASON)
                                  / mase(train, test, snaive, SEASON))
                per_design[design].append(np.exp(np.mean(np.log(ratios))))
        cells = " | ".join(
            f"{np.exp(np.mean(np.log(per_design[d]))):.3f} "
            f"({seconds[d] / len(args.seeds):.0f} s)" for d in designs)
        print(f"| {kind} | {cells} |", flush=True)


if __name__ == "__main__":
    main()

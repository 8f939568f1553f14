"""PROBE: a global direct model, and its mean with the global recursive
one, on the forecast benchmark's panels (issue 24: "one global model per
panel at or below AutoETS"; round 16's combination, applied to the global
models).

For each panel and seed: the benchmark's global model (``global_model``:
one RNN on the stacked one-step windows of the panel's training parts,
each series forecast by ``recursive_forecast``), a global direct model (one
RNN on the stacked ``horizon``-step windows) and the mean of the two
forecasts; rows ``ours_global`` (must equal the benchmark's),
``ours_global_direct`` and ``ours_global_combined``. Then the summary with
the baselines::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.global_combination \\
        --panels macrodata uschange --seeds 0 1 2 --results F
    python -m benchmarks.probes.global_combination --summarise F [F ...]
"""

import argparse
import json
import time

import numpy as np

from sklearn_rnn import RNNRegressor, make_windows, recursive_forecast

from .. import forecast as F
from .. import forecast_data as D
from .forecast_combination import print_summary
from .predictability_gate import load_rows


def panel_rows(name, seed):
    panel = D.load(name)
    for series in panel.series:
        series.window_seasons = 2
    est, window, rec_s, n = F.global_model(panel, seed, {}, 2)
    # One direct model for the panel: trained on the longest horizon of its
    # series (prices' series differ in length, so in horizon), each
    # series' forecast cut to its own.
    h = max(s.horizon for s in panel.series)
    X, Y = make_windows([s.train for s in panel.series], window, horizon=h)
    direct = RNNRegressor(random_state=seed)
    start = time.perf_counter()
    direct.fit(X, Y)
    dir_s = time.perf_counter() - start
    windows = np.stack([s.train[-window:] for s in panel.series])
    direct_forecasts = direct.predict(windows)
    rows = []
    for series, dir_f in zip(panel.series, direct_forecasts, strict=True):
        dir_f = dir_f[:series.horizon]
        rec_f = recursive_forecast(est, series.train[-window:], series.horizon)
        base = {"suite": "forecast", "group": name, "dataset": series.name,
                "frequency": series.frequency, "season": series.season,
                "n": len(series.values), "horizon": series.horizon,
                "window": window,
                "config": "round-16", "seed": seed}
        for contender, forecast, seconds in (
                ("ours_global", rec_f, rec_s / n),
                ("ours_global_direct", dir_f, dir_s / n),
                ("ours_global_combined", (rec_f + dir_f) / 2,
                 (rec_s + dir_s) / n)):
            rows.append({**base, "contender": contender,
                         "mase": F.mase(series.train, series.actual, forecast,
                                        series.season),
                         "smape": F.smape(series.actual, forecast),
                         "fit_s": seconds})
    return rows


def summarise(paths, baselines="benchmarks/results/forecast-baselines.json"):
    print_summary(load_rows(paths), baselines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--panels", nargs="+", default=list(D.PANELS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--results")
    parser.add_argument("--summarise", nargs="+", metavar="FILE")
    args = parser.parse_args(argv)
    if args.summarise:
        return summarise(args.summarise)
    rows = []
    for name in args.panels:
        for seed in args.seeds:
            rows += panel_rows(name, seed)
            print(f"{name} seed {seed} done", flush=True)
            if args.results:
                with open(args.results, "w") as f:
                    json.dump({"meta": {"command": "python -m benchmarks."
                                        "probes.global_combination"},
                               "rows": rows}, f, indent=1)
    return None


if __name__ == "__main__":
    main()

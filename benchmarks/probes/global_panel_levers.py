"""PROBE, not a library feature: two levers for the global model of a panel
(issue 24: "one global model per panel at or below AutoETS"), scored as
the benchmark scores its ``ours_global`` contender (one ``RNNRegressor`` on
the stacked windows of the panel's training parts, a recursive forecast
per series; geometric mean over the panel of the MASE ratio to the
seasonal naive forecast).

* ``--lever log``: the panel in logs (only a panel whose values are all
  positive), the forecasts mapped back with ``exp``; ES-RNN's global model
  works on a level-divided (multiplicative) scale, and RevIN's centring
  takes a log-level out of every window.
* ``--lever drift``: the network's anchor is the window's drift (its last
  value plus, ``k`` steps ahead, ``k`` times the window's mean step)
  instead of its last value: a network that learns nothing (the penalised
  panels' global models stay at the naive forecast, the same in every
  seed) forecasts the drift, which beats the naive forecast on four
  panels of five.
* ``--lever series-scale``: each series divided by its usual step (the mean
  absolute one-step change of its training part) before stacking, and the
  network's windows divided by one scale (``instance_norm_scale='series'``,
  1 after that division) instead of each window's spread: the
  representation that round 15 gave the per-series models (uschange 0.718
  -> 0.588), which a global model cannot get from its windows alone (the
  scales of its series differ); the forecasts multiplied back.
* ``--lever none``: the benchmark's own global model (the reference).

::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.global_panel_levers \\
        --lever drift --panels prisonLF macrodata uschange --seeds 0 1 2
"""
import argparse
from contextlib import contextmanager

import numpy as np
import torch

from benchmarks import forecast as F
from benchmarks import forecast_data as D
from benchmarks.probes.predictability_gate import load_rows
from sklearn_rnn import RNNRegressor, make_windows, recursive_forecast
from sklearn_rnn._forecaster import usual_step

PANELS = ("macrodata", "uschange", "departures", "prisonLF", "prices")


@contextmanager
def drift_anchor():
    """During the block, an instance-normalised network (one target per
    window, centred on the last value) adds ``k`` times the window's mean
    step to its ``k``-th output."""
    from sklearn_rnn import _module as M

    original = M.RecurrentNetwork._forward_instance_normalised

    def forward(self, X, lengths):
        out = original(self, X, lengths)
        if self.return_sequences or self.instance_norm_center != "last":
            return out
        past = X[:, :self.instance_norm_steps, self.instance_norm_feature].double()
        last = M._last_valid(past, lengths)
        if lengths is None:
            steps = past.shape[1] - 1
        else:
            steps = (lengths.clamp(max=past.shape[1]) - 1).to(past.dtype)[:, None]
        drift = (last - past[:, :1]) / steps
        k = torch.arange(1, out.shape[1] + 1, dtype=drift.dtype)[None, :]
        return out + (drift * k / self.target_scale.double()).to(out.dtype)

    M.RecurrentNetwork._forward_instance_normalised = forward
    try:
        yield
    finally:
        M.RecurrentNetwork._forward_instance_normalised = original


def global_forecasts(trains, window, horizons, seed, params, strategy):
    """Each series' forecast by one model over the stacked windows of
    ``trains``: recursive (one-step windows), direct (windows of the
    longest horizon) or the mean of the two."""
    out = []
    if strategy in ("recursive", "mean"):
        X, y = make_windows(trains, window)
        est = RNNRegressor(random_state=seed, **params).fit(X, y)
        out.append([recursive_forecast(est, t[-window:], h)
                    for t, h in zip(trains, horizons, strict=True)])
    if strategy in ("direct", "mean"):
        h = max(horizons)
        X, Y = make_windows(trains, window, horizon=h)
        est = RNNRegressor(random_state=seed, **params).fit(X, Y)
        out.append([recursive_forecast(est, t[-window:], k)
                    for t, k in zip(trains, horizons, strict=True)])
    return [np.mean(per_series, axis=0) for per_series in zip(*out, strict=True)]


def panel_ratio(panel, seed, lever, snaive, strategy="recursive"):
    """The geometric mean ratio of the panel's global forecast, or None
    where the lever does not apply (logs of a panel with a value <= 0)."""
    log = lever == "log"
    if log and not all(np.all(s.train > 0) for s in panel.series):
        return None
    scales = [1.0] * len(panel.series)
    params = {}
    if lever == "series-scale":
        scales = [usual_step(s.train) for s in panel.series]
        params = {"instance_norm_scale": "series"}
    trains = [np.log(s.train) if log else s.train / scale
              for s, scale in zip(panel.series, scales, strict=True)]
    forecasts = global_forecasts(trains, panel.window,
                                 [s.horizon for s in panel.series], seed,
                                 params, strategy)
    ratios = []
    for series, forecast, scale in zip(panel.series, forecasts, scales,
                                       strict=True):
        if log:
            forecast = np.exp(forecast)
        forecast = np.asarray(forecast) * scale
        ratio = F.mase(series.train, series.actual, forecast, series.season)
        ratios.append(max(ratio / snaive[series.name], F.RATIO_FLOOR))
    return float(np.exp(np.mean(np.log(ratios))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lever", required=True,
                        choices=["none", "log", "drift", "series-scale"])
    parser.add_argument("--panels", nargs="+", default=list(PANELS), choices=PANELS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--strategy", default="recursive",
                        choices=["recursive", "direct", "mean"])
    parser.add_argument("--baselines",
                        default="benchmarks/results/forecast-baselines.json")
    args = parser.parse_args(argv)
    snaive = {r["dataset"]: r["mase"] for r in load_rows([args.baselines])
              if r["contender"] == "snaive"}
    for name in args.panels:
        panel = D.load(name)
        if args.lever == "drift":
            with drift_anchor():
                seeds = [panel_ratio(panel, s, "drift", snaive, args.strategy)
                         for s in args.seeds]
        else:
            seeds = [panel_ratio(panel, s, args.lever, snaive, args.strategy)
                     for s in args.seeds]
        if seeds[0] is None:
            print(f"{name}: not all positive, no logs", flush=True)
            continue
        print(f"{name} ({args.lever}, {args.strategy}): {np.mean(seeds):.3f} "
              f"(seeds {' / '.join(f'{x:.3f}' for x in seeds)})", flush=True)


if __name__ == "__main__":
    main()

"""PROBE, not a library feature: instance normalisation of the level only
(issue 24, round 15).

RevIN, as the library applies it to windows of a series
(``instance_norm='auto'``), subtracts each window's centre (its last value
or its mean) and divides by the window's own standard deviation; the
network's output is mapped back with the same two numbers. The issue's
lever "RevIN level and spread vs level only": here each window is centred
as the library centres it, but divided by one scale for the whole series,
so that the network sees how far a window moves relative to the series'
usual movement (a calm window stays calm; a window's own spread inflates
its small moves to unit size and shrinks its large ones). Two scales
(``--scale``):

- ``diff``: the mean absolute one-step change of the series' training part
  (the scale MASE measures errors in; the naive forecast's error);
- ``std``: the feature's standard deviation over the training windows
  (``input_scale``, which the network already holds);
- ``window-diff`` (not level only: a per-window scale like RevIN's): each
  window's own mean absolute one-step change instead of its standard
  deviation, a steadier estimate of the local noise than the spread of a
  wandering window's levels.

Only the per-series contenders (``ours``, ``ours_direct``): a global model
stacks series whose scales differ by orders of magnitude, which only a
per-window scale can serve. Run as ``python -m benchmarks.forecast`` with
``--scale`` first::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.level_only_norm --scale diff \\
        -- --only-ours --contenders ours ours_direct --config r15-level-diff \\
        --seeds 0 --datasets ... --no-docs --results FILE

``--gate`` fits nothing: it scores each series' training windows with the
library's measures (``window_seasonality``, the instance-norm centre's
score, and ``step_changes``' trend share) and, for each rule, takes the
probe's rows (``--rows``) for the series the rule picks and the
reference's (``--reference``) for the others::

    python -m benchmarks.probes.level_only_norm --gate --contender ours \\
        --reference benchmarks/results/forecast-round-13-defaults.json \\
        --rows benchmarks/results/round15-level-diff-a.json \\
            benchmarks/results/round15-level-diff-b.json
"""

import argparse
import sys

import numpy as np

from sklearn_rnn import _module, make_windows
from sklearn_rnn._plan import SeriesWindows
from sklearn_rnn._predictability import step_changes, window_seasonality

from .. import forecast
from .. import forecast_data as D
from .compare_rows import summary_line
from .predictability_gate import load_rows

# The series being fitted: its training part's scale (one fit at a time per
# process: the benchmark runs the series one after the other).
_SERIES_SCALE = {"diff": None}


def level_only_forward(scale_kind):
    original = _module.RecurrentNetwork._forward_instance_normalised

    def forward(self, X, lengths):
        if self.return_sequences:
            return original(self, X, lengths)
        feature = self.instance_norm_feature
        past = X[:, :self.instance_norm_steps, feature]
        wide, level, _ = _module._sequence_statistics(past, lengths)
        if self.instance_norm_center == "last":
            level = _module._last_valid(wide, lengths)
        if scale_kind == "diff":
            scale = float(_SERIES_SCALE["diff"])
        elif scale_kind == "window-diff":
            # Each window's own mean absolute one-step change (equal
            # lengths: the benchmark's windows), floored as RevIN's spread.
            floor = _module.INSTANCE_NORM_FLOOR * self.input_scale[feature]
            scale = wide.diff(dim=1).abs().mean(dim=1, keepdim=True)
            scale = scale.to(level.dtype).clamp_min(floor)
        else:
            scale = float(self.input_scale[feature])
        values = X[:, :, feature].to(level.dtype)
        normalised = (values - level) / scale
        out = self._forward_scaled(self._with_feature(X, normalised), lengths)
        level = level.to(out.dtype)
        if isinstance(scale, float):
            return (level - self.target_mean + scale * out) / self.target_scale
        scale = scale.to(out.dtype)
        return (level - self.target_mean + scale * out) / self.target_scale

    return forward


def with_series_scale(runner, series, train, h, seed, overrides):
    change = np.abs(np.diff(np.asarray(train, dtype=np.float64)))
    scale = change.mean() if change.size else 0.0
    _SERIES_SCALE["diff"] = scale if scale > 0 else 1.0
    return runner(series, train, h, seed, overrides)


def series_scores(names):
    """{series: (seasonality, trend share)} of its one-step training windows,
    as the library measures them."""
    scores = {}
    for name in D.LOADERS:
        for series in D.load(name).series:
            if series.name not in names:
                continue
            X, _ = make_windows(series.train, series.window)
            values = np.asarray(X, dtype=np.float32)[:, :, None]
            windows = SeriesWindows(feature=0, step=series.window - 1, scale=1.0,
                                    offset=0.0, series_starts=(0,), horizon=1)
            found = step_changes(values, None, 0)
            scores[series.name] = (window_seasonality(values, windows),
                                   np.inf if found is None else found[1])
    return scores


def gate(args):
    baselines = load_rows([args.baselines])
    new = [r for r in load_rows(args.rows) if r["contender"] == args.contender]
    keys = {(r["dataset"], r["seed"]) for r in new}
    reference = [r for r in load_rows([args.reference])
                 if r["contender"] == args.contender
                 and (r["dataset"], r["seed"]) in keys]
    by_key = {(r["dataset"], r["seed"]): r for r in new}
    scores = series_scores({r["dataset"] for r in new})
    seasonal = 0.7  # the library's SEASONAL_CENTRE_THRESHOLD
    rules = {"reference": lambda s, t: False, "every series": lambda s, t: True,
             "seasonality >= 0.7": lambda s, t: s is None or s >= seasonal}
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9):
        rules[f"seasonality >= 0.7, trend < {threshold}"] = (
            lambda s, t, c=threshold: (s is None or s >= seasonal) and t < c)
    for label, rule in rules.items():
        rows = [by_key[r["dataset"], r["seed"]]
                if r["dataset"] in scores and rule(*scores[r["dataset"]]) else r
                for r in reference]
        picked = sum(rule(*v) for v in scores.values())
        print(f"{label} ({picked} series):")
        print(summary_line("all seeds", rows, baselines, args.contender)[0])
        for seed in sorted({r["seed"] for r in rows}):
            print(summary_line(f"seed {seed}", [r for r in rows if r["seed"] == seed],
                               baselines, args.contender)[0])


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if "--gate" in argv:
        parser = argparse.ArgumentParser(description="the rules, on rows")
        parser.add_argument("--gate", action="store_true")
        parser.add_argument("--contender", default="ours")
        parser.add_argument("--reference", required=True)
        parser.add_argument("--rows", nargs="+", required=True)
        parser.add_argument("--baselines",
                            default="benchmarks/results/forecast-baselines.json")
        return gate(parser.parse_args(argv))
    ours, rest = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) \
        if "--" in argv else (argv, [])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=("diff", "std", "window-diff"),
                        required=True)
    args = parser.parse_args(ours)
    _module.RecurrentNetwork._forward_instance_normalised = \
        level_only_forward(args.scale)
    return forecast.main_with_wrapped_runners(with_series_scale, rest)


if __name__ == "__main__":
    sys.exit(main())

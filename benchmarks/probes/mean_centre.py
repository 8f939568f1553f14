"""PROBE, not a library feature: windows centred on their mean instead of
their last value, with the rules that today apply only to the last value
(issue 24, round 12).

A network that has learnt little forecasts its windows' centre: with
``instance_norm_center='last'`` (the default) the naive forecast "no
change", which the zero start of one-step windows that stop early and the
'auto' weight decay pull toward. For a noisy level (uschange's growth
rates, AutoETS 0.540 against our 0.718) the window's mean is the better
trivial forecast: its error is about the noise variance, the last value's
about twice that. The library applies the zero start and the weight decay
only to windows centred on their last value; ``--run`` runs the forecast
benchmark with ``instance_norm_center='mean'`` and both rules applied as
they would be to the last value (the plan is made as if the centre were
'last'; the network is built with the mean)::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.mean_centre --run -- \\
        --only-ours --contenders ours --config r12-mean-centred \\
        --set instance_norm_center=mean --seeds 0 1 2 --datasets ... \\
        --no-docs --results benchmarks/results/round12-mean-centred-a.json

``--gate`` fits nothing: it scores each series' training windows and, for
each threshold, takes the mean-centred rows of the series scoring below it
and the defaults' rows otherwise. ``--score seasonality`` (the library's
rule, ``instance_norm_center='auto'``): the library's
``window_seasonality``, the smallest mean absolute change over a lag of 2
or more steps within the window over that over one step; ``--score
centre`` (rejected): the squared error of the window's mean as the next
value over that of its last value (both over the window's spread)::

    python -m benchmarks.probes.mean_centre --gate --score seasonality \\
        --defaults benchmarks/results/forecast-round-11-defaults.json \\
        --rows benchmarks/results/round12-mean-centred-a.json \\
            benchmarks/results/round12-mean-centred-b.json

``--write PATH`` (with ``--gate``) writes the defaults' file with the
recursive rows the library's rule changes (``SEASONAL_CENTRE_THRESHOLD``)
replaced, as configuration ``--config``.
"""

import argparse
import sys
import warnings

import numpy as np

from sklearn_rnn import _base, _plan, make_windows
from sklearn_rnn._plan import SEASONAL_CENTRE_THRESHOLD, SeriesWindows
from sklearn_rnn._predictability import window_seasonality

from .. import forecast
from .. import forecast_data as D
from .compare_rows import summary_line
from .predictability_gate import load_rows, write_rows_file

THRESHOLDS = {"seasonality": (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, np.inf),
              "centre": (0.0, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, np.inf)}


def planned_as_last(plan_fit):
    def plan(params, *args, **kwargs):
        if params.get("instance_norm_center") == "mean":
            params = {**params, "instance_norm_center": "last"}
        return plan_fit(params, *args, **kwargs)
    return plan


def centre_score(train, window, part="all"):
    """The mean-as-forecast's squared error over the last-value's, on the
    one-step windows of ``train`` (``part='tail'``: their last third)."""
    X, y = make_windows(train, window)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).ravel()
    if part == "tail":
        X, y = X[2 * len(X) // 3:], y[2 * len(X) // 3:]
    spread = X.std(axis=1) + 1e-12
    last = np.mean(((y - X[:, -1]) / spread) ** 2)
    mean = np.mean(((y - X.mean(axis=1)) / spread) ** 2)
    return mean / last if last > 0 else np.inf


def seasonality_score(train, window):
    """The library's ``window_seasonality`` of the one-step windows of
    ``train``."""
    X, _ = make_windows(train, window)
    windows = SeriesWindows(feature=0, step=window - 1, scale=1.0, offset=0.0,
                            series_starts=(0,), horizon=1)
    score = window_seasonality(np.asarray(X, dtype=np.float64)[:, :, None],
                               windows)
    return np.inf if score is None else score


def gate(args):
    baselines = load_rows([args.baselines])
    mean_rows = {(r["dataset"], r["seed"]): r for r in load_rows(args.rows)
                 if r["contender"] == "ours"}
    defaults = [r for r in load_rows([args.defaults]) if r["contender"] == "ours"
                and (r["dataset"], r["seed"]) in mean_rows]
    names = {r["dataset"] for r in defaults}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = {s.name: (seasonality_score(s.train, s.window)
                           if args.score == "seasonality"
                           else centre_score(s.train, s.window, args.part))
                  for name in D.LOADERS for s in D.load(name).series
                  if s.name in names}
    print(f"scores ({args.score}; series, ratio to seasonal naive: last -> mean "
          "centre):")
    before = summary_line("last", defaults, baselines, "ours")[1]
    after = summary_line("mean", list(mean_rows.values()), baselines, "ours")[1]
    for name in sorted(names, key=scores.get):
        if before.get(name):
            print(f"  {scores[name]:6.3f}  {name:34s} {before[name]:.2f} -> "
                  f"{after[name]:.2f}")
    for threshold in THRESHOLDS[args.score]:
        rows = [mean_rows[(r["dataset"], r["seed"])]
                if scores[r["dataset"]] < threshold else r for r in defaults]
        print(summary_line(f"< {threshold:g}", rows, baselines, "ours")[0]
              + f" | mean-centred series {sum(s < threshold for s in scores.values())}")
    if args.write:
        write_defaults(args, mean_rows, scores)


def write_defaults(args, mean_rows, scores):
    """The library's rows now: the defaults' file with the recursive rows
    of the series the rule centres on their mean replaced."""
    def replace(rows):
        return [mean_rows[(r["dataset"], r["seed"])]
                if (r["contender"] == "ours" and (r["dataset"], r["seed"]) in mean_rows
                    and scores.get(r["dataset"], np.inf) < SEASONAL_CENTRE_THRESHOLD)
                else r for r in rows]

    command = (
        f"rows of {args.defaults.rsplit('/', 1)[-1]}, the recursive rows of the "
        f"series that instance_norm_center='auto' centres on their mean "
        f"(window_seasonality below {SEASONAL_CENTRE_THRESHOLD}) replaced by "
        f"those of " + ", ".join(p.rsplit("/", 1)[-1] for p in args.rows)
        + f" (python -m benchmarks.probes.mean_centre --gate --write), config "
        f"renamed {args.config!r}")
    write_rows_file(args.defaults, replace, command, args.config, args.write)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    rest = argv[argv.index("--") + 1:] if "--" in argv else []
    ours = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", action="store_true")
    parser.add_argument("--gate", action="store_true")
    parser.add_argument("--defaults")
    parser.add_argument("--rows", nargs="*", default=[])
    parser.add_argument("--score", choices=("seasonality", "centre"),
                        default="seasonality")
    parser.add_argument("--part", choices=("all", "tail"), default="all",
                        help="with --score centre: the windows scored")
    parser.add_argument("--write", metavar="PATH")
    parser.add_argument("--config", default="round-12")
    parser.add_argument("--baselines",
                        default="benchmarks/results/forecast-baselines.json")
    args = parser.parse_args(ours)
    if args.run:
        _base.plan_fit = planned_as_last(_plan.plan_fit)
        return forecast.main(rest)
    if args.gate:
        gate(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Probe (issue 24): weight decay only on the short series a linear model
finds hard to predict.

The series that train to the end (below 100 windows) split into two kinds on
the forecast benchmark: the short panels (prisonLF, prices) overfit and gain
from ``alpha=1.0``, the strongly seasonal single series (austourists,
souvenirs, shampoo) lose as much from it (``round10-forecast-levers.md``,
section 6). The gate scores each series before any network is fitted:
RidgeCV on its windows read as the network reads them (RevIN: the change
from the window's last value over the window's spread) is fitted on the
first two thirds of the training windows and scored on the last third, as a
share of the squared error of the naive forecast (a change of zero). A
share near 0: the windows predict the next value well (a strong season);
near or above 1: no better than "no change" (noise, a random walk).

No network is fitted here: the probe reads the benchmark's rows of the
defaults (``alpha=0``) and of ``alpha=1.0`` and, for each threshold, takes
each series' ``alpha=1.0`` rows when its score is above the threshold. It
prints the benchmark's summary for every threshold (geometric mean of MASE
over seasonal naive's, worst series, series above 1.5x) over the datasets
both runs cover::

    python -m benchmarks.probes.predictability_gate \\
        --defaults benchmarks/results/forecast-round-10-defaults.json \\
        --penalised benchmarks/results/round10-alpha1.0-seed0.json \\
            benchmarks/results/round11-alpha1.0-seed1.json \\
            benchmarks/results/round11-alpha1.0-seed2.json
"""

import argparse
import json
import warnings

import numpy as np

from sklearn_rnn import make_windows
from sklearn_rnn._plan import (
    EARLY_STOPPING_MIN_WINDOWS,
    PREDICTABILITY_THRESHOLD,
    SeriesWindows,
)
from sklearn_rnn._predictability import window_predictability

from .. import forecast as F
from .. import forecast_data as D

CONTENDERS = ("ours", "ours_direct")
THRESHOLDS = (None, 0.0, 0.1, 0.2, 0.3, 0.4, 0.42, 0.45, 0.48, 0.5, 0.6, 0.7,
              0.8, 0.9, 1.0, 1.2, np.inf)


def steps_for(steps_ahead, window):
    """``--steps-ahead``: 1, or a fraction of the window ('quarter',
    'half', 'window')."""
    fraction = {"1": None, "quarter": 4, "half": 2, "window": 1}[steps_ahead]
    return 1 if fraction is None else max(1, window // fraction)


def predictability(train, window, steps_ahead=1, horizon=1):
    """The library's score (``window_predictability``) of the windows of
    ``train`` (``horizon``: a direct forecast's windows, fewer, scored on
    their first target); ``inf`` with fewer than three windows. With
    ``steps_ahead > 1`` (a rejected variant) the target is the value that
    many steps after each window instead of the next one."""
    X, y = make_windows(train, window, horizon=horizon)
    values = np.asarray(X, dtype=np.float64)[:, :, None]
    targets = y.reshape(len(X), -1)[:, 0]
    n = len(X) - (steps_ahead - 1)
    values, targets = values[:n], targets[steps_ahead - 1:steps_ahead - 1 + n]
    windows = SeriesWindows(feature=0, step=window - 1, scale=1.0, offset=0.0,
                            series_starts=(0,), horizon=horizon)
    share = window_predictability(values, targets, windows) if n > 0 else None
    return np.inf if share is None else share


def scores_for(datasets, include_long=False, steps_ahead="1", direct=False):
    """{series: its score}; None for the series that stop early (100
    windows or more), which the rule leaves alone whatever their score,
    unless ``include_long``: True (an extension measured and rejected:
    ``round11-alpha-gate.md``, section 3) or a number of windows below
    which they are scored too (``round12-alpha-window-count.md``)."""
    out = {}
    for name in datasets:
        for series in D.load(name).series:
            n_windows = len(series.train) - series.window
            if direct:  # each window needs a whole horizon after it
                n_windows -= series.horizon - 1
            long = n_windows >= EARLY_STOPPING_MIN_WINDOWS and (
                not include_long
                or (include_long is not True and n_windows >= include_long))
            out[series.name] = (
                None if long else predictability(
                    series.train, series.window,
                    steps_for(steps_ahead, series.window),
                    series.horizon if direct else 1))
    return out


def load_rows(paths):
    rows = []
    for path in paths:
        with open(path) as f:
            rows += json.load(f)["rows"]
    return rows


def gated_rows(defaults, penalised, scores, threshold, direct_scores=None):
    """The defaults' rows with each series' rows replaced by the penalised
    ones where its score is above ``threshold`` (None: the defaults); the
    direct contender's rows by ``direct_scores`` (its windows' scores)
    where given."""
    label = "defaults" if threshold is None else f"gate>{threshold:g}"
    penalised_by = {(r["dataset"], r["contender"], r["seed"]): r for r in penalised}
    out = []
    for row in defaults:
        key = (row["dataset"], row["contender"], row["seed"])
        chosen = row
        by = (direct_scores if direct_scores is not None
              and row["contender"] == "ours_direct" else scores)
        score = by.get(row["dataset"])
        if (threshold is not None and key in penalised_by
                and score is not None and score > threshold):
            chosen = penalised_by[key]
        out.append({**chosen, "config": label})
    return out


def write_rows_file(defaults_path, replace, command, config, path):
    """Write the defaults' result file at ``defaults_path`` to ``path`` with
    its rows passed through ``replace`` (a function of the list of rows),
    every row renamed to configuration ``config`` and ``command`` saying how
    (a probe's ``--write``: the library's rows without refitting)."""
    with open(defaults_path) as f:
        data = json.load(f)
    data["rows"] = [{**r, "config": config} for r in replace(data["rows"])]
    data["meta"]["command"] = command
    data["meta"]["config"] = config
    with open(path, "w") as f:
        json.dump(data, f, indent=1)


def write_defaults(args, penalised, scores, direct_scores):
    """The library's rows now: the defaults' file with the recursive and
    direct rows of the series the rule penalises replaced (the global
    contender's only with ``--global-rows``)."""
    def replace(rows):
        rows = gated_rows(rows, penalised, scores, PREDICTABILITY_THRESHOLD,
                          direct_scores)
        if args.global_rows:
            made = {(r["dataset"], r["seed"]): r for r in load_rows(args.global_rows)}
            rows = [made[(r["dataset"], r["seed"])] if r["contender"] == "ours_global"
                    else r for r in rows]
        return rows

    command = (
        f"rows of {args.defaults.rsplit('/', 1)[-1]}, the recursive and direct "
        f"rows of the series that 'auto' weight decay penalises (score above "
        f"{PREDICTABILITY_THRESHOLD}) replaced by those of "
        + ", ".join(p.rsplit("/", 1)[-1]
                    for p in args.penalised + args.penalised_direct)
        + (", the global rows replaced by "
           + ", ".join(p.rsplit("/", 1)[-1] for p in args.global_rows)
           if args.global_rows else "")
        + f" (python -m benchmarks.probes.predictability_gate --write), "
        f"config renamed {args.config!r}")
    write_rows_file(args.defaults, replace, command, args.config, args.write)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--defaults", required=True)
    parser.add_argument("--penalised", nargs="+", required=True)
    parser.add_argument("--baselines",
                        default="benchmarks/results/forecast-baselines.json")
    parser.add_argument("--write", metavar="PATH",
                        help="write the defaults' rows with the recursive rows "
                             "the library's rule changes (threshold "
                             "PREDICTABILITY_THRESHOLD) replaced, as config "
                             "--config")
    parser.add_argument("--config", default="round-11")
    parser.add_argument("--penalised-direct", nargs="*", default=[],
                        help="the direct contender's penalised rows (its own "
                             "alpha); the direct rows of --penalised are then "
                             "left out")
    parser.add_argument("--include-long", nargs="?", const=True, default=False,
                        type=int, metavar="MAX_WINDOWS",
                        help="gate the series of 100 windows or more too (an "
                             "extension measured and rejected), or those "
                             "below MAX_WINDOWS windows; --write always "
                             "follows the library's rule")
    parser.add_argument("--steps-ahead", default="1",
                        choices=("1", "quarter", "half", "window"),
                        help="score the change this far ahead (a fraction of "
                             "the window; rejected variants) instead of the "
                             "next value")
    parser.add_argument("--global-rows", nargs="*", default=[],
                        help="with --write: the global contender's rows made "
                             "by the library, replacing the defaults' global "
                             "rows")
    args = parser.parse_args(argv)
    penalised = [r for r in load_rows(args.penalised) if r["contender"] in CONTENDERS
                 and not (args.penalised_direct and r["contender"] == "ours_direct")]
    penalised += [r for r in load_rows(args.penalised_direct)
                  if r["contender"] == "ours_direct"]
    covered = {(r["dataset"], r["contender"], r["seed"]) for r in penalised}
    whole = [r for r in load_rows([args.defaults]) if r["contender"] in CONTENDERS]
    defaults = [r for r in whole
                if (r["dataset"], r["contender"], r["seed"]) in covered]
    names = {r["dataset"] for r in defaults}
    every_baseline = load_rows([args.baselines])
    baselines = [r for r in every_baseline if r["dataset"] in names]
    datasets = [d for d in D.LOADERS
                if any(s.name in names for s in D.load(d).series)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = scores_for(datasets, args.include_long, args.steps_ahead)
        direct_scores = scores_for(datasets, args.include_long, args.steps_ahead,
                                   direct=True)
        library_scores = scores_for(datasets) if args.include_long else scores
        library_direct = (scores_for(datasets, direct=True) if args.include_long
                          else direct_scores)
    if args.write:
        write_defaults(args, penalised, library_scores, library_direct)
    seeds = sorted({r["seed"] for r in defaults})
    print(f"datasets: {' '.join(datasets)}; seeds {seeds}; "
          f"{len(names)} series")
    print("scores (series: predictability; '-': 100 windows or more, left alone):")
    for name in sorted(names, key=lambda n: (scores[n] is None, scores[n] or 0, n)):
        score = "-" if scores[name] is None else f"{scores[name]:.3f}"
        print(f"  {score:>7}  {name}")
    for contender in CONTENDERS:
        print(f"\n{contender}: threshold | all | single series | panels "
              "(each) | worst single | > 1.5x | penalised series | fit s "
              "|| whole list: all | single series | panels | > 1.5x")
        for threshold in THRESHOLDS:
            rows = [r for r in gated_rows(defaults, penalised, scores, threshold,
                                          direct_scores)
                    if r["contender"] == contender]
            stats = F.summary(baselines + rows)
            key = (contender, rows[0]["config"])
            s = stats[key]
            per = F.ratios(baselines + rows)[key]
            above = sum(v is not None and v > 1.5 for v in per.values())
            by = direct_scores if contender == "ours_direct" else scores
            n_pen = 0 if threshold is None else sum(
                by[n] is not None and by[n] > threshold for n in names)
            panels = ", ".join(f"{g} {v:.3f}" for g, v in s["per_panel"].items()
                               if v is not None)
            rows = [r for r in gated_rows(whole, penalised, scores, threshold,
                                          direct_scores)
                    if r["contender"] == contender]
            w = F.summary(every_baseline + rows)[key]
            per = F.ratios(every_baseline + rows)[key]
            above_w = sum(v is not None and v > 1.5 for v in per.values())
            print(f"  {rows[0]['config']:<10} | {s['all']:.3f} | {s['series']:.3f} | "
                  f"{s['panels']:.3f} ({panels}) | {s['series_worst'][0]:.2f} "
                  f"{s['series_worst'][1]} | {above} | {n_pen} | {s['fit_s']:.1f} "
                  f"|| {w['all']:.3f} | {w['series']:.3f} | {w['panels']:.3f} | "
                  f"{above_w}")
        for name in ("ets", "theta"):
            s = F.summary(baselines)[(name, None)]
            panels = ", ".join(f"{g} {v:.3f}" for g, v in s["per_panel"].items()
                               if v is not None)
            w = F.summary(every_baseline)[(name, None)]
            print(f"  {name:<10} | {s['all']:.3f} | {s['series']:.3f} | "
                  f"{s['panels']:.3f} ({panels}) || {w['all']:.3f} | "
                  f"{w['series']:.3f} | {w['panels']:.3f}")


if __name__ == "__main__":
    main()

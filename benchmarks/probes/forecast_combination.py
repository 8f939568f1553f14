"""PROBE, not a library feature: the mean of the recursive and the direct
forecast (issue 24; forecast combination, the most reliable gain of the M
competitions).

Runs the forecast benchmark's own recipes (``ours``, ``ours_direct``) with
each forecast stored in its row, then ``--summarise`` scores, for each series
and seed, the mean of the two forecasts with the benchmark's MASE, beside
each alone and the baselines (rows of ``forecast-baselines.json``)::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.forecast_combination \\
        --only-ours --contenders ours ours_direct --config combination \\
        --seeds 0 1 2 --datasets co2 shampoo --no-docs --results F
    python -m benchmarks.probes.forecast_combination --summarise F [F ...]
    python -m benchmarks.probes.forecast_combination --write OUT --config NAME F [F ...]

``--write`` saves the ``ours_combined`` rows of the stored forecasts (their
mean, as round 16's ``RNNForecaster`` made it) as a result file for the
benchmark page (``--merge``), under configuration ``NAME``, with the other
rows' metadata. The benchmark's own ``ours_combined`` contender runs
``RNNForecaster`` itself since round 17, whose recursive half is one network
(``sklearn_rnn._forecaster.COMBINATION_RECURSIVE_MEMBERS``); rows stored with
``--set ensemble_size=1`` combine to its forecasts.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .. import _suite as S
from .. import forecast as F
from .. import forecast_data as D
from .predictability_gate import load_rows

# The two recipes whose forecasts are averaged.
COMBINED = ("ours", "ours_direct")


def combined_forecast(forecasts):
    """The mean of the recursive and the direct forecast (``forecasts``:
    ``(seconds, forecast, extra)`` of each of ``COMBINED``); the fit time is
    both fits'."""
    seconds = sum(forecasts[c][0] for c in COMBINED)
    forecast = np.mean([np.asarray(forecasts[c][1], dtype=np.float64)
                        for c in COMBINED], axis=0)
    return seconds, forecast, {}


def keep_forecast(runner, series, train, h, seed, overrides):
    """The runner's result, its forecast also in the row's extras."""
    seconds, forecast, extra = runner(series, train, h, seed, overrides)
    return seconds, forecast, {**extra, "forecast": np.asarray(
        forecast, dtype=float).tolist()}


def scored(row, forecast, contender, seed, series):
    """``row`` (a series' row) rescored for ``forecast``."""
    row = {k: v for k, v in row.items() if k not in ("forecast", "epochs")}
    return {**row, "contender": contender, "seed": seed,
            "mase": F.mase(series.train, series.actual, forecast,
                           series.season),
            "smape": F.smape(series.actual, forecast)}


def loaded_series(names):
    """{series name: Series} of the datasets the names belong to."""
    out = {}
    for panel in sorted({name.split("/")[0] for name in names}):
        out.update({s.name: s for s in D.load(panel).series})
    return out


def same_cost_rows(rows):
    """The control for the combination's two fits: the mean of two seeds'
    forecasts of one strategy (seeds 0+1, 1+2, 2+0), as contenders
    ``recursive_2_seeds`` and ``direct_2_seeds``."""
    forecasts = {(r["contender"], r["dataset"], r["seed"]): r for r in rows}
    seeds = sorted({r["seed"] for r in rows})
    pairs = list(zip(seeds, seeds[1:] + seeds[:1], strict=True))
    series = loaded_series({r["dataset"] for r in rows})
    out = []
    for name in sorted({r["dataset"] for r in rows}):
        for contender, label in (("ours", "recursive_2_seeds"),
                                 ("ours_direct", "direct_2_seeds")):
            for i, (a, b) in enumerate(pairs):
                if ((contender, name, a) not in forecasts
                        or (contender, name, b) not in forecasts):
                    continue
                forecast = np.mean([forecasts[contender, name, seed]["forecast"]
                                    for seed in (a, b)], axis=0)
                out.append(scored(forecasts[contender, name, a], forecast,
                                  label, i, series[name]))
    return out


def combined_rows(rows):
    """One ``ours_combined`` row per series and seed holding both
    forecasts: their mean (:func:`combined_forecast`)
    scored as the benchmark scores a forecast."""
    by_key = {}
    for row in rows:
        by_key.setdefault((row["dataset"], row["seed"]), {})[
            row["contender"]] = row
    series = loaded_series({name for name, _ in by_key})
    out = []
    for (name, seed), pair in sorted(by_key.items()):
        if set(COMBINED) - set(pair):
            continue
        seconds, forecast, _ = combined_forecast({
            part: (pair[part]["fit_s"], pair[part]["forecast"], {})
            for part in COMBINED})
        out.append({**scored(pair["ours"], forecast, "ours_combined", seed,
                             series[name]), "fit_s": seconds})
    return out


def write(out, config, paths):
    """The combined rows of ``paths`` as a result file named ``config``."""
    with open(paths[0]) as f:
        meta = json.load(f)["meta"]
    rows = [{**row, "config": config}
            for row in combined_rows(load_rows(paths))]
    meta = {**meta, "config": config,
            "command": "python -m benchmarks.probes.forecast_combination "
                       f"--write {out} --config {config} " + " ".join(paths)}
    S.write_results(Path(out), meta, rows)


def number(value):
    return "-" if value is None else f"{value:.3f}"


def print_summary(rows, baselines):
    """One line per contender of ``rows`` and of the baselines' rows of the
    same series: geometric mean over all, single series and panels, the
    panels one by one, and the series above 1.5x."""
    names = {r["dataset"] for r in rows}
    pool = [r for r in load_rows([baselines]) if r["dataset"] in names] + rows
    stats, ratios = F.summary(pool), F.ratios(pool)
    width = max(len(key[0]) for key in stats)
    for key in sorted(stats, key=str):
        s = stats[key]
        above = sum(v is not None and v > 1.5 for v in ratios[key].values())
        panels = ", ".join(f"{g} {v:.3f}" for g, v in s["per_panel"].items()
                           if v is not None)
        print(f"{key[0]:<{width}} all {number(s['all'])} | single "
              f"{number(s['series'])} | panels {number(s['panels'])} "
              f"({panels}) | > 1.5x {above}")


def summarise(paths, baselines="benchmarks/results/forecast-baselines.json"):
    rows = load_rows(paths)
    print_summary(rows + combined_rows(rows) + same_cost_rows(rows), baselines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--summarise":
        return summarise(argv[1:])
    if argv and argv[0] == "--write":
        parser = argparse.ArgumentParser(prog="forecast_combination --write")
        parser.add_argument("--write", required=True, metavar="OUT")
        parser.add_argument("--config", required=True)
        parser.add_argument("rows", nargs="+")
        args = parser.parse_args(argv)
        return write(args.write, args.config, args.rows)
    return F.main_with_wrapped_runners(keep_forecast, argv)


if __name__ == "__main__":
    sys.exit(main())

"""Compare a configuration's forecast-benchmark rows with the defaults'
rows of the same series and seeds, without fitting anything (a probe's
summary: geometric mean of MASE over the seasonal naive forecast's, single
series, panels, series above 1.5x, mean fit; then the series that moved by
more than 10 %, and the same summary over the series below 100 windows)::

    python -m benchmarks.probes.compare_rows \\
        --reference benchmarks/results/forecast-round-11-defaults.json \\
        --rows benchmarks/results/round12-lstm-a.json \\
            benchmarks/results/round12-lstm-b.json
"""

import argparse

import numpy as np

from .. import forecast as F
from .predictability_gate import load_rows


def n_windows(row):
    return row["n"] - row["horizon"] - row["window"]


def summary_line(label, rows, baselines, contender):
    """One line of summary over ``rows``, which may mix configurations (the
    benchmark's summary groups by configuration: they are renamed
    ``label`` here)."""
    rows = [{**r, "config": label} for r in rows]
    names = {r["dataset"] for r in rows}
    pool = [r for r in baselines if r["dataset"] in names] + rows
    stats = F.summary(pool)
    key = next(k for k in stats if k[0] == contender)
    s, per = stats[key], F.ratios(pool)[key]
    above = sum(v is not None and v > 1.5 for v in per.values())
    panels = ", ".join(f"{g} {v:.3f}" for g, v in s["per_panel"].items()
                       if v is not None)
    def number(value):
        return "-" if value is None else f"{value:.3f}"
    return (f"  {label:<10} {len(names):3d} series | all {number(s['all'])} | "
            f"single {number(s['series'])} | panels {number(s['panels'])} "
            f"({panels}) | > 1.5x "
            f"{above} | fit {np.mean([r['fit_s'] for r in rows]):.2f} s (max "
            f"{max(r['fit_s'] for r in rows):.1f})"), per


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", required=True)
    parser.add_argument("--rows", nargs="+", required=True)
    parser.add_argument("--baselines",
                        default="benchmarks/results/forecast-baselines.json")
    args = parser.parse_args(argv)
    baselines = load_rows([args.baselines])
    new = load_rows(args.rows)
    reference = load_rows([args.reference])
    for contender in sorted({r["contender"] for r in new}):
        mine = [r for r in new if r["contender"] == contender]
        keys = {(r["dataset"], r["seed"]) for r in mine}
        theirs = [r for r in reference if r["contender"] == contender
                  and (r["dataset"], r["seed"]) in keys]
        print(f"{contender}:")
        line, before = summary_line("reference", theirs, baselines, contender)
        print(line)
        line, after = summary_line("rows", mine, baselines, contender)
        print(line)
        print("  below 100 windows:")
        for label, rows in (("reference", theirs), ("rows", mine)):
            short = [r for r in rows if n_windows(r) < 100]
            if short:
                print("  " + summary_line(label, short, baselines, contender)[0])
        fit = {}
        for label, rows in (("reference", theirs), ("rows", mine)):
            for r in rows:
                fit.setdefault((label, r["dataset"]), []).append(r["fit_s"])
        moved = sorted((np.log(after[n] / before[n]), n) for n in before
                       if before.get(n) and after.get(n)
                       and abs(np.log(after[n] / before[n])) > np.log(1.1))
        print("  moved by more than 10 % (ratio to seasonal naive, mean fit):")
        for _, name in moved:
            print(f"    {name:34s} {before[name]:.2f} -> {after[name]:.2f}   "
                  f"{np.mean(fit['reference', name]):.1f} -> "
                  f"{np.mean(fit['rows', name]):.1f} s")


if __name__ == "__main__":
    main()

"""PROBE helper, not a library feature: summarise issue 24's round-5 lever
runs beside today's defaults and the classics, with the forecast benchmark's
own functions (``benchmarks.forecast.summary`` / ``ratios`` / ``groups``).

Usage (from the repository root)::

    python -m benchmarks.probes.summarise_levers \\
        benchmarks/results/round5-anchor-last-seed0.json ... \\
        [--csv benchmarks/results/round5-levers.csv]

The seed-0 baseline rows (``forecast-default-seed0.json``: today's defaults
and every non-RNN contender) are merged with each lever's rows. A lever run
that did not cover the whole development list is compared on the datasets it
covered only (every contender restricted to the same datasets; marked).
"""
import argparse
import csv
import json
from pathlib import Path

from benchmarks import forecast as F

BASELINE = Path("benchmarks/results/forecast-default-seed0.json")
OURS = ("ours", "ours_direct", "ours_global")
CLASSICS = ("ets", "theta", "arima", "drift", "ridge", "naive")


def load(path):
    return json.loads(Path(path).read_text())["rows"]


def stats(rows):
    """{(contender, config): {...}} as the benchmark's summary, plus the
    count of series (single and panel members) whose ratio is above 1.5,
    the max fit time and the geo-mean over the yearly single series."""
    out = F.summary(rows)
    by_key, by_group = F.ratios(rows), F.groups(rows)
    yearly = sorted({r["dataset"] for r in rows
                     if r["group"] == "series" and r["frequency"] == "yearly"})
    for key, s in out.items():
        per = by_key[key]
        here = [r for r in rows if (r["contender"], r["config"]) == key]
        s["n_over_1_5"] = sum(1 for r in per.values() if r is not None and r > 1.5)
        s["n_defined"] = sum(1 for r in per.values() if r is not None)
        s["n_worse_1"] = sum(1 for r in per.values() if r is not None and r > 1)
        s["fit_max"] = max(r.get("shared_fit_s", r["fit_s"]) for r in here)
        s["fit_total"] = (sum({r["shared_fit_s"] for r in here})
                          if key[0] == "ours_global"
                          else sum(r["fit_s"] for r in here))
        s["yearly"] = F.geometric_mean([per.get(d) for d in yearly])
        s["worst_any"] = max(((r, d) for d, r in per.items() if r is not None),
                             default=None)
    return out, by_key, by_group


def num(v, d=3):
    return "-" if v is None else f"{v:.{d}f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("levers", nargs="+", type=Path)
    parser.add_argument("--csv", type=Path, default=None)
    parser.add_argument("--common", action="store_true",
                        help="restrict every table (the defaults' too) to the "
                        "datasets that all the given lever files cover")
    parser.add_argument("--per-series", action="store_true",
                        help="also print every series' ratio per RNN config")
    args = parser.parse_args(argv)
    base = load(BASELINE)
    full = {r["dataset"] for r in base}
    if args.common:
        for path in args.levers:
            full &= {r["dataset"] for r in load(path)}
        base = [r for r in base if r["dataset"] in full]
    csv_rows = []
    blocks = []
    for path in [None] + args.levers:
        lever = [] if path is None else [r for r in load(path)
                                         if r["dataset"] in full]
        covered = full if path is None else {r["dataset"] for r in lever}
        rows = [r for r in base if r["dataset"] in covered] + lever
        st, by_key, _ = stats(rows)
        configs = ["default"] + sorted({r["config"] for r in lever})
        partial = covered != full
        title = (f"today's defaults (seed 0, {len(full)} series)" if path is None else
                 f"{path.name}" + (f" -- PARTIAL: {len(covered)} of {len(full)}"
                                   " series, every contender restricted to them"
                                   if partial else ""))
        header = ("| contender | config | geo-mean all | single | yearly | panels "
                  "| worst | >1.5x | >1x | fit mean | fit max |")
        lines = [f"### {title}", "", header, "|" + "---|" * 11]
        keys = [(c, cfg) for c in OURS for cfg in configs]
        if path is None:
            keys += [(c, None) for c in CLASSICS]
        else:
            keys += [(c, None) for c in ("ets", "theta", "arima", "drift")]
        for key in keys:
            if key not in st:
                continue
            s = st[key]
            worst = s["worst_any"]
            lines.append(
                f"| {key[0]} | {key[1] or ''} | **{num(s['all'])}** | "
                f"{num(s['series'])} | {num(s['yearly'])} | {num(s['panels'])} | "
                f"{'-' if worst is None else f'{worst[0]:.2f} ({worst[1]})'} | "
                f"{s['n_over_1_5']}/{s['n_defined']} | {s['n_worse_1']} | "
                f"{s['fit_s']:.2f} s | {s['fit_max']:.1f} s |")
            csv_rows.append({
                "file": "baseline" if path is None else path.name,
                "datasets": len(covered), "contender": key[0],
                "config": key[1], "geomean_all": s["all"],
                "geomean_single": s["series"], "geomean_yearly": s["yearly"],
                "geomean_panels": s["panels"],
                **{f"panel_{g}": v for g, v in s["per_panel"].items()},
                "worst_ratio": None if worst is None else worst[0],
                "worst_series": None if worst is None else worst[1],
                "n_over_1_5": s["n_over_1_5"], "n_over_1": s["n_worse_1"],
                "n_defined": s["n_defined"], "fit_mean_s": s["fit_s"],
                "fit_max_s": s["fit_max"], "fit_total_s": s["fit_total"]})
        blocks.append("\n".join(lines))
        if args.per_series and path is not None:
            names = sorted(covered)
            cols = [(c, cfg) for c in OURS for cfg in configs] + [
                ("arima", None), ("ets", None), ("drift", None)]
            lines = ["", "| series | " + " | ".join(
                f"{c} {cfg or ''}" for c, cfg in cols) + " |",
                "|" + "---|" * (len(cols) + 1)]
            for d in names:
                lines.append(f"| {d} | " + " | ".join(
                    num(by_key.get(k, {}).get(d), 2) for k in cols) + " |")
            blocks.append("\n".join(lines))
    print("\n\n".join(blocks))
    if args.csv:
        fields = []
        for r in csv_rows:
            fields += [k for k in r if k not in fields]
        with args.csv.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            w.writerows(csv_rows)


if __name__ == "__main__":
    main()

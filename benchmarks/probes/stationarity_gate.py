"""PROBE helper, not a library feature: what the 'auto' instance
normalisation's stationarity gate (KPSS, 5 %) does on the forecast
benchmark, from two runs that differ only in ``instance_norm`` (RevIN on
every series, and ``instance_norm=None``).

For every RNN row (recursive, direct, global) the gate is computed by the
library's own rule (``RNNRegressor._find_series_windows`` and
``choose_instance_norm``) on the same windows the benchmark fits, and the
row of the run that the gate picks is kept: fits are deterministic given
the seed, so the combined rows are the rows a run with the gate gives
(global models stack several series: the gate keeps RevIN for them). Used
for issue 24's round 6.

Usage (from the repository root)::

    python -m benchmarks.probes.stationarity_gate \\
        --revin benchmarks/results/round6-last-es100-seed0.json \\
        --none benchmarks/results/round6-none-es100-seed0.json \\
        --out benchmarks/results/round6-gated-seed0.json
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

from benchmarks import forecast as F
from benchmarks import forecast_data as D
from sklearn_rnn import RNNRegressor, make_windows
from sklearn_rnn._plan import choose_instance_norm


def level_wanders(X, y):
    """RevIN on? as RNNRegressor's 'auto' rule decides (through its own
    code: _find_series_windows and choose_instance_norm)."""
    est = RNNRegressor()
    X = np.asarray(X, dtype=np.float32)
    X = X[..., None] if X.ndim == 2 else X
    windows = est._find_series_windows(_Batch(X), y)
    feature, _, _ = choose_instance_norm("auto", windows, X.shape[1])
    return feature is not None


class _Batch:
    def __init__(self, values):
        self.values, self.lengths = values, None


def decisions():
    """{(contender, series name): RevIN on?} over the development list."""
    out = {}
    singles = [D.load(name).series[0] for name in D.SERIES]
    for name in D.LOADERS:
        panel = D.load(name)
        for s in panel.series:
            X, y = make_windows(s.train, s.window)
            out["ours", s.name] = level_wanders(X, y)
            X, y = make_windows(s.train, s.window, horizon=s.horizon)
            out["ours_direct", s.name] = level_wanders(X, y)
        if len(panel.series) > 1:
            X, y = make_windows([s.train for s in panel.series], panel.window)
            for s in panel.series:
                out["ours_global", s.name] = level_wanders(X, y)
    window = min([F.GLOBAL_WINDOW] + [len(s.train) // 3 for s in singles])
    X, y = make_windows([s.train for s in singles], window)
    shared = level_wanders(X, y)
    for s in singles:
        out["ours_global", s.name] = shared
    return out


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--revin", nargs="+", required=True)
    parser.add_argument("--none", nargs="+", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--config", default="gated")
    args = parser.parse_args(argv)
    def load(paths):
        return [r for p in paths for r in json.loads(Path(p).read_text())["rows"]]

    revin, none = load(args.revin), load(args.none)
    def key(r):
        return r["contender"], r["dataset"], r["seed"]

    by_key = {key(r): r for r in none}
    gate = decisions()
    rows, counts = [], {}
    for r in revin:
        name = r["dataset"]
        on = gate.get((r["contender"], name))
        if on is None:
            raise SystemExit(f"no gate for {r['contender']} {name}")
        pick = r if on else by_key[key(r)]
        counts[r["contender"], on] = counts.get((r["contender"], on), 0) + 1
        rows.append(dict(pick, config=args.config))
    print({f"{c} revin={o}": n for (c, o), n in sorted(counts.items())})
    meta = json.loads(Path(args.revin[0]).read_text())["meta"]
    meta = dict(meta, config=args.config, composed_from=args.revin + args.none,
                command="python -m benchmarks.probes.stationarity_gate "
                        + " ".join(sys.argv[1:] if argv is None else argv))
    Path(args.out).write_text(json.dumps({"meta": meta, "rows": rows}))


if __name__ == "__main__":
    main()

"""PROBE, not a library feature: the default regressor on noisy regression
sets where little or nothing of the target can be learnt (issue 25: "the
regressor never worse than predicting the training mean").

The sets are generated here (nothing held out is read): ``n`` sequences of
60 steps and 2 features (random walks plus noise), and a target
``sqrt(snr) * signal + noise`` with the signal standardised, so that the
best possible R² is ``snr / (1 + snr)``:

* ``linear``: the mean of the last 10 steps of feature 0 minus the mean of
  the first 10 of feature 1;
* ``nonlin``: the largest step of feature 0 plus ``sin`` of the last value of
  feature 1;
* ``freq``: the amplitude of a sine (period 5, 9 or 17 steps) added to
  feature 0.

A set is named ``KIND:SNR:N`` (``linear:0:200`` is pure noise, 200 training
rows); ``covid`` is the development list's Covid3Month (sktime). Each set has
1,000 test rows. One JSON row per fit: the R² of the network, of RidgeCV on
the flattened sequences and of the training mean, and the fit time.

Usage (from the repository root; one thread, one fit at a time)::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.noisy_regression \\
        --sets linear:0:200 covid --seeds 0 1 2 --config new \\
        --out benchmarks/results/round7-noisy-regression.jsonl [--set k=v ...]
    python -m benchmarks.probes.noisy_regression --summarise FILE
"""
import argparse
import ast
import json
import time
from collections import defaultdict

import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

N_TEST = 1000
N_STEPS = 60


def make_set(kind, snr, n, seed):
    """``(X_train, y_train, X_test, y_test)`` of one generated set."""
    rng = np.random.RandomState(seed)
    m = n + N_TEST
    X = (np.cumsum(rng.normal(size=(m, N_STEPS, 2)), axis=1) * 0.3
         + rng.normal(size=(m, N_STEPS, 2)))
    if kind == "linear":
        signal = X[:, -10:, 0].mean(1) - X[:, :10, 1].mean(1)
    elif kind == "nonlin":
        signal = np.abs(np.diff(X[:, :, 0], axis=1)).max(1) + np.sin(X[:, -1, 1])
    elif kind == "freq":
        t = np.arange(N_STEPS)
        amplitude = rng.uniform(0.5, 2, size=m)
        period = rng.choice([5, 9, 17], size=m)[:, None]
        X[:, :, 0] += amplitude[:, None] * np.sin(2 * np.pi * t / period)
        signal = amplitude
    else:
        raise ValueError(f"unknown set kind {kind!r}")
    signal = (signal - signal.mean()) / signal.std()
    y = 10 + 3 * (np.sqrt(snr) * signal + rng.normal(size=m))
    return X[:n], y[:n], X[n:], y[n:]


def covid():
    from sktime.datasets import load_covid_3month

    def load(split):
        X, y = load_covid_3month(split=split)
        rows = [np.stack([np.asarray(X.iloc[i, j]) for j in range(X.shape[1])],
                         -1) for i in range(len(X))]
        return np.stack(rows), np.asarray(y, dtype=float)
    return (*load("train"), *load("test"))


def load_set(spec, seed):
    """``(X_train, y_train, X_test, y_test)`` of the set named ``spec``
    (``KIND:SNR:N`` or ``covid``; ``seed`` draws a generated set)."""
    if spec == "covid":
        return covid()
    kind, snr, n = spec.split(":")
    return make_set(kind, float(snr), int(n), seed)


def ridge_on_flat(X, y):
    """RidgeCV on the flattened, standardised sequences (the baseline)."""
    return make_pipeline(StandardScaler(), RidgeCV(
        alphas=np.logspace(-3, 3, 13))).fit(X.reshape(len(X), -1), y)


def set_probe_parser(description):
    """The arguments every probe of the noisy regression sets takes:
    ``--sets``, ``--seeds``, ``--out`` and ``--summarise``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sets", nargs="+", default=["linear:0:200", "covid"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--out", help="append the rows to this JSON-lines file")
    parser.add_argument("--summarise", nargs="+", metavar="FILE")
    return parser


def read_rows(paths):
    """The rows of the JSON-lines files ``paths`` (what :func:`append_row`
    wrote), in order."""
    for path in paths:
        with open(path) as f:
            for line in f:
                yield json.loads(line)


def append_row(path, row):
    """``row`` as one more line of the JSON-lines file ``path`` (none when
    ``path`` is None)."""
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(row) + "\n")


def _value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def run(args):
    from sklearn_rnn import RNNRegressor

    params = dict(item.split("=", 1) for item in args.set)
    params = {k: _value(v) for k, v in params.items()}
    for spec in args.sets:
        for seed in args.seeds:
            X, y, X_test, y_test = load_set(spec, seed)
            ridge = ridge_on_flat(X, y)
            row = {"set": spec, "seed": seed, "config": args.config,
                   "params": params,
                   "ridge": r2_score(y_test, ridge.predict(
                       X_test.reshape(len(X_test), -1))),
                   "mean": r2_score(y_test, np.full_like(y_test, y.mean()))}
            start = time.perf_counter()
            model = RNNRegressor(random_state=seed, **params).fit(X, y)
            row["fit_s"] = round(time.perf_counter() - start, 1)
            row["r2"] = r2_score(y_test, model.predict(X_test))
            row["early_stopping"] = bool(model.early_stopping_)
            row["ensemble_size"] = int(model.ensemble_size_)
            row["epochs"] = int(model.n_iter_)
            print(json.dumps(row), flush=True)
            append_row(args.out, row)


def summarise(paths):
    """Mean (worst) R² per set and configuration, with the baselines."""
    cells = defaultdict(list)
    for row in read_rows(paths):
        cells[row["set"], row["config"]].append(row)
    configs = sorted({c for _, c in cells})
    sets = list(dict.fromkeys(s for s, _ in cells))
    print("| set | " + " | ".join(configs) + " | RidgeCV | training mean |")
    print("|---" * (len(configs) + 3) + "|")
    for name in sets:
        out = []
        for config in configs:
            rows = cells.get((name, config), [])
            if not rows:
                out.append("-")
                continue
            r2 = [r["r2"] for r in rows]
            fit = np.mean([r["fit_s"] for r in rows])
            out.append(f"{np.mean(r2):.3f} ({min(r2):.3f}; {fit:.0f} s)")
        # The baselines depend on the set and seed only.
        base = {r["seed"]: r for config in configs
                for r in cells.get((name, config), [])}.values()
        ridge = f"{np.mean([r['ridge'] for r in base]):.3f}"
        mean = f"{np.mean([r['mean'] for r in base]):.3f}"
        print(f"| {name} | " + " | ".join(out) + f" | {ridge} | {mean} |")


def main(argv=None):
    parser = set_probe_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="an RNNRegressor parameter")
    parser.add_argument("--config", default="defaults")
    args = parser.parse_args(argv)
    if args.summarise:
        summarise(args.summarise)
    else:
        run(args)


if __name__ == "__main__":
    main()

"""PROBE, not a library feature: fall back to the training mean unless the
fitted regressor beats it on its own validation tail (issue 25: "the
regressor never worse than predicting the training mean").

Fits the default ``RNNRegressor`` on the generated noisy sets of
``benchmarks.probes.noisy_regression`` (and Covid3Month), then, after the
fit, compares on the tail early stopping validated on (the last
``validation_fraction_`` of the rows) each row's squared error of the
network with that of the mean of the rows before the tail. A one-sided
paired t-test on the differences gives ``p``; at level ``a`` the rule keeps
the network when ``p < a`` and predicts the training mean otherwise. One
JSON row per fit holds the test R² of the network, of the mean, of RidgeCV
and of the rule at each level (``a0.5`` keeps the network whenever it beats
the mean on the tail at all).

    OMP_NUM_THREADS=1 python -m benchmarks.probes.mean_fallback \\
        --sets linear:0:100 covid --seeds 0 1 2 --out F
    python -m benchmarks.probes.mean_fallback --summarise F
"""
import json
import time
from collections import defaultdict

import numpy as np
from scipy import stats
from sklearn.metrics import r2_score

from benchmarks.probes.noisy_regression import (
    append_row,
    load_set,
    read_rows,
    ridge_on_flat,
    set_probe_parser,
)

LEVELS = (0.5, 0.25, 0.1, 0.05)


def run(args):
    from sklearn_rnn import RNNRegressor

    for spec in args.sets:
        for seed in args.seeds:
            X, y, X_test, y_test = load_set(spec, seed)
            start = time.perf_counter()
            model = RNNRegressor(random_state=seed).fit(X, y)
            fit_s = time.perf_counter() - start
            # The tail as TailSplit cuts it.
            n_valid = max(1, int(round(len(X) * model.validation_fraction_)))
            cut = len(X) - n_valid
            tail = y[cut:]
            gain = ((tail - y[:cut].mean()) ** 2
                    - (tail - model.predict(X[cut:])) ** 2)
            t, p_two_sided = stats.ttest_1samp(gain, 0.0)
            p = p_two_sided / 2 if t > 0 else 1 - p_two_sided / 2
            net = r2_score(y_test, model.predict(X_test))
            mean = r2_score(y_test, np.full_like(y_test, y.mean()))
            ridge = ridge_on_flat(X, y)
            row = {"set": spec, "seed": seed, "fit_s": round(fit_s, 1),
                   "n_valid": n_valid, "p": p, "net": net, "mean": mean,
                   "ridge": r2_score(y_test, ridge.predict(
                       X_test.reshape(len(X_test), -1)))}
            for level in LEVELS:
                row[f"a{level}"] = net if p < level else mean
            print(json.dumps(row), flush=True)
            append_row(args.out, row)


def summarise(paths):
    """Mean (worst seed) test R² per set: the network, the rule at each
    level, RidgeCV and the mean; then the mean and worst over sets."""
    by_set = defaultdict(list)
    for row in read_rows(paths):
        by_set[row["set"]].append(row)
    keys = ["net", *(f"a{level}" for level in LEVELS), "ridge", "mean"]
    print("| set | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    per_key = defaultdict(list)
    for name, rows in by_set.items():
        cells = []
        for key in keys:
            values = [r[key] for r in rows]
            per_key[key].append(np.mean(values))
            cells.append(f"{np.mean(values):.3f} ({min(values):.3f})")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print_set_footer(per_key, keys)


def print_set_footer(per_key, keys, end=" |"):
    """The table's last two rows: each column's mean over the sets and its
    worst set (``per_key``: column -> the per-set means); ``end`` closes
    each row (empty cells of extra columns)."""
    print("| mean over sets | " + " | ".join(
        f"{np.mean(per_key[k]):.4f}" for k in keys) + end)
    print("| worst set | " + " | ".join(
        f"{min(per_key[k]):.3f}" for k in keys) + end)


def main(argv=None):
    parser = set_probe_parser(__doc__.split("\n\n")[0])
    args = parser.parse_args(argv)
    if args.summarise:
        summarise(args.summarise)
    else:
        run(args)


if __name__ == "__main__":
    main()

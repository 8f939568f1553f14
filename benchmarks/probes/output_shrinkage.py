"""PROBE, not a library feature: shrink the fitted regressor's predictions
toward the training mean by a factor read from its validation tail (issue
25: "the regressor never worse than predicting the training mean").

Round 10's fallback (``mean_fallback.py``) was all or nothing: predict the
mean unless the network beat it significantly on the tail, which threw
away real but small signals (Covid3Month 0.236 -> -0.004). Here the
prediction becomes ``m + lam * (f(x) - m)`` with ``lam`` the least-squares
factor on the tail, ``sum((f - m)(y - m)) / sum((f - m)^2)``, clipped to
``[0, 1]``: near 1 where the network's departures from the mean are right,
near 0 where they are noise, and the loss on a set with no signal falls
with ``lam ** 2``. The tail also chose the epoch, so ``lam`` is read on rows
that favour the network (a bias toward 1).

One JSON row per fit holds the tail's targets and predictions and the test
predictions, so that ``--summarise`` scores every variant from the same
fits:

* ``net``: the network as it is;
* ``ls``: the clipped least-squares factor;
* ``ls_sq``: the factor's square (a harder shrink for tails that flatter);
* ``gain``: ``1 - SSE_net / SSE_mean`` on the tail, clipped to ``[0, 1]``
  (the tail's R² against the training mean).

    OMP_NUM_THREADS=1 python -m benchmarks.probes.output_shrinkage \\
        --sets linear:0:200 covid --seeds 0 1 2 --out F
    python -m benchmarks.probes.output_shrinkage --summarise F
"""
import argparse
import json
import time
from collections import defaultdict

import numpy as np
from sklearn.metrics import r2_score

from benchmarks.probes.noisy_regression import load_set, ridge_on_flat

VARIANTS = ("net", "ls", "ls_sq", "gain")


def factors(tail_y, tail_f, mean):
    """Each variant's shrink factor from the tail."""
    d = tail_f - mean
    r = tail_y - mean
    ls = float(np.clip(d @ r / max(d @ d, 1e-12), 0.0, 1.0))
    gain = float(np.clip(1.0 - ((r - d) ** 2).sum() / max(r @ r, 1e-12),
                         0.0, 1.0))
    return {"net": 1.0, "ls": ls, "ls_sq": ls ** 2, "gain": gain}


def run(args):
    from sklearn_rnn import RNNRegressor

    for spec in args.sets:
        for seed in args.seeds:
            X, y, X_test, y_test = load_set(spec, seed)
            start = time.perf_counter()
            model = RNNRegressor(random_state=seed).fit(X, y)
            fit_s = time.perf_counter() - start
            # The tail as TailSplit cuts a regression on rows.
            n_valid = max(1, int(round(len(X) * model.validation_fraction_)))
            cut = len(X) - n_valid
            ridge = ridge_on_flat(X, y)
            row = {"set": spec, "seed": seed, "fit_s": round(fit_s, 1),
                   "train_mean": float(y[:cut].mean()),
                   "mean": float(y.mean()),
                   "tail_y": y[cut:].tolist(),
                   "tail_f": model.predict(X[cut:]).tolist(),
                   "test_f": model.predict(X_test).tolist(),
                   "ridge": r2_score(y_test, ridge.predict(
                       X_test.reshape(len(X_test), -1)))}
            print(json.dumps({k: v for k, v in row.items()
                              if not k.startswith(("tail", "test"))}),
                  flush=True)
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps(row) + "\n")


def summarise(paths):
    """Mean (worst seed) test R² per set for each variant, the mean factor,
    RidgeCV and the training mean; then the mean and worst over sets."""
    by_set = defaultdict(list)
    for path in paths:
        for line in open(path):
            row = json.loads(line)
            by_set[row["set"]].append(row)
    keys = [*VARIANTS, "ridge", "mean"]
    print("| set | " + " | ".join(keys) + " | factor ls |")
    print("|---" * (len(keys) + 2) + "|")
    per_key = defaultdict(list)
    for name, rows in by_set.items():
        scores = defaultdict(list)
        lam = []
        for row in rows:
            _, _, _, y_test = load_set(name, row["seed"])
            f = factors(np.asarray(row["tail_y"]), np.asarray(row["tail_f"]),
                        row["train_mean"])
            lam.append(f["ls"])
            test_f = np.asarray(row["test_f"])
            for key in VARIANTS:
                shrunk = row["mean"] + f[key] * (test_f - row["mean"])
                scores[key].append(r2_score(y_test, shrunk))
            scores["ridge"].append(row["ridge"])
            scores["mean"].append(r2_score(
                y_test, np.full_like(y_test, row["mean"])))
        cells = []
        for key in keys:
            per_key[key].append(np.mean(scores[key]))
            cells.append(f"{np.mean(scores[key]):.3f} ({min(scores[key]):.3f})")
        print(f"| {name} | " + " | ".join(cells)
              + f" | {np.mean(lam):.2f} |")
    print("| mean over sets | " + " | ".join(
        f"{np.mean(per_key[k]):.4f}" for k in keys) + " | |")
    print("| worst set | " + " | ".join(
        f"{min(per_key[k]):.3f}" for k in keys) + " | |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=["linear:0:200", "covid"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--out", help="append the rows to this JSON-lines file")
    parser.add_argument("--summarise", nargs="+", metavar="FILE")
    args = parser.parse_args(argv)
    if args.summarise:
        summarise(args.summarise)
    else:
        run(args)


if __name__ == "__main__":
    main()

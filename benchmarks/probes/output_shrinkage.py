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
  (the tail's R² against the training mean);
* ``members``: the ensemble members' agreement on the tail's rows, read
  without its targets (``agreement``): signal the members share against
  the noise each fits on its own.

    OMP_NUM_THREADS=1 python -m benchmarks.probes.output_shrinkage \\
        --sets linear:0:200 covid --seeds 0 1 2 --out F
    python -m benchmarks.probes.output_shrinkage --summarise F
"""
import json
import time
from collections import defaultdict

import numpy as np
from sklearn.metrics import r2_score

from benchmarks.probes.mean_fallback import print_set_footer
from benchmarks.probes.noisy_regression import (
    append_row,
    load_set,
    read_rows,
    ridge_on_flat,
    set_probe_parser,
)

VARIANTS = ("net", "ls", "ls_sq", "gain", "members")


def agreement(member_f, mean):
    """The members' agreement on rows they did not train on: the share of
    the variance of their average that they have in common, ``S / (S + (V
    - S) / K)`` with ``S`` the mean product of two members' departures from
    the mean and ``V`` that of a member with itself (no targets read)."""
    d = np.asarray(member_f) - mean
    k = len(d)
    products = d @ d.T / d.shape[1]
    v = np.trace(products) / k
    shared = (products.sum() - np.trace(products)) / (k * (k - 1))
    if shared <= 0:
        return 0.0
    return float(np.clip(shared / (shared + (v - shared) / k), 0.0, 1.0))


def factors(tail_y, tail_f, mean, member_tail_f=None):
    """Each variant's shrink factor from the tail."""
    d = tail_f - mean
    r = tail_y - mean
    ls = float(np.clip(d @ r / max(d @ d, 1e-12), 0.0, 1.0))
    gain = float(np.clip(1.0 - ((r - d) ** 2).sum() / max(r @ r, 1e-12),
                         0.0, 1.0))
    members = (1.0 if member_tail_f is None
               else agreement(member_tail_f, mean))
    return {"net": 1.0, "ls": ls, "ls_sq": ls ** 2, "gain": gain,
            "members": members}


def member_predictions(model, *Xs):
    """Each ensemble member's predictions of each of ``Xs`` (lists of
    lists, members first), or ``None`` for one network."""
    from sklearn_rnn._module import NetworkEnsemble

    ensemble = model.net_.module_
    if not isinstance(ensemble, NetworkEnsemble):
        return [None] * len(Xs)
    out = [[] for _ in Xs]
    try:
        for member in ensemble.members:
            model.net_.module_ = member
            for i, X in enumerate(Xs):
                out[i].append(model.predict(X).tolist())
    finally:
        model.net_.module_ = ensemble
    return out


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
            members = member_predictions(model, X[cut:], X_test)
            row = {"set": spec, "seed": seed, "fit_s": round(fit_s, 1),
                   "train_mean": float(y[:cut].mean()),
                   "mean": float(y.mean()),
                   "tail_y": y[cut:].tolist(),
                   "tail_f": model.predict(X[cut:]).tolist(),
                   "test_f": model.predict(X_test).tolist(),
                   "member_tail_f": members[0], "member_test_f": members[1],
                   "ridge": r2_score(y_test, ridge.predict(
                       X_test.reshape(len(X_test), -1)))}
            print(json.dumps({k: v for k, v in row.items()
                              if not k.startswith(("tail", "test", "member"))}),
                  flush=True)
            append_row(args.out, row)


def summarise(paths):
    """Mean (worst seed) test R² per set for each variant, the mean factor,
    RidgeCV and the training mean; then the mean and worst over sets."""
    by_set = defaultdict(list)
    for row in read_rows(paths):
        by_set[row["set"]].append(row)
    keys = [*VARIANTS, "ridge", "mean"]
    print("| set | " + " | ".join(keys) + " | factor ls / members |")
    print("|---" * (len(keys) + 2) + "|")
    per_key = defaultdict(list)
    for name, rows in by_set.items():
        scores = defaultdict(list)
        lam = []
        for row in rows:
            _, _, _, y_test = load_set(name, row["seed"])
            f = factors(np.asarray(row["tail_y"]), np.asarray(row["tail_f"]),
                        row["train_mean"], row.get("member_tail_f"))
            lam.append((f["ls"], f["members"]))
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
              + " | " + " / ".join(f"{v:.2f}" for v in np.mean(lam, axis=0))
              + " |")
    print_set_footer(per_key, keys, end=" | |")


def main(argv=None):
    parser = set_probe_parser(__doc__.split("\n\n")[0])
    args = parser.parse_args(argv)
    if args.summarise:
        summarise(args.summarise)
    else:
        run(args)


if __name__ == "__main__":
    main()

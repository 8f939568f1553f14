"""PROBE, not a library feature: the ensemble's members trained on different
folds of the rows, and an honest shrink factor from the rows each member
left out (issue 25: "the regressor never worse than predicting the training
mean").

Round 16 (``output_shrinkage.py``) found that any shrink factor read from
the validation tail inherits the tail's choice of epoch (on pure noise the
least-squares factor was 1.00). Cross-fitting gives rows no choice was made
on, but costs extra fits. Here it costs none: a regression on rows that
stops early already trains three members side by side on the same batches;
each member now skips the rows of its own third (their loss weight is 0),
so every training row has one member that never saw it. Their predictions
of those rows (out of fold) score the network honestly, and the prediction
becomes ``m + lam * (f(x) - m)`` with ``lam`` the clipped least-squares
factor on them (``m`` the training mean). The tail, early stopping and the
rest of the fit are unchanged.

A row's fold is a hash of its values (the probe sees batches, not row
numbers), the same at training and when the out-of-fold rows are scored.
One JSON row per fit, like ``output_shrinkage.py``'s; ``--summarise`` scores
``folds`` (members on folds, no shrink), ``oob`` (shrunk by ``lam``) and
``oob_sq`` (by ``lam ** 2``) beside round 16's rows of the default fit
(``--reference``: the same sets and seeds)::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.fold_members \\
        --sets linear:0:200 covid --seeds 0 1 2 --out F
    python -m benchmarks.probes.fold_members --summarise F [F ...] \\
        --reference benchmarks/results/round16-output-shrinkage-a.jsonl \\
                    benchmarks/results/round16-output-shrinkage-b.jsonl
"""
import json
import time
import zlib
from collections import defaultdict
from contextlib import contextmanager

import numpy as np
import torch
from sklearn.metrics import r2_score

from benchmarks.probes.mean_fallback import print_set_footer
from benchmarks.probes.noisy_regression import (
    append_row,
    load_set,
    read_rows,
    set_probe_parser,
)
from benchmarks.probes.output_shrinkage import member_predictions

VARIANTS = ("folds", "oob", "oob_sq")


def folds_of(X, n_folds):
    """Each row's fold: a hash of its float32 values, modulo ``n_folds``."""
    X = np.ascontiguousarray(np.asarray(X, dtype=np.float32))
    return np.array([zlib.crc32(row.tobytes()) % n_folds for row in X])


@contextmanager
def members_on_folds():
    """During the block, each ensemble member's loss skips the rows of its
    own fold (weight 0): member ``k`` trains on the rows whose fold is not
    ``k``."""
    from sklearn_rnn._net import SequenceNet

    original = SequenceNet._train_members

    def train_members(self, Xi, yi):
        members = list(self.module_.members)
        folds = torch.as_tensor(folds_of(Xi["X"].cpu().numpy(), len(members)))
        weight = Xi.get("sample_weight")
        losses, outputs = [], []
        for k, member in enumerate(members):
            keep = (folds != k).to(Xi["X"].dtype)
            if weight is not None:
                keep = keep * weight
            out = member(Xi["X"], Xi.get("lengths"))
            loss = self.get_loss(out, yi, X={**Xi, "sample_weight": keep},
                                 training=True)
            loss.backward()
            outputs.append(out)
            losses.append(loss.detach())
        return {"loss": torch.stack(losses).mean(),
                "y_pred": torch.stack(outputs)}

    SequenceNet._train_members = train_members
    try:
        yield
    finally:
        SequenceNet._train_members = original


def out_of_fold(model, X):
    """Each row's prediction by the member that skipped it, or None for one
    network."""
    [by_member] = member_predictions(model, X)
    if by_member is None:
        return None
    by_member = np.asarray(by_member)
    folds = folds_of(X, len(by_member))
    return by_member[folds, np.arange(len(X))]


def factor(y, f, mean):
    """The least-squares factor of ``f``'s departures from ``mean``, clipped
    to ``[0, 1]``."""
    d, r = f - mean, y - mean
    return float(np.clip(d @ r / max(d @ d, 1e-12), 0.0, 1.0))


def run(args):
    from sklearn_rnn import RNNRegressor

    for spec in args.sets:
        for seed in args.seeds:
            X, y, X_test, y_test = load_set(spec, seed)
            start = time.perf_counter()
            with members_on_folds():
                model = RNNRegressor(random_state=seed).fit(X, y)
            fit_s = time.perf_counter() - start
            n_valid = max(1, int(round(len(X) * model.validation_fraction_)))
            cut = len(X) - n_valid
            oof = out_of_fold(model, X[:cut])
            row = {"set": spec, "seed": seed, "fit_s": round(fit_s, 1),
                   "ensemble_size": int(model.ensemble_size_),
                   "epochs": int(model.n_iter_),
                   "train_mean": float(y[:cut].mean()),
                   "mean": float(y.mean()),
                   "train_y": y[:cut].tolist(),
                   "oof_f": None if oof is None else oof.tolist(),
                   "test_f": model.predict(X_test).tolist()}
            print(json.dumps({k: v for k, v in row.items()
                              if not k.endswith(("_y", "_f"))}), flush=True)
            append_row(args.out, row)


def _rows(paths):
    out = defaultdict(dict)
    for row in read_rows(paths):
        out[row["set"]][row["seed"]] = row
    return out


def summarise(paths, reference_paths):
    """Mean (worst seed) test R² per set: round 16's default fit (``net``),
    each variant, the training mean; the mean factor; then the mean and
    worst over sets."""
    mine, reference = _rows(paths), _rows(reference_paths)
    keys = ["net", *VARIANTS, "mean"]
    print("| set | " + " | ".join(keys) + " | mean lam | epochs |")
    print("|---" * (len(keys) + 3) + "|")
    per_key = defaultdict(list)
    for name, by_seed in mine.items():
        scores, lams, epochs = defaultdict(list), [], []
        for seed, row in sorted(by_seed.items()):
            _, _, _, y_test = load_set(name, seed)
            test_f = np.asarray(row["test_f"])
            lam = 1.0
            if row["oof_f"] is not None:
                lam = factor(np.asarray(row["train_y"]), np.asarray(row["oof_f"]),
                             row["train_mean"])
            lams.append(lam)
            epochs.append(row["epochs"])
            for key, shrink in (("folds", 1.0), ("oob", lam), ("oob_sq", lam ** 2)):
                scores[key].append(r2_score(
                    y_test, row["mean"] + shrink * (test_f - row["mean"])))
            scores["mean"].append(r2_score(y_test, np.full_like(y_test, row["mean"])))
            ref = reference.get(name, {}).get(seed)
            if ref is not None:
                scores["net"].append(r2_score(y_test, np.asarray(ref["test_f"])))
        cells = []
        for key in keys:
            if scores[key]:
                per_key[key].append(np.mean(scores[key]))
                cells.append(f"{np.mean(scores[key]):.3f} ({min(scores[key]):.3f})")
            else:
                cells.append("-")
        print(f"| {name} | " + " | ".join(cells)
              + f" | {np.mean(lams):.2f} | {np.mean(epochs):.0f} |")
    print_set_footer(per_key, keys, end=" | | |")


def main(argv=None):
    parser = set_probe_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--reference", nargs="*", default=[
        "benchmarks/results/round16-output-shrinkage-a.jsonl",
        "benchmarks/results/round16-output-shrinkage-b.jsonl"])
    args = parser.parse_args(argv)
    if args.summarise:
        summarise(args.summarise, args.reference)
    else:
        run(args)


if __name__ == "__main__":
    main()

"""
Hyperparameter search on a Ray cluster
======================================

scikit-learn's searches parallelise through joblib, and Ray provides a joblib
back end: inside ``joblib.parallel_backend("ray")`` every candidate x fold fit
of a ``GridSearchCV`` / ``RandomizedSearchCV`` becomes a Ray task, on this
machine or on every node of a cluster. Nothing in the estimator changes.

Because each fit seeds itself from ``random_state`` (inside ``fit``, under
``torch.random.fork_rng``), the search gives the same scores on Ray as in one
process with the same number of torch threads: this script checks it with
``--check``. (Ray runs each task with ``OMP_NUM_THREADS`` set to its CPUs, 1
by default, so two workers on two cores do not fight over them; torch's
parallel kernels sum in a different order with another thread count, which
changes the last bits of the weights.)

Run it with ``pip install "sklearn-rnn[distributed]"``::

    python examples/ray_search.py                    # local Ray, 2 CPUs
    python examples/ray_search.py --address auto     # an existing cluster
    python examples/ray_search.py --check            # compare with n_jobs=1

(Not named ``plot_*``: the documentation build does not start Ray.)
"""

import argparse
import time

import joblib
import numpy as np
import ray
import torch
from ray.util.joblib import register_ray
from sklearn.base import clone
from sklearn.model_selection import RandomizedSearchCV, TimeSeriesSplit

from sklearn_rnn import RNNRegressor, make_windows


@ray.remote
def torch_threads():
    """Threads torch uses inside a Ray worker (Ray sets OMP_NUM_THREADS)."""
    import torch

    return torch.get_num_threads()


def make_search():
    rng = np.random.default_rng(0)
    t = np.arange(400)
    series = np.sin(2 * np.pi * t / 25) + 0.1 * rng.normal(size=t.size)
    X, y = make_windows(series, window_size=12)
    search = RandomizedSearchCV(
        RNNRegressor(max_iter=15, batch_size=32, random_state=0, device="cpu"),
        param_distributions={
            "cell": ["gru", "lstm"],
            "hidden_size": [8, 16, 32],
            "learning_rate_init": [3e-3, 1e-2],
        },
        n_iter=4,
        # Time-ordered folds: each validation block is later than its
        # training data.
        cv=TimeSeriesSplit(n_splits=3),
        random_state=0,
        n_jobs=-1,
    )
    return search, X, y


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--address", default=None,
                        help="Ray cluster address ('auto' for a running one); "
                        "default: start a local Ray")
    parser.add_argument("--num-cpus", type=int, default=2,
                        help="CPUs of the local Ray (ignored with --address)")
    parser.add_argument("--check", action="store_true",
                        help="also run the search in this process and compare")
    args = parser.parse_args(argv)

    if args.address is None:
        ray.init(num_cpus=args.num_cpus, include_dashboard=False,
                 log_to_driver=False)
    else:
        ray.init(address=args.address, log_to_driver=False)
    register_ray()
    try:
        search, X, y = make_search()
        start = time.perf_counter()
        with joblib.parallel_backend("ray"):
            search.fit(X, y)
        print(f"Ray search: {time.perf_counter() - start:.1f} s, "
              f"best {search.best_params_} R² = {search.best_score_:.3f}")
        print("torch threads per Ray worker:", ray.get(torch_threads.remote()))
        scores = search.cv_results_["mean_test_score"]
        for params, score in zip(search.cv_results_["params"], scores,
                                 strict=True):
            print(f"  {score:7.3f}  {params}")

        if args.check:
            # The workers' thread count, for bit-identical arithmetic.
            threads = torch.get_num_threads()
            torch.set_num_threads(ray.get(torch_threads.remote()))
            try:
                sequential = clone(search).set_params(n_jobs=1).fit(X, y)
            finally:
                torch.set_num_threads(threads)
            same = np.array_equal(
                sequential.cv_results_["mean_test_score"], scores
            )
            print("identical to the sequential search:", same)
            if not same:
                raise SystemExit(1)
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()

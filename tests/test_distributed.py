"""Scale-out on existing engines: Dask, Ray, joblib's processes, torch DDP.

The searches must give exactly the scores of the sequential search: every
fit seeds itself from ``random_state``, so where a fit runs cannot matter.
Where it runs does decide one thing, torch's thread count, and that changes
the order of floating-point sums (the last bits of the weights): the
sequential references run with the single torch thread the workers use.
"""

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import joblib
import numpy as np
import pytest
import torch
from _params import fast_params
from distributed import Client, LocalCluster, get_task_stream
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, RandomizedSearchCV
from skorch.callbacks import Callback

from sklearn_rnn import RNNClassifier, RNNRegressor

ROOT = Path(__file__).resolve().parents[1]
# One network: these tests are not about ensembles (test_ensemble.py is).
FAST = fast_params(hidden_size=4, max_iter=3, batch_size=16, device="cpu")


@pytest.fixture
def one_torch_thread(torch_threads):
    """This process's torch on one thread, as in the workers, then restored."""
    torch_threads(1)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 6)).astype(np.float32)
    y = X[:, -2:].sum(axis=1)
    labels = np.where(X.mean(axis=1) > 0, "up", "down")
    return X, y, labels


def _torch_threads():
    import torch

    return torch.get_num_threads()


class ThreadProbe(Callback):
    """Record the torch threads in use during every training batch."""

    def on_train_begin(self, net, **kwargs):
        self.threads_ = []

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        self.threads_.append(torch.get_num_threads())


def _training_threads(seed):
    """Fit a network large enough to want several threads; report them.

    LSTM-128 with batches of 256: one recurrent step is about 17 million
    multiply-adds, where more threads do pay off on an idle machine.
    """
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(512, 4, 2)).astype(np.float32)
    probe = ThreadProbe()
    RNNRegressor(
        hidden_size=128, batch_size=256, max_iter=1, random_state=seed,
        device="cpu", callbacks=[probe],
    ).fit(X, X[:, -1, 0])
    return max(probe.threads_)


# ---------------------------------------------------------------- Dask
@pytest.fixture
def dask_client():
    # Worker processes (not threads: each has its own torch), loopback only.
    # dashboard_address=None turns the dashboard off, but the scheduler still
    # serves its health/metrics routes on port 8787 by default: port 0 picks
    # a free one, so that concurrent test workers do not clash.
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _assert_same_search(parallel, sequential):
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(
            parallel.cv_results_[key], sequential.cv_results_[key]
        )
    assert parallel.best_params_ == sequential.best_params_


def test_searches_on_a_dask_cluster_equal_sequential(
    dask_client, data, one_torch_thread
):
    # One test, one cluster: starting worker processes (each imports torch)
    # is the slow part.
    X, y, labels = data

    # distributed's nanny sets OMP_NUM_THREADS=1 in every worker process
    # (distributed.nanny.pre-spawn-environ): with threads_per_worker=1 and a
    # worker per core, torch does not oversubscribe the cores.
    threads = dask_client.run(_torch_threads)
    assert list(threads.values()) == [1, 1]
    # ... and so do fits of a network that would take more on its own.
    with joblib.parallel_backend("dask"):
        during_fit = joblib.Parallel(n_jobs=-1)(
            joblib.delayed(_training_threads)(seed) for seed in range(2)
        )
    assert during_fit == [1, 1]

    grid = GridSearchCV(
        RNNRegressor(**FAST),
        {"cell": ["gru", "lstm"], "learning_rate_init": [1e-2, 1e-3]},
        cv=KFold(3),
    )
    sequential = clone(grid).fit(X, y)
    with get_task_stream(dask_client) as tasks:
        with joblib.parallel_backend("dask"):
            parallel = clone(grid).set_params(n_jobs=-1).fit(X, y)
    _assert_same_search(parallel, sequential)
    # The fits did run on the cluster (joblib batches them into tasks).
    # Which worker runs which task is the scheduler's choice, not ours: a
    # fast worker may take them all, so only membership is asserted.
    workers = {task["worker"] for task in tasks.data}
    assert workers
    assert workers <= set(dask_client.scheduler_info()["workers"])

    randomized = RandomizedSearchCV(
        RNNClassifier(**FAST),
        {
            "cell": ["gru", "lstm", "rnn"],
            "hidden_size": [3, 4, 6],
            "bidirectional": [False, True],
        },
        n_iter=3,
        cv=KFold(3, shuffle=True, random_state=0),
        random_state=0,
    )
    sequential = clone(randomized).fit(X, labels)
    with joblib.parallel_backend("dask"):
        parallel = clone(randomized).set_params(n_jobs=-1).fit(X, labels)
    _assert_same_search(parallel, sequential)
    np.testing.assert_array_equal(
        parallel.best_estimator_.predict_proba(X),
        sequential.best_estimator_.predict_proba(X),
    )


# ------------------------------------------------------ joblib (loky)
def test_training_in_a_loky_worker_stays_within_its_share_of_threads():
    # joblib's process back end limits each worker's native thread pools
    # (torch's OpenMP pool included) to its share of the cores; training in
    # the worker must not raise its threads above the limit it was given.
    results = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(_limit_and_training_threads)(seed) for seed in range(2)
    )
    for limit, used in results:
        assert 1 <= used <= limit


def _limit_and_training_threads(seed):
    return _torch_threads(), _training_threads(seed)


def _small_training_threads(policy):
    """Threads a tiny network trains on, with the package's policy on/off."""
    # Set in the task itself: loky reuses workers started before this test.
    previous = os.environ.get("SKLEARN_RNN_THREADS")
    os.environ["SKLEARN_RNN_THREADS"] = policy
    try:
        probe = ThreadProbe()
        X = np.random.RandomState(0).normal(size=(64, 5)).astype(np.float32)
        RNNRegressor(**{**FAST, "max_iter": 1}, callbacks=[probe]).fit(X, X[:, -1])
        return max(probe.threads_)
    finally:
        if previous is None:
            del os.environ["SKLEARN_RNN_THREADS"]
        else:
            os.environ["SKLEARN_RNN_THREADS"] = previous


def test_worker_thread_limit_is_overridable():
    # One test, so that the two-thread loky workers start once.
    with joblib.parallel_backend("loky", inner_max_num_threads=2):
        # More threads per worker when the user asks joblib for them: the
        # network of _training_threads is large enough to use two ...
        large = joblib.Parallel(n_jobs=2)(
            joblib.delayed(_training_threads)(seed) for seed in range(2)
        )
        # ... while a network too small to gain from a second thread trains
        # on one (sklearn_rnn._threads), unless the policy is switched off
        # with SKLEARN_RNN_THREADS=off.
        small = joblib.Parallel(n_jobs=2)(
            joblib.delayed(_small_training_threads)(policy)
            for policy in ("on", "off")
        )
    assert large == [2, 2]
    assert small == [1, 2]


# ------------------------------------------------------------------ Ray
def test_ray_search_example_matches_sequential():
    pytest.importorskip("ray", reason="ray has no wheel for this Python")
    # The documented example, run as users run it: a local Ray, the joblib
    # back end, and its own comparison with the sequential search.
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "ray_search.py"),
         "--num-cpus", "2", "--check"],
        capture_output=True, text=True, env=env, timeout=500, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "identical to the sequential search: True" in result.stdout
    assert "torch threads per Ray worker: 1" in result.stdout


# ------------------------------------------------------------ torch DDP
DDP_SCRIPT = textwrap.dedent(
    """
    import os
    import sys

    import numpy as np
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from sklearn_rnn._module import RecurrentNetwork


    def build():
        torch.manual_seed(0)
        return RecurrentNetwork(
            input_size=2, output_size=1, cell="lstm", hidden_size=8,
            bidirectional=True, pooling="attention", head_hidden_sizes=(4,),
        )


    def train(model, X, y, lengths):
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            optimizer.zero_grad()
            prediction = model(X, lengths).squeeze(1)
            torch.nn.functional.mse_loss(prediction, y).backward()
            optimizer.step()


    rng = np.random.RandomState(0)
    X = torch.as_tensor(rng.normal(size=(16, 6, 2)), dtype=torch.float32)
    y = X[:, :, 0].sum(dim=1)
    lengths = torch.as_tensor(rng.randint(2, 7, size=16))  # variable length
    out = sys.argv[1]
    module = build()
    if "RANK" in os.environ:  # launched by torchrun
        dist.init_process_group("gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
        shard = slice(rank, None, world)
        train(DistributedDataParallel(module), X[shard], y[shard], lengths[shard])
        torch.save(module.state_dict(), f"{out}/rank{rank}.pt")
        dist.barrier()  # neither rank tears the group down under the other
        dist.destroy_process_group()
    else:
        train(module, X, y, lengths)
        torch.save(module.state_dict(), f"{out}/single.pt")
    """
)


def test_module_trains_data_parallel_under_torchrun(tmp_path):
    # The path beyond one device: the estimators' torch module under
    # DistributedDataParallel, launched by torchrun. Here 2 CPU processes
    # with the gloo back end stand in for 2 GPUs with nccl. Averaging the
    # gradients of two equal halves of the batch is one full-batch step, so
    # both ranks must end with the weights of single-process training.
    script = tmp_path / "train.py"
    script.write_text(DDP_SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone",
              "--nproc-per-node", "2", str(script), str(tmp_path)]
    for command in (launch, [sys.executable, str(script), str(tmp_path)]):
        result = subprocess.run(command, capture_output=True, text=True,
                                env=env, timeout=300)
        if command is launch and result.returncode != 0 and (
                "Signal 6 (SIGABRT)" in result.stderr):
            # Seen once in a clean-clone CI run on a busy machine: a rank
            # aborted in gloo's teardown ("terminate called without an
            # active exception"), not reproduced in 7 runs alone or beside
            # a CPU burner. One more launch; a real failure fails twice.
            result = subprocess.run(command, capture_output=True, text=True,
                                    env=env, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
    rank0, rank1, single = (
        torch.load(tmp_path / f"{name}.pt") for name in ("rank0", "rank1", "single")
    )
    assert rank0.keys() == single.keys()
    for name in single:
        torch.testing.assert_close(rank0[name], rank1[name], rtol=0, atol=0)
        torch.testing.assert_close(rank0[name], single[name], rtol=1e-5, atol=1e-6)
    # and training did move the weights.
    initial = _initial_state()
    assert any(not torch.equal(initial[k], single[k]) for k in single)


def _initial_state():
    from sklearn_rnn._module import RecurrentNetwork

    with torch.random.fork_rng():
        torch.manual_seed(0)
        return RecurrentNetwork(
            input_size=2, output_size=1, cell="lstm", hidden_size=8,
            bidirectional=True, pooling="attention", head_hidden_sizes=(4,),
        ).state_dict()

"""The training hot path: batching, loss, callbacks, optimizer kernels, threads.

Behaviour only; no timings (those live in benchmarks/).
"""

import threading

import numpy as np
import pytest
import torch
from _params import fast_params
from skorch import NeuralNet
from skorch.callbacks import Callback
from torch import nn

from sklearn_rnn import RNNClassifier, RNNRegressor
from sklearn_rnn._net import BatchSlicer, SequenceDataset, SequenceNet
from sklearn_rnn._threads import (
    STEP_WORK_PER_THREAD,
    FitCancelled,
    cancel_when,
    check_cancelled,
    limit_threads,
    recurrent_step_work,
    run_side_by_side,
    training_threads,
)

# One network: these tests are not about ensembles (test_ensemble.py is).
FAST = fast_params(hidden_size=8, max_iter=3, batch_size=16, device="cpu")


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(70, 6, 2)).astype(np.float32)
    y = X[:, -2:, 0].sum(axis=1)
    return X, y


class Recorder(Callback):
    """Counts the hooks skorch promises, and what they receive."""

    def initialize(self):
        self.calls = {"begin": 0, "end": 0, "grad": 0}
        self.losses = []
        self.threads = []
        return self

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        self.calls["begin"] += 1
        self.threads.append(torch.get_num_threads())

    def on_batch_end(self, net, batch=None, training=None, loss=None, **kwargs):
        self.calls["end"] += 1
        self.losses.append(loss.item())

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self.calls["grad"] += 1
        self.n_params = len(list(named_parameters))


# ------------------------------------------------------------------ batching
@pytest.mark.parametrize("shuffle", [True, False])
def test_batch_slicer_covers_every_row_once_per_epoch(shuffle):
    X = torch.arange(50, dtype=torch.float32).reshape(50, 1, 1)
    dataset = SequenceDataset(X, y=torch.arange(50))
    slicer = BatchSlicer(dataset, batch_size=16, shuffle=shuffle, seed=0)
    assert len(slicer) == 4
    for _ in range(2):
        batches = list(slicer)
        assert [len(yb) for _, yb in batches] == [16, 16, 16, 2]
        rows = torch.cat([yb for _, yb in batches])
        assert sorted(rows.tolist()) == list(range(50))
        # Inputs and targets stay paired.
        for Xi, yb in batches:
            assert torch.equal(Xi["X"][:, 0, 0], yb.float())
    first, second = (torch.cat([yb for _, yb in slicer]) for _ in range(2))
    assert torch.equal(first, second) is (not shuffle)


def test_unshuffled_batches_are_views_of_the_data():
    X = torch.zeros(40, 3, 2)
    dataset = SequenceDataset(X, y=torch.zeros(40))
    Xi, _ = next(iter(BatchSlicer(dataset, batch_size=8)))
    assert Xi["X"].data_ptr() == X.data_ptr()


def test_variable_length_batches_are_trimmed_to_their_longest_sequence():
    X = torch.zeros(4, 10, 1)
    lengths = torch.tensor([3, 5, 10, 2])
    dataset = SequenceDataset(X, lengths, y=torch.zeros(4, 10), sequence_targets=True)
    batches = list(BatchSlicer(dataset, batch_size=2))
    assert [b[0]["X"].shape[1] for b in batches] == [5, 10]
    assert [b[1].shape[1] for b in batches] == [5, 10]
    assert torch.equal(batches[0][0]["lengths"], torch.tensor([3, 5]))


# ---------------------------------------------------------------------- loss
def test_loss_is_the_mean_the_weighted_mean_and_the_masked_mean(data):
    X, y = data
    net = RNNRegressor(**FAST).fit(X, y).net_
    y_pred = torch.tensor([[1.0, 2.0], [3.0, 5.0]])
    y_true = torch.zeros(2, 2)
    per_sample = torch.tensor([2.5, 17.0])  # mean squared error of each row
    assert torch.isclose(net.get_loss(y_pred, y_true), per_sample.mean())
    weight = torch.tensor([3.0, 1.0])
    weighted = net.get_loss(y_pred, y_true, X={"sample_weight": weight})
    assert torch.isclose(weighted, (per_sample * weight).sum() / weight.sum())
    # One loss per step: the padded steps of a sequence do not count.
    steps_pred = torch.tensor([[[1.0], [2.0], [100.0]], [[3.0], [1.0], [1.0]]])
    lengths = torch.tensor([2, 3])
    masked = net.get_loss(steps_pred, torch.zeros(2, 3, 1), X={"lengths": lengths})
    assert torch.isclose(masked, torch.tensor((2.5 + 11 / 3) / 2))


def test_epoch_losses_are_floats_and_the_weighted_mean_of_the_batches(data):
    X, y = data
    net = RNNRegressor(**FAST).fit(X, y).net_
    for row in net.history:
        losses = [b["train_loss"] for b in row["batches"]]
        sizes = [b["train_batch_size"] for b in row["batches"]]
        assert all(type(v) is float for v in losses)
        assert sizes == [16, 16, 16, 16, 6]
        assert row["train_loss"] == pytest.approx(np.average(losses, weights=sizes))


# ------------------------------------------------------------------ callbacks
def test_user_callbacks_get_every_batch_hook(data):
    X, y = data
    recorder = Recorder()
    reg = RNNRegressor(callbacks=[recorder], early_stopping=True,
                       validation_fraction=0.2, **FAST).fit(X, y)
    n_train_batches = 4  # 56 training rows in batches of 16
    n_valid_batches = 1
    assert recorder.calls["grad"] == 3 * n_train_batches
    assert recorder.calls["begin"] == 3 * (n_train_batches + n_valid_batches)
    assert recorder.calls["end"] == recorder.calls["begin"]
    assert recorder.n_params == len(list(reg.net_.module_.parameters()))
    assert all(np.isfinite(recorder.losses))


def _net(cls=None, **params):
    from sklearn_rnn._module import RecurrentNetwork
    from sklearn_rnn._net import SequenceNet

    cls = cls or SequenceNet
    return cls(
        module=RecurrentNetwork, module__input_size=2, module__output_size=1,
        module__cell="gru", module__hidden_size=4, criterion=nn.MSELoss,
        criterion__reduction="none", optimizer=torch.optim.Adam, lr=1e-2,
        batch_size=16, max_epochs=2, train_split=None, device="cpu",
        **params,
    ).initialize()


def _dataset(X, y):
    return SequenceDataset(torch.from_numpy(X), y=torch.from_numpy(
        y.astype(np.float32)[:, None]))


def test_a_net_subclass_hook_is_still_called(data):
    from sklearn_rnn._net import SequenceNet

    calls = []

    class CountingNet(SequenceNet):
        def on_grad_computed(self, net, named_parameters, **kwargs):
            calls.append(sum(p.grad is not None for _, p in named_parameters))

    net = _net(CountingNet).partial_fit(_dataset(*data))
    n_params = len(list(net.module_.parameters()))
    assert calls == [n_params] * (2 * 5)  # 2 epochs of 5 batches


# ------------------------------------------------------------------ optimizer
def test_builtin_optimizers_use_their_fused_kernel_when_torch_has_one(data):
    from sklearn_rnn._compat import fused_optimizer_devices

    X, y = data
    opt = RNNRegressor(**FAST).fit(X, y).net_.optimizer_
    assert opt.defaults["fused"] is ("cpu" in fused_optimizer_devices())
    rms = RNNRegressor(optimizer="rmsprop", **FAST).fit(X, y).net_.optimizer_
    assert not rms.defaults.get("fused")


def test_an_explicit_optimizer_choice_is_kept():
    net = _net(optimizer__foreach=True)
    assert net.optimizer_.defaults["foreach"] is True
    assert not net.optimizer_.defaults.get("fused")
    assert _net(optimizer__fused=False).optimizer_.defaults["fused"] is False


def test_fused_and_loop_optimizers_train_alike(data):
    dataset = _dataset(*data)
    weights = []
    for params in ({}, {"optimizer__foreach": False}):
        torch.manual_seed(0)
        net = _net(iterator_train__seed=0, **params)
        net.partial_fit(dataset)
        weights.append(torch.cat([p.detach().ravel()
                                  for p in net.module_.parameters()]))
    torch.testing.assert_close(weights[0], weights[1], rtol=1e-4, atol=1e-5)


# -------------------------------------------------------------------- threads
def test_step_work_counts_gates_hidden_and_batch():
    assert recurrent_step_work(nn.RNN(3, 64), 32) == 32 * 64 * 64
    assert recurrent_step_work(nn.GRU(3, 16, num_layers=2), 8) == 8 * 3 * 16 * 16
    assert recurrent_step_work(nn.LSTM(3, 64), 256) == 256 * 4 * 64 * 64
    assert recurrent_step_work(nn.Linear(3, 4), 32) == 0


def test_thread_policy_gives_small_networks_one_thread_and_shares_cores():
    lstm = nn.LSTM(1, 64)
    assert training_threads(nn.RNN(1, 64), 64, available=16) == 1
    assert training_threads(lstm, 256, available=2) == 2
    assert training_threads(lstm, 256, available=16) == (
        256 * 4 * 64 * 64 // STEP_WORK_PER_THREAD)
    assert training_threads(lstm, 256, available=2, concurrent=2) == 1
    assert training_threads(nn.Linear(2, 2), 8, available=4) == 4


def test_training_runs_with_the_policys_threads_and_restores_the_callers(
        data, torch_threads):
    X, y = data
    torch_threads(2)
    recorder = Recorder()
    RNNRegressor(callbacks=[recorder], **FAST).fit(X, y)
    assert set(recorder.threads) == {1}
    assert torch.get_num_threads() == 2


def test_thread_policy_can_be_switched_off(data, monkeypatch, torch_threads):
    X, y = data
    monkeypatch.setenv("SKLEARN_RNN_THREADS", "off")
    torch_threads(2)
    recorder = Recorder()
    RNNRegressor(callbacks=[recorder], **FAST).fit(X, y)
    assert set(recorder.threads) == {2}


def test_limit_threads_restores_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with limit_threads(nn.RNN(1, 4), batch_size=4):
            raise RuntimeError("boom")
    assert torch.get_num_threads() == before


def test_limit_threads_yields_how_many_such_computations_fit_side_by_side(
        torch_threads):
    torch_threads(2)
    with limit_threads(nn.RNN(1, 4), batch_size=4) as lanes:
        assert torch.get_num_threads() == 1 and lanes == 2
    with limit_threads(nn.LSTM(1, 64), batch_size=256) as lanes:
        assert torch.get_num_threads() == 2 and lanes == 1


def test_trainings_running_at_once_in_threads_share_the_threads(torch_threads):
    big = nn.LSTM(1, 64)  # 4.2 M multiply-adds per step at batch 256
    seen = {}

    def second_training():
        torch.set_num_threads(2)  # this thread's own setting
        with limit_threads(big, batch_size=256):
            seen["inside"] = torch.get_num_threads()
        seen["after"] = torch.get_num_threads()

    torch_threads(2)
    with limit_threads(big, batch_size=256):
        seen["alone"] = torch.get_num_threads()
        thread = threading.Thread(target=second_training)
        thread.start()
        thread.join(timeout=30)
    assert seen == {"alone": 2, "inside": 1, "after": 2}
    assert torch.get_num_threads() == 2


def _until_cancelled(ended):
    """A stand-in for a training: checks for cancellation until cancelled
    (a bound keeps a broken cancellation from hanging the suite)."""
    def run():
        try:
            for _ in range(100_000):
                check_cancelled()
                threading.Event().wait(0.001)
        except FitCancelled:
            ended.set()
            raise
        return "not cancelled"
    return run


def _fail(error):
    def run():
        raise error
    return run


def test_run_side_by_side_returns_both_results_in_order_and_runs_the_second_beside():
    names = []
    def call(value):
        def run():
            names.append(threading.current_thread().name)
            return value
        return run

    assert run_side_by_side(call(1), call(2)) == (1, 2)
    assert sorted(names) == sorted([threading.current_thread().name,
                                    "sklearn-rnn-fit"])


def test_a_failure_beside_cancels_the_other_and_is_what_is_raised():
    ended = threading.Event()
    with pytest.raises(ValueError, match="bad"):
        run_side_by_side(_until_cancelled(ended), _fail(ValueError("bad")))
    assert ended.is_set()
    ended.clear()
    with pytest.raises(ValueError, match="bad"):
        run_side_by_side(_fail(ValueError("bad")), _until_cancelled(ended))
    assert ended.is_set()  # cancelled and waited for before raising


def test_ctrl_c_in_the_callers_thread_cancels_the_fit_beside():
    ended = threading.Event()
    with pytest.raises(KeyboardInterrupt):
        run_side_by_side(_fail(KeyboardInterrupt()), _until_cancelled(ended))
    assert ended.is_set()


def test_cancel_when_stops_a_training_at_its_next_batch(data):
    X, y = data
    event = threading.Event()
    event.set()
    reg = RNNRegressor(**FAST)
    with cancel_when(event), pytest.raises(FitCancelled):
        reg.fit(X, y)
    assert not hasattr(reg, "net_")  # as a failed fit leaves it
    check_cancelled()  # outside the block: no longer cancelled
    reg.fit(X, y)


# ------------------------------------------ the run_single_epoch override
class _StockLoopNet(SequenceNet):
    """SequenceNet with skorch's own epoch loop and optimiser step."""

    def run_single_epoch(self, *args, **kwargs):
        return NeuralNet.run_single_epoch(self, *args, **kwargs)

    def train_step(self, batch, **fit_params):
        return NeuralNet.train_step(self, batch, **fit_params)


class _StockRegressor(RNNRegressor):
    _net_class = _StockLoopNet


class _StockClassifier(RNNClassifier):
    _net_class = _StockLoopNet


@pytest.mark.parametrize(
    "ours, stock, params",
    [
        (RNNRegressor, _StockRegressor, {"early_stopping": True}),
        (RNNClassifier, _StockClassifier, {"dropout": 0.2, "num_layers": 2}),
        (RNNClassifier, _StockClassifier, {"early_stopping": True,
                                           "clip_grad_norm": 0.5}),
    ],
)
def test_training_history_equals_skorchs_own_loop(ours, stock, params):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(90, 8, 2))
    y = X[:, -3:, 0].sum(axis=1)
    if ours is RNNClassifier:
        y = np.where(y > 0, "up", "down")
    kwargs = dict(hidden_size=8, batch_size=16, max_iter=4, random_state=0,
                  **params)
    a = ours(**kwargs).fit(X, y)
    b = stock(**kwargs).fit(X, y)
    assert a.loss_curve_ == b.loss_curve_
    assert a.validation_loss_curve_ == b.validation_loss_curve_
    assert a.validation_scores_ == b.validation_scores_
    for row_a, row_b in zip(a.net_.history, b.net_.history, strict=True):
        losses_a = [(batch.get("train_loss"), batch.get("valid_loss"))
                    for batch in row_a["batches"]]
        losses_b = [(batch.get("train_loss"), batch.get("valid_loss"))
                    for batch in row_b["batches"]]
        assert losses_a == losses_b


def test_shuffled_variable_length_batches_group_similar_lengths():
    rng = np.random.RandomState(0)
    lengths = torch.as_tensor(rng.randint(1, 200, size=1000))
    dataset = SequenceDataset(torch.zeros(1000, 200, 1), lengths,
                              torch.arange(1000))
    slicer = BatchSlicer(dataset, batch_size=10, shuffle=True, seed=0)
    epochs = [list(slicer) for _ in range(2)]
    for batches in epochs:
        # Every row exactly once per epoch.
        rows = torch.cat([y for _, y in batches])
        assert sorted(rows.tolist()) == list(range(1000))
        # Each batch is trimmed to its longest sequence: sorted pools keep
        # that far below the 200 steps of random batches.
        steps = np.mean([X["X"].shape[1] for X, _ in batches])
        assert steps < 120
    # Still a new random order every epoch.
    first = [y.tolist() for _, y in epochs[0]]
    second = [y.tolist() for _, y in epochs[1]]
    assert first != second

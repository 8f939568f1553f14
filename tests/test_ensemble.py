"""ensemble_size: several networks trained side by side and combined
(issue 11) - the 'auto' rule, that each member trains as it would alone, the
combination, and that an ensemble persists, exports and continues training
like one network."""

import copy
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from _params import fast_params
from numpy.testing import assert_allclose
from skorch.callbacks import Callback

from sklearn_rnn import (
    RNNClassifier,
    RNNRegressor,
    load_model,
    make_windows,
    save_model,
)
from sklearn_rnn._fused_gru import fused_gru_available
from sklearn_rnn._module import NetworkEnsemble, RecurrentNetwork
from sklearn_rnn._plan import (
    EARLY_STOPPING_MIN_WINDOWS,
    ENSEMBLE_MAX_STEPS,
    ENSEMBLE_MEMBERS,
    REGRESSION_EARLY_STOPPING_MIN_ROWS,
)
from sklearn_rnn._threads import convolution_work

SMALL = fast_params(hidden_size=4, max_iter=3, average_weights=False,
                    omit=('ensemble_size',))
# Members that train in lanes on two threads: not a GRU through the compiled
# loop without a front end, whose steps hold Python's lock (those train in
# turn: test_compiled_grus_without_a_front_end_train_in_turn).
LANES = {**SMALL, "cell": "lstm"}


def _data(n=24, T=12, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, T, 2))
    return X, (X[:, :, 0].mean(axis=1) > 0).astype(int), X[:, :, 1].sum(axis=1)


def test_auto_makes_an_ensemble_for_small_data_only():
    X, y, _ = _data()
    clf = RNNClassifier(**SMALL).fit(X, y)
    assert clf.ensemble_size_ == ENSEMBLE_MEMBERS == 3
    assert isinstance(clf.net_.module_, NetworkEnsemble)
    assert len(clf.net_.module_.members) == 3
    # One step over the limit in all: a single network.
    n = ENSEMBLE_MAX_STEPS // 100 + 1
    X_big = np.zeros((n, 100, 1))
    one = RNNClassifier(**{**SMALL, "max_iter": 1}).fit(X_big, np.arange(n) % 2)
    assert one.ensemble_size_ == 1
    assert isinstance(one.net_.module_, RecurrentNetwork)
    at_limit = RNNClassifier(**{**SMALL, "max_iter": 1}).fit(X_big[:n - 1],
                                                     np.arange(n - 1) % 2)
    assert at_limit.ensemble_size_ == 3


def test_auto_counts_the_valid_steps_of_variable_lengths():
    # 30 sequences padded to 1,000 steps would be over the limit; their
    # valid steps (one long, the others 10) are not.
    X = [np.zeros((1000, 1))] + [np.ones((10, 1))] * 29
    y = np.arange(30) % 2
    clf = RNNClassifier(**{**SMALL, "max_iter": 1}, conv_layers=0).fit(X, y)
    assert clf.ensemble_size_ == 3


def test_auto_is_one_network_with_early_stopping():
    # Windows of a series (early stopping on by 'auto') and X_val: one.
    series = np.sin(np.arange(300) * 0.1)
    X, y = make_windows(series, 10)
    reg = RNNRegressor(**SMALL).fit(X, y)
    assert reg.early_stopping_ and reg.ensemble_size_ == 1
    X, y, _ = _data()
    clf = RNNClassifier(**SMALL).fit(X, y, X_val=X[:6], y_val=y[:6])
    assert clf.ensemble_size_ == 1
    # Asked for, an ensemble stops on its combined validation loss.
    clf = RNNClassifier(**SMALL, ensemble_size=2).fit(X, y, X_val=X[:6],
                                                       y_val=y[:6])
    assert clf.ensemble_size_ == 2 and len(clf.validation_loss_curve_) == 3


def test_auto_is_one_network_for_a_direct_forecasts_windows():
    # Below the early-stopping threshold, one-step windows of a series keep
    # the ensemble (a recursive forecast compounds their errors); windows
    # whose targets are several steps (a direct forecast) are one network.
    series = np.sin(np.arange(60) * 0.3)
    X, y = make_windows(series, 10)
    assert len(X) < EARLY_STOPPING_MIN_WINDOWS
    one_step = RNNRegressor(**SMALL).fit(X, y)
    assert not one_step.early_stopping_ and one_step.ensemble_size_ == 3
    X, Y = make_windows(series, 10, horizon=5)
    direct = RNNRegressor(**SMALL).fit(X, Y)
    assert not direct.early_stopping_ and direct.ensemble_size_ == 1
    assert direct.instance_norm_feature_ == 0  # recognised as windows
    # The same targets as rows of another problem (shuffled): the ensemble.
    order = np.random.RandomState(0).permutation(len(X))
    rows = RNNRegressor(**SMALL).fit(X, Y[order])
    assert rows.instance_norm_feature_ is None and rows.ensemble_size_ == 3
    assert RNNRegressor(**SMALL, ensemble_size=2).fit(X, Y).ensemble_size_ == 2


def test_auto_keeps_the_ensemble_of_a_regression_on_rows_that_stops_early():
    # Not windows of a series: each member stops on the same tail, and the
    # ensemble is kept (within the step limit), as without early stopping.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(REGRESSION_EARLY_STOPPING_MIN_ROWS, 8, 1))
    reg = RNNRegressor(**SMALL).fit(X, rng.normal(size=len(X)))
    assert reg.early_stopping_ and reg.ensemble_size_ == ENSEMBLE_MEMBERS
    assert len(reg.validation_loss_curve_) == reg.n_iter_
    # With X_val, one network, as for the classifier.
    reg = RNNRegressor(**SMALL).fit(X, X[:, 0, 0], X_val=X[:6],
                                    y_val=X[:6, 0, 0])
    assert reg.early_stopping_ and reg.ensemble_size_ == 1


def test_auto_is_one_network_for_partial_fit_and_explicit_sizes_hold():
    X, y, _ = _data()
    assert RNNClassifier(**SMALL).partial_fit(X, y, classes=[0, 1]).ensemble_size_ == 1
    assert RNNClassifier(**SMALL, ensemble_size=2).fit(X, y).ensemble_size_ == 2
    assert RNNClassifier(**SMALL, ensemble_size=1).fit(X, y).ensemble_size_ == 1


@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
def test_each_member_trains_exactly_as_it_would_alone(Estimator):
    # The first member draws the first initial weights, as one network
    # does, and sees the same batches: with its own loss's gradient only
    # (not divided by the ensemble's size), plain SGD moves it identically.
    X, y, target = _data()
    y = y if Estimator is RNNClassifier else target
    params = dict(SMALL, optimizer="sgd", learning_rate_init=0.1)
    alone = Estimator(**params, ensemble_size=1).fit(X, y)
    ensemble = Estimator(**params, ensemble_size=3).fit(X, y)
    first = ensemble.net_.module_.members[0].state_dict()
    for key, value in alone.net_.module_.state_dict().items():
        torch.testing.assert_close(first[key], value, atol=1e-6, rtol=0)
    # The members start from different draws.
    second = ensemble.net_.module_.members[1].state_dict()
    assert not torch.equal(first["head.0.weight"], second["head.0.weight"])


def _member_outputs(est, X):
    module = est.net_.module_
    with torch.no_grad():
        X_t = torch.as_tensor(np.asarray(X, dtype=np.float32))
        return [member(X_t).numpy() for member in module.members]


def test_classifier_predicts_the_mean_of_the_members_probabilities():
    X, y, _ = _data()
    clf = RNNClassifier(**SMALL, ensemble_size=3).fit(X, y)
    probabilities = [torch.softmax(torch.as_tensor(out), dim=1).numpy()
                     for out in _member_outputs(clf, X)]
    mean = np.mean(probabilities, axis=0)
    assert_allclose(clf.predict_proba(X), mean, atol=1e-6)
    assert (clf.predict(X) == clf.classes_[mean.argmax(axis=1)]).all()
    # The members disagree somewhere: the mean is not one member's.
    assert not np.allclose(probabilities[0], probabilities[1], atol=1e-3)


def test_regressor_predicts_the_mean_of_the_members_outputs():
    X, _, y = _data()
    reg = RNNRegressor(**SMALL, ensemble_size=3).fit(X, y)
    outputs = np.mean(_member_outputs(reg, X), axis=0)[:, 0]
    expected = outputs * reg._target_scale[0] + reg._target_mean[0]
    assert_allclose(reg.predict(X), expected, rtol=1e-5, atol=1e-5)


class _InitialState(Callback):
    def on_train_begin(self, net, **kwargs):
        self.state_ = copy.deepcopy(net.module_.state_dict())


def test_training_loss_is_the_members_mean():
    X, y, _ = _data()
    recorder = _InitialState()
    # One batch of every row, one step: the loss recorded is that of the
    # initial weights.
    clf = RNNClassifier(**{**SMALL, "max_iter": 1}, ensemble_size=2, shuffle=False,
                        batch_size=len(X), callbacks=[recorder]).fit(X, y)
    module = clf.net_.module_
    module.load_state_dict(recorder.state_)
    X_t = torch.as_tensor(X, dtype=torch.float32)
    with torch.no_grad():
        losses = [torch.nn.functional.cross_entropy(member(X_t),
                                                    torch.as_tensor(y)).item()
                  for member in module.members]
    assert losses[0] != pytest.approx(losses[1])
    assert clf.loss_curve_[0] == pytest.approx(np.mean(losses), rel=1e-5)


def test_warm_start_continues_an_ensemble_and_refuses_a_new_size():
    X, y, _ = _data()
    clf = RNNClassifier(**SMALL, warm_start=True).fit(X, y)
    before = clf.net_.module_.members[2].state_dict()["head.0.weight"].clone()
    clf.fit(X, y)
    assert clf.ensemble_size_ == 3 and clf.n_iter_ == 6
    assert not torch.equal(before, clf.net_.module_.members[2].state_dict()
                           ["head.0.weight"])
    with pytest.raises(ValueError, match=r"ensemble_size 3 -> 2"):
        clf.set_params(ensemble_size=2).fit(X, y)


def test_partial_fit_continues_an_ensemble():
    X, y, _ = _data()
    clf = RNNClassifier(**SMALL, ensemble_size=2).partial_fit(X, y, classes=[0, 1])
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 2 and len(clf.net_.module_.members) == 2


@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
def test_an_ensemble_pickles_and_saves(Estimator, tmp_path):
    X, y, target = _data()
    y = y if Estimator is RNNClassifier else target
    est = Estimator(**SMALL).fit(X, y)
    assert est.ensemble_size_ == 3
    expected = est.predict(X)
    assert_allclose(pickle.loads(pickle.dumps(est)).predict(X), expected)
    path = tmp_path / "model.skrnn"
    save_model(est, path)
    loaded = load_model(path)
    assert loaded.ensemble_size_ == 3
    assert_allclose(loaded.predict(X), expected)


def test_a_doctored_ensemble_size_is_refused_without_building_it(tmp_path):
    X, _, y = _data()
    est = RNNRegressor(**SMALL, ensemble_size=2).fit(X, y)
    state = est._get_fitted_state()
    # A doctored file would say the same in its parameters and attributes.
    state["attributes"]["_architecture_"]["ensemble_size"] = 10**9
    est.set_params(ensemble_size=10**9)
    with pytest.raises(ValueError, match="ensemble of 1000000000 networks"):
        est._set_fitted_state(state)


def test_convolution_work_counts_every_member():
    one = RecurrentNetwork(input_size=1, output_size=1, hidden_size=4,
                           conv_layers=2)
    three = NetworkEnsemble(3, input_size=1, output_size=1, hidden_size=4,
                            conv_layers=2)
    assert convolution_work(three, 8, 100) == 3 * convolution_work(one, 8, 100)


def test_network_ensemble_refuses_an_unknown_combination():
    with pytest.raises(ValueError, match="combine"):
        NetworkEnsemble(2, "median", input_size=1, output_size=1)


@pytest.fixture
def two_threads(torch_threads):
    torch_threads(2)


def test_members_trained_side_by_side_match_one_after_the_other(two_threads):
    # With two threads free and a small network (one thread each), the
    # members train in two lanes of a thread pool; without, in turn. Each
    # member is the same computation either way.
    X, y, _ = _data()
    side_by_side = RNNClassifier(**LANES).fit(X, y)
    assert side_by_side.net_._member_lanes == 2
    torch.set_num_threads(1)
    in_turn = RNNClassifier(**LANES).fit(X, y)
    assert in_turn.net_._member_lanes == 1
    assert side_by_side.loss_curve_ == in_turn.loss_curve_
    assert_allclose(side_by_side.predict_proba(X), in_turn.predict_proba(X),
                    rtol=0, atol=0)


def test_compiled_grus_without_a_front_end_train_in_turn(two_threads,
                                                         monkeypatch):
    # Their steps hold Python's lock most of the time: two lanes took longer
    # than one (round 19). A front end's convolutions run without it.
    X, y, _ = _data()
    compiled = fused_gru_available()
    assert RNNClassifier(**SMALL).fit(X, y).net_._member_lanes == (
        1 if compiled else 2)
    front_end = RNNClassifier(**SMALL, conv_layers=1).fit(X, y)
    assert front_end.net_._member_lanes == 2
    monkeypatch.setenv("SKLEARN_RNN_FUSED_GRU", "off")  # torch's GRU loop
    assert RNNClassifier(**SMALL).fit(X, y).net_._member_lanes == 2


def test_members_with_dropout_train_in_turn(two_threads):
    # Dropout draws from torch's process-wide generator: in parallel the
    # draws would interleave differently from run to run.
    X, y, _ = _data()
    first = RNNClassifier(**LANES, dropout=0.5).fit(X, y)
    assert first.net_._member_lanes == 1
    again = RNNClassifier(**LANES, dropout=0.5).fit(X, y)
    assert_allclose(first.predict_proba(X), again.predict_proba(X), rtol=0, atol=0)


# Run in a fresh interpreter: forked from a test worker, the child would also
# inherit whatever threads earlier tests left there (dask's, pytest-xdist's),
# which is not what this test is about.
_FORK_AFTER_A_FIT = """
import os, signal, sys, time, traceback
import numpy as np
import torch
from sklearn_rnn import RNNClassifier

params = {params!r}
torch.set_num_threads(2)
rng = np.random.RandomState(0)
X = rng.normal(size=(24, 12, 2))
y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
RNNClassifier(**params).fit(X, y)  # the parent's pool exists
read, write = os.pipe()
pid = os.fork()
if pid == 0:  # the child
    try:
        torch.set_num_threads(2)
        clf = RNNClassifier(**params).fit(X, y)
        os.write(write, f"lanes={{clf.net_._member_lanes}}".encode())
    except BaseException:
        os.write(write, traceback.format_exc().encode()[-4000:])
    finally:
        os._exit(0)
os.close(write)
for _ in range(600):
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.1)
else:  # a child waiting on the parent's threads hangs
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    print("the child's fit did not finish in 60 s")
    sys.exit(0)
print(os.read(read, 4096).decode(errors="replace"))
print("exit status", status)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_trains_members_in_its_own_pool():
    # A process pool's worker forked after a fit inherits the thread pool
    # object but none of its threads: it must not wait on them.
    env = {**os.environ, "OMP_NUM_THREADS": "2"}
    done = subprocess.run(
        [sys.executable, "-c", _FORK_AFTER_A_FIT.format(params=LANES)],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.split("\n")[:2] == ["lanes=2", "exit status 0"], (
        done.stdout + done.stderr[-4000:])

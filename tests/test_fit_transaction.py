"""A fit that raises or is interrupted leaves the estimator as it was, and
Ctrl-C (KeyboardInterrupt) always propagates (issue 23's two defects)."""

import numpy as np
import pytest
import torch
from _params import fast_params
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback, EarlyStopping

from sklearn_rnn import RNNClassifier, RNNRegressor

FAST = fast_params(hidden_size=6, batch_size=16)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X3 = rng.normal(size=(48, 5, 3))
    return X3[:, :, 0], X3, X3[:, :, 0].sum(axis=1)


class RaiseAtEpoch(Callback):
    """Raises ``error`` at the start of this fit's epoch ``epoch`` (1-based)."""

    def __init__(self, epoch, error):
        self.epoch = epoch
        self.error = error

    def on_train_begin(self, net, **kwargs):
        self.seen = 0

    def on_epoch_begin(self, net, **kwargs):
        self.seen += 1
        if self.seen == self.epoch:
            raise self.error


class CtrlCAtEpoch(Callback):
    """A Ctrl-C that arrives inside torch's forward pass at epoch ``epoch``
    (a KeyboardInterrupt raised in a callback's own code is skorch's way to
    stop training; one raised elsewhere is the user's)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_train_begin(self, net, **kwargs):
        self.seen = 0

    def on_epoch_begin(self, net, **kwargs):
        self.seen += 1
        if self.seen == self.epoch:
            net.module_.register_forward_pre_hook(_interrupt)


def _interrupt(module, inputs):
    raise KeyboardInterrupt


def _state(est):
    return {k: v for k, v in vars(est).items() if k != "callbacks"}


def test_a_refit_that_fails_partway_leaves_the_previous_model(data):
    # Before: n_input_features_ was 3 while net_ kept the 2-D network;
    # predict raised on both the old and the new data.
    X2, X3, y = data
    reg = RNNRegressor(**FAST, max_iter=2).fit(X2, y)
    before, state = reg.predict(X2), _state(reg)
    reg.set_params(callbacks=[RaiseAtEpoch(1, RuntimeError("boom"))])
    with pytest.raises(RuntimeError, match="boom"):
        reg.fit(X3, y)
    assert _state(reg).keys() == state.keys()
    assert all(_state(reg)[k] is v for k, v in state.items())
    np.testing.assert_array_equal(reg.predict(X2), before)
    assert reg.n_input_features_ == 1


def test_a_fresh_fit_that_fails_leaves_the_estimator_unfitted(data):
    X2, _, y = data
    reg = RNNRegressor(**FAST, max_iter=3,
                       callbacks=[RaiseAtEpoch(1, ValueError("bad"))])
    params = reg.get_params()
    with pytest.raises(ValueError, match="bad"):
        reg.fit(X2, y)
    assert set(vars(reg)) == set(params)
    with pytest.raises(NotFittedError):
        reg.predict(X2)


@pytest.mark.parametrize("epoch", [1, 3])
def test_ctrl_c_propagates_and_leaves_an_unfitted_estimator_unfitted(data, epoch):
    # Before: in the first epoch a KeyError ('train_loss' not in history);
    # in epoch 3 of 3 fit returned normally, without a warning.
    X2, _, y = data
    reg = RNNRegressor(**FAST, max_iter=3, callbacks=[CtrlCAtEpoch(epoch)])
    with pytest.raises(KeyboardInterrupt):
        reg.fit(X2, y)
    with pytest.raises(NotFittedError):
        reg.predict(X2)


def test_ctrl_c_during_a_warm_start_keeps_the_previous_model(data):
    X2, _, y = data
    clf = RNNClassifier(**FAST, max_iter=2, warm_start=True).fit(X2, y > 0)
    before, n_iter = clf.predict_proba(X2), clf.n_iter_
    clf.set_params(max_iter=4, callbacks=[CtrlCAtEpoch(2)])
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X2, y > 0)
    np.testing.assert_array_equal(clf.predict_proba(X2), before)
    assert clf.n_iter_ == n_iter == len(clf.net_.history)


def test_ctrl_c_stops_a_grid_search(data):
    X2, _, y = data
    search = GridSearchCV(
        RNNRegressor(**FAST, max_iter=3, callbacks=[CtrlCAtEpoch(1)]),
        {"hidden_size": [4, 6]}, cv=2, error_score=np.nan)
    with pytest.raises(KeyboardInterrupt):
        search.fit(X2, y)


def test_a_callback_still_stops_training_the_skorch_way(data):
    # skorch's EarlyStopping raises KeyboardInterrupt in its own code to end
    # training: that is not a Ctrl-C, and the fit keeps what it trained.
    X2, _, y = data
    stopper = EarlyStopping(monitor="train_loss", patience=1, threshold=1e9)
    reg = RNNRegressor(**FAST, max_iter=20, callbacks=[stopper]).fit(X2, y)
    assert reg.n_iter_ < 20
    assert reg.predict(X2).shape == y.shape


def test_divergence_in_a_fresh_fit_leaves_no_model(data):
    X2, _, y = data

    class Poison(Callback):
        def on_batch_begin(self, net, training=False, **kwargs):
            if training and len(net.history) == 2:  # the second epoch
                with torch.no_grad():
                    next(net.module_.parameters()).fill_(float("nan"))

    reg = RNNRegressor(**FAST, max_iter=4, callbacks=[Poison()])
    with pytest.raises(FloatingPointError):
        reg.fit(X2, y)
    assert not hasattr(reg, "n_iter_")

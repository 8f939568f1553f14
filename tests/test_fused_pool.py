"""The compiled max-pooling of the convolutional front end
(sklearn_rnn/_fused_pool.py): torch's values and gradients exactly, used
only while training, and a fit the same whichever runs."""

import importlib.util

import numpy as np
import pytest
import torch
from _params import fast_params
from torch.nn import functional as F

import sklearn_rnn._fused_pool as fused_pool
from sklearn_rnn import RNNClassifier
from sklearn_rnn._fused_pool import max_pool_pairs

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("numba") is None,
    reason="numba is a dependency wherever it has wheels")


@pytest.mark.parametrize("n_steps", [1, 2, 5, 8, 251])
def test_values_and_gradients_are_torchs(n_steps):
    torch.manual_seed(0)
    X = torch.relu(torch.randn(3, 4, n_steps))
    X[0, 0, :2] = 0.5  # a tie: the first wins
    if n_steps >= 4:
        X[1, 1, 3] = float("nan")  # a NaN wins over any number
        X[1, 2, 2:4] = float("nan")  # two NaNs: the second
    X.requires_grad_()
    ours, theirs = max_pool_pairs(X), F.max_pool1d(X, 2, ceil_mode=True)
    assert ours.grad_fn is not None and theirs.grad_fn is not None
    assert type(ours.grad_fn) is not type(theirs.grad_fn)  # the compiled path
    np.testing.assert_array_equal(ours.detach(), theirs.detach())
    d_out = torch.randn_like(theirs)
    grads = [torch.autograd.grad(out, X, d_out)[0] for out in (ours, theirs)]
    np.testing.assert_array_equal(grads[0], grads[1])


def test_compiled_only_while_training():
    X = torch.randn(2, 3, 7, requires_grad=True)
    pooled = F.max_pool1d(X, 2, ceil_mode=True)
    for out in (max_pool_pairs(X, training=False), max_pool_pairs(X.detach()),
                max_pool_pairs(X.double())):
        assert type(out.grad_fn) is type(pooled.grad_fn) or out.grad_fn is None
    with torch.no_grad():
        assert max_pool_pairs(X).grad_fn is None


def test_a_front_end_trains_the_same_with_torchs_pooling(monkeypatch):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(24, 40, 2)).cumsum(axis=1)
    y = (X[:, -1, 0] > X[:, 0, 0]).astype(int)
    params = fast_params(hidden_size=8, conv_layers=2, max_iter=4)
    calls = []
    apply = fused_pool._MaxPoolPairs.apply
    monkeypatch.setattr(fused_pool._MaxPoolPairs, "apply",
                        lambda X: calls.append(X.shape) or apply(X))
    compiled = RNNClassifier(**params).fit(X, y)
    assert calls  # the compiled loop trained it
    monkeypatch.setattr(fused_pool, "compiled_kernels", lambda: None)
    plain = RNNClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(compiled.loss_curve_, plain.loss_curve_)
    np.testing.assert_array_equal(compiled.predict_proba(X),
                                  plain.predict_proba(X))

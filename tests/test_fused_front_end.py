"""The compiled steps of the convolutional front end
(sklearn_rnn/_fused_front_end.py): max-pooling with torch's values and
gradients exactly, batch norm + ReLU with torch's up to float rounding
(running statistics included), both used only while training, and a fit the
same whichever runs, up to rounding."""

import importlib.util

import numpy as np
import pytest
import torch
from _params import fast_params
from torch import nn
from torch.nn import functional as F

import sklearn_rnn._fused_front_end as fused_front_end
from sklearn_rnn import RNNClassifier
from sklearn_rnn._fused_front_end import batch_norm_relu, max_pool_pairs

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


@pytest.mark.parametrize("shape", [(8, 16, 251), (3, 4, 1), (1, 5, 9)])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_relu_is_torchs(shape, momentum):
    torch.manual_seed(0)
    ours = nn.BatchNorm1d(shape[1], momentum=momentum)
    nn.init.normal_(ours.weight)
    nn.init.normal_(ours.bias)
    theirs = nn.BatchNorm1d(shape[1], momentum=momentum)
    theirs.load_state_dict(ours.state_dict())
    for _ in range(2):  # the running statistics' second update too
        X = (3 * torch.randn(*shape) + 1).requires_grad_()
        out = batch_norm_relu(ours, X)
        assert type(out.grad_fn).__name__ == "_BatchNormReLUBackward"
        reference = torch.relu(theirs(X))
        np.testing.assert_allclose(out.detach(), reference.detach(), atol=2e-6)
        d_out = torch.randn_like(out)
        grads = [torch.autograd.grad(y, [X, norm.weight, norm.bias], d_out)
                 for y, norm in ((out, ours), (reference, theirs))]
        for a, b in zip(*grads, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    for name, buffer in theirs.named_buffers():
        np.testing.assert_allclose(getattr(ours, name), buffer, rtol=1e-6)


def test_batch_norm_relu_keeps_a_nan_as_torch_does():
    X = torch.randn(4, 3, 5)
    X[0, 1, 2] = float("nan")  # a diverged network's activations
    X.requires_grad_()
    ours = batch_norm_relu(nn.BatchNorm1d(3), X)
    theirs = torch.relu(nn.BatchNorm1d(3)(X))
    np.testing.assert_array_equal(ours.isnan(), theirs.isnan())
    assert ours[:, 1].isnan().all() and not ours[:, 0].isnan().any()


def test_batch_norm_relu_compiled_only_while_training():
    norm = nn.BatchNorm1d(3)
    X = torch.randn(4, 3, 5, requires_grad=True)
    assert type(batch_norm_relu(norm, X).grad_fn).__name__ == (
        "_BatchNormReLUBackward")
    for out in (batch_norm_relu(norm.eval(), X),  # the running statistics
                batch_norm_relu(nn.BatchNorm1d(3, affine=False), X),
                batch_norm_relu(nn.BatchNorm1d(3), X.detach())):
        assert out.grad_fn is None or type(out.grad_fn).__name__ == (
            "ReluBackward0")
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        batch_norm_relu(nn.BatchNorm1d(3), torch.randn(1, 3, 1,
                                                       requires_grad=True))


def test_a_front_end_trains_the_same_with_torchs_steps(monkeypatch):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(24, 40, 2)).cumsum(axis=1)
    y = (X[:, -1, 0] > X[:, 0, 0]).astype(int)
    params = fast_params(hidden_size=8, conv_layers=2, max_iter=4)
    calls = []
    for step in (fused_front_end._MaxPoolPairs, fused_front_end._BatchNormReLU):
        monkeypatch.setattr(step, "apply", lambda *args, apply=step.apply:
                            calls.append(args[0].shape) or apply(*args))
    compiled = RNNClassifier(**params).fit(X, y)
    assert calls  # the compiled loops trained it
    monkeypatch.setattr(fused_front_end, "compiled_kernels", lambda: None)
    plain = RNNClassifier(**params).fit(X, y)
    np.testing.assert_allclose(compiled.loss_curve_, plain.loss_curve_,
                               rtol=1e-4)
    np.testing.assert_allclose(compiled.predict_proba(X),
                               plain.predict_proba(X), atol=1e-4)

"""The compiled GRU (sklearn_rnn/_fused_gru.py): the same outputs and
gradients as nn.GRU, used only where its conditions hold, and the same
training as torch's loop up to float rounding."""

import importlib.util
import sys
import warnings

import numpy as np
import pytest
import torch
from _params import fast_params
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from sklearn_rnn import RNNClassifier, RNNRegressor
from sklearn_rnn._fused_gru import (
    FUSED_GRU_MAX_INFERENCE_WORK,
    FUSED_GRU_MAX_STEP_WORK,
    fused_gru_available,
    infers_compiled,
    run_recurrent,
    use_fused_gru,
)

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("numba") is None,
    reason="numba is a dependency wherever it has wheels")


@pytest.mark.parametrize("options", [
    {}, {"bidirectional": True}, {"num_layers": 2},
    {"num_layers": 2, "bidirectional": True}])
def test_outputs_states_and_gradients_are_nn_grus(options):
    torch.manual_seed(0)
    gru = nn.GRU(3, 16, batch_first=True, **options)
    X = torch.randn(5, 7, 3, requires_grad=True)
    assert use_fused_gru(gru, X)
    reference, compiled = gru(X), run_recurrent(gru, X)
    weights = [torch.randn_like(t) for t in reference]  # a generic loss
    grads = [torch.autograd.grad(
        sum((out * w).sum() for out, w in zip(outputs, weights, strict=True)),
        [X, *gru.parameters()]) for outputs in (reference, compiled)]
    for ours, theirs in zip(compiled, reference, strict=True):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours.detach(), theirs.detach(), atol=1e-6)
    for ours, theirs in zip(grads[1], grads[0], strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-5)


@pytest.mark.parametrize("options", [
    {}, {"bidirectional": True}, {"num_layers": 2, "dropout": 0.5},
    {"num_layers": 2, "bidirectional": True}])
def test_predictions_without_gradients_are_nn_grus(options):
    torch.manual_seed(0)
    gru = nn.GRU(3, 16, batch_first=True, **options).eval()
    X = torch.randn(5, 7, 3)
    with torch.inference_mode():
        assert infers_compiled(gru, X)
        compiled, reference = run_recurrent(gru, X), gru(X)
    for ours, theirs in zip(compiled, reference, strict=True):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_the_compiled_forward_only_without_gradients():
    gru = nn.GRU(2, 8, batch_first=True)
    X = torch.randn(4, 5, 2)
    assert not infers_compiled(gru, X)  # gradients on: the training path
    with torch.no_grad():
        assert infers_compiled(gru, X)
        # Training mode with dropout between layers: nn.GRU draws it.
        dropout = nn.GRU(2, 8, num_layers=2, dropout=0.5, batch_first=True)
        assert not infers_compiled(dropout, X)
        assert infers_compiled(dropout.eval(), X)
        assert not infers_compiled(gru, X.double())
        wide = nn.GRU(2, 64, batch_first=True)
        rows = FUSED_GRU_MAX_INFERENCE_WORK // (3 * 64 * 64)
        assert infers_compiled(wide, torch.randn(rows, 5, 2))
        assert not infers_compiled(wide, torch.randn(rows + 1, 5, 2))


def test_used_only_where_its_conditions_hold(monkeypatch):
    gru = nn.GRU(2, 8, batch_first=True)
    X = torch.randn(4, 5, 2)
    assert use_fused_gru(gru, X)
    with torch.no_grad():  # prediction: nn.GRU itself
        assert not use_fused_gru(gru, X)
    assert not use_fused_gru(nn.LSTM(2, 8, batch_first=True), X)
    assert not use_fused_gru(nn.GRU(2, 8), X)  # not batch first
    assert not use_fused_gru(nn.GRU(2, 8, batch_first=True, bias=False), X)
    assert not use_fused_gru(gru.double(), X.double())
    packed = pack_padded_sequence(X, torch.tensor([5, 3, 2, 1]),
                                  batch_first=True)
    assert not use_fused_gru(gru.float(), packed)
    dropout = nn.GRU(2, 8, num_layers=2, dropout=0.5, batch_first=True)
    assert not use_fused_gru(dropout, X)
    assert not use_fused_gru(gru.eval(), X)  # evaluation: nn.GRU itself
    gru.train()
    # Large steps: torch's loop is as fast there.
    wide = nn.GRU(2, 64, batch_first=True)
    rows = FUSED_GRU_MAX_STEP_WORK // (3 * 64 * 64)
    assert use_fused_gru(wide, torch.randn(rows, 5, 2))
    assert not use_fused_gru(wide, torch.randn(rows + 1, 5, 2))
    monkeypatch.setenv("SKLEARN_RNN_FUSED_GRU", "off")
    assert not fused_gru_available() and not use_fused_gru(gru, X)
    assert run_recurrent(gru, X)[0].shape == (4, 5, 8)


def test_a_numba_that_fails_to_load_falls_back_with_one_warning(monkeypatch):
    import numba

    import sklearn_rnn._compiled as compiled

    def broken(*args, **kwargs):
        raise ImportError("Numba needs NumPy 9.9 or less")  # as numba says

    monkeypatch.setattr(compiled, "_kernels", None)
    monkeypatch.delitem(sys.modules, "sklearn_rnn._kernels")  # loaded anew
    monkeypatch.setattr(numba, "njit", broken)
    gru = nn.GRU(2, 8, batch_first=True)
    X = torch.randn(4, 5, 2)
    with pytest.warns(RuntimeWarning, match="numba cannot be used"):
        output, _ = run_recurrent(gru, X)
    np.testing.assert_array_equal(output.detach(), gru(X)[0].detach())
    assert not fused_gru_available()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no second warning
        run_recurrent(gru, X)


def test_without_numba_training_runs_torchs_loop(monkeypatch, sine_windows):
    import sklearn_rnn._compiled as compiled

    X, y = sine_windows
    monkeypatch.setattr(compiled, "_kernels", None)  # not loaded in this process
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "numba" else real(name, *a))
    assert not fused_gru_available()
    RNNRegressor(**fast_params(hidden_size=8, max_iter=2)).fit(X, y)


def test_the_compiled_exp_is_exact_to_a_float32_ulp():
    from sklearn_rnn._compiled import compiled_kernels

    x = np.linspace(-100, 100, 200_001, dtype=np.float32)
    out, scratch = np.empty_like(x), np.empty(x.shape, np.int32)
    compiled_kernels().exp_into(x, out, scratch)
    expected = np.exp(np.clip(x.astype(np.float64), -87, 88))  # clamped
    np.testing.assert_allclose(out, expected, rtol=2e-7)
    assert np.isfinite(out).all() and (out > 0).all()
    special = np.array([np.nan, np.inf, -np.inf], dtype=np.float32)
    compiled_kernels().exp_into(special, out[:3], scratch[:3])
    assert np.isnan(out[0]) and np.isfinite(out[1:]).all()


def test_a_nan_reaches_the_outputs_as_with_nn_gru():
    # A diverged network must still show NaN losses, not finite garbage.
    gru = nn.GRU(2, 8, batch_first=True)
    X = torch.randn(3, 4, 2)
    X[1, 2, 0] = float("nan")
    for grad in (True, False):
        with torch.set_grad_enabled(grad):
            output, state = run_recurrent(gru, X)
            reference, _ = gru(X)
        np.testing.assert_array_equal(output.isnan(), reference.isnan())
        assert output[1, 2:].isnan().all() and not output[0].isnan().any()


@pytest.mark.parametrize("make", [
    lambda: RNNRegressor(**fast_params(hidden_size=8, max_iter=5)),
    lambda: RNNClassifier(**fast_params(hidden_size=8, max_iter=5,
                                        bidirectional=True, num_layers=2)),
])
def test_training_equals_torchs_loop_up_to_rounding(make, sine_windows,
                                                    monkeypatch):
    X, y = sine_windows
    if isinstance(make(), RNNClassifier):
        y = y > 0
    compiled = make().fit(X, y)
    monkeypatch.setenv("SKLEARN_RNN_FUSED_GRU", "off")
    loop = make().fit(X, y)
    np.testing.assert_allclose(compiled.loss_curve_, loop.loss_curve_,
                               rtol=1e-4)
    predict = "predict_proba" if hasattr(loop, "predict_proba") else "predict"
    np.testing.assert_allclose(getattr(compiled, predict)(X),
                               getattr(loop, predict)(X), rtol=1e-3, atol=1e-5)

"""A GRU layer's training pass compiled whole (numba), for the CPU.

torch runs a GRU on the CPU as a loop of small operations per time step,
forward and backward (its fused LSTM kernel has no GRU mode): for the small
networks this package trains, the per-operation cost, not the arithmetic,
is most of a training step (benchmarks/results/round16-forecast-time.md,
round13-classifier-speed.md). Here the recurrence of one layer and one
direction is one compiled loop forward and one backward (numba, without
Python's lock; the loops are in ``_kernels``), and everything else stays
torch's: the input projections of
all steps are one matrix product before the loop, the weight gradients one
product each after it, and torch's autograd joins them. The same equations
as ``nn.GRU`` (its weights, its gate order r, z, n), in float32 with a
vectorised exp; results agree to float rounding (tests/test_fused_gru.py).

Used while training (gradients on) when every condition holds: a
``nn.GRU`` on the CPU in float32, batch first, with biases, a padded (not
packed) batch, no dropout between layers, a step's hidden product of at
most ``FUSED_GRU_MAX_STEP_WORK`` multiply-adds, numba installed, and
``SKLEARN_RNN_FUSED_GRU`` not set to ``off``. A forward pass without
gradients (predictions, validation passes) runs the same forward loop
without keeping the gates, up to ``FUSED_GRU_MAX_INFERENCE_WORK``. The ONNX
export writes ``nn.GRU``'s own graph.
"""

import os

import numpy as np
import torch
from torch import nn

from ._compiled import compiled_batch, compiled_kernels, numba_available
from ._threads import STEP_WORK_PER_THREAD, recurrent_step_work

__all__ = ["FUSED_GRU_MAX_STEP_WORK", "FUSED_GRU_MAX_INFERENCE_WORK",
           "fused_gru_available", "use_fused_gru", "infers_compiled",
           "trains_compiled", "run_recurrent"]

# Multiply-adds of one step's hidden product (batch x 3 x hidden**2) up to
# which the compiled loop runs. Measured forward + backward on one thread
# (torch 2.13, numba 0.68, scipy's OpenBLAS; round 18,
# benchmarks/results/round18-fused-gru.md): batch 8 x GRU-64 (98 K) 0.28x
# nn.GRU's time, 32 x 64 (393 K) 0.61x, 64 x 64 (786 K) 0.81x, 32 x 128
# (1.6 M) 1.20x (there OpenBLAS also starts a second thread for the
# product). Where the arithmetic dominates, torch's loop is as good: only
# the small steps, those the thread policy gives one thread, go through the
# compiled loop.
FUSED_GRU_MAX_STEP_WORK = STEP_WORK_PER_THREAD

# The same bound for a forward pass without gradients (predictions,
# validation passes): the compiled forward keeps no gates and wins further.
# Measured on one thread (round 19, benchmarks/results/round19-compiled-front-end.md),
# 24 steps: a predict block of 64 rows x GRU-64 (786 K) 0.59x nn.GRU's
# time, 64 x 96 (1.8 M) 0.75x, 64 x 128 (3.1 M) 0.94x, 64 x 256 1.1x.
FUSED_GRU_MAX_INFERENCE_WORK = 2_000_000


def fused_gru_available():
    """Whether the compiled GRU can be used: numba can be used (see
    ``_compiled``) and ``SKLEARN_RNN_FUSED_GRU`` is not ``off`` (or 0,
    false, no)."""
    value = os.environ.get("SKLEARN_RNN_FUSED_GRU", "").strip().lower()
    return value not in {"off", "0", "false", "no"} and numba_available()


def use_fused_gru(rnn, X):
    """Whether ``run_recurrent`` takes the compiled path for ``rnn`` on
    the padded batch ``X``: a training pass (module in training mode,
    gradients on, not traced or exported)."""
    if not (rnn.training and torch.is_grad_enabled() and compiled_batch(X)):
        return False
    return _compiled_layer(rnn, X.shape[0])


def infers_compiled(rnn, X):
    """Whether ``run_recurrent`` runs ``rnn`` on the padded batch ``X``
    through the compiled forward loop: no gradients (a prediction or a
    validation pass), and no dropout that training mode would apply."""
    if torch.is_grad_enabled() or not compiled_batch(X):
        return False
    if rnn.training and rnn.num_layers > 1 and rnn.dropout > 0:
        return False
    return _compiled_layer(rnn, X.shape[0], FUSED_GRU_MAX_INFERENCE_WORK,
                           dropout_matters=False)


def trains_compiled(module, batch_size):
    """Whether training ``module`` (any network) on batches of
    ``batch_size`` runs a GRU through the compiled loop."""
    return any(_compiled_layer(layer, batch_size)
               for layer in module.modules() if type(layer) is nn.GRU)


def _compiled_layer(rnn, batch_size, max_work=FUSED_GRU_MAX_STEP_WORK,
                    dropout_matters=True):
    """The conditions on the layer itself: a float32 CPU ``nn.GRU``, batch
    first, with biases, no dropout between layers (when it would apply), a
    step of at most ``max_work`` multiply-adds."""
    if type(rnn) is not nn.GRU or not (rnn.batch_first and rnn.bias):
        return False
    if dropout_matters and rnn.num_layers > 1 and rnn.dropout > 0:
        return False  # nn.GRU's dropout between layers: its own draws
    weight = rnn.weight_hh_l0
    if weight.device.type != "cpu" or weight.dtype != torch.float32:
        return False
    work = recurrent_step_work(rnn, batch_size)
    return work <= max_work and fused_gru_available()


def run_recurrent(rnn, X):
    """``rnn(X)``, through the compiled GRU where :func:`use_fused_gru`
    (training) or :func:`infers_compiled` (no gradients) allows:
    ``(output, h_n)`` as ``nn.GRU`` returns them."""
    if use_fused_gru(rnn, X) and compiled_kernels() is not None:
        run_layer = _GRULayer.apply
    elif infers_compiled(rnn, X) and compiled_kernels() is not None:
        run_layer = _infer_layer
    else:
        return rnn(X)
    directions = 2 if rnn.bidirectional else 1
    finals = []
    layer_input = X
    for layer in range(rnn.num_layers):
        outputs = []
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            weights = [getattr(rnn, name + suffix) for name in
                       ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            steps = layer_input.flip(1) if direction else layer_input
            output = run_layer(steps, *weights)
            finals.append(output[:, -1])
            outputs.append(output.flip(1) if direction else output)
        layer_input = torch.cat(outputs, dim=2) if directions == 2 else outputs[0]
    return layer_input, torch.stack(finals)


def _infer_layer(X, w_ih, w_hh, b_ih, b_hh):
    """One layer and direction without gradients: the outputs of every
    step, (B, T, H)."""
    B, T, _ = X.shape
    gi = torch.addmm(b_ih, X.reshape(B * T, -1), w_ih.t()).view(B, T, -1)
    states = compiled_kernels().gru_forward(
        np.ascontiguousarray(gi.detach().numpy()),
        np.ascontiguousarray(w_hh.detach().numpy().T),
        b_hh.detach().numpy(), False)[0]
    return torch.from_numpy(states[1:]).transpose(0, 1)


class _GRULayer(torch.autograd.Function):
    """One layer and direction of a GRU from a zero state: the outputs of
    every step, (B, T, H)."""

    @staticmethod
    def forward(ctx, X, w_ih, w_hh, b_ih, b_hh):
        B, T, _ = X.shape
        gi = torch.addmm(b_ih, X.reshape(B * T, -1), w_ih.t()).view(B, T, -1)
        states, r_all, z_all, n_all, hn_all = compiled_kernels().gru_forward(
            gi.detach().numpy(),
            np.ascontiguousarray(w_hh.detach().numpy().T),
            b_hh.detach().numpy(), True)
        ctx.save_for_backward(X, w_ih, w_hh)
        ctx.gates = (states, r_all, z_all, n_all, hn_all)
        return torch.from_numpy(states[1:]).transpose(0, 1)

    @staticmethod
    def backward(ctx, d_out):
        X, w_ih, w_hh = ctx.saved_tensors
        states, r_all, z_all, n_all, hn_all = ctx.gates
        ctx.gates = None
        d_gi, d_gh = compiled_kernels().gru_backward(
            np.ascontiguousarray(d_out.numpy()), states, r_all, z_all, n_all,
            hn_all, w_hh.detach().numpy())
        B, T, H3 = d_gi.shape
        d_gi = torch.from_numpy(d_gi).view(B * T, H3)
        d_gh = torch.from_numpy(d_gh).view(T * B, H3)
        previous = torch.from_numpy(states[:-1]).reshape(T * B, H3 // 3)
        d_X = (d_gi @ w_ih).view(X.shape) if ctx.needs_input_grad[0] else None
        return (d_X, d_gi.t() @ X.reshape(B * T, -1), d_gh.t() @ previous,
                d_gi.sum(0), d_gh.sum(0))

"""The convolutional front end's steps between its convolutions, compiled
(numba) while training on the CPU: batch normalisation with the ReLU after
it, and max-pooling by pairs of steps.

torch's CPU kernels for these take as long as the convolutions they follow
on the front end's shapes: ``max_pool1d(X, 2, ceil_mode=True)`` about
0.4 ms forward on a batch of 8 x 64 channels x 251 steps (11 % of a default
ArrowHead training step), batch norm and ReLU a fifth of an ACSF1 step
(benchmarks/results/round19-compiled-front-end.md); the compiled loops take
a fraction of that. The pooling gives torch's values and gradients exactly
(its tie rule included: the first of equal values wins, a NaN wins over
any number); the normalisation the same to float rounding, its running
statistics updated as ``BatchNorm1d`` updates them.
"""

import numpy as np
import torch
from torch.nn import functional as F

from ._compiled import compiled_batch, compiled_kernels

__all__ = ["batch_norm_relu", "max_pool_pairs"]


def batch_norm_relu(norm, X):
    """``relu(norm(X))`` for a ``BatchNorm1d`` ``norm`` on ``(B, C, T)``:
    the compiled loops in a training pass of float32 CPU tensors (with an
    affine ``norm`` that tracks running statistics, as the front end's do),
    torch's modules otherwise.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> norm = nn.BatchNorm1d(2)
    >>> X = torch.tensor([[[0.0, 2.0], [1.0, 1.0]]], requires_grad=True)
    >>> batch_norm_relu(norm, X)
    tensor([[[0.0000, 1.0000],
             [0.0000, 0.0000]]], grad_fn=<_BatchNormReLUBackward>)
    >>> norm.running_mean
    tensor([0.1000, 0.1000])
    """
    if (norm.training and norm.affine and norm.track_running_stats
            and X.shape[0] * X.shape[2] > 1 and _compiled_pass(X)):
        return _BatchNormReLU.apply(X, norm.weight, norm.bias, norm)
    return torch.relu(norm(X))


def max_pool_pairs(X, training=True):
    """``max_pool1d(X, 2, ceil_mode=True)`` on ``(B, C, T)``: the compiled
    loop in a training pass (``training``, gradients on) of float32 CPU
    tensors, torch's kernel otherwise (predictions, tracing, other devices).

    Examples
    --------
    >>> import torch
    >>> X = torch.tensor([[[1.0, 3.0, 2.0, 0.0, 5.0]]], requires_grad=True)
    >>> max_pool_pairs(X)
    tensor([[[3., 2., 5.]]], grad_fn=<_MaxPoolPairsBackward>)
    """
    if training and _compiled_pass(X):
        return _MaxPoolPairs.apply(X)
    return F.max_pool1d(X, 2, ceil_mode=True)


def _compiled_pass(X):
    """Whether a training step on ``X`` (B, C, T) can run the compiled
    loops: gradients on, float32 on the CPU, not traced, numba usable."""
    return (torch.is_grad_enabled() and X.requires_grad
            and compiled_batch(X) and compiled_kernels() is not None)


class _BatchNormReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, X, weight, bias, norm):
        out, x_hat, mean, var, inv_std = (
            compiled_kernels().batch_norm_relu_forward(
                np.ascontiguousarray(X.detach().numpy()),
                weight.detach().numpy(), bias.detach().numpy(), norm.eps))
        # BatchNorm1d's running statistics: the batch's mean and unbiased
        # variance, averaged with its momentum (cumulatively without one).
        norm.num_batches_tracked.add_(1)
        factor = (norm.momentum if norm.momentum is not None
                  else 1.0 / float(norm.num_batches_tracked))
        n = X.shape[0] * X.shape[2]
        for running, batch in ((norm.running_mean, mean),
                               (norm.running_var, var * n / (n - 1))):
            running.mul_(1 - factor).add_(
                torch.from_numpy(batch).to(running.dtype), alpha=factor)
        out = torch.from_numpy(out)
        ctx.save_for_backward(out, weight)
        ctx.x_hat, ctx.inv_std = x_hat, inv_std
        return out

    @staticmethod
    def backward(ctx, d_out):
        out, weight = ctx.saved_tensors
        d_X, d_weight, d_bias = compiled_kernels().batch_norm_relu_backward(
            np.ascontiguousarray(d_out.numpy()), out.numpy(), ctx.x_hat,
            weight.detach().numpy(), ctx.inv_std)
        ctx.x_hat = ctx.inv_std = None
        return (torch.from_numpy(d_X), torch.from_numpy(d_weight),
                torch.from_numpy(d_bias), None)


class _MaxPoolPairs(torch.autograd.Function):
    @staticmethod
    def forward(ctx, X):
        B, C, T = X.shape
        steps = np.ascontiguousarray(X.detach().numpy()).reshape(B * C, T)
        pooled, second = compiled_kernels().max_pool_pairs_forward(steps)
        ctx.second = second
        ctx.n_steps = T
        return torch.from_numpy(pooled).view(B, C, -1)

    @staticmethod
    def backward(ctx, d_out):
        B, C, T_out = d_out.shape
        d_pooled = np.ascontiguousarray(d_out.numpy()).reshape(B * C, T_out)
        d_X = compiled_kernels().max_pool_pairs_backward(
            d_pooled, ctx.second, ctx.n_steps)
        ctx.second = None
        return torch.from_numpy(d_X).view(B, C, ctx.n_steps)

"""Max-pooling by pairs of steps, compiled (numba) while training on the CPU.

The convolutional front end halves its sequences with
``max_pool1d(X, 2, ceil_mode=True)`` after every block. torch's CPU kernel
for it takes about 0.4 ms forward on a batch of 8 x 64 channels x 251
steps, as long as a whole convolution there, and 11 % of a default
ArrowHead training step (benchmarks/results/round19-compiled-front-end.md);
the compiled loop takes a twentieth of that. The same values and the same
gradients as torch's (its tie rule included: the first of equal values
wins, a NaN wins over any number), so whichever runs, a fit is the same.
"""

import numpy as np
import torch
from torch.nn import functional as F

from ._compiled import compiled_kernels

__all__ = ["max_pool_pairs"]


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
    if (training and torch.is_grad_enabled() and X.requires_grad
            and X.device.type == "cpu" and X.dtype == torch.float32
            and X.dim() == 3 and not torch.jit.is_tracing()
            and compiled_kernels() is not None):
        return _MaxPoolPairs.apply(X)
    return F.max_pool1d(X, 2, ceil_mode=True)


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

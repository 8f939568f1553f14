"""Training loops compiled with numba, for the CPU: a GRU layer's recurrence
(forward and backward, used by ``_fused_gru``), and the convolutional front
end's batch normalisation with its ReLU and its max-pooling by pairs
(``_fused_front_end``).

This module imports numba at its top: it is imported only on first use, by
:func:`sklearn_rnn._compiled.compiled_kernels`, which falls back to torch's
own operations when numba cannot be loaded. Every loop runs without Python's
lock (``nogil``), so the members of an ensemble trained in two threads
overlap here too. The arithmetic is float32 throughout (the constants are
typed ``np.float32``: a Python float literal would promote every operation
to float64, which costs about twice the time and cannot be vectorised).
"""

import numba
import numpy as np

F32 = np.float32
ONE = F32(1.0)
TWO = F32(2.0)

# Cephes' expf: exp(x) = 2**k * exp(r), k = round(x / ln 2), |r| <= ln2 / 2,
# ln 2 split in two parts so that k * ln 2 is exact to float32, and exp(r)
# a degree-7 polynomial; relative error below 1e-7 (one float32 ulp) over
# the whole range (tests/test_fused_gru.py). Written out rather than
# np.exp because numba calls libm's exp element by element, which LLVM
# cannot vectorise: in the GRU's loop that call was 80 % of the forward
# pass (benchmarks/results/round19-compiled-front-end.md).
LOG2E = F32(1.4426950408889634)
LN2_HI = F32(0.693359375)
LN2_LO = F32(-2.12194440e-4)
EXP_MIN = F32(-87.0)  # exp(-87) ~ 1.6e-38, the smallest normal float32
EXP_MAX = F32(88.0)   # exp(88) ~ 1.65e38, below float32's largest value
EXP_POLY = (F32(1.9875691500e-4), F32(1.3981999507e-3), F32(8.3334519073e-3),
            F32(4.1665795894e-2), F32(1.6666665459e-1), F32(5.0000001201e-1))


def _jit(function=None, *, reassociate=False):
    """``numba.njit`` without Python's lock, cached on disk where there is a
    writable cache location (compiling the loops takes about a second).
    ``reassociate`` lets LLVM reorder a loop's sums, so that it can
    vectorise them (each sum then adds in a few interleaved parts: the same
    accuracy, another rounding)."""
    if function is None:
        return lambda function: _jit(function, reassociate=reassociate)
    options = {"nogil": True}
    if reassociate:
        options["fastmath"] = {"reassoc"}
    try:
        return numba.njit(cache=True, **options)(function)
    except RuntimeError:  # no writable cache location
        return numba.njit(**options)(function)


@_jit
def exp_into(x, out, bits):
    """``out[i] = exp(x[i])`` for float32 vectors; ``bits`` (int32, the
    same length) is scratch space. Inputs below -87 or above 88 are clamped
    (exp underflows to the smallest normal or stays finite): the GRU feeds
    it only -(pre-activations), where a sigmoid is then exact to 0 or 1. A
    NaN stays NaN (the comparisons below are false for it), so a network
    whose weights diverged still gives NaN losses, as with ``nn.GRU``."""
    c0, c1, c2, c3, c4, c5 = EXP_POLY
    for i in range(x.shape[0]):
        v = x[i]
        v = EXP_MIN if v < EXP_MIN else v
        v = EXP_MAX if v > EXP_MAX else v
        k = np.floor(v * LOG2E + F32(0.5))
        r = v - k * LN2_HI - k * LN2_LO
        p = ((((c0 * r + c1) * r + c2) * r + c3) * r + c4) * r + c5
        out[i] = p * r * r + r + ONE
        bits[i] = (np.int32(k) + np.int32(127)) << np.int32(23)  # 2**k
    scale = bits.view(np.float32)
    for i in range(x.shape[0]):
        out[i] *= scale[i]


@_jit
def gru_forward(gi, w_hh_t, b_hh, keep_gates):
    """A GRU layer's recurrence from a zero state: ``gi`` (B, T, 3H) the
    input projections (with their bias), ``w_hh_t`` (H, 3H) the transposed
    hidden weights; returns the states (T + 1, B, H) and the gates r, z, n
    and the hidden part of n's input, each (T, B, H) when ``keep_gates``
    (for the backward pass), else only the last step's (1, B, H: a
    prediction needs none of them). nn.GRU's equations:
    r = sigmoid(gi_r + gh_r), z = sigmoid(gi_z + gh_z),
    n = tanh(gi_n + r * gh_n), h' = n + z * (h - n), with tanh(x) computed
    as 2 sigmoid(2x) - 1 (absolute error below 1e-7)."""
    B, T, H3 = gi.shape
    H = H3 // 3
    states = np.zeros((T + 1, B, H), dtype=np.float32)
    T_gates = T if keep_gates else 1
    r_all = np.empty((T_gates, B, H), dtype=np.float32)
    z_all = np.empty((T_gates, B, H), dtype=np.float32)
    n_all = np.empty((T_gates, B, H), dtype=np.float32)
    hn_all = np.empty((T_gates, B, H), dtype=np.float32)
    pre = np.empty(2 * H, dtype=np.float32)
    ex = np.empty(2 * H, dtype=np.float32)
    bits = np.empty(2 * H, dtype=np.int32)
    for t in range(T):
        g = t if keep_gates else 0  # where this step's gates go
        gh = np.dot(states[t], w_hh_t)
        for b in range(B):
            # exp(-x) of r's and z's pre-activations, then the sigmoids.
            for j in range(2 * H):
                pre[j] = -(gi[b, t, j] + gh[b, j] + b_hh[j])
            exp_into(pre, ex, bits)
            for j in range(H):
                r = ONE / (ONE + ex[j])
                hn = gh[b, 2 * H + j] + b_hh[2 * H + j]
                r_all[g, b, j] = r
                z_all[g, b, j] = ONE / (ONE + ex[H + j])
                hn_all[g, b, j] = hn
                pre[j] = -TWO * (gi[b, t, 2 * H + j] + r * hn)
            exp_into(pre[:H], ex[:H], bits[:H])
            for j in range(H):
                n = TWO / (ONE + ex[j]) - ONE
                z = z_all[g, b, j]
                n_all[g, b, j] = n
                states[t + 1, b, j] = n + z * (states[t, b, j] - n)
    return states, r_all, z_all, n_all, hn_all


@_jit
def gru_backward(d_out, states, r_all, z_all, n_all, hn_all, w_hh):
    """Gradients of the recurrence given those of its outputs ``d_out``
    (B, T, H): of the input projections (B, T, 3H) and of the hidden
    projections (T, B, 3H), from which the caller forms the weights'."""
    T, B, H = r_all.shape
    d_gi = np.empty((B, T, 3 * H), dtype=np.float32)
    d_gh = np.empty((T, B, 3 * H), dtype=np.float32)
    dh = np.zeros((B, H), dtype=np.float32)
    for t in range(T - 1, -1, -1):
        for b in range(B):
            for j in range(H):
                d = dh[b, j] + d_out[b, t, j]
                r = r_all[t, b, j]
                z = z_all[t, b, j]
                n = n_all[t, b, j]
                dn = d * (ONE - z) * (ONE - n * n)
                dz = d * (states[t, b, j] - n) * z * (ONE - z)
                dr = dn * hn_all[t, b, j] * r * (ONE - r)
                d_gi[b, t, j] = dr
                d_gi[b, t, H + j] = dz
                d_gi[b, t, 2 * H + j] = dn
                d_gh[t, b, j] = dr
                d_gh[t, b, H + j] = dz
                d_gh[t, b, 2 * H + j] = dn * r
                dh[b, j] = d * z
        dh += np.dot(d_gh[t], w_hh)
    return d_gi, d_gh


@_jit
def max_pool_pairs_forward(x):
    """Max over each pair of steps of ``x`` (N, T), an odd last step alone
    (``max_pool1d(x, 2, ceil_mode=True)``): the maxima (N, ceil(T / 2)) and
    which of each pair won (uint8, 1 for the second). torch's rule: the
    first of equal values wins, and a NaN wins over any number."""
    N, T = x.shape
    T_out = (T + 1) // 2
    out = np.empty((N, T_out), dtype=x.dtype)
    second = np.zeros((N, T_out), dtype=np.uint8)
    for i in range(N):
        for t in range(T // 2):
            a = x[i, 2 * t]
            b = x[i, 2 * t + 1]
            if b > a or np.isnan(b):
                out[i, t] = b
                second[i, t] = 1
            else:
                out[i, t] = a
        if T % 2:
            out[i, T_out - 1] = x[i, T - 1]
    return out, second


@_jit
def max_pool_pairs_backward(d_out, second, T):
    """The gradient of :func:`max_pool_pairs_forward` with respect to its
    input (N, T): each output's gradient to the step that won."""
    N, T_out = d_out.shape
    d_x = np.zeros((N, T), dtype=d_out.dtype)
    for i in range(N):
        for t in range(T_out):
            d_x[i, 2 * t + second[i, t]] = d_out[i, t]
    return d_x


@_jit(reassociate=True)
def batch_norm_relu_forward(x, weight, bias, eps):
    """``relu(batch_norm(x))`` with the batch's statistics (a training
    pass of ``BatchNorm1d``) on ``x`` (B, C, T): the output, the normalised
    input (for the backward pass), and per channel the mean and the biased
    variance (float64, for the running statistics) and 1 / std (float32)."""
    B, C, T = x.shape
    n = B * T
    out = np.empty_like(x)
    x_hat = np.empty_like(x)
    mean = np.empty(C, dtype=np.float64)
    var = np.empty(C, dtype=np.float64)
    inv_std = np.empty(C, dtype=np.float32)
    for c in range(C):
        total = 0.0
        for b in range(B):
            for t in range(T):
                total += x[b, c, t]
        m = total / n
        squares = 0.0
        for b in range(B):
            for t in range(T):
                d = x[b, c, t] - m
                squares += d * d
        v = squares / n
        mean[c] = m
        var[c] = v
        inv = F32(1.0 / np.sqrt(v + eps))
        inv_std[c] = inv
        m32 = F32(m)
        scale = weight[c]
        shift = bias[c]
        for b in range(B):
            for t in range(T):
                h = (x[b, c, t] - m32) * inv
                x_hat[b, c, t] = h
                o = h * scale + shift
                # torch's ReLU: a NaN stays NaN (a diverged network's).
                out[b, c, t] = F32(0.0) if o <= F32(0.0) else o
    return out, x_hat, mean, var, inv_std


@_jit(reassociate=True)
def batch_norm_relu_backward(d_out, out, x_hat, weight, inv_std):
    """The gradients of :func:`batch_norm_relu_forward` with respect to its
    input (B, C, T), weight and bias (C) given those of its output: the
    ReLU passes a gradient where its output is positive, then batch norm's
    (d - mean(d) - x_hat mean(d x_hat)) * weight / std."""
    B, C, T = d_out.shape
    n = B * T
    d_x = np.empty_like(d_out)
    d_weight = np.empty(C, dtype=np.float32)
    d_bias = np.empty(C, dtype=np.float32)
    for c in range(C):
        total = 0.0
        total_x = 0.0
        for b in range(B):
            for t in range(T):
                if out[b, c, t] > F32(0.0):
                    d = d_out[b, c, t]
                    total += d
                    total_x += d * x_hat[b, c, t]
        d_weight[c] = total_x
        d_bias[c] = total
        k = weight[c] * inv_std[c]
        mean_d = F32(total / n)
        mean_dx = F32(total_x / n)
        for b in range(B):
            for t in range(T):
                d = d_out[b, c, t] if out[b, c, t] > F32(0.0) else F32(0.0)
                d_x[b, c, t] = k * (d - mean_d - x_hat[b, c, t] * mean_dx)
    return d_x, d_weight, d_bias

"""PROBE, not a library feature: what one recurrent layer costs per batch on
the CPU (issue 25, time to accuracy).

ArrowHead's shape behind the default front end: 63 steps of 64 channels, 64
units, batches of 8 and 36. Forward + backward per batch, one thread, for
``nn.GRU`` (what the default ``cell='gru'`` trains), ``nn.LSTM`` (fused by
torch on the CPU) and ``GRULayer``, a GRU written as an autograd function
(the input projections of all steps in one product, a Python loop over the
steps, a hand-written backward): the same outputs and gradients as
``nn.GRU`` (checked here), to see whether avoiding autograd's per-op graph
pays. Measured 2026-12-07 (idle 2-core machine), batches of 8 / 36:
nn.GRU 8.2 / 15.8 ms, nn.LSTM 1.7 / 7.3 ms, GRULayer 7.5 / 14.2 ms. The
hand-written backward saves a tenth of the GRU's time at most (a first
version, with more small operations per step, was slower than nn.GRU):
the per-step Python dispatch is the cost, and a GRU at the LSTM's speed
needs a fused kernel.

    OMP_NUM_THREADS=1 python -m benchmarks.probes.gru_step_cost
"""

import time

import torch


class GRULayer(torch.autograd.Function):
    """One GRU layer (batch first, no lengths) as an autograd function."""

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh):
        B, T, _ = x.shape
        H = h0.shape[1]
        gi = torch.addmm(b_ih, x.reshape(B * T, -1), w_ih.t()).view(B, T, 3 * H)
        states = x.new_empty(T + 1, B, H)
        states[0] = h0
        r_all, z_all, n_all, ghn_all = (x.new_empty(T, B, H) for _ in range(4))
        h = h0
        for t in range(T):
            gh = torch.addmm(b_hh, h, w_hh.t())
            rz = torch.sigmoid(gi[:, t, :2 * H] + gh[:, :2 * H])
            r, z = rz[:, :H], rz[:, H:]
            n = torch.tanh(torch.addcmul(gi[:, t, 2 * H:], r, gh[:, 2 * H:]))
            h = torch.lerp(n, h, z)  # n + z (h - n)
            states[t + 1] = h
            r_all[t], z_all[t], n_all[t] = r, z, n
            ghn_all[t] = gh[:, 2 * H:]
        ctx.save_for_backward(x, states, r_all, z_all, n_all, ghn_all, w_ih, w_hh)
        return states[1:].transpose(0, 1), h

    @staticmethod
    def backward(ctx, grad_out, grad_last):
        x, states, r_all, z_all, n_all, ghn_all, w_ih, w_hh = ctx.saved_tensors
        T, B, H = r_all.shape
        grad_out = grad_out.transpose(0, 1)
        d_gi = x.new_empty(T, B, 3 * H)
        d_gh = x.new_empty(T, B, 3 * H)
        dh = torch.zeros(B, H) if grad_last is None else grad_last.clone()
        for t in range(T - 1, -1, -1):
            dh = dh + grad_out[t]
            r, z, n = r_all[t], z_all[t], n_all[t]
            dn = dh * (1 - z) * (1 - n * n)
            dr = dn * ghn_all[t] * r * (1 - r)
            dz = dh * (states[t] - n) * z * (1 - z)
            d_gi[t] = torch.cat([dr, dz, dn], dim=1)
            d_gh[t] = torch.cat([dr, dz, dn * r], dim=1)
            dh = dh * z + d_gh[t] @ w_hh
        d_gi = d_gi.transpose(0, 1).reshape(B * T, 3 * H)
        d_gh = d_gh.reshape(T * B, 3 * H)
        return ((d_gi @ w_ih).view(B, T, -1), dh,
                d_gi.t() @ x.reshape(B * T, -1),
                d_gh.t() @ states[:-1].reshape(T * B, H),
                d_gi.sum(0), d_gh.sum(0))


def per_batch_ms(fn, n=50):
    for _ in range(5):
        fn().sum().backward()
    start = time.perf_counter()
    for _ in range(n):
        fn().sum().backward()
    return (time.perf_counter() - start) / n * 1e3


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    gru = torch.nn.GRU(64, 64, batch_first=True)
    lstm = torch.nn.LSTM(64, 64, batch_first=True)
    for batch in (8, 36):
        x = torch.randn(batch, 63, 64, requires_grad=True)
        h0 = torch.zeros(batch, 64)
        weights = (gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0,
                   gru.bias_hh_l0)
        reference = gru(x, h0[None])[0]
        custom = GRULayer.apply(x, h0, *weights)[0]
        mix = torch.randn_like(reference)
        grads = [torch.autograd.grad((out * mix).sum(), [x, *weights])
                 for out in (reference, custom)]
        error = max((a - b).abs().max().item() for a, b in zip(*grads, strict=True))
        print(f"batch {batch}: outputs differ by "
              f"{(reference - custom).abs().max().item():.1e}, gradients by "
              f"{error:.1e}")
        runs = {"nn.GRU": lambda x=x, h0=h0: gru(x, h0[None])[0],
                "nn.LSTM": lambda x=x: lstm(x)[0],
                "GRULayer": lambda x=x, h0=h0, w=weights: GRULayer.apply(
                    x, h0, *w)[0]}
        for name, fn in runs.items():
            print(f"  {name:9s} {per_batch_ms(fn):6.2f} ms forward+backward")


if __name__ == "__main__":
    main()

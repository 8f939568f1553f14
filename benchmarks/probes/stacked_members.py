"""PROBE, not a library feature: would training an ensemble's members as one
stacked computation make the default classifier's fit cheaper? (issue 25:
"ensemble members trained as one batched computation").

ArrowHead's shape behind the default front end: 63 steps of 64 channels,
GRU of 64 units, three members, batches of 8 and 36, forward + backward,
one thread. Three ways to run the members' GRUs:

* ``separate``: one ``nn.GRU`` call per member (what ``SequenceNet`` does;
  on two idle cores two members run side by side in threads);
* ``block-diagonal``: one ``nn.GRU`` of 3 x 64 units whose weights are the
  members' weights placed block-diagonally, gate by gate
  (``torch.func.functional_call``; gradients flow back to each member's own
  weights, equal to the separate ones within 1e-5);
* ``bmm``: a GRU written with a leading member axis, one ``baddbmm`` per
  step for all members, autograd for the backward.

Measured 2026-12-07 on the idle 2-core machine (ms per batch of 8 / 36):
separate 32.6-35.7 / 41.3-56.1, block-diagonal 23.9 / 52.3, bmm 23.2 /
69.4, one member alone 12.2 / 13.3. Per member and batch of 8 the whole
default network costs 21.7 ms: the front end's convolutions 8.8 ms
(arithmetic, which stacking does not reduce), the GRU 10.3 ms (per-step
dispatch), the rest 2.6 ms. Stacking saves at most a third of the GRU's
share on small batches and loses on larger ones (the block-diagonal
product does nine times the arithmetic; the bmm loop's elementwise steps
grow with the members); on two cores, where two members already train side
by side, the gain would be smaller still. Not pursued: a fit 5-10x faster
needs fewer optimiser steps or a fused GRU kernel, not stacking.

    OMP_NUM_THREADS=1 python -m benchmarks.probes.stacked_members
"""

import time

import torch
from torch.func import functional_call

MEMBERS, FEATURES, HIDDEN, STEPS = 3, 64, 64, 63
GATES = 3


def gate_block_diagonal(weights):
    """Per gate, the members' blocks on the diagonal; gates stacked."""
    H = HIDDEN
    return torch.cat([torch.block_diag(*[w[g * H:(g + 1) * H] for w in weights])
                      for g in range(GATES)])


def gate_concatenated(biases):
    H = HIDDEN
    return torch.cat([torch.cat([b[g * H:(g + 1) * H] for b in biases])
                      for g in range(GATES)])


def block_diagonal_forward(members, fused, inputs):
    params = {
        "weight_ih_l0": gate_block_diagonal([m.weight_ih_l0 for m in members]),
        "weight_hh_l0": gate_block_diagonal([m.weight_hh_l0 for m in members]),
        "bias_ih_l0": gate_concatenated([m.bias_ih_l0 for m in members]),
        "bias_hh_l0": gate_concatenated([m.bias_hh_l0 for m in members]),
    }
    out, _ = functional_call(fused, params, (torch.cat(inputs, dim=2),))
    return out.split(HIDDEN, dim=2)


def stacked_gru(x, w_ih, w_hh, b_ih, b_hh):
    """A GRU over ``x`` ``(M, B, T, F)`` with a leading member axis."""
    M, B, T, _ = x.shape
    H = HIDDEN
    gi = torch.baddbmm(b_ih.unsqueeze(1), x.reshape(M, B * T, -1),
                       w_ih.transpose(1, 2)).view(M, B, T, 3 * H)
    h = x.new_zeros(M, B, H)
    w_hh_t, b_hh = w_hh.transpose(1, 2), b_hh.unsqueeze(1)
    outputs = []
    for t in range(T):
        gh = torch.baddbmm(b_hh, h, w_hh_t)
        g = gi[:, :, t]
        rz = torch.sigmoid(g[..., :2 * H] + gh[..., :2 * H])
        r, z = rz[..., :H], rz[..., H:]
        n = torch.tanh(torch.addcmul(g[..., 2 * H:], r, gh[..., 2 * H:]))
        h = torch.lerp(n, h, z)
        outputs.append(h)
    return torch.stack(outputs, dim=2)


def bmm_forward(members, inputs):
    out = stacked_gru(torch.stack(inputs),
                      *(torch.stack([getattr(m, name) for m in members])
                        for name in ("weight_ih_l0", "weight_hh_l0",
                                     "bias_ih_l0", "bias_hh_l0")))
    return out.unbind(0)


def per_batch_ms(fn, repeats=30):
    for _ in range(3):
        fn().backward()
    start = time.perf_counter()
    for _ in range(repeats):
        fn().backward()
    return (time.perf_counter() - start) / repeats * 1e3


def main():
    torch.manual_seed(0)
    members = [torch.nn.GRU(FEATURES, HIDDEN, batch_first=True)
               for _ in range(MEMBERS)]
    fused = torch.nn.GRU(MEMBERS * FEATURES, MEMBERS * HIDDEN, batch_first=True)
    print(f"torch threads: {torch.get_num_threads()}")
    print("| batch | separate | block-diagonal | bmm | one member |")
    print("|---|---|---|---|---|")
    for batch in (8, 36):
        inputs = [torch.randn(batch, STEPS, FEATURES) for _ in range(MEMBERS)]
        separate = [m(x)[0] for m, x in zip(members, inputs, strict=True)]
        for way in (block_diagonal_forward(members, fused, inputs),
                    bmm_forward(members, inputs)):
            gap = max((a - b).abs().max().item()
                      for a, b in zip(separate, way, strict=True))
            assert gap < 1e-4, gap
        ways = {
            "separate": lambda xs: sum(m(x)[0].sum() for m, x in
                                       zip(members, xs, strict=True)),
            "block-diagonal": lambda xs: sum(
                o.sum() for o in block_diagonal_forward(members, fused, xs)),
            "bmm": lambda xs: sum(o.sum() for o in bmm_forward(members, xs)),
            "one member": lambda xs: members[0](xs[0])[0].sum(),
        }
        times = [per_batch_ms(lambda way=way, xs=inputs: way(xs))
                 for way in ways.values()]
        print(f"| {batch} | " + " | ".join(f"{t:.1f} ms" for t in times) + " |")


if __name__ == "__main__":
    main()

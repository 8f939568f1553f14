"""Probe (issue 25, round 14): what training an ensemble's members as one
computation would save.

An ensemble of three GRU networks trains its members one after the other
(one thread) or in two lanes of threads (``SequenceNet._train_members``).
Stacked into one computation, the three recurrent layers become one GRU of
three times the width whose recurrent weights are block-diagonal (built each
step from the members' weights with ``torch.block_diag``, so each member
still gets exactly its own gradient; checked here against the separate
members' gradients). This times one optimiser step's forward and backward
(the GRU and a linear head per member, cross-entropy) both ways::

    python -m benchmarks.probes.stacked_members --steps 24 --features 3 --threads 1
    python -m benchmarks.probes.stacked_members --steps 63 --features 64 --threads 1

(ItalyPowerDemand's networks read 24 steps of 3 features; ArrowHead's GRU
reads 63 steps of its front end's 64 channels; batches of 8.)
"""

import argparse
import time

import torch
from torch import nn


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--features", type=int, default=3)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=100)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    H, M = args.hidden, args.members
    grus = [nn.GRU(args.features, H, batch_first=True) for _ in range(M)]
    heads = [nn.Linear(H, 2) for _ in range(M)]
    X = torch.randn(args.batch, args.steps, args.features)
    y = torch.randint(0, 2, (args.batch,))
    loss_fn = nn.CrossEntropyLoss()

    def separate():
        for gru, head in zip(grus, heads, strict=True):
            _, state = gru(X)
            loss_fn(head(state[-1]), y).backward()

    def gates(name, k, block):
        rows = slice(k * H, (k + 1) * H)
        parts = [getattr(g, name)[rows] for g in grus]
        return torch.block_diag(*parts) if block else torch.cat(parts)

    def stacked():
        weights = [
            torch.cat([gates("weight_ih_l0", k, False) for k in range(3)]),
            torch.cat([gates("weight_hh_l0", k, True) for k in range(3)]),
            torch.cat([gates("bias_ih_l0", k, False) for k in range(3)]),
            torch.cat([gates("bias_hh_l0", k, False) for k in range(3)]),
        ]
        hx = torch.zeros(1, args.batch, M * H)
        _, state = torch.gru(X, hx, weights, True, 1, 0.0, True, False, True)
        loss = sum(loss_fn(head(h), y) for head, h in
                   zip(heads, state[-1].split(H, dim=1), strict=True))
        loss.backward()

    params = [p for m in grus + heads for p in m.parameters()]

    def gradients(step):
        for p in params:
            p.grad = None
        step()
        return [p.grad.clone() for p in params]

    difference = max((a - b).abs().max().item() for a, b in
                     zip(gradients(separate), gradients(stacked), strict=True))
    print(f"largest gradient difference: {difference:.1e}")
    for name, step in [("separate", separate), ("stacked", stacked)] * 2:
        for _ in range(5):
            step()
        start = time.perf_counter()
        for _ in range(args.repeats):
            step()
        ms = (time.perf_counter() - start) / args.repeats * 1000
        print(f"{name:9s} {ms:6.2f} ms per step")


if __name__ == "__main__":
    main()

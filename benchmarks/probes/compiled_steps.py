"""PROBE, not a library feature: what the compiled training steps save per
batch on the CPU (issue 25, time to accuracy; round 19).

Forward + backward of one batch, one thread, torch's own modules against the
package's compiled loops (``sklearn_rnn/_kernels.py``): a GRU layer
(``nn.GRU`` against ``run_recurrent``) on the forecast and classification
shapes, and the convolutional front end's steps between convolutions
(``BatchNorm1d`` + ReLU + ``max_pool1d(2, ceil_mode=True)`` against
``batch_norm_relu`` + ``max_pool_pairs``) on ArrowHead's and ACSF1's
shapes. The median of five rounds of 200 repetitions after a warm-up; the
compiled loops are loaded (numba's start-up) before any timer.

    OMP_NUM_THREADS=1 python -m benchmarks.probes.compiled_steps
"""

import os
import statistics
import time

import torch
from torch import nn

from sklearn_rnn._compiled import compiled_kernels
from sklearn_rnn._fused_front_end import batch_norm_relu, max_pool_pairs
from sklearn_rnn._fused_gru import run_recurrent

GRU_SHAPES = [  # (batch, steps, hidden): what a default fit trains
    (8, 22, 64),   # a forecaster's windows of a monthly series
    (32, 24, 64),  # ItalyPowerDemand
    (8, 63, 64),   # ArrowHead behind its two front-end blocks
]
FRONT_END_SHAPES = [  # (batch, channels, steps)
    (8, 64, 251),  # ArrowHead's first block
    (8, 64, 126),  # ArrowHead's second block
    (8, 32, 1460),  # ACSF1's first block
]


def median_ms(step, rounds=5, repeats=200):
    for _ in range(20):
        step()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            step()
        times.append((time.perf_counter() - start) / repeats * 1e3)
    return statistics.median(times)


def gru_steps(batch, steps, hidden):
    torch.manual_seed(0)
    gru = nn.GRU(hidden, hidden, batch_first=True)
    X = torch.randn(batch, steps, hidden, requires_grad=True)

    def torchs():
        gru(X)[0].sum().backward()

    def compiled():
        run_recurrent(gru, X)[0].sum().backward()

    return torchs, compiled


def front_end_steps(batch, channels, steps):
    torch.manual_seed(0)
    norm = nn.BatchNorm1d(channels)
    X = torch.randn(batch, channels, steps, requires_grad=True)

    def torchs():
        out = nn.functional.max_pool1d(torch.relu(norm(X)), 2, ceil_mode=True)
        out.sum().backward()

    def compiled():
        max_pool_pairs(batch_norm_relu(norm, X)).sum().backward()

    return torchs, compiled


def main():
    torch.set_num_threads(1)
    assert compiled_kernels() is not None, "numba is needed for this probe"
    print(f"one thread (OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')})")
    print("| forward + backward of one batch | torch | compiled | ratio |")
    print("|---|---|---|---|")
    for label, shapes, make in (
            ("GRU layer, batch x steps x hidden", GRU_SHAPES, gru_steps),
            ("BN + ReLU + max-pool, batch x channels x steps",
             FRONT_END_SHAPES, front_end_steps)):
        for shape in shapes:
            torchs, compiled = make(*shape)
            a, b = median_ms(torchs), median_ms(compiled)
            name = " x ".join(map(str, shape))
            print(f"| {label}: {name} | {a:.2f} ms | {b:.2f} ms | {b / a:.2f}x |")


if __name__ == "__main__":
    main()

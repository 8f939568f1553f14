"""Probe (issue 24): wall time of a default forecast fit by ensemble size.

Short series (below 100 windows) train their networks to the end; with
torch's default threads the members train in lanes side by side
(``SequenceNet``'s member pool), so on two cores three members take two
rounds and two members one. Fits each series' training part with
``RNNRegressor(ensemble_size=k)`` for each ``k``, interleaved, and prints
the wall time of each fit. Run it on an otherwise idle machine::

    python -m benchmarks.probes.ensemble_wall_time [--sizes 3 2 1] [--rounds 2]

``--one-lane`` also times each size with the members one after the other
(the lanes switched off), to see what the lanes save::

    python -m benchmarks.probes.ensemble_wall_time --series souvenirs \
        --sizes 3 --one-lane
"""

import argparse
import time
from contextlib import contextmanager

import torch

from benchmarks import forecast_data as D
from sklearn_rnn import RNNRegressor, make_windows

SERIES = ("austourists", "nile", "wmurders")


@contextmanager
def lanes_off(off):
    """The ensemble members trained one after the other while ``off``."""
    import sklearn_rnn._net as net

    chosen = net._member_lanes
    if off:
        net._member_lanes = lambda *args: 1
    try:
        yield
    finally:
        net._member_lanes = chosen


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3, 2])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--series", nargs="+", default=list(SERIES))
    parser.add_argument("--one-lane", action="store_true",
                        help="also time each fit without the lanes")
    args = parser.parse_args(argv)
    print(f"torch threads: {torch.get_num_threads()}")
    print("| series | windows | members | lanes | fit (s) |\n|---|---|---|---|---|")
    for name in args.series:
        series = D.load(name).series[0]
        X, y = make_windows(series.train, series.window)
        for _ in range(args.rounds):
            for size in args.sizes:
                for off in (False, True) if args.one_lane else (False,):
                    with lanes_off(off):
                        start = time.perf_counter()
                        RNNRegressor(ensemble_size=size, random_state=0).fit(X, y)
                        seconds = time.perf_counter() - start
                    print(f"| {name} | {len(X)} | {size} | "
                          f"{'one' if off else 'auto'} | {seconds:.2f} |",
                          flush=True)


if __name__ == "__main__":
    main()

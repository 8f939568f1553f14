"""PROBE, not a library feature: the benchmark's ``ours_panel`` contender
(``RNNForecaster`` fitted on a whole panel: one global model per strategy)
with another ``strategy`` than the default mean of the recursive and the
direct forecast. Round 17 measured ``'recursive'``, one global model per
panel (``benchmarks/results/round17-panel-forecaster.md``).

Run exactly as ``python -m benchmarks.forecast`` after the strategy::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.panel_strategy recursive \\
        --only-ours --contenders ours_panel --config r17-panel-recursive \\
        --seeds 0 1 2 --datasets macrodata uschange --no-docs --results F
"""

import functools
import sys

from benchmarks import forecast as F
from sklearn_rnn import RNNForecaster


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    strategy, rest = argv[0], argv[1:]
    F.RNNForecaster = functools.partial(RNNForecaster, strategy=strategy)
    return F.main(rest)


if __name__ == "__main__":
    sys.exit(main())

"""Probe (issue 24, round 14): windows of a series validated on a tail of at
least 30 windows (at most 30 %), as a regression on rows is since round 9,
instead of a tenth of the windows.

The windows that stop early (100 windows and more) validate on their last
tenth: 10-30 windows for the series of 100-300 windows (sunspotarea 12,
heartrate 13, pbs 16, uschange 17, macrodata 18, prices up to 18), where a
tail of noisy windows picks the kept epoch by chance (round 9 measured
that on rows). This patches ``_plan.choose_validation_fraction`` to the
rows' rule for every fit and runs the forecast benchmark with the same
arguments::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.window_tail_rows \\
        --only-ours --contenders ours ours_direct --config r14-tail30 \\
        --seeds 0 1 2 --datasets ... --no-docs --results FILE
"""

import sys

from benchmarks import forecast as F
from sklearn_rnn import _plan

_rows_rule = _plan.choose_validation_fraction


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)

    def choose_validation_fraction(validation_fraction, regression_on_rows,
                                   n_samples):
        # The forecast benchmark fits regressors on windows only: the rows'
        # rule for them too.
        return _rows_rule(validation_fraction, True, n_samples)

    _plan.choose_validation_fraction = choose_validation_fraction
    return F.main(argv)


if __name__ == "__main__":
    sys.exit(main())

"""Probe (issue 24): the RNN forecasts the log of a positive series.

A positive series whose seasonal swings grow with its level (airline
passengers, tourist arrivals, souvenir sales) has additive seasonality in
logs; fpp3 and statsforecast's users take logs (or Box-Cox) before a
linear or ETS model. Here every series whose training part is strictly
positive is replaced by ``log(train)``, the RNN is fitted and forecasts it
with the benchmark's own recipe (``make_windows`` on the training part,
``recursive_forecast`` or a direct model), and the forecast is mapped back
with ``exp`` (the median forecast, not the mean: MASE scores a point
forecast, and the back-transformed mean needs the forecast's variance).
Series with a zero or negative value are forecast as by the benchmark
itself, so the rows cover the whole list and compare one to one.

Run exactly as ``python -m benchmarks.forecast`` (same arguments, only the
RNN contenders ``ours`` and ``ours_direct`` change)::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.log_transform \\
        --only-ours --contenders ours ours_direct --config log --seeds 0 \\
        --datasets ... --no-docs --results FILE

Each row records ``logged`` (whether the series was transformed).
"""

import sys

import numpy as np

from benchmarks import forecast as F


def _run_logged(runner, series, train, h, seed, overrides):
    """The benchmark's own ``runner`` on ``log(train)``, its forecast mapped
    back with ``exp``; on ``train`` itself where a value is not positive."""
    values = np.asarray(train, dtype=np.float64)
    if not np.all(values > 0):
        seconds, forecast, extra = runner(series, train, h, seed, overrides)
        return seconds, forecast, {**extra, "logged": False}
    seconds, log_forecast, extra = runner(series, np.log(values), h, seed,
                                          overrides)
    return seconds, np.exp(np.asarray(log_forecast, dtype=np.float64)), {
        **extra, "logged": True}


def main(argv=None):
    return F.main_with_wrapped_runners(_run_logged, argv)


if __name__ == "__main__":
    sys.exit(main())

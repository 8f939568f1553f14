"""Probe (issue 24): the RNN forecasts the seasonal difference of a series.

The target becomes the change over the seasonal naive forecast (as ES-RNN's
residual over its seasonal model): the series ``y`` is replaced by
``d[t] = y[t] - y[t - m]`` (``m`` the season length), the RNN is fitted and
forecasts ``d`` with the benchmark's own recipe (``make_windows`` on the
training part, ``recursive_forecast`` or a direct model), and the forecast
of ``y`` is rebuilt step by step: ``yhat[t] = y_or_yhat[t - m] + dhat[t]``.
Series without a season (m = 1) or too short for windows of the differenced
training part (fewer than ``MIN_WINDOWS`` of them) are forecast as by the
benchmark itself, so the rows cover the whole list and compare one to one.

Run exactly as ``python -m benchmarks.forecast`` (same arguments, only the
RNN contenders ``ours`` and ``ours_direct`` change)::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.seasonal_difference \\
        --only-ours --contenders ours ours_direct --config sdiff --seeds 0 \\
        --datasets ... --no-docs --results FILE

Each row records ``differenced`` (whether the series was differenced) and
``seasonal_strength`` (see :func:`seasonal_strength`; the round-8 gate was
applied to the rows afterwards).
"""

import sys

import numpy as np

from benchmarks import forecast as F

# Differenced training windows below which the series is left as it is.
MIN_WINDOWS = 10


def seasonal_strength(train, season):
    """fpp3's seasonal strength of the training part, in [0, 1]:
    ``max(0, 1 - var(remainder) / var(season + remainder))`` of a robust STL
    decomposition (fpp3 differences seasonally above 0.64). None when the
    part holds fewer than two seasons and a value."""
    from statsmodels.tsa.seasonal import STL

    train = np.asarray(train, dtype=np.float64)
    if season <= 1 or len(train) < 2 * season + 1:
        return None
    parts = STL(train, period=season, robust=True).fit()
    remainder = np.var(parts.resid)
    return max(0.0, 1.0 - remainder / np.var(parts.resid + parts.seasonal))


def seasonal_difference(train, season):
    return train[season:] - train[:-season]


def undifference(train, differences, season):
    """``y`` from its forecast seasonal differences, step by step."""
    values = list(train)
    for d in differences:
        values.append(values[-season] + d)
    return np.asarray(values[len(train):])


def _differenced(series, train, h):
    m = series.season
    if m <= 1:
        return None
    d = seasonal_difference(np.asarray(train, dtype=np.float64), m)
    if len(d) - series.window - h + 1 < MIN_WINDOWS:
        return None
    return d


def _run_differenced(runner, series, train, h, seed, overrides):
    """The benchmark's own ``runner`` on the seasonal differences of
    ``train``, its forecast rebuilt in levels; on ``train`` itself where
    the series is not differenced."""
    d = _differenced(series, train, h)
    if d is None:
        seconds, forecast, extra = runner(series, train, h, seed, overrides)
        return seconds, forecast, {**extra, "differenced": False}
    seconds, dhat, extra = runner(series, d, h, seed, overrides)
    forecast = undifference(train, dhat, series.season)
    return seconds, forecast, {
        **extra, "differenced": True,
        "seasonal_strength": seasonal_strength(train, series.season)}


def main(argv=None):
    return F.main_with_wrapped_runners(_run_differenced, argv)


if __name__ == "__main__":
    sys.exit(main())

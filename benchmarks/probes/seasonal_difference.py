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

from benchmarks import _suite as S
from benchmarks import forecast as F
from sklearn_rnn import RNNRegressor, make_windows, recursive_forecast

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


def run_ours(series, train, h, seed, overrides):
    d = _differenced(series, train, h)
    if d is None:
        seconds, forecast, extra = F.run_ours(series, train, h, seed, overrides)
        return seconds, forecast, {**extra, "differenced": False}
    strength = seasonal_strength(train, series.season)
    X, y = make_windows(d, series.window)
    est = RNNRegressor(**S.estimator_params(RNNRegressor, overrides, seed))
    seconds, _ = S.timed(est.fit, X, y)
    dhat = recursive_forecast(est, d[-series.window:], h)
    forecast = undifference(train, dhat, series.season)
    return seconds, forecast, {"epochs": est.n_iter_, "differenced": True,
                               "seasonal_strength": strength}


def run_ours_direct(series, train, h, seed, overrides):
    d = _differenced(series, train, h)
    if d is None:
        seconds, forecast, extra = F.run_ours_direct(series, train, h, seed,
                                                     overrides)
        return seconds, forecast, {**extra, "differenced": False}
    strength = seasonal_strength(train, series.season)
    X, Y = make_windows(d, series.window, horizon=h)
    est = RNNRegressor(**S.estimator_params(RNNRegressor, overrides, seed))
    seconds, _ = S.timed(est.fit, X, Y)
    dhat = est.predict(d[-series.window:][None, :])[0]
    forecast = undifference(train, dhat, series.season)
    return seconds, forecast, {"epochs": est.n_iter_, "differenced": True,
                               "seasonal_strength": strength}


def main(argv=None):
    F.RUNNERS["ours"] = run_ours
    F.RUNNERS["ours_direct"] = run_ours_direct
    return F.main(argv)


if __name__ == "__main__":
    sys.exit(main())

"""Scores of windows of a series, read before any network is built.

How well a linear model predicts the next value: the 'auto' weight decay
(``alpha='auto'``, see :func:`sklearn_rnn._plan.choose_alpha`) asks this.
On short series (and the stacked series of a global model) that a linear
model of the windows cannot predict better than "no change", networks fit
noise, and a penalty that pulls them toward the naive forecast helps; on
series with a strong pattern the same penalty erases the pattern.

How seasonal the windows are: the 'auto' centre of the instance
normalisation (``instance_norm_center='auto'``, see
:func:`sklearn_rnn._plan.choose_instance_norm_center`) asks this. A window
that spans a season or more of a strongly seasonal series is better
centred on its mean than on its last value, a point somewhere in the
season.

How large and how steady the windows' one-step changes are: the 'auto'
scale of the instance normalisation (``instance_norm_scale='auto'``, see
:func:`sklearn_rnn._plan.choose_instance_norm_scale`) asks this. Windows of
a series whose changes go both ways are divided by one scale for the whole
series, the mean absolute one-step change; windows of a steady trend (whose
steps grow with the level) by their own spread.
"""

import math

import numpy as np
from sklearn.linear_model import RidgeCV

from ._utils import spread_indices

# RidgeCV's grid: the gate asks whether any linear model beats "no change",
# so it searches widely (leave-one-out, exact and cheap for these sizes).
RIDGE_ALPHAS = np.logspace(-3, 3, 13)
# The linear model is fitted on the first FIT_THIRDS thirds of each series'
# windows and scored on the rest (the most recent), as a forecast is.
FIT_THIRDS = 2
# The most windows the score reads (the most recent of each series): RidgeCV
# on this many takes milliseconds, and more would only refine the estimate.
MAX_ROWS = 10_000
# The seasonality score compares every lag of a window with every window:
# rows x steps^2 differences. At most this many are read (the most recent
# windows; at least three): windows of 100 steps read up to 2,000 windows
# (0.1 s), windows of 1,000 steps 20 (tens of milliseconds), each holding the
# whole window's lags.
SEASONALITY_BUDGET = 20_000_000


def normalised_windows(values, first_targets, windows):
    """The windows as instance normalisation centred on the last value reads
    them: the change from each window's last value over its spread, inputs
    and next value alike (a flat window is left unscaled)."""
    past = np.asarray(values[:, :windows.step + 1, windows.feature],
                      dtype=np.float64)
    target = (first_targets - windows.offset) / windows.scale
    last = past[:, -1]
    spread = past.std(axis=1)
    spread = np.where(spread > 0, spread, 1.0)
    return (past - last[:, None]) / spread[:, None], (target - last) / spread


def recent_spans(series_starts, n_samples, max_rows=MAX_ROWS):
    """``[(start, stop)]``: the rows of each series of at least three
    windows, its most recent ``max_rows // n_series`` (at least three) when
    all would be more than ``max_rows``, and an evenly spaced choice of
    series when even three of each would be."""
    bounds = [*series_starts, n_samples]
    spans = [(start, stop) for start, stop in zip(bounds[:-1], bounds[1:],
                                                  strict=True)
             if stop - start >= 3]
    if not spans or sum(stop - start for start, stop in spans) <= max_rows:
        return spans
    per_series = max(3, max_rows // len(spans))
    spans = [(max(start, stop - per_series), stop) for start, stop in spans]
    if 3 * len(spans) > max_rows:
        chosen = spread_indices(len(spans), max_rows // 3)
        spans = [spans[i] for i in chosen]
    return spans


def window_predictability(values, y, windows):
    """Squared error of a linear model of the normalised windows on each
    series' most recent windows, as a share of the naive forecast's.

    RidgeCV is fitted on the first two thirds of each series' windows and
    scored on the last third. Near 0: the windows predict the next value
    well (a strong season or trend); near 1 or above: no better than "no
    change" (noise, a random walk). At most ``MAX_ROWS`` windows are read
    (the most recent of each series).

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_timesteps, n_features)
        The training windows.
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Their targets; the first column continues the series.
    windows : SeriesWindows
        What :func:`~sklearn_rnn._window.find_continued_feature` found.

    Returns
    -------
    share : float or None
        None when no series has the three windows a split needs; ``inf``
        when every scored window is followed by its own last value (the
        naive forecast is exact).
    """
    spans = recent_spans(windows.series_starts, len(values))
    if not spans:
        return None
    fit_rows, scored_rows = [], []
    for start, stop in spans:
        cut = start + max(2, (FIT_THIRDS * (stop - start)) // 3)
        fit_rows.append(np.arange(start, cut))
        scored_rows.append(np.arange(cut, stop))
    fit_rows, scored_rows = np.concatenate(fit_rows), np.concatenate(scored_rows)
    first = np.asarray(y, dtype=np.float64).reshape(len(values), -1)[:, 0]

    def rows(index):
        return normalised_windows(values[index], first[index], windows)

    model = RidgeCV(alphas=RIDGE_ALPHAS).fit(*rows(fit_rows))
    X, target = rows(scored_rows)
    linear = np.mean((model.predict(X) - target) ** 2)
    naive = np.mean(target ** 2)
    return float(linear / naive) if naive > 0 else float("inf")


def window_seasonality(values, windows):
    """How much smaller a change over a season is than a change over one
    step, within the windows: the smallest mean absolute change over ``m``
    steps (``2 <= m`` < the window's length) over the mean absolute change
    over one step, on the continued feature's steps up to the next target.

    Near 0: the values repeat after ``m`` steps far more closely than they
    follow each other (a strong season of ``m`` steps, which the window
    spans); 1 or more: no lag within the window repeats the series better
    than the last step does (noise, a random walk, a trend, a smooth cycle
    longer than the window). At most ``MAX_ROWS`` windows are read (the
    most recent of each series), fewer for long windows (at most
    ``SEASONALITY_BUDGET`` differences in all).

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_timesteps, n_features)
        The training windows.
    windows : SeriesWindows
        What :func:`~sklearn_rnn._window.find_continued_feature` found.

    Returns
    -------
    ratio : float or None
        None for windows of fewer than three steps, when no series has
        three windows, or when the windows are flat.
    """
    width = windows.step + 1
    if width < 3:
        return None
    spans = recent_spans(windows.series_starts, len(values),
                         max(3, min(MAX_ROWS, SEASONALITY_BUDGET // width ** 2)))
    if not spans:
        return None
    rows = np.concatenate([np.arange(start, stop) for start, stop in spans])
    past = np.asarray(values[rows, :windows.step + 1, windows.feature],
                      dtype=np.float64)
    one_step = np.mean(np.abs(np.diff(past, axis=1)))
    if not one_step > 0:
        return None
    return float(min(np.mean(np.abs(past[:, m:] - past[:, :-m]))
                     for m in range(2, past.shape[1])) / one_step)


def latest_changes(values, y, windows):
    """The one-step changes from the last window's last value through its
    targets (in the feature's units): the steps after the last window, which
    a direct forecast's windows (their targets a horizon ahead) do not hold
    and a forecast starts from. None for anything but one series' windows."""
    if windows is None or windows.n_series != 1 or windows.scale == 0:
        return None
    targets = np.asarray(y, dtype=np.float64).reshape(len(values), -1)[-1]
    last = float(values[-1, windows.step, windows.feature])
    return np.diff(np.r_[last, (targets - windows.offset) / windows.scale])


def step_changes(values, lengths, feature, steps=None, latest=None):
    """The mean absolute one-step change of ``feature`` and how much of it
    is a steady trend (the absolute mean change over the mean absolute
    change), read from the **last** change of each sequence: between its
    last two valid steps among the first ``steps``.

    Windows of a series one step apart each end one step further on, so
    their last changes are the series' one-step changes, each counted once
    (windows made several steps apart sample them); every change within
    every window would count a window's middle steps many times and its
    ends few. The trend share is near 0 for changes that go both ways
    (noise, a season, a random walk, a cycle) and near 1 for a series that
    moves the same way at every step (a steady trend, whose steps grow with
    its level when it grows exponentially); the growth says whether the
    usual step of the recent windows is that of the early ones. At most
    ``MAX_ROWS`` sequences are read (the last ones: a series' most recent
    windows).

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_timesteps, n_features)
        The training sequences.
    lengths : ndarray of shape (n_samples,) or None
        Their valid steps (None: all).
    feature : int
        The feature read.
    steps : int or None
        The steps read from each sequence's start (None: all); the
        instance normalisation's steps (later steps are known-future
        covariates).
    latest : ndarray or None
        Changes after the last sequence (:func:`latest_changes`), counted in
        the growth only: the last third then reaches the series' end.

    Returns
    -------
    (scale, trend, growth) : tuple of float, or None
        ``growth``: the mean absolute change over the last third of the
        sequences (a series' most recent windows) over that of the first
        third (inf when the first third does not change). None when no
        sequence has two steps, when no last step changes, or for a feature
        ``values`` does not have.
    """
    n_samples, n_timesteps, n_features = values.shape
    if not 0 <= feature < n_features:
        return None  # refused with a clear message by the plan's checks
    width = n_timesteps if steps is None else min(int(steps), n_timesteps)
    rows = np.arange(max(0, n_samples - MAX_ROWS), n_samples)
    last = np.full(len(rows), width - 1)
    if lengths is not None:
        last = np.minimum(np.asarray(lengths)[rows], width) - 1
    rows, last = rows[last >= 1], last[last >= 1]
    if len(rows) == 0:
        return None
    changes = (np.asarray(values[rows, last, feature], dtype=np.float64)
               - np.asarray(values[rows, last - 1, feature], dtype=np.float64))
    scale = float(np.mean(np.abs(changes)))
    if not (scale > 0 and np.isfinite(scale)):
        return None
    # Windows of a series come in time order: the last third's usual step
    # over the first third's.
    ordered = changes if latest is None else np.r_[changes, latest]
    third = max(1, len(ordered) // 3)
    early = float(np.mean(np.abs(ordered[:third])))
    late = float(np.mean(np.abs(ordered[-third:])))
    growth = late / early if early > 0 else math.inf
    return scale, float(abs(np.mean(changes)) / scale), growth

"""How well a linear model predicts the next value of windows of a series.

The 'auto' weight decay (``alpha='auto'``, see
:func:`sklearn_rnn._plan.choose_alpha`) asks this before any network is
built: on short series that a linear model of the windows cannot predict
better than "no change", networks trained to the end fit noise, and a
penalty that pulls them toward the naive forecast helps; on short series
with a strong pattern the same penalty erases the pattern.
"""

import numpy as np
from sklearn.linear_model import RidgeCV

# RidgeCV's grid: the gate asks whether any linear model beats "no change",
# so it searches widely (leave-one-out, exact and cheap for these sizes).
RIDGE_ALPHAS = np.logspace(-3, 3, 13)
# The linear model is fitted on the first FIT_THIRDS thirds of each series'
# windows and scored on the rest (the most recent), as a forecast is.
FIT_THIRDS = 2


def normalised_windows(values, y, windows):
    """The windows as instance normalisation centred on the last value reads
    them: the change from each window's last value over its spread, inputs
    and next value alike (a flat window is left unscaled)."""
    past = np.asarray(values[:, :windows.step + 1, windows.feature],
                      dtype=np.float64)
    first = np.asarray(y, dtype=np.float64).reshape(len(values), -1)[:, 0]
    target = (first - windows.offset) / windows.scale
    last = past[:, -1]
    spread = past.std(axis=1)
    spread = np.where(spread > 0, spread, 1.0)
    return (past - last[:, None]) / spread[:, None], (target - last) / spread


def window_predictability(values, y, windows):
    """Squared error of a linear model of the normalised windows on each
    series' most recent windows, as a share of the naive forecast's.

    RidgeCV is fitted on the first two thirds of each series' windows and
    scored on the last third. Near 0: the windows predict the next value
    well (a strong season or trend); near 1 or above: no better than "no
    change" (noise, a random walk).

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
    X, target = normalised_windows(values, y, windows)
    bounds = [*windows.series_starts, len(values)]
    fit_rows, scored_rows = [], []
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        if stop - start < 3:
            continue
        cut = start + max(2, (FIT_THIRDS * (stop - start)) // 3)
        fit_rows.append(np.arange(start, cut))
        scored_rows.append(np.arange(cut, stop))
    if not fit_rows:
        return None
    fit_rows, scored_rows = np.concatenate(fit_rows), np.concatenate(scored_rows)
    model = RidgeCV(alphas=RIDGE_ALPHAS).fit(X[fit_rows], target[fit_rows])
    linear = np.mean((model.predict(X[scored_rows]) - target[scored_rows]) ** 2)
    naive = np.mean(target[scored_rows] ** 2)
    return float(linear / naive) if naive > 0 else float("inf")

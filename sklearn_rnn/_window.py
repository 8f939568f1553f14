"""Sliding windows over a series: a Pipeline transformer and the supervised framing.

Both are built on :func:`numpy.lib.stride_tricks.sliding_window_view`, so a
window array of ``n * window_size * n_features`` values costs the memory of
the series, not ``window_size`` times more. The windows are read-only views:
they overlap, so writing into one row would silently change its neighbours.
"""

from numbers import Integral, Real

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._compat import Interval, StrOptions, _get_output_config, validate_params
from ._utils import spread_indices

__all__ = ["SlidingWindowTransformer", "make_windows"]

_FLOAT_DTYPES = (np.float64, np.float32)


class SlidingWindowTransformer(TransformerMixin, BaseEstimator):
    """Turn the rows of a time series into overlapping windows of past rows.

    Row ``i`` of the output is the window of input rows
    ``i - window_size + 1, ..., i`` (oldest first): the number of rows never
    changes, so a target ``y`` aligned with the input rows stays aligned
    inside a :class:`~sklearn.pipeline.Pipeline`. The first
    ``window_size - 1`` rows have no full history and are padded (see
    ``padding``).

    The output feeds :class:`RNNRegressor` / :class:`RNNClassifier` directly:
    ``(n_rows, window_size, n_features)``. With ``flatten=True`` it is 2-D,
    with named features, for any tabular model (Ridge, gradient boosting) to
    be compared on the very same windows.

    No window is copied: the output is a read-only view of one padded copy of
    the input (``n_rows + window_size - 1`` rows), so windowing a million rows
    takes milliseconds and the memory of the series. Use ``.copy()`` to get a
    writeable array.

    Parameters
    ----------
    window_size : int, default=10
        Rows per window (the look-back, in time steps). There is no universal
        default: tune it, e.g. in a grid search with
        :class:`~sklearn.model_selection.TimeSeriesSplit`. At least
        ``window_size`` rows are needed to fit and to transform.
    flatten : bool, default=False
        Return 2-D windows ``(n_rows, window_size * n_features)``, laid out
        time-major: all features of the oldest step, then of the next one,
        etc. Their names are ``"<feature>_t-<lag>"``, e.g. ``x0_t-2, x0_t-1,
        x0_t0`` for one unnamed feature and a window of 3 (``t0`` is the
        current row); DataFrame input gives its column names instead of
        ``x0``. Required for ``set_output(transform="pandas")``.
    padding : {'edge', 'constant'}, default='edge'
        What fills the missing history of the first ``window_size - 1`` rows.

        - ``'edge'``: repeat the first row, as if the series had been
          constant before it started. No artificial jump enters the window,
          so a model sees a plausible (flat) history.
        - ``'constant'``: ``fill_value`` (0 by default). After a
          ``StandardScaler``, 0 is the mean of the series: a neutral value
          for a neural network. On raw data it can be a large jump that a
          model may read as a real event. ``fill_value=np.nan`` marks the
          missing history explicitly for models that handle missing values
          (``HistGradientBoostingRegressor``); neural networks cannot take
          NaN.

        Mirroring the start of the series ('reflect') is not offered: it
        would put future rows into the windows of early rows. To drop the
        padded rows altogether, frame the series with :func:`make_windows`.
    fill_value : float, default=0.0
        Padding value for ``padding='constant'``; ignored otherwise.

    Attributes
    ----------
    n_features_in_ : int
        Number of features (columns) of the series seen in :meth:`fit`
        (1 for a 1-D series).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame (or the name of a pandas Series) seen in
        :meth:`fit`.

    See Also
    --------
    make_windows : Supervised ``(X, y)`` framing of a series, without padded
        rows, for multi-step horizons.
    recursive_forecast : Multi-step forecast by feeding predictions back.

    Notes
    -----
    Each call to :meth:`transform` windows only the rows it is given. Inside
    a pipeline evaluated with :class:`~sklearn.model_selection.TimeSeriesSplit`,
    the first ``window_size - 1`` rows of each test fold are therefore padded
    instead of seeing the end of the training fold: keep test folds much
    longer than the window.

    A 1-D array is a univariate series (one feature), not one row: this is
    the one place where the estimator checks of scikit-learn's 1-D rule do
    not hold.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import SlidingWindowTransformer
    >>> series = np.arange(5.0)
    >>> SlidingWindowTransformer(3).fit_transform(series)[:, :, 0]
    array([[0., 0., 0.],
           [0., 0., 1.],
           [0., 1., 2.],
           [1., 2., 3.],
           [2., 3., 4.]])
    >>> windows = SlidingWindowTransformer(3, flatten=True).fit(series)
    >>> windows.get_feature_names_out().tolist()
    ['x0_t-2', 'x0_t-1', 'x0_t0']

    Forecasting the next value of a series inside a pipeline:

    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.pipeline import make_pipeline
    >>> t = np.arange(200)
    >>> series = np.sin(2 * np.pi * t / 20)
    >>> model = make_pipeline(SlidingWindowTransformer(4, flatten=True), Ridge())
    >>> model.fit(series[:-1], series[1:]).score(series[:-1], series[1:]) > 0.99
    True
    """

    _parameter_constraints: dict = {
        "window_size": [Interval(Integral, 1, None, closed="left")],
        "flatten": ["boolean"],
        "padding": [StrOptions({"edge", "constant"})],
        "fill_value": [Real],
    }

    def __init__(self, window_size=10, *, flatten=False, padding="edge",
                 fill_value=0.0):
        self.window_size = window_size
        self.flatten = flatten
        self.padding = padding
        self.fill_value = fill_value

    def fit(self, X, y=None):
        """Check the series and record its features.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features) or (n_rows,)
            The series, oldest row first; a 1-D array or a pandas Series is
            one feature.
        y : None
            Ignored.

        Returns
        -------
        self : SlidingWindowTransformer
            The fitted transformer.
        """
        self._validate_params()
        self._check_series(X, reset=True)
        return self

    def transform(self, X):
        """Window the rows of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features) or (n_rows,)
            The series, with the features seen in :meth:`fit`.

        Returns
        -------
        windows : ndarray of shape (n_rows, window_size, n_features), or \
(n_rows, window_size * n_features) with ``flatten=True``
            Read-only view; row ``i`` holds input rows
            ``i - window_size + 1 .. i``.
        """
        check_is_fitted(self)
        if not self.flatten and _get_output_config("transform", self)["dense"] != (
            "default"
        ):
            raise ValueError(
                "SlidingWindowTransformer(flatten=False) returns 3-D windows, "
                "which cannot be a DataFrame; use flatten=True with "
                "set_output(transform='pandas'), or the default output."
            )
        values = self._check_series(X, reset=False)
        windows = _padded_windows(
            values, self.window_size, self.padding, self.fill_value
        )
        if self.flatten:
            # (n, T, F) with row-contiguous features reshapes without a copy.
            windows = windows.reshape(windows.shape[0], -1)
        return windows

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; by default ``feature_names_in_``, or
            ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            With ``flatten=True``, ``"<feature>_t-<lag>"`` for every step and
            feature, time-major (the column order of :meth:`transform`).
            Otherwise the feature names of the last axis of the 3-D output,
            which are the input features.
        """
        check_is_fitted(self, "n_features_in_")
        names = _check_feature_names_in(self, input_features)
        if not self.flatten:
            return names
        lags = range(self.window_size - 1, -1, -1)
        return np.asarray(
            [f"{name}_t{-lag if lag else 0}" for lag in lags for name in names],
            dtype=object,
        )

    def _check_series(self, X, *, reset):
        if getattr(X, "ndim", None) == 1 and hasattr(X, "to_frame"):
            # A pandas/polars Series is one named column.
            X = X.to_frame()
        if not hasattr(X, "ndim"):
            X = _as_array(X)
        ndim = X.ndim
        if ndim >= 3:
            raise ValueError(
                f"SlidingWindowTransformer expects a series of shape (n_rows, "
                f"n_features) or (n_rows,); got a {ndim}-D array. Input that is "
                "already windowed goes to the RNN estimators directly."
            )
        if ndim == 1:
            if not reset and self.n_features_in_ != 1:
                raise ValueError(
                    f"X is 1-D, read as a univariate series, but "
                    f"SlidingWindowTransformer was fitted on "
                    f"{self.n_features_in_} features per row. Reshape your data "
                    "with X.reshape(1, -1) if it is a single row."
                )
            values = check_array(
                X, ensure_2d=False, dtype=_FLOAT_DTYPES, input_name="X"
            )[:, None]
            values = validate_data(self, values, reset=reset, skip_check_array=True)
        else:
            values = validate_data(self, X, reset=reset, dtype=_FLOAT_DTYPES)
        n_rows = values.shape[0]
        if n_rows < self.window_size:
            raise ValueError(
                f"window_size={self.window_size} is larger than the series: X "
                f"has {n_rows} sample{'' if n_rows == 1 else 's'} (rows). Every "
                "window would be mostly padding; pass at least window_size rows "
                "(include the history preceding the rows to predict)."
            )
        return values

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _padded_windows(values, window_size, padding, fill_value):
    """Windows ``(n, window_size, n_features)`` as a read-only view.

    The only copy is the padded series, ``n + window_size - 1`` rows. It is
    C-ordered whatever the input's layout, so the features of a step are
    contiguous and the windows also flatten without a copy.
    """
    n_rows, n_features = values.shape
    if window_size == 1:
        windows = values[:, None, :]
    else:
        padded = np.empty((n_rows + window_size - 1, n_features), dtype=values.dtype)
        padded[: window_size - 1] = values[0] if padding == "edge" else fill_value
        padded[window_size - 1 :] = values
        windows = sliding_window_view(padded, window_size, axis=0)
        windows = windows.transpose(0, 2, 1)
    windows = windows.view()
    windows.flags.writeable = False
    return windows


@validate_params(
    {
        "series": ["array-like"],
        "window_size": [Interval(Integral, 1, None, closed="left")],
        "horizon": [Interval(Integral, 1, None, closed="left")],
        "step": [Interval(Integral, 1, None, closed="left")],
        "target": [Integral, str, None],
        "return_sequences": ["boolean"],
        "future_covariates": ["array-like", None],
        "return_series_id": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_windows(series, window_size, horizon=1, step=1, *, target=None,
                 return_sequences=False, future_covariates=None,
                 return_series_id=False):
    """Frame series as a supervised problem: windows of the past -> the future.

    Window ``i`` holds ``window_size`` consecutive values, and its target
    the ``horizon`` values that follow it (the tutorials' ``create_dataset``).
    Only complete windows are made, so there is no padding; the windows are
    aligned on the end of the series: the last target is the last value.

    Given a list of series (stores, sensors, ...), the windows of every
    series are stacked for one *global* model; no window spans two series.

    Parameters
    ----------
    series : array-like of shape (n_values,) or (n_values, n_features), or \
list of them
        The series, oldest value first. A DataFrame or 2-D array is a
        multivariate series: ``X`` keeps all its features and ``y`` comes
        from the ``target`` column. NaN is rejected: interpolate gaps first.

        A list or tuple is **many series** as soon as its items are
        sequences themselves (numpy arrays, lists, pandas Series or
        DataFrames), whatever their lengths, equal or not; a list of numbers
        is one series. Whether the lengths happen to be equal never changes
        the meaning: a multivariate series is an array or DataFrame, not a
        list of rows (``np.asarray`` a list of rows first). The series may
        have different lengths, but all the same number of dimensions and
        features.
    window_size : int
        Time steps per window (the look-back).
    horizon : int, default=1
        Number of future values to predict.
    step : int, default=1
        Distance between the starts of consecutive windows of a series. With
        ``step > 1`` up to ``step - 1`` of the oldest values are left out,
        never the most recent ones.
    target : int or str, default=None
        The column of a multivariate series to predict: an index, or a
        DataFrame column name. Required when the series has more than one
        column; must be None for a 1-D series.
    return_sequences : bool, default=False
        Targets for one output per time step, as
        ``RNNRegressor(return_sequences=True)`` learns them: ``y[i, t]`` is
        (are) the ``horizon`` value(s) following step ``t`` of window ``i`` —
        the window shifted by one step for ``horizon=1``.
    future_covariates : array-like of shape (n_values, n_covariates) or \
(n_values,), or list of them, default=None
        Covariates known in advance over the horizon (calendar features,
        planned prices, holidays), one row per value of ``series`` (a list
        of them for a list of series). Each window then gets ``horizon``
        extra time steps that carry the covariates of the steps to predict;
        the series' values there are 0 and a last feature, 1 on those steps
        and 0 on the past ones, tells them apart. Per time step the features
        are: the series' columns, the covariates, the flag (see Returns). A
        direct recurrent model reads the past, then the known future, and
        predicts the ``horizon`` targets; no value after the window enters
        ``X``. Not with ``return_sequences``.
    return_series_id : bool, default=False
        Also return the index of the series each window comes from, e.g. as
        ``groups`` for :class:`~sklearn.model_selection.GroupKFold` or to
        score each series apart (all 0 for a single series).

    Returns
    -------
    X : ndarray of shape (n_windows, window_size) or \
(n_windows, window_size, n_features)
        The windows: 2-D for a 1-D series, 3-D for a 2-D one (also with a
        single column). For one series, a read-only view of the (float)
        series, which costs no memory; for a list of series, a new array
        with the windows of every series, one after the other. With
        ``future_covariates``: a new array of shape
        ``(n_windows, window_size + horizon, n_features + n_covariates + 1)``.
    y : ndarray
        ``(n_windows,)`` for ``horizon=1``, else ``(n_windows, horizon)``.
        With ``return_sequences=True``: ``(n_windows, window_size)`` for
        ``horizon=1``, else ``(n_windows, window_size, horizon)``.
        Read-only view for one series.
    series_id : ndarray of shape (n_windows,), int
        Only with ``return_series_id=True``: the position, in the list, of
        the series of each window.

    Raises
    ------
    ValueError
        If a series is shorter than ``window_size + horizon`` or contains
        NaN or infinity, if the series of a list differ in dimensions or
        features, or if ``future_covariates`` does not match the series in
        length; the message names the series and the position.

    See Also
    --------
    SlidingWindowTransformer : Windows that keep the row count, for
        pipelines.
    recursive_forecast : Feed predictions back for longer horizons, for one
        series or many at once.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import make_windows
    >>> X, y = make_windows(np.arange(6.0), window_size=3)
    >>> X
    array([[0., 1., 2.],
           [1., 2., 3.],
           [2., 3., 4.]])
    >>> y
    array([3., 4., 5.])
    >>> X, y = make_windows(np.arange(6.0), window_size=3, horizon=2)
    >>> X.shape, y.tolist()
    ((2, 3), [[3.0, 4.0], [4.0, 5.0]])

    A multivariate series with a chosen target column:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"temp": np.arange(6.0), "load": np.arange(6.0) * 10})
    >>> X, y = make_windows(df, window_size=4, target="load")
    >>> X.shape, y.tolist()
    ((2, 4, 2), [40.0, 50.0])

    Many series of different lengths, for one global model:

    >>> X, y, series_id = make_windows(
    ...     [np.arange(5.0), np.arange(100.0, 104.0)], window_size=3,
    ...     return_series_id=True,
    ... )
    >>> y.tolist(), series_id.tolist()
    ([3.0, 4.0, 103.0], [0, 0, 1])

    Covariates known over the horizon (here a day-of-week feature) become
    extra time steps after the window, flagged by the last feature:

    >>> day = np.arange(6.0) % 7
    >>> X, y = make_windows(np.arange(6.0) * 10, window_size=3, horizon=2,
    ...                     future_covariates=day)
    >>> X.shape
    (2, 5, 3)
    >>> X[0]                          # value, day, is-future flag
    array([[ 0.,  0.,  0.],
           [10.,  1.,  0.],
           [20.,  2.,  0.],
           [ 0.,  3.,  1.],
           [ 0.,  4.,  1.]])
    >>> y[0]
    array([30., 40.])
    """
    if future_covariates is not None and return_sequences:
        raise ValueError(
            "future_covariates is for a direct model that predicts the horizon "
            "from the window and the known future; it cannot be combined with "
            "return_sequences=True."
        )
    many = _is_many_series(series)
    options = dict(window_size=window_size, horizon=horizon, step=step,
                   target=target, return_sequences=return_sequences)
    if not many:
        X, y = _windows_of_one(series, future_covariates, index=None, **options)
        if not return_series_id:
            return X, y
        return X, y, np.zeros(X.shape[0], dtype=np.intp)

    covariates = future_covariates
    if covariates is not None and (
        not isinstance(covariates, list | tuple) or len(covariates) != len(series)
    ):
        raise ValueError(
            f"series is a list of {len(series)} series: future_covariates must "
            f"be a list of as many arrays, one per series; got "
            f"{_describe(covariates)}."
        )
    parts = [
        _windows_of_one(s, None if covariates is None else covariates[i],
                        index=i, **options)
        for i, s in enumerate(series)
    ]
    shapes = {X.shape[1:] for X, _ in parts}
    if len(shapes) > 1:
        first = parts[0][0].shape[1:]
        odd = next(i for i, (X, _) in enumerate(parts) if X.shape[1:] != first)
        raise ValueError(
            f"The series of the list must all have the same number of "
            f"dimensions and features: the windows of series 0 have the shape "
            f"{first} per window, those of series {odd} "
            f"{parts[odd][0].shape[1:]}."
        )
    X = np.concatenate([X for X, _ in parts])
    y = np.concatenate([y for _, y in parts])
    if not return_series_id:
        return X, y
    counts = [X_part.shape[0] for X_part, _ in parts]
    return X, y, np.repeat(np.arange(len(parts)), counts)


def _is_many_series(series):
    """Whether ``series`` is a list (tuple) of series rather than one series.

    See ``make_windows``: a list whose items are sequences is many series,
    whatever their lengths; a list of numbers is one series.
    """
    if not isinstance(series, list | tuple):
        return False
    if len(series) == 0:
        raise ValueError(
            "series is an empty list: pass one series (an array of shape "
            "(n_values,) or (n_values, n_features)) or a list of series."
        )
    nested = [np.ndim(item) > 0 for item in series]
    if all(nested):
        return True
    if any(nested):
        i = nested.index(not nested[0])
        raise ValueError(
            f"series mixes numbers and sequences (item 0 is "
            f"{'a sequence' if nested[0] else 'a number'}, item {i} is not): "
            "pass one series as a list of numbers or an array, or many series "
            "as a list of arrays."
        )
    return False


def _describe(value):
    if isinstance(value, list | tuple):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__}"


def _windows_of_one(series, future_covariates, *, index, window_size, horizon,
                    step, target, return_sequences):
    """``make_windows`` of one series; ``index``: its position in a list."""
    name = "The series" if index is None else f"Series {index} of the list"
    columns = getattr(series, "columns", None)
    if getattr(series, "ndim", None) == 1 and hasattr(series, "to_numpy"):
        series = series.to_numpy()
    if not hasattr(series, "ndim"):
        series = _as_array(series)
    ndim = series.ndim
    if ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D (n_values,) or 2-D (n_values, n_features); got "
            f"a {ndim}-D array."
        )
    values = check_array(
        series, ensure_2d=False, dtype=_FLOAT_DTYPES, ensure_all_finite=False,
        ensure_min_samples=0, input_name="series",
    )
    _check_finite(values, name)
    n_values = values.shape[0]
    if values.ndim == 1:
        if target is not None:
            raise ValueError(
                "target is only for a multivariate (2-D) series; a 1-D series is "
                "its own target."
            )
        target_values = values
    else:
        target_values = values[:, _column_index(target, values.shape[1], columns)]

    needed = window_size + horizon
    if n_values < needed:
        raise ValueError(
            f"{name} has {n_values} values, too short for "
            f"window_size={window_size} plus horizon={horizon}: at least "
            f"{needed} are needed."
            + ("" if index is None else
               " Drop the short series from the list, or shorten the window.")
        )
    # Window starts run from `offset` to the last possible one, n - needed.
    last_start = n_values - needed
    starts = slice(last_start % step, last_start + 1, step)

    if values.ndim == 1:
        X = sliding_window_view(values[: n_values - horizon], window_size)
    else:
        X = sliding_window_view(values[: n_values - horizon], window_size, axis=0)
        X = X.transpose(0, 2, 1)
    X = X[starts]
    if future_covariates is not None:
        covariates = _check_covariates(future_covariates, n_values, name)
        known = sliding_window_view(covariates, needed, axis=0)
        X = _with_future_steps(X, known.transpose(0, 2, 1)[starts], horizon)

    future = target_values
    if return_sequences:
        # y[i, t] follows step t: the target shifted by one, windowed twice.
        future = target_values[1:]
        if horizon == 1:
            y = sliding_window_view(future, window_size)
        else:
            y = sliding_window_view(sliding_window_view(future, horizon),
                                    window_size, axis=0).transpose(0, 2, 1)
    elif horizon == 1:
        y = target_values[window_size:]
    else:
        y = sliding_window_view(target_values[window_size:], horizon)
    y = y[starts].view()
    y.flags.writeable = False
    return X, y


def _check_finite(values, name):
    """Reject NaN and infinity, saying where the first one is."""
    finite = np.isfinite(values)
    if finite.all():
        return
    position = int(np.argwhere(~finite)[0][0])
    bad = values[position] if values.ndim == 1 else values[position][
        ~finite[position]][0]
    bad = "NaN" if np.isnan(bad) else ("infinity" if bad > 0 else "-infinity")
    raise ValueError(
        f"{name} contains {bad} at position {position} (of {values.shape[0]} "
        "values): a series must be finite. Interpolate or fill the gaps "
        "first (e.g. pandas' interpolate), or split the series at them."
    )


def _check_covariates(future_covariates, n_rows, name):
    """The covariates as a finite float 2-D array of ``n_rows`` rows."""
    covariates = check_array(
        future_covariates, ensure_2d=False, dtype=_FLOAT_DTYPES,
        ensure_all_finite=False, input_name="future_covariates",
    )
    if covariates.ndim == 1:
        covariates = covariates[:, None]
    elif covariates.ndim != 2:
        raise ValueError(
            f"The future_covariates of {name.lower()} must be 1-D or 2-D "
            f"(n_values, n_covariates); got a {covariates.ndim}-D array."
        )
    if covariates.shape[0] != n_rows:
        raise ValueError(
            f"The future_covariates of {name.lower()} have {covariates.shape[0]} "
            f"rows; expected {n_rows}, one per value of the series (aligned "
            "with it, covering the horizon of its last window)."
        )
    _check_finite(covariates, f"The future_covariates of {name.lower()}")
    return covariates


def _with_future_steps(past, known, horizon):
    """The design with known future covariates, as one new array.

    ``past``: windows ``(n, T, n_features)`` (or ``(n, T)`` univariate) of
    the series; ``known``: the covariates over each window and its horizon,
    ``(n, T + horizon, n_covariates)``. Returns ``(n, T + horizon,
    n_features + n_covariates + 1)``: per step the series' values (0 over the
    horizon, which is what is to be predicted), the covariates, and a flag
    that is 1 on the horizon's steps.
    """
    if past.ndim == 2:
        past = past[:, :, None]
    n, length, n_features = past.shape
    n_covariates = known.shape[2]
    out = np.zeros((n, length + horizon, n_features + n_covariates + 1),
                   dtype=np.result_type(past, known))
    out[:, :length, :n_features] = past
    out[:, :, n_features : n_features + n_covariates] = known
    out[:, length:, -1] = 1.0
    return out


def _as_array(X):
    """``X`` (a list, or an object with ``__array__``) as a numpy array.

    Only to read its number of dimensions before the full validation;
    ``check_array`` reports what cannot be converted.
    """
    try:
        return np.asarray(X)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"Could not convert the input to an array: {exc}. A series is an "
            "array-like of shape (n_rows,) or (n_rows, n_features)."
        ) from exc


def _column_index(target, n_columns, columns):
    """The integer position of ``target`` among ``n_columns`` columns."""
    if target is None:
        if n_columns == 1:
            return 0
        raise ValueError(
            f"The series has {n_columns} columns: pass target= (a column index "
            "or name) to choose the one to predict; X keeps all the columns."
        )
    if isinstance(target, str):
        names = [str(c) for c in columns] if columns is not None else []
        if target not in names:
            raise ValueError(
                f"target={target!r} is not a column of the series"
                + (f"; columns are {names}." if names else " (it has no names).")
            )
        return names.index(target)
    if not -n_columns <= target < n_columns:
        raise ValueError(
            f"target={target} is out of range for a series with {n_columns} "
            "columns."
        )
    return int(target) % n_columns


# How many consecutive pairs of training sequences the series-window test of
# find_continued_feature reads at most (it costs pairs * T * features bytes).
_CONTINUATION_PAIRS = 2048


def find_continued_feature(values, lengths, y):
    """Whether training sequences are windows of a series, and of which feature.

    Windows made by :func:`make_windows` (or any sliding framing) have a
    signature: the first target of window ``i`` is a value of window
    ``i + 1``, the same input feature at the same step every time. This
    finds that feature and step by counting exact matches over consecutive
    pairs of rows, less the matches of the same targets shuffled (values
    that repeat, such as zeros or class-like targets, match by chance and
    do not count). Global windows over many series break the signature only
    at the boundaries between series. When the inputs were rescaled and
    the targets were not (a ``StandardScaler`` before
    :class:`SlidingWindowTransformer` in a pipeline), the target is an
    affine function of that value, ``scale * value + offset``, the same for
    every row: that is recognised too.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_timesteps, n_features), float32
        The training sequences (equal lengths).
    lengths : ndarray or None
        Lengths of variable-length sequences (then no window is assumed).
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        The targets, in their own units.

    Returns
    -------
    found : tuple of (int, int, float, float) or None
        ``(feature, step, scale, offset)``: the feature the targets continue,
        the step of the next window that holds the target (the last step,
        unless the windows carry known-future steps after the past), and the
        map from that feature's units to the targets' (``1.0, 0.0`` when the
        values match exactly); None when the rows are not windows of a
        series.
    """
    y = np.asarray(y)
    n = len(values)
    if lengths is not None or n < 4 or y.ndim not in (1, 2) or len(y) != n:
        return None
    first = y.reshape(n, -1)[:, 0].astype(np.float64)
    rows = spread_indices(n - 1, _CONTINUATION_PAIRS)
    following = values[rows + 1]
    excess = _excess_agreement(following.reshape(len(rows), -1), first[rows],
                               exact=True).reshape(following.shape[1:])
    step, feature = np.unravel_index(np.argmax(excess), excess.shape)
    if excess[step, feature] >= 0.5:
        found = int(feature), int(step), 1.0, 0.0
    else:
        # At most _AFFINE_VALUES values read (long, wide sequences: fewer
        # rows), and at least 16 rows.
        n_rows = max(16, min(_AFFINE_PAIRS,
                             _AFFINE_VALUES // max(1, values[0].size)))
        some = rows[spread_indices(len(rows), n_rows)]
        found = _find_affine_continuation(values[some + 1], first[some])
    if found is None or _seen_in_own_window(values[rows], first[rows], *found):
        return None
    return found


def find_series_starts(values, y, found):
    """The first row of each series in windows ``values`` (float32, as
    :func:`find_continued_feature` read them) with targets ``y`` and the
    ``found`` continuation: a row whose first target the next row does not
    hold ends a series (stacked windows of several series)."""
    feature, step, scale, offset = found
    series = values[:, step, feature]
    first = np.asarray(y, dtype=np.float64).reshape(len(series), -1)[:, 0]
    continued = _agrees(scale * series[1:].astype(np.float64) + offset,
                        first[:-1], exact=(scale, offset) == (1.0, 0.0))
    return (0, *(int(i) + 1 for i in np.flatnonzero(~continued)))


# Rows compared at a time by find_sliding_windows (a boolean array of
# rows * T * features bytes).
_SLIDING_CHUNK_ROWS = 4096


def find_sliding_windows(values, lengths, y):
    """Whether training rows are windows of one or more series made a fixed
    number of steps apart, each with one target (or ``horizon`` targets) per
    step: the rows of ``make_windows(..., step=s, return_sequences=True)``.

    Row ``i + 1`` of such windows is row ``i`` moved on by ``s`` steps (its
    first ``T - s`` steps are row ``i``'s last ``T - s``, every feature);
    a row that does not continue the one before starts another series.
    Their per-step targets belong to the same times as the inputs (or the
    ``horizon`` values after them), so a row's targets are also targets of
    the ``floor((T - 1) / s)`` rows after it (``floor((T + horizon - 2) /
    s)`` with a horizon): the rows just before a validation tail hold the
    tail's targets.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_timesteps, n_features)
        The training sequences (equal lengths).
    lengths : ndarray or None
        Lengths of variable-length sequences (then no window is assumed).
    y : array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_outputs)
        The per-step targets. Several outputs per step are a horizon when
        output ``j`` at step ``t`` is output ``j - 1`` at step ``t + 1``.

    Returns
    -------
    found : tuple of (tuple of int, int) or None
        ``(series_starts, overlap)``: the first row of each series, and how
        many rows after a row hold some of its targets; None when the rows
        are not such windows (fewer than 4 rows, one step, variable lengths,
        no shift shared by most rows, or more series than half the rows:
        rows shuffled or not windows at all).
    """
    n, n_steps = values.shape[:2]
    if lengths is not None or n < 4 or n_steps < 2:
        return None
    shift = _window_shift(values)
    if shift is None:
        return None
    continued = np.empty(n - 1, dtype=bool)
    for start in range(0, n - 1, _SLIDING_CHUNK_ROWS):
        stop = min(n - 1, start + _SLIDING_CHUNK_ROWS)
        continued[start:stop] = np.all(
            values[start + 1:stop + 1, :-shift] == values[start:stop, shift:],
            axis=(1, 2))
    starts = (0, *(int(i) + 1 for i in np.flatnonzero(~continued)))
    if len(starts) > n // 2:
        return None
    reach = n_steps - 1 + _per_step_horizon(y, n, n_steps) - 1
    return starts, reach // shift


# Consecutive pairs of rows read to find the windows' shift.
_SHIFT_PAIRS = 16


def _window_shift(values):
    """The number of steps consecutive rows are apart (1 to T - 1) that
    the most of up to ``_SHIFT_PAIRS`` pairs spread over the rows agree on,
    if at least half of them do; else None."""
    n, n_steps = values.shape[:2]
    pairs = spread_indices(n - 1, _SHIFT_PAIRS)
    votes = np.zeros(n_steps, dtype=np.intp)
    for i in pairs:
        for shift in range(1, n_steps):
            if np.array_equal(values[i + 1, :-shift], values[i, shift:]):
                votes[shift] += 1
                break
    shift = int(np.argmax(votes))
    return shift if shift and 2 * votes[shift] >= len(pairs) else None


def find_per_step_feature(values, y):
    """The input feature that windows with one target per step continue:
    the first output at step ``t`` is that feature's value at step
    ``t + 1``, exactly, in every row read (up to ``_CONTINUATION_PAIRS``
    rows spread over the data); None when no feature is (targets of their
    own: tags, another quantity, or inputs rescaled by a scaler).

    Only for rows :func:`find_sliding_windows` recognised. The next value
    after the window, the last step's target, is not in the row: it is
    what a recursive forecast feeds back.
    """
    try:
        y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    n, n_steps, n_features = values.shape
    if y.ndim not in (2, 3) or y.shape[:2] != (n, n_steps):
        return None
    rows = spread_indices(n, _CONTINUATION_PAIRS)
    first = y[rows].reshape(len(rows), n_steps, -1)[:, :-1, 0]
    nexts = values[rows, 1:, :]
    for feature in range(n_features):
        if np.array_equal(nexts[:, :, feature],
                          first.astype(np.float32, copy=False)):
            return feature
    return None


def _per_step_horizon(y, n, n_steps):
    """How many values ahead each step's outputs reach: ``n_outputs`` when
    they are a horizon (output ``j`` at step ``t`` is output ``j - 1`` at
    step ``t + 1``, in every row read), else 1."""
    try:
        y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        return 1
    if y.ndim != 3 or y.shape[:2] != (n, n_steps) or y.shape[2] < 2:
        return 1
    rows = spread_indices(n, _CONTINUATION_PAIRS)
    ahead = y[rows]
    if np.array_equal(ahead[:, 1:, :-1], ahead[:, :-1, 1:]):
        return int(y.shape[2])
    return 1


def _agrees(mapped, targets, exact):
    """Elementwise, whether window values ``mapped`` to the targets' units
    are the ``targets`` (broadcast): equal as float32 when the map is the
    identity, else within a millionth of the targets' spread plus float32's
    rounding of the value."""
    if exact:
        return (mapped.astype(np.float32, copy=False)
                == targets.astype(np.float32, copy=False))
    tolerance = 1e-6 * np.std(targets) + 1e-6 * np.abs(targets)
    return np.abs(mapped - targets) <= tolerance


def _excess_agreement(mapped, targets, exact):
    """Per column of ``mapped`` (rows x columns), the share of rows that
    agree with their target less the share that agree with the targets
    shuffled (values that repeat agree by chance)."""
    shuffled = targets[np.random.RandomState(0).permutation(len(targets))]
    return (_agrees(mapped, targets[:, None], exact).mean(axis=0)
            - _agrees(mapped, shuffled[:, None], exact).mean(axis=0))


def _seen_in_own_window(current, targets, feature, step, scale, offset):
    """Whether each row's target is already one of its own window's later
    values (a past value such as ``y[i] = x[i - 2]``, which the next window
    holds too): then the rows are not windows that a forecast continues."""
    later = scale * current[:, step + 1:, feature].astype(np.float64) + offset
    if later.shape[1] == 0:
        return False
    excess = _excess_agreement(later, targets, exact=(scale, offset) == (1.0, 0.0))
    return bool((excess >= 0.5).any())


# The rows the affine test reads, and the most values (rows * T * features,
# float32) it reads from them; how many of the best-correlated (step,
# feature) candidates it verifies.
_AFFINE_PAIRS = 256
_AFFINE_VALUES = 4_000_000
_AFFINE_CANDIDATES = 3


def _find_affine_continuation(following, targets):
    """``(feature, step, scale, offset)`` when ``targets`` are
    ``scale * following[:, step, feature] + offset`` for most rows (beyond
    what the same targets shuffled match), else None. The candidates are the
    best-correlated columns; the scale is the median slope between pairs of
    rows and the offset the median remainder, so that the rows of other
    series (boundaries of stacked windows, padded rows) do not move them."""
    m, n_steps, n_features = following.shape
    spread = targets.std()
    if m < 4 or not np.isfinite(spread) or spread == 0:
        return None
    x = following.reshape(m, -1)
    centred = x - x.mean(axis=0, dtype=np.float64).astype(np.float32)
    norms = np.sqrt((centred.astype(np.float64) ** 2).sum(axis=0))
    t = targets - targets.mean()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        corr = np.abs(centred.T @ t.astype(np.float32)) / (norms * np.sqrt(t @ t))
    corr[~np.isfinite(corr)] = 0.0
    half = m // 2
    for column in np.argsort(corr)[::-1][:_AFFINE_CANDIDATES]:
        if corr[column] < 0.5:
            break
        v = x[:, column].astype(np.float64)
        dv = v[half:2 * half] - v[:half]
        dt = targets[half:2 * half] - targets[:half]
        usable = np.abs(dv) > 1e-6 * (np.abs(v).max() + 1e-300)
        if usable.sum() < 2:
            continue
        scale = float(np.median(dt[usable] / dv[usable]))
        offset = float(np.median(targets - scale * v))
        if not (np.isfinite(scale) and np.isfinite(offset)) or scale == 0:
            continue
        fitted = (scale * v + offset)[:, None]
        if _excess_agreement(fitted, targets, exact=False)[0] >= 0.5:
            step, feature = divmod(int(column), n_features)
            return feature, step, scale, offset
    return None


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
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
    validate_data,
)

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
    },
    prefer_skip_nested_validation=True,
)
def make_windows(series, window_size, horizon=1, step=1, *, target=None,
                 return_sequences=False):
    """Frame a series as a supervised problem: windows of the past -> the future.

    Window ``i`` holds ``window_size`` consecutive values, and its target
    the ``horizon`` values that follow it (the tutorials' ``create_dataset``).
    Only complete windows are made, so there is no padding; the windows are
    aligned on the end of the series: the last target is the last value.

    Parameters
    ----------
    series : array-like of shape (n_values,) or (n_values, n_features)
        The series, oldest value first. A DataFrame or 2-D array is a
        multivariate series: ``X`` keeps all its features and ``y`` comes
        from the ``target`` column. NaN is rejected: interpolate gaps first.
    window_size : int
        Time steps per window (the look-back).
    horizon : int, default=1
        Number of future values to predict.
    step : int, default=1
        Distance between the starts of consecutive windows. With ``step > 1``
        up to ``step - 1`` of the oldest values are left out, never the most
        recent ones.
    target : int or str, default=None
        The column of a multivariate series to predict: an index, or a
        DataFrame column name. Required when the series has more than one
        column; must be None for a 1-D series.
    return_sequences : bool, default=False
        Targets for one output per time step, as
        ``RNNRegressor(return_sequences=True)`` learns them: ``y[i, t]`` is
        (are) the ``horizon`` value(s) following step ``t`` of window ``i`` —
        the window shifted by one step for ``horizon=1``.

    Returns
    -------
    X : ndarray of shape (n_windows, window_size) or \
(n_windows, window_size, n_features)
        The windows: 2-D for a 1-D series, 3-D for a 2-D one (also with a
        single column). Read-only view of the (float) series.
    y : ndarray
        ``(n_windows,)`` for ``horizon=1``, else ``(n_windows, horizon)``.
        With ``return_sequences=True``: ``(n_windows, window_size)`` for
        ``horizon=1``, else ``(n_windows, window_size, horizon)``.
        Read-only view.

    See Also
    --------
    SlidingWindowTransformer : Windows that keep the row count, for
        pipelines.
    recursive_forecast : Feed one-step predictions back for longer horizons.

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
    """
    columns = getattr(series, "columns", None)
    if getattr(series, "ndim", None) == 1 and hasattr(series, "to_numpy"):
        series = series.to_numpy()
    if not hasattr(series, "ndim"):
        series = _as_array(series)
    ndim = series.ndim
    if ndim not in (1, 2):
        raise ValueError(
            f"series must be 1-D (n_values,) or 2-D (n_values, n_features); got "
            f"a {ndim}-D array."
        )
    values = check_array(
        series, ensure_2d=False, dtype=_FLOAT_DTYPES, input_name="series"
    )
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
            f"The series has {n_values} values, too short for "
            f"window_size={window_size} plus horizon={horizon}: at least "
            f"{needed} are needed."
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

"""Multi-step forecasts from a model that predicts the next value(s) of a window."""

from numbers import Integral

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_array, check_is_fitted

from ._compat import HasMethods, Interval, validate_params
from ._utils import final_estimator
from ._window import (
    SlidingWindowTransformer,
    _as_array,
    _check_covariates,
    _column_index,
    _is_many_series,
    _with_future_steps,
)

__all__ = ["recursive_forecast"]


@validate_params(
    {
        "estimator": [HasMethods(["predict"])],
        "window": ["array-like"],
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "target": [Integral, str, None],
        "future_features": ["array-like", None],
        "future_covariates": ["array-like", None],
        "horizon": [Interval(Integral, 1, None, closed="left"), None],
        "flatten": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def recursive_forecast(estimator, window, n_steps, *, target=None,
                       future_features=None, future_covariates=None,
                       horizon=None, flatten=False):
    """Forecast ``n_steps`` values by feeding the predictions back.

    The fitted ``estimator`` maps a window of the last ``T`` values to the
    next one (as fitted on :func:`make_windows`). Its prediction is appended
    to the window, the oldest value drops out, and the model predicts again.
    Errors compound with the horizon; compare with a direct model, fitted on
    ``make_windows(..., horizon=n_steps)``, which predicts all steps at once.

    Many series are forecast together: pass a list of windows (or a 3-D
    array, one window per series) and each step calls ``predict`` once, on
    the windows of all the series, as a global model fitted on
    ``make_windows([s1, s2, ...], T)`` expects them.

    Parameters
    ----------
    estimator : fitted regressor or pipeline
        Anything with ``predict`` that was fitted on windows:

        - a 1-D ``window`` of shape ``(T,)`` is univariate and the estimator
          receives ``(1, T)``: the layout of ``make_windows(series_1d, T)``,
          which :class:`RNNRegressor` reads as one univariate sequence and a
          tabular regressor (Ridge, a pipeline) as ``T`` lag features;
        - a 2-D ``window`` ``(T, n_features)`` is multivariate and the
          estimator receives ``(1, T, n_features)`` (as from
          ``make_windows(df, T, target=...)``), or ``(1, T * n_features)``
          with ``flatten=True``.

        - a :class:`~sklearn.pipeline.Pipeline` that windows rows itself
          with :class:`SlidingWindowTransformer` receives the window as rows,
          ``(T, n_features)`` (a 1-D window as one column), and its
          prediction for the last row is the forecast: fit it on the rows of
          the series with the next value as target
          (``fit(series[:-1], series[1:])``) and give a window of at least
          its ``window_size`` rows. For many series it receives the rows of
          all the windows one after the other, and the prediction of each
          window's last row is that series' forecast.

        A prediction of ``k > 1`` values per window (a direct multi-step model
        fitted on ``horizon=k``) feeds all ``k`` back at once. With
        ``return_sequences=True`` (one output per step) the output of the
        last step is the forecast. With ``n`` windows the estimator receives
        ``n`` rows instead of 1 and must return one prediction per window.
    window : array-like of shape (T,) or (T, n_features), or a list of them, \
or array of shape (n_series, T, n_features)
        The most recent values, oldest first, of the length the estimator
        was fitted on. A list or tuple of windows (numpy arrays, lists,
        DataFrames; a list of numbers is one window), or a 3-D array, is one
        window per series, all of the same shape. A 2-D array is always one
        multivariate window: give the univariate windows of many series as a
        list, e.g. ``list(X[-1::-n])``, or as ``X[:, :, None]``.
    n_steps : int
        Number of future values to forecast.
    target : int or str, default=None
        For a 2-D ``window``: the column (index, or DataFrame column name)
        that the estimator predicts and that the predictions are written
        into. May be None for a single column.
    future_features : array-like of shape (n_steps, n_features), default=None
        For a 2-D ``window`` with more than one column: the values of the
        other columns (in the window's column order) over the forecast steps
        (calendar features, planned inputs, ...), which the model cannot
        forecast itself. Its ``target`` column is ignored (it may be NaN).
        The model sees a step's row once that step has entered the window,
        as a past covariate. Without known future values of the other
        features, a recursive forecast is not defined: use a direct model
        instead. For many series: a list of them, one per series, or an
        array ``(n_series, n_steps, n_features)``.
    future_covariates : array-like of shape (T + m, n_covariates), default=None
        For a model fitted on ``make_windows(..., horizon=horizon,
        future_covariates=...)``: the covariates known in advance, one row
        per step of the window and of the forecast, aligned as in
        ``make_windows``. The model then also sees the covariates of the
        steps it predicts, laid out as ``make_windows`` lays them out.
        ``m`` is ``n_steps`` rounded up to a multiple of ``horizon`` (the
        forecast goes ``horizon`` steps at a time; predictions past
        ``n_steps`` are dropped). For many series: a list of them, one per
        series, or a 3-D array.
    horizon : int, default=None
        The ``horizon`` the model was fitted on with ``future_covariates``:
        the number of known future steps appended to each window. Required
        with ``future_covariates``, unused without.
    flatten : bool, default=False
        Pass a 2-D ``window`` flattened time-major, ``(1, T * n_features)``:
        the layout of ``SlidingWindowTransformer(flatten=True)`` and of
        ``X.reshape(len(X), -1)``, for tabular regressors.

    Returns
    -------
    forecast : ndarray of shape (n_steps,), or (n_series, n_steps)
        The predicted values of the ``n_steps`` steps after the window; one
        row per series for many windows.

    See Also
    --------
    make_windows : Frames a series (or many) into windows and next values.
    RNNRegressor : Direct multi-step (``y`` of shape ``(n, h)``) and
        one-output-per-step (``return_sequences=True``) forecasting.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn_rnn import make_windows, recursive_forecast
    >>> series = np.sin(np.arange(100) * 2 * np.pi / 12)
    >>> X, y = make_windows(series[:90], window_size=12)
    >>> model = Ridge(alpha=1e-6).fit(X, y)
    >>> forecast = recursive_forecast(model, series[78:90], n_steps=10)
    >>> forecast.shape
    (10,)
    >>> bool(np.allclose(forecast, series[90:], atol=1e-3))
    True

    Two series at once, one ``predict`` call per step:

    >>> other = 2 * np.cos(np.arange(100) * 2 * np.pi / 12)
    >>> X, y = make_windows([series[:90], other[:90]], window_size=12)
    >>> model = Ridge(alpha=1e-6).fit(X, y)
    >>> forecast = recursive_forecast(model, [series[78:90], other[78:90]], 10)
    >>> forecast.shape
    (2, 10)
    >>> bool(np.allclose(forecast[1], other[90:], atol=1e-3))
    True

    A direct model that sees known future covariates (a calendar feature),
    chained for a longer forecast:

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> month = np.arange(120) % 12
    >>> demand = 10 + (month == 11) * 5.0              # a December peak
    >>> X, Y = make_windows(demand[:96], 12, horizon=3,
    ...                     future_covariates=(month[:96] == 11))
    >>> flat = FunctionTransformer(lambda X: X.reshape(len(X), -1))
    >>> direct = make_pipeline(flat, Ridge(alpha=1e-6)).fit(X, Y)
    >>> forecast = recursive_forecast(
    ...     direct, demand[84:96], n_steps=24, horizon=3,
    ...     future_covariates=(month[84:120] == 11),
    ... )
    >>> bool(np.allclose(forecast, demand[96:], atol=1e-3))
    True
    """
    check_is_fitted(estimator)
    if future_covariates is not None and horizon is None:
        raise ValueError(
            "future_covariates needs horizon=: the number of known future steps "
            "the model was fitted with (make_windows(..., horizon=h, "
            "future_covariates=...))."
        )
    if future_covariates is None and horizon is not None:
        raise ValueError(
            "horizon is only used with future_covariates; without them, the "
            "number of values the model predicts per window is read from its "
            "predictions."
        )
    many, windows, frame = _split_windows(window)
    columns = getattr(frame, "columns", None)
    n_series = len(windows)
    windows = [_check_window(w, i if many else None) for i, w in enumerate(windows)]
    shape = windows[0].shape
    for i, w in enumerate(windows):
        if w.shape != shape:
            raise ValueError(
                f"Window {i} has the shape {w.shape}, window 0 {shape}: the "
                "windows of all the series must have the same length and "
                "features."
            )
    length = shape[0]
    stacked = np.stack(windows)

    # The windows and the forecasts share one buffer: each model input is a
    # slice of it, and each prediction is written right after the slice.
    if stacked.ndim == 2:
        if target is not None or future_features is not None:
            raise ValueError(
                "target and future_features are for a 2-D (T, n_features) "
                "window; a 1-D window is its own target."
            )
        buffer = np.full((n_series, length + n_steps), np.nan)
        buffer[:, :length] = stacked
        column = None
    else:
        n_features = shape[1]
        column = _column_index(target, n_features, columns)
        buffer = np.full((n_series, length + n_steps, n_features), np.nan)
        buffer[:, :length] = stacked
        if n_features > 1:
            for i, future in enumerate(
                _per_series(future_features, many, n_series, "future_features")
            ):
                buffer[i, length:] = _check_future(
                    future, n_steps, n_features, column, i if many else None
                )
        elif future_features is not None:
            raise ValueError(
                "future_features is for a window with several columns; this "
                "window has only the target."
            )

    known = None
    if future_covariates is not None:
        n_rows = length + -(-n_steps // horizon) * horizon
        known = np.stack([
            _check_covariates(
                cov, n_rows, "the window" if not many else f"window {i}"
            )
            for i, cov in enumerate(_per_series(
                future_covariates, many, n_series, "future_covariates"
            ))
        ])

    per_step = final_estimator(estimator)
    sequence_output = bool(getattr(per_step, "return_sequences", False))
    takes_rows = _windows_rows(estimator)
    if takes_rows and known is not None:
        raise ValueError(
            "future_covariates is for a model fitted on the windows of "
            "make_windows(..., future_covariates=...), not for a pipeline that "
            "windows rows with SlidingWindowTransformer."
        )
    if takes_rows and n_series > 1 and length < _rows_window_size(estimator):
        raise ValueError(
            f"The windows have {length} rows, fewer than the window_size="
            f"{_rows_window_size(estimator)} of the pipeline's "
            "SlidingWindowTransformer: the rows of many series are passed one "
            "after the other, so each window needs at least window_size rows."
        )
    done = 0
    while done < n_steps:
        past = buffer[:, done : done + length]
        if known is not None:
            model_input = _with_future_steps(
                past, known[:, done : done + length + horizon], horizon
            )
            if flatten:
                model_input = model_input.reshape(n_series, -1)
        elif takes_rows:
            # The rows of every window, one window after the other.
            model_input = past.reshape(n_series * length, -1)
            if columns is not None:
                # Rows keep the DataFrame columns the pipeline was fitted on.
                model_input = _like_frame(frame, model_input, columns)
        else:
            model_input = past
            if flatten and model_input.ndim == 3:
                model_input = model_input.reshape(n_series, -1)
        prediction = np.asarray(estimator.predict(model_input), dtype=np.float64)
        if takes_rows and prediction.ndim >= 1:
            # One prediction per row: each window's last row's is its next value.
            prediction = prediction[length - 1 :: length]
        block = _next_values(prediction, sequence_output, n_series)
        if known is not None and block.shape[1] != horizon:
            raise ValueError(
                f"The estimator predicts {block.shape[1]} value(s) per window, "
                f"but horizon={horizon}: with future_covariates the model must "
                "predict the horizon it was fitted on."
            )
        block = block[:, : n_steps - done]
        stop = length + done + block.shape[1]
        if column is None:
            buffer[:, length + done : stop] = block
        else:
            buffer[:, length + done : stop, column] = block
        done += block.shape[1]
    forecast = buffer[:, length:] if column is None else buffer[:, length:, column]
    return forecast if many else forecast[0]


def _split_windows(window):
    """``(many, list of windows, first window as given)``.

    A list (tuple) of sequences or a 3-D array is one window per series;
    anything else is one window.
    """
    if isinstance(window, list | tuple) and _is_many_series(window):
        return True, list(window), _frame_of(window[0])
    if not hasattr(window, "ndim"):
        window = _as_array(window)
    if window.ndim == 3:
        return True, list(window), None
    return False, [window], _frame_of(window)


def _frame_of(window):
    """The window as a DataFrame, when it is a (named) pandas object."""
    if getattr(window, "ndim", None) == 1 and hasattr(window, "to_frame"):
        # A named Series is a one-column frame, and keeps its name.
        return window.to_frame()
    return window if hasattr(window, "columns") else None


def _check_window(window, index):
    """One window as a float64 array of shape (T,) or (T, n_features)."""
    if getattr(window, "ndim", None) == 1 and hasattr(window, "to_numpy"):
        window = window.to_numpy()
    if not hasattr(window, "ndim"):
        window = _as_array(window)
    name = "window" if index is None else f"Window {index}"
    if window.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D (T,) or 2-D (T, n_features), the most recent "
            f"values of one series; got a {window.ndim}-D array. Pass the "
            "windows of many series as a list or a 3-D array."
        )
    return check_array(window, ensure_2d=False, dtype=np.float64,
                       input_name="window")


def _per_series(values, many, n_series, name):
    """``values`` (given for one series or for all) as one item per series."""
    if not many:
        return [values]
    if values is None:
        return [None] * n_series
    if isinstance(values, list | tuple):
        items = list(values)
    else:
        if not hasattr(values, "ndim"):
            values = _as_array(values)
        items = list(values) if values.ndim == 3 else None
    if items is None or len(items) != n_series:
        raise ValueError(
            f"With the windows of {n_series} series, {name} must be a list of "
            f"{n_series} arrays (or a 3-D array), one per series."
        )
    return items


def _check_future(future_features, n_steps, n_features, column, index):
    of = "" if index is None else f" of window {index}"
    if future_features is None:
        raise ValueError(
            f"The window has {n_features} columns: the model needs the future "
            "values of the columns other than the target to go on. Pass "
            f"future_features of shape ({n_steps}, {n_features}) (its target "
            "column is ignored), or fit a direct model (make_windows with "
            "horizon=n_steps) instead."
        )
    future = check_array(
        future_features, dtype=np.float64, ensure_all_finite="allow-nan",
        input_name="future_features",
    )
    if future.shape != (n_steps, n_features):
        raise ValueError(
            f"future_features{of} has shape {future.shape}; expected "
            f"({n_steps}, {n_features}), one row per forecast step."
        )
    others = np.delete(future, column, axis=1)
    if not np.isfinite(others).all():
        raise ValueError(
            f"future_features{of} contains NaN or infinity outside the target "
            "column."
        )
    return future


def _windows_rows(estimator):
    """Whether ``estimator`` is a pipeline that windows the rows it gets."""
    if not isinstance(estimator, Pipeline):
        return False
    return any(
        isinstance(step, SlidingWindowTransformer) or _windows_rows(step)
        for _, step in estimator.steps
    )


def _rows_window_size(estimator):
    """The largest ``window_size`` of the pipeline's row-windowing steps."""
    sizes = [
        step.window_size if isinstance(step, SlidingWindowTransformer)
        else _rows_window_size(step)
        for _, step in estimator.steps
        if isinstance(step, SlidingWindowTransformer | Pipeline)
    ]
    return max(sizes, default=1)


def _like_frame(frame, values, columns):
    """``values`` as a pandas DataFrame when ``frame`` is one, else as is."""
    if not type(frame).__module__.startswith("pandas"):
        return values
    return type(frame)(values, columns=list(columns))


def _next_values(prediction, sequence_output, n_windows):
    """The forecast values in the predictions, ``(n_windows, k)``."""
    if prediction.ndim == 0 or prediction.shape[0] != n_windows:
        windows = "one window" if n_windows == 1 else f"{n_windows} windows"
        raise ValueError(
            f"The estimator returned predictions of shape {prediction.shape} for "
            f"{windows}; recursive_forecast needs a model that maps "
            "each window to the next value(s), as fitted on make_windows."
        )
    values = prediction
    if sequence_output:
        # One output per time step: the last step's output follows the window.
        values = values[:, -1]
    values = values.reshape(n_windows, -1)
    if values.shape[1] == 0 or not np.isfinite(values).all():
        raise ValueError(
            f"The estimator's prediction {values!r} is empty or not finite; the "
            "forecast cannot go on."
        )
    return values

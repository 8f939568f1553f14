"""Multi-step forecasts from a model that predicts the next value of a window."""

from numbers import Integral

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import HasMethods, Interval, validate_params
from sklearn.utils.validation import check_array, check_is_fitted

from ._window import SlidingWindowTransformer, _as_array, _column_index

__all__ = ["recursive_forecast"]


@validate_params(
    {
        "estimator": [HasMethods(["predict"])],
        "window": ["array-like"],
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "target": [Integral, str, None],
        "future_features": ["array-like", None],
        "flatten": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def recursive_forecast(estimator, window, n_steps, *, target=None,
                       future_features=None, flatten=False):
    """Forecast ``n_steps`` values by feeding the predictions back.

    The fitted ``estimator`` maps a window of the last ``T`` values to the
    next one (as fitted on :func:`make_windows`). Its prediction is appended
    to the window, the oldest value drops out, and the model predicts again.
    Errors compound with the horizon; compare with a direct model, fitted on
    ``make_windows(..., horizon=n_steps)``, which predicts all steps at once.

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
          its ``window_size`` rows.

        A prediction of ``k > 1`` values per window (a direct multi-step model
        fitted on ``horizon=k``) feeds all ``k`` back at once. With
        ``return_sequences=True`` (one output per step) the output of the
        last step is the forecast.
    window : array-like of shape (T,) or (T, n_features)
        The most recent values, oldest first, of the length the estimator
        was fitted on.
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
        Without known future values of the other features, a recursive
        forecast is not defined: use a direct model instead.
    flatten : bool, default=False
        Pass a 2-D ``window`` flattened time-major, ``(1, T * n_features)``:
        the layout of ``SlidingWindowTransformer(flatten=True)`` and of
        ``X.reshape(len(X), -1)``, for tabular regressors.

    Returns
    -------
    forecast : ndarray of shape (n_steps,)
        The predicted values of the ``n_steps`` steps after the window.

    See Also
    --------
    make_windows : Frames a series into windows and next values to fit on.
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
    """
    check_is_fitted(estimator)
    if getattr(window, "ndim", None) == 1 and hasattr(window, "to_frame"):
        # A named Series is a one-column frame, and keeps its name.
        window_frame = window.to_frame()
        window = window.to_numpy()
    else:
        window_frame = window if hasattr(window, "columns") else None
    columns = getattr(window_frame, "columns", None)
    if not hasattr(window, "ndim"):
        window = _as_array(window)
    ndim = window.ndim
    if ndim not in (1, 2):
        raise ValueError(
            f"window must be 1-D (T,) or 2-D (T, n_features), the most recent "
            f"values of one series; got a {ndim}-D array."
        )
    window = check_array(window, ensure_2d=False, dtype=np.float64,
                         input_name="window")
    length = window.shape[0]

    # The window and the forecast share one buffer: each model input is a
    # slice of it, and each prediction is written right after the slice.
    if window.ndim == 1:
        if target is not None or future_features is not None:
            raise ValueError(
                "target and future_features are for a 2-D (T, n_features) "
                "window; a 1-D window is its own target."
            )
        buffer = np.concatenate([window, np.full(n_steps, np.nan)])
        column = None
    else:
        n_features = window.shape[1]
        column = _column_index(target, n_features, columns)
        buffer = np.full((length + n_steps, n_features), np.nan)
        buffer[:length] = window
        if n_features > 1:
            buffer[length:] = _check_future(
                future_features, n_steps, n_features, column
            )
        elif future_features is not None:
            raise ValueError(
                "future_features is for a window with several columns; this "
                "window has only the target."
            )

    per_step = _final_estimator(estimator)
    sequence_output = bool(getattr(per_step, "return_sequences", False))
    takes_rows = _windows_rows(estimator)
    done = 0
    while done < n_steps:
        model_input = buffer[done : done + length]
        if takes_rows:
            model_input = model_input.reshape(length, -1)
            if columns is not None:
                # Rows keep the DataFrame columns the pipeline was fitted on.
                model_input = _like_frame(window_frame, model_input, columns)
        else:
            model_input = model_input[None]
            if flatten and model_input.ndim == 3:
                model_input = model_input.reshape(1, -1)
        prediction = np.asarray(estimator.predict(model_input), dtype=np.float64)
        if takes_rows and prediction.ndim >= 1:
            # One prediction per row: the last row's is the next value.
            prediction = prediction[-1:]
        block = _next_values(prediction, sequence_output)
        block = block[: n_steps - done]
        if column is None:
            buffer[length + done : length + done + block.size] = block
        else:
            buffer[length + done : length + done + block.size, column] = block
        done += block.size
    return buffer[length:] if column is None else buffer[length:, column]


def _check_future(future_features, n_steps, n_features, column):
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
            f"future_features has shape {future.shape}; expected "
            f"({n_steps}, {n_features}), one row per forecast step."
        )
    others = np.delete(future, column, axis=1)
    if not np.isfinite(others).all():
        raise ValueError(
            "future_features contains NaN or infinity outside the target column."
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


def _like_frame(frame, values, columns):
    """``values`` as a pandas DataFrame when ``frame`` is one, else as is."""
    if not type(frame).__module__.startswith("pandas"):
        return values
    return type(frame)(values, columns=list(columns))


def _final_estimator(estimator):
    while isinstance(estimator, Pipeline):
        estimator = estimator[-1]
    return estimator


def _next_values(prediction, sequence_output):
    """The forecast values in one window's prediction, as a 1-D array."""
    if prediction.ndim == 0 or prediction.shape[0] != 1:
        raise ValueError(
            f"The estimator returned predictions of shape {prediction.shape} for "
            "one window; recursive_forecast needs a model that maps one window "
            "to the next value(s), as fitted on make_windows."
        )
    values = prediction[0]
    if sequence_output:
        # One output per time step: the last step's output follows the window.
        values = values[-1]
    values = np.ravel(values)
    if values.size == 0 or not np.isfinite(values).all():
        raise ValueError(
            f"The estimator's prediction {values!r} is empty or not finite; the "
            "forecast cannot go on."
        )
    return values

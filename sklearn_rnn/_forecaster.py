"""RNNForecaster: a series (or a panel of them) in, its next values out.

The estimators take windows (``make_windows``) and a forecast is a
``recursive_forecast`` or a direct model's ``predict``; this class takes the
series itself, as statsforecast's and darts' forecasters do, so that what
only a series knows (its season, its last window, which of its framings a
strategy needs) is decided in one place: the window length from the season,
and by default the mean of a recursive and a direct forecast, the best
forecast of the forecast benchmark's development list (round 16:
``benchmarks/results/round16-forecast-combination.md``). Given a panel, it
knows each series' scale, which a global regressor's windows do not say
(round 17: ``benchmarks/results/round17-panel-forecaster.md``).
"""

import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_array, check_is_fitted

from ._compat import HasMethods, Interval, StrOptions
from ._forecast import recursive_forecast
from ._fused_gru import fused_gru_available
from ._plan import (
    SEASONAL_CENTRE_THRESHOLD,
    STEADY_TREND_THRESHOLD,
    STEP_GROWTH_MAX,
    SeriesWindows,
)
from ._predictability import step_changes, window_seasonality
from ._regressor import RNNRegressor
from ._threads import policy_enabled, run_side_by_side
from ._window import make_windows

__all__ = ["RNNForecaster", "choose_window_size"]

STRATEGIES = ("mean", "recursive", "direct")
# The 'auto' window: two seasons, at least MIN_WINDOW steps, at most a third
# of the series (so that most values start a window). The forecast
# benchmark's rule (benchmarks/forecast_data.py: window_for), under which
# its figures were measured; one and three seasons did no better there
# (docs: "Choosing the window length").
WINDOW_SEASONS = 2
MIN_WINDOW = 10
# The recursive half of the mean: ensemble_size='auto' becomes this many
# networks. The mean of two forecasts is already an ensemble; the three
# networks that 'auto' trains for a short, unpenalised series' one-step
# windows add a fit's time for nothing measurable (round 17:
# benchmarks/results/round17-combination-members.md).
COMBINATION_RECURSIVE_MEMBERS = 1
# A panel's windows are divided by one step when at least this share of its
# series pass the single series' gates for one scale (round 17).
PANEL_ONE_SCALE_SHARE = 0.5


def choose_window_size(window_size, season_length, n_values):
    """``window_size_``: the parameter, or for ``'auto'`` two seasons, at
    least ``MIN_WINDOW`` steps and at most a third of the ``n_values`` of
    the series (at least 1).

    Examples
    --------
    >>> from sklearn_rnn._forecaster import choose_window_size
    >>> choose_window_size("auto", 12, 500), choose_window_size("auto", 1, 500)
    (24, 10)
    >>> choose_window_size("auto", 12, 36), choose_window_size(5, 12, 36)
    (12, 5)
    """
    if window_size != "auto":
        return int(window_size)
    return max(1, min(max(WINDOW_SEASONS * season_length, MIN_WINDOW),
                      n_values // 3))


def _check_int(value, name, minimum):
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
            or value < minimum):
        raise ValueError(f"{name} must be an integer >= {minimum}, got "
                         f"{value!r}.")
    return int(value)


def _one_series(values, name):
    """``values`` as a 1-D float64 copy (a one-column 2-D input is the
    series), or a clear error."""
    series = check_array(values, ensure_2d=False, dtype=np.float64,
                         input_name=name, copy=True)
    if series.ndim == 2 and series.shape[1] == 1:
        series = series[:, 0]  # one column: the series
    if series.ndim != 1:
        raise ValueError(
            f"{name} must be one series, 1-D (n_values,), got shape "
            f"{series.shape}. Pass many series as a list of 1-D series "
            "(a panel): y=[s1, s2, ...].")
    return series


def _panel(y):
    """The series of a panel (a list or tuple of series) as 1-D float64
    copies, or None when ``y`` is one series: a list of numbers, or of
    one-value rows (a column, ``[[v0], [v1], ...]``)."""
    if not isinstance(y, list | tuple) or len(y) == 0:
        return None
    if all(np.ndim(item) == 0 or np.size(item) == 1 for item in y):
        return None
    return [_one_series(item, f"y[{i}]") for i, item in enumerate(y)]


def usual_step(series):
    """The mean absolute one-step change of ``series`` (1.0 for a series
    that never changes): what a panel's series are divided by."""
    step = float(np.mean(np.abs(np.diff(series))))
    return step if step > 0 and np.isfinite(step) else 1.0


def stacked_seasonality(series, window):
    """The regressor's seasonality score (``window_seasonality``: the
    smallest mean absolute change over a lag within the window over the
    one-step change) of the one-step windows of the stacked ``series``,
    or None where it has none."""
    X, _, ids = make_windows(series, window, return_series_id=True)
    starts = tuple(int(i) for i in np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]))
    windows = SeriesWindows(feature=0, step=window - 1, scale=1.0, offset=0.0,
                            series_starts=starts, horizon=1)
    return window_seasonality(np.asarray(X, dtype=np.float64)[..., None], windows)


def one_scale_shares(series, window):
    """The shares of ``series`` whose one-step windows pass the regressor's
    gates for one scale (``_plan.choose_instance_norm_scale``): their recent
    steps at most ``STEP_GROWTH_MAX`` times their early ones (a direct
    forecast's only gate), and also not a steady trend (trend share below
    ``STEADY_TREND_THRESHOLD``: a one-step forecast's second gate), each
    read by ``step_changes`` as for a single series."""
    growth_ok = both_ok = 0
    for values in series:
        X, _ = make_windows(values, window)
        found = step_changes(np.asarray(X, dtype=np.float64)[..., None], None,
                             0, latest=np.diff(values[-2:]))
        if found is None:
            continue
        _, trend, growth = found
        if growth <= STEP_GROWTH_MAX:
            growth_ok += 1
            both_ok += trend < STEADY_TREND_THRESHOLD
    return growth_ok / len(series), both_ok / len(series)


def fits_side_by_side(regressors):
    """Whether the two fits of the mean run side by side in two threads:
    both are :class:`RNNRegressor` (whose training follows the thread
    policy and can be cancelled), the thread policy is on, the caller's
    torch setting holds two threads or more, and neither trains a GRU
    through the compiled loop (``cell='gru'`` with numba: its steps hold
    Python's lock most of the time, and two of them side by side took
    1.19x the time of one after the other on 2 cores, round 19; with
    torch's loop, 0.80x)."""
    return (all(isinstance(r, RNNRegressor) for r in regressors)
            and policy_enabled() and torch.get_num_threads() >= 2
            and not (fused_gru_available()
                     and any(r.cell == "gru" for r in regressors)))


def _fit_all(jobs):
    """Fit each ``(model, (X, y))`` of ``jobs``: the mean's two side by side
    when :func:`fits_side_by_side` allows (the same models as one after the
    other: each trains on its own generators, at the thread count its work
    gets; on 2 cores a short series' two fits with torch's GRU loop take
    about a fifth less time together, round 18), else one after the
    other."""
    if len(jobs) == 2 and fits_side_by_side([model for model, _ in jobs]):
        (first, first_data), (second, second_data) = jobs
        run_side_by_side(lambda: first.fit(*first_data),
                         lambda: second.fit(*second_data))
    else:
        for model, data in jobs:
            model.fit(*data)


class RNNForecaster(BaseEstimator):
    """Forecast a series ``horizon`` steps ahead from the series itself.

    ``fit(series)`` frames the series into windows of ``window_size`` values
    (from ``season_length`` by default) and fits, for the default
    ``strategy='mean'``, two regressors: a one-step model rolled forward by
    :func:`recursive_forecast` and a direct model of all ``horizon`` values
    at once. ``predict()`` forecasts the steps after the series' end as the
    mean of the two forecasts. On the forecast benchmark's development list
    (22 series and 5 panels, seeds 0-2; geometric mean of MASE over the
    seasonal naive forecast's) the mean scores 0.603 against 0.670
    recursive and 0.639 direct (AutoARIMA 0.669, AutoETS 0.729), for both
    fits' time. It is the same as fitting :class:`RNNRegressor` on
    :func:`make_windows` yourself (the one-step model with
    ``ensemble_size=1``: see ``regressor``); this class does the
    bookkeeping.

    Parameters
    ----------
    horizon : int, default=1
        Steps ahead the direct model predicts at once, and ``predict``'s
        default. With ``horizon=1`` the recursive and the direct windows are
        the same and one model is fitted (``direct_estimator_`` is None).
    season_length : int, default=1
        The series' period (12 for monthly data with a yearly season, 4 for
        quarterly, 7 for daily data with a weekly cycle; 1 for none). Only
        the ``'auto'`` window reads it.
    window_size : int or 'auto', default='auto'
        Values per window. ``'auto'``: two seasons, at least 10 steps and at
        most a third of the series (:func:`choose_window_size`), the rule the
        benchmark's figures were measured with.
    strategy : {'mean', 'recursive', 'direct'}, default='mean'
        ``'mean'``: the mean of the recursive and the direct forecast (two
        fits); ``'recursive'``: the one-step model rolled forward;
        ``'direct'``: the direct model (rolled ``horizon`` values at a time
        beyond its horizon).
    regressor : regressor, default=None
        The model each strategy clones and fits on the windows; None is
        ``RNNRegressor()`` with its defaults. Any scikit-learn regressor that
        takes 2-D windows works (``Ridge``; a multi-output one for the direct
        strategy). With ``strategy='mean'`` the recursive model's
        ``ensemble_size='auto'`` (an :class:`RNNRegressor`'s default) is one
        network: the mean of the two forecasts is already an ensemble, and
        the three networks that 'auto' trains on a short seasonal series
        measured no better in it for twice the time (an explicit
        ``ensemble_size`` is kept). For a panel, ``instance_norm_scale`` and
        ``instance_norm_center`` left at 'auto' take the panel's rule (see
        Notes); explicit values are kept.
    random_state : int, RandomState instance or None, default=None
        Passed to each clone of ``regressor`` that has a ``random_state``
        parameter (None keeps the regressor's own).

    Attributes
    ----------
    window_size_ : int
        Values per window.
    horizon_ : int
        The ``horizon`` fitted for: ``predict``'s default number of steps
        (a later ``set_params(horizon=...)`` takes effect at the next fit).
    recursive_estimator_ : regressor or None
        The fitted one-step model (None for ``strategy='direct'`` with
        ``horizon > 1``).
    direct_estimator_ : regressor or None
        The fitted direct model of ``horizon`` values (None for
        ``strategy='recursive'`` or ``horizon=1``).
    last_window_ : ndarray of shape (window_size_,) or (n_series, window_size_)
        The series' last ``window_size_`` values, from which ``predict``
        forecasts (one row per series of a panel).
    n_values_ : int or ndarray of shape (n_series,)
        Length of the fitted series (of each series of a panel).
    series_scales_ : ndarray of shape (n_series,) or None
        For a panel, each series' usual step (its mean absolute one-step
        change, 1.0 for a constant series), which it was divided by before
        its windows were stacked; None for one series.

    See Also
    --------
    make_windows : The windows the regressors are fitted on.
    recursive_forecast : A one-step model rolled forward.
    RNNRegressor : The default regressor.

    Notes
    -----
    A panel (``fit([s1, s2, ...])``: related series, e.g. the sales of
    several stores) is forecast by one global model per strategy, fitted on
    the stacked windows of all the series (:func:`make_windows` of the
    list; no window crosses two series), with the window from the shortest
    series. Each series is first divided by its usual step
    (``series_scales_``) and its forecast multiplied back, so one model reads
    every series at one scale, and an :class:`RNNRegressor`'s windows are
    divided by that one step (``instance_norm_scale='series'`` where it is
    'auto') unless the windows are strongly seasonal within the window
    (then they keep their own spread and the one-step windows are centred on
    their mean: ``instance_norm_center='mean'`` where it is 'auto') or most
    series fail the single series' other gates (steps that grow more than
    threefold; one step ahead, a steady trend: ``one_scale_shares``),
    the rules a single series gets. On the forecast benchmark's five panels
    (seeds 0-2) it scored 0.784 with the default mean (0.96 s per series)
    and 0.772 with ``strategy='recursive'`` (one global model; 0.42 s per
    series), against AutoETS's 0.808, AutoARIMA's 0.775, a global
    :class:`RNNRegressor` on the raw stacked windows 0.865, and a forecaster
    per series 0.789 (3.8 s per series; fit times of round 17 at one
    thread: round 18's compiled GRU took the default fit of a series of up
    to 500 values from 3.7 to 2.1 s on average over the benchmark's list).

    Each fit starts from clones of ``regressor``; a fit that raises or is
    interrupted leaves a fitted forecaster as it was. With two torch threads
    or more (a multi-core machine's default) and a regressor whose training
    is mostly torch's work (an LSTM or RNN cell, or
    ``SKLEARN_RNN_FUSED_GRU=off``), the mean's two fits run side by side in
    two threads, with the same forecasts as one after the other (each
    trains at the thread count its work gets; a Ctrl-C or a failure in
    either stops both); on 2 cores a short series' fit takes about a fifth
    less time. The default GRU trains through a compiled loop whose steps
    are mostly Python's, and its two fits run one after the other (side by
    side they took 1.19x as long). :func:`save_model` stores a fitted forecaster whole
    when its ``regressor`` is None or an :class:`RNNRegressor`, in a file
    that :func:`load_model` checks as it checks an estimator's; pickle or
    joblib store any.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import RNNForecaster, RNNRegressor
    >>> t = np.arange(120)
    >>> series = 10 + np.sin(2 * np.pi * t / 12)
    >>> forecaster = RNNForecaster(
    ...     horizon=6, season_length=12, random_state=0,
    ...     regressor=RNNRegressor(hidden_size=8, max_iter=5))
    >>> forecaster = forecaster.fit(series)
    >>> forecaster.window_size_
    24
    >>> forecaster.predict().shape, forecaster.predict(15).shape
    ((6,), (15,))

    A panel: one global model per strategy, one row of forecasts per series.

    >>> panel = [series, 100 * series[:90]]
    >>> forecaster.fit(panel).predict().shape
    (2, 6)
    """

    _parameter_constraints: dict = {
        "horizon": [Interval(numbers.Integral, 1, None, closed="left")],
        "season_length": [Interval(numbers.Integral, 1, None, closed="left")],
        "window_size": [StrOptions({"auto"}),
                        Interval(numbers.Integral, 1, None, closed="left")],
        "strategy": [StrOptions(set(STRATEGIES))],
        "regressor": [HasMethods(["fit", "predict"]), None],
        "random_state": ["random_state"],
    }

    def __init__(self, horizon=1, *, season_length=1, window_size="auto",
                 strategy="mean", regressor=None, random_state=None):
        self.horizon = horizon
        self.season_length = season_length
        self.window_size = window_size
        self.strategy = strategy
        self.regressor = regressor
        self.random_state = random_state

    def _check_params(self):
        """The parameters against ``_parameter_constraints``, and what those
        cannot express: a boolean is not a count (as for the estimators)."""
        self._validate_params()
        for name in ("horizon", "season_length", "window_size"):
            value = getattr(self, name)
            if isinstance(value, bool | np.bool_):
                raise TypeError(f"{name} must be an integer, got the boolean "
                                f"{value!r}.")
        return int(self.horizon)

    def _new_regressor(self, combined=False, panel_norm=None):
        """A clone of ``regressor``; for the recursive half of the mean
        (``combined``), an ``ensemble_size='auto'`` becomes
        ``COMBINATION_RECURSIVE_MEMBERS`` networks; for a panel
        (``panel_norm``: the instance normalisation its windows get, see
        :meth:`fit`), ``instance_norm_scale`` / ``instance_norm_center``
        left at 'auto' take those values."""
        regressor = clone(self.regressor if self.regressor is not None
                          else RNNRegressor())
        params = regressor.get_params(deep=False)
        if self.random_state is not None and "random_state" in params:
            regressor.set_params(random_state=self.random_state)
        if combined and params.get("ensemble_size") == "auto":
            regressor.set_params(ensemble_size=COMBINATION_RECURSIVE_MEMBERS)
        for name, value in (panel_norm or {}).items():
            if params.get(name) == "auto":
                regressor.set_params(**{name: value})
        return regressor

    def fit(self, y):
        """Fit the strategy's regressors on the windows of the series ``y``,
        or one set of regressors on the stacked windows of a panel.

        Parameters
        ----------
        y : array-like of shape (n_values,), or list of them
            The series, oldest value first (a list of numbers, numpy array,
            pandas Series or one-column DataFrame), without missing values;
            or a panel: a list (or tuple) of such series, of any lengths,
            forecast by one global model per strategy. It is not modified.

        Returns
        -------
        self : RNNForecaster
            The fitted forecaster.
        """
        horizon = self._check_params()
        panel = _panel(y)
        many = panel is not None
        series = panel if many else [_one_series(y, "y")]
        window = choose_window_size(self.window_size, self.season_length,
                                    min(len(s) for s in series))
        needed = window + horizon + 1
        for i, values in enumerate(series):
            if len(values) < needed:
                name = f"y[{i}]" if many else "y"
                raise ValueError(
                    f"{name} has {len(values)} values; windows of {window} "
                    f"values and a horizon of {horizon} need at least {needed} "
                    "(two windows). Pass a longer series or a smaller "
                    "window_size / horizon.")
        scales = recursive_norm = direct_norm = None
        if many:
            # One model reads every series at one scale: each divided by its
            # usual step (its forecasts multiplied back). Its windows then
            # get the regressor's rules for a single series' windows, which
            # it cannot apply to stacked series of different scales: divided
            # by that one step, unless strongly seasonal within the window;
            # then each keeps its own spread, and the one-step windows are
            # centred on their mean (round 17: the five panels 0.865 ->
            # 0.772 for one global recursive model). Steps that grow (and,
            # one step ahead, steady trends) keep each window's spread too.
            scales = np.array([usual_step(s) for s in series])
            originals = series
            series = [s / scale for s, scale in zip(series, scales, strict=True)]
            score = stacked_seasonality(series, window)
            if score is not None and score < SEASONAL_CENTRE_THRESHOLD:
                recursive_norm = {"instance_norm_center": "mean"}
            else:
                # The single series' gates, series by series; one scale
                # when most of the panel passes.
                growth_ok, both_ok = one_scale_shares(series, window)
                one_scale = {"instance_norm_scale": "series"}
                if both_ok >= PANEL_ONE_SCALE_SHARE:
                    recursive_norm = one_scale
                if growth_ok >= PANEL_ONE_SCALE_SHARE:
                    direct_norm = one_scale
        data = series if many else series[0]
        recursive = direct = None
        combined = self.strategy == "mean" and horizon > 1
        jobs = []
        if self.strategy != "direct" or horizon == 1:
            recursive = self._new_regressor(combined, recursive_norm)
            jobs.append((recursive, make_windows(data, window)))
        if self.strategy != "recursive" and horizon > 1:
            direct = self._new_regressor(panel_norm=direct_norm)
            jobs.append((direct, make_windows(data, window, horizon=horizon)))
        _fit_all(jobs)
        # Set only once every fit has succeeded: a failed or interrupted
        # fit leaves the forecaster as it was.
        self.window_size_ = window
        self.horizon_ = horizon
        self.recursive_estimator_ = recursive
        self.direct_estimator_ = direct
        if many:
            self.series_scales_ = scales
            self.last_window_ = np.stack([s[-window:] for s in originals])
            self.n_values_ = np.array([len(s) for s in series])
        else:
            self.series_scales_ = None
            self.last_window_ = series[0][-window:].copy()
            self.n_values_ = len(series[0])
        return self

    def predict(self, n_steps=None):
        """Forecast the ``n_steps`` values after the fitted series.

        Parameters
        ----------
        n_steps : int, default=None
            Steps to forecast; None is the ``horizon`` fitted for
            (``horizon_``). A direct model forecasts further than its
            horizon ``horizon_`` values at a time, fed back as
            :func:`recursive_forecast` feeds them.

        Returns
        -------
        forecast : ndarray of shape (n_steps,) or (n_series, n_steps)
            The forecast values, the step after the series first; for a
            panel, one row per series in the order of ``fit``.
        """
        check_is_fitted(self, "last_window_")
        n_steps = _check_int(self.horizon_ if n_steps is None else n_steps,
                             "n_steps", 1)
        scales = self.series_scales_
        # Many series: a list of windows (a 2-D array is one window).
        windows = (self.last_window_ if scales is None
                   else list(self.last_window_ / scales[:, None]))
        forecasts = [recursive_forecast(estimator, windows, n_steps)
                     for estimator in (self.recursive_estimator_,
                                       self.direct_estimator_)
                     if estimator is not None]
        forecast = np.mean(forecasts, axis=0)
        return forecast if scales is None else forecast * scales[:, None]

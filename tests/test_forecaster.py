"""RNNForecaster: a series in, its forecast out; the same forecasts as the
windows, the regressors and recursive_forecast by hand."""

import pickle
import threading

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from skorch.callbacks import Callback

from sklearn_rnn import RNNForecaster, RNNRegressor, make_windows, recursive_forecast
from sklearn_rnn._forecaster import choose_window_size, one_scale_shares, usual_step
from sklearn_rnn._fused_gru import fused_gru_available

SERIES = 10 + np.sin(2 * np.pi * np.arange(80) / 12) + 0.05 * np.arange(80)


def small_rnn():
    return RNNRegressor(hidden_size=4, max_iter=3)


def by_hand(series, window, horizon, seed=0, recursive_members="auto"):
    """The recursive and the direct forecast from the windows, by hand."""
    X, y = make_windows(series, window)
    one_step = RNNRegressor(hidden_size=4, max_iter=3, random_state=seed,
                            ensemble_size=recursive_members)
    recursive = recursive_forecast(one_step.fit(X, y), series[-window:], horizon)
    X, Y = make_windows(series, window, horizon=horizon)
    direct = RNNRegressor(hidden_size=4, max_iter=3, random_state=seed)
    return recursive, direct.fit(X, Y).predict(series[-window:][None, :])[0]


def test_mean_is_the_mean_of_the_recursive_and_the_direct_forecast():
    # The mean's recursive half is one network; alone it keeps 'auto' (on
    # these 56 short seasonal windows: three networks).
    recursive_one, direct = by_hand(SERIES, 24, 6, recursive_members=1)
    recursive, _ = by_hand(SERIES, 24, 6)
    forecaster = RNNForecaster(6, season_length=12, regressor=small_rnn(),
                               random_state=0).fit(SERIES)
    assert forecaster.window_size_ == 24
    assert forecaster.recursive_estimator_.ensemble_size_ == 1
    assert forecaster.regressor.ensemble_size == "auto"  # not modified
    np.testing.assert_allclose(forecaster.predict(),
                               (recursive_one + direct) / 2, rtol=0, atol=1e-12)
    for strategy, expected in (("recursive", recursive), ("direct", direct)):
        single = clone(forecaster).set_params(strategy=strategy).fit(SERIES)
        np.testing.assert_allclose(single.predict(), expected, rtol=0, atol=1e-12)
    assert single.recursive_estimator_ is None
    alone = clone(forecaster).set_params(strategy="recursive").fit(SERIES)
    assert alone.recursive_estimator_.ensemble_size_ == 3
    assert forecaster.n_values_ == 80
    np.testing.assert_array_equal(forecaster.last_window_, SERIES[-24:])


def test_an_explicit_ensemble_size_is_kept():
    regressor = RNNRegressor(hidden_size=4, max_iter=1, ensemble_size=2)
    forecaster = RNNForecaster(3, window_size=10, regressor=regressor,
                               random_state=0).fit(SERIES)
    assert forecaster.recursive_estimator_.ensemble_size_ == 2
    assert forecaster.direct_estimator_.ensemble_size_ == 2


def test_predict_other_lengths():
    forecaster = RNNForecaster(4, window_size=10, regressor=small_rnn(),
                               random_state=0).fit(SERIES)
    four = forecaster.predict()
    assert four.shape == (4,)
    # Fewer steps: the recursive part is the first steps of the same roll,
    # the direct part the first values of its horizon.
    np.testing.assert_allclose(forecaster.predict(2), four[:2], atol=1e-12)
    # More: the direct model is fed back four values at a time.
    longer = forecaster.predict(10)
    assert longer.shape == (10,) and np.all(np.isfinite(longer))
    np.testing.assert_allclose(longer[:4], four, atol=1e-12)
    direct = forecaster.direct_estimator_
    np.testing.assert_allclose(
        recursive_forecast(direct, SERIES[-10:], 10), 2 * longer
        - recursive_forecast(forecaster.recursive_estimator_, SERIES[-10:], 10),
        atol=1e-9)


def test_horizon_one_fits_one_model():
    forecaster = RNNForecaster(window_size=10, regressor=small_rnn(),
                               random_state=0).fit(SERIES)
    assert forecaster.direct_estimator_ is None
    assert forecaster.recursive_estimator_ is not None
    X, y = make_windows(SERIES, 10)
    one_step = RNNRegressor(hidden_size=4, max_iter=3, random_state=0).fit(X, y)
    np.testing.assert_allclose(forecaster.predict(5),
                               recursive_forecast(one_step, SERIES[-10:], 5),
                               atol=1e-12)
    direct = RNNForecaster(strategy="direct", window_size=10,
                           regressor=small_rnn(), random_state=0).fit(SERIES)
    assert direct.recursive_estimator_ is not None
    assert direct.direct_estimator_ is None


@pytest.mark.parametrize("season, n, expected", [
    (12, 500, 24),   # two seasons
    (4, 500, 10),    # at least 10
    (1, 500, 10),
    (12, 60, 20),    # at most a third of the series
    (52, 100, 33),
    (1, 2, 1),       # at least one value
])
def test_auto_window(season, n, expected):
    assert choose_window_size("auto", season, n) == expected
    assert choose_window_size(7, season, n) == 7


def test_any_regressor_and_input_types():
    forecaster = RNNForecaster(3, window_size=12, regressor=Ridge())
    ridge = forecaster.fit(list(SERIES)).predict()
    X, y = make_windows(SERIES, 12)
    X3, Y3 = make_windows(SERIES, 12, horizon=3)
    expected = (recursive_forecast(Ridge().fit(X, y), SERIES[-12:], 3)
                + Ridge().fit(X3, Y3).predict(SERIES[-12:][None, :])[0]) / 2
    np.testing.assert_allclose(ridge, expected, atol=1e-10)
    for series in (pd.Series(SERIES), pd.DataFrame({"y": SERIES}),
                   SERIES.reshape(-1, 1), [[v] for v in SERIES]):
        np.testing.assert_allclose(forecaster.fit(series).predict(), expected,
                                   atol=1e-10)


def test_the_series_is_not_modified_and_not_shared():
    series = SERIES.copy()
    forecaster = RNNForecaster(3, window_size=12, regressor=Ridge()).fit(series)
    np.testing.assert_array_equal(series, SERIES)
    before = forecaster.predict()
    series[:] = 0.0
    np.testing.assert_array_equal(forecaster.predict(), before)


def test_clone_and_pickle():
    forecaster = RNNForecaster(3, season_length=4, regressor=small_rnn(),
                               random_state=0)
    assert clone(forecaster).get_params()["season_length"] == 4
    fitted = forecaster.fit(SERIES)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(7), fitted.predict(7))
    # The template regressor itself is never fitted.
    assert not hasattr(forecaster.regressor, "net_")


def test_random_state_reaches_each_regressor():
    forecaster = RNNForecaster(3, window_size=10, regressor=small_rnn(),
                               random_state=5).fit(SERIES)
    assert forecaster.recursive_estimator_.random_state == 5
    assert forecaster.direct_estimator_.random_state == 5
    kept = RNNForecaster(3, window_size=10, regressor=RNNRegressor(
        hidden_size=4, max_iter=3, random_state=2)).fit(SERIES)
    assert kept.direct_estimator_.random_state == 2


@pytest.mark.parametrize("params, message", [
    ({"horizon": 0}, "'horizon' parameter of RNNForecaster must be an int"),
    ({"horizon": 2.5}, "'horizon' parameter of RNNForecaster must be an int"),
    ({"season_length": 0}, "'season_length' parameter of RNNForecaster"),
    ({"window_size": "long"}, "'window_size' parameter of RNNForecaster must "
     "be a str among {'auto'} or an int"),
    ({"window_size": 0}, "'window_size' parameter of RNNForecaster"),
    ({"strategy": "median"}, "'strategy' parameter of RNNForecaster must be "
     "a str among"),
    ({"regressor": "ridge"}, "'regressor' parameter of RNNForecaster must be "
     "an object implementing 'fit' and 'predict'"),
    ({"random_state": "seed"}, "'random_state' parameter of RNNForecaster"),
])
def test_bad_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        RNNForecaster(**params).fit(SERIES)


@pytest.mark.parametrize("name", ["horizon", "season_length", "window_size"])
def test_a_boolean_is_not_a_count(name):
    with pytest.raises(TypeError, match=f"{name} must be an integer, got the "
                       "boolean True"):
        RNNForecaster(**{name: True}).fit(SERIES)


@pytest.mark.parametrize("y, message", [
    (np.ones((10, 2)), "y must be one series, 1-D .* as a list of 1-D series"),
    ([SERIES, np.ones((10, 2))], r"y\[1\] must be one series, 1-D"),
    ([SERIES, SERIES[:12]], r"y\[1\] has 12 values; .* need at least"),
    (np.r_[SERIES[:40], np.nan, SERIES[41:]], "NaN"),
    (SERIES[:12], "need at least"),
])
def test_bad_series(y, message):
    with pytest.raises(ValueError, match=message):
        RNNForecaster(3, window_size=10, regressor=Ridge()).fit(y)


def test_a_failed_fit_leaves_the_forecaster_as_it_was():
    forecaster = RNNForecaster(3, window_size=10, regressor=Ridge()).fit(SERIES)
    before = forecaster.predict()
    with pytest.raises(ValueError, match="NaN"):
        forecaster.fit(np.r_[SERIES, np.nan])
    forecaster.set_params(horizon=2)
    with pytest.raises(ValueError, match="need at least"):
        forecaster.fit(SERIES[:12])
    forecaster.set_params(horizon=3)
    np.testing.assert_array_equal(forecaster.predict(), before)
    assert forecaster.n_values_ == 80


def test_predict_needs_a_fit_and_a_step_count():
    with pytest.raises(NotFittedError):
        RNNForecaster().predict()
    forecaster = RNNForecaster(2, window_size=10, regressor=Ridge()).fit(SERIES)
    for bad in (0, -1, 2.0, "3"):
        with pytest.raises(ValueError, match="n_steps must be an integer"):
            forecaster.predict(bad)


def test_save_model_stores_the_forecaster_whole(tmp_path):
    # tests/test_forecaster_files.py checks the file; here: it is whole.
    from sklearn_rnn import load_model, save_model

    forecaster = RNNForecaster(3, window_size=10, regressor=small_rnn(),
                               random_state=0).fit(SERIES)
    loaded = load_model(save_model(forecaster, tmp_path / "f.zip"))
    np.testing.assert_array_equal(loaded.predict(5), forecaster.predict(5))
    assert loaded.direct_estimator_.n_iter_ == forecaster.direct_estimator_.n_iter_


def test_predict_defaults_to_the_horizon_fitted_for():
    forecaster = RNNForecaster(3, window_size=10, regressor=Ridge()).fit(SERIES)
    forecaster.set_params(horizon=5)
    assert forecaster.horizon_ == 3 and forecaster.predict().shape == (3,)
    assert forecaster.fit(SERIES).predict().shape == (5,)


# --------------------------------------------------------------------- panels
NOISY = [np.random.RandomState(seed).normal(size=70).cumsum() + 50
         for seed in range(3)]


def test_a_panel_is_one_global_model_on_series_divided_by_their_step():
    """By hand: each series over its mean absolute step, the stacked
    windows, one scale for every window (not strongly seasonal), the
    recursive half one network; forecasts multiplied back."""
    panel = [NOISY[0], 10 * NOISY[1][:60], NOISY[2] / 4]
    forecaster = RNNForecaster(4, window_size=10, regressor=small_rnn(),
                               random_state=0).fit(panel)
    scales = np.array([np.mean(np.abs(np.diff(s))) for s in panel])
    np.testing.assert_allclose(forecaster.series_scales_, scales, rtol=1e-12)
    scaled = [s / c for s, c in zip(panel, scales, strict=True)]
    windows = [s[-10:] for s in scaled]
    one_step = RNNRegressor(hidden_size=4, max_iter=3, random_state=0,
                            ensemble_size=1, instance_norm_scale="series")
    one_step.fit(*make_windows(scaled, 10))
    direct = RNNRegressor(hidden_size=4, max_iter=3, random_state=0,
                          instance_norm_scale="series")
    direct.fit(*make_windows(scaled, 10, horizon=4))
    expected = (recursive_forecast(one_step, windows, 4)
                + recursive_forecast(direct, windows, 4)) / 2 * scales[:, None]
    np.testing.assert_allclose(forecaster.predict(), expected, rtol=0,
                               atol=1e-9 * np.abs(expected).max())
    assert forecaster.recursive_estimator_.instance_norm_scale_ == "series"
    assert forecaster.regressor.instance_norm_scale == "auto"  # not modified
    np.testing.assert_array_equal(forecaster.n_values_, [70, 60, 70])
    np.testing.assert_array_equal(forecaster.last_window_,
                                  np.stack([s[-10:] for s in panel]))
    assert forecaster.predict(7).shape == (3, 7)


def test_a_strongly_seasonal_panel_gets_a_seasonal_series_rule():
    """Each window keeps its own spread, and the one-step windows are
    centred on their mean (the direct ones on their last value), as a
    single strongly seasonal series' windows are."""
    t = np.arange(72)
    rng = np.random.RandomState(0)
    panel = [10 + np.sin(2 * np.pi * t / 12) + 0.05 * rng.normal(size=72),
             100 + 20 * np.cos(2 * np.pi * t / 12) + rng.normal(size=72)]
    forecaster = RNNForecaster(3, season_length=12, regressor=small_rnn(),
                               random_state=0).fit(panel)
    assert forecaster.window_size_ == 24
    recursive, direct = forecaster.recursive_estimator_, forecaster.direct_estimator_
    assert recursive.instance_norm_scale_ == direct.instance_norm_scale_ == "window"
    assert recursive.instance_norm_center == "mean"
    assert direct.instance_norm_center == "auto"
    assert direct.instance_norm_center_ == "last"
    # An explicit choice is the user's.
    explicit = RNNForecaster(3, season_length=12, random_state=0,
                             regressor=small_rnn().set_params(
                                 instance_norm_center="last")).fit(panel)
    assert explicit.recursive_estimator_.instance_norm_center_ == "last"


def test_a_panel_whose_steps_grow_keeps_each_windows_spread():
    """Most series' steps grow more than threefold (the single series'
    gate): the windows are not divided by one step."""
    t = np.arange(120)
    rng = np.random.RandomState(0)
    panel = [k * np.exp(0.02 * t) * (1 + 0.1 * rng.normal(size=120))
             for k in (1, 5, 30)]
    growth_ok, both_ok = one_scale_shares(
        [s / usual_step(s) for s in panel], 10)
    assert growth_ok == both_ok == 0
    forecaster = RNNForecaster(3, window_size=10, regressor=small_rnn(),
                               random_state=0).fit(panel)
    for estimator in (forecaster.recursive_estimator_,
                      forecaster.direct_estimator_):
        assert estimator.instance_norm_scale == "auto"
        assert estimator.instance_norm_scale_ == "window"


def test_a_panel_is_forecast_at_each_series_scale():
    """Series that differ only by their scale are read alike: the second's
    forecast is 1,000 times the first's."""
    panel = [NOISY[0], 1000 * NOISY[0]]
    forecaster = RNNForecaster(3, window_size=10, regressor=Ridge()).fit(panel)
    forecast = forecaster.predict()
    np.testing.assert_allclose(forecast[1], 1000 * forecast[0], rtol=1e-9)
    # A tuple is a panel too; a list of numbers is one series.
    assert RNNForecaster(3, window_size=10, regressor=Ridge()).fit(
        tuple(panel)).predict().shape == (2, 3)
    one = RNNForecaster(3, window_size=10, regressor=Ridge()).fit(
        NOISY[0].tolist())
    assert one.predict().shape == (3,) and one.series_scales_ is None
    # A fitted panel forecaster pickles whole, and refits as one series.
    restored = pickle.loads(pickle.dumps(forecaster))
    np.testing.assert_array_equal(restored.predict(5), forecaster.predict(5))
    assert forecaster.fit(NOISY[1]).predict().shape == (3,)
    assert forecaster.series_scales_ is None


def test_a_panel_window_comes_from_its_shortest_series():
    forecaster = RNNForecaster(2, season_length=12, regressor=Ridge()).fit(
        [NOISY[0], NOISY[1][:45]])
    assert forecaster.window_size_ == 15  # a third of 45 values


def test_the_means_two_fits_run_side_by_side_with_the_same_forecasts(
        torch_threads, monkeypatch):
    # On two threads or more, the recursive and the direct model train at
    # once in two threads; each trains at the thread count its work gets,
    # so the forecasts equal those of one fit after the other.
    import sklearn_rnn._forecaster as forecaster_module

    calls = []
    original = forecaster_module.run_side_by_side

    def recording(first, second):
        calls.append(1)
        return original(first, second)

    monkeypatch.setattr(forecaster_module, "run_side_by_side", recording)
    # An LSTM: a GRU trained through the compiled loop fits one after the
    # other (below).
    forecaster = RNNForecaster(
        4, window_size=10, random_state=0,
        regressor=RNNRegressor(hidden_size=4, max_iter=3, cell="lstm"))
    torch_threads(1)
    one_after_the_other = forecaster.fit(SERIES).predict()
    assert calls == []
    torch_threads(2)
    side_by_side = clone(forecaster).fit(SERIES).predict()
    assert calls == [1]
    np.testing.assert_array_equal(side_by_side, one_after_the_other)
    # Other regressors, a compiled GRU (its steps hold Python's lock: side
    # by side took longer, round 19), or the policy switched off: one after
    # the other.
    clone(forecaster).set_params(regressor=Ridge()).fit(SERIES)
    clone(forecaster).set_params(regressor=small_rnn()).fit(SERIES)
    assert calls == [1] * (1 + (not fused_gru_available()))
    monkeypatch.setenv("SKLEARN_RNN_THREADS", "off")
    clone(forecaster).fit(SERIES)
    assert len(calls) == 1 + (not fused_gru_available())


class _CtrlCInDirectFit(Callback):
    """A Ctrl-C inside torch's forward pass of the direct model (2-D
    targets) at its first epoch; the recursive model trains on."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        if net.module_ is not None and X.y.ndim == 2 and X.y.shape[1] > 1:
            net.module_.register_forward_pre_hook(_interrupt)


def _interrupt(module, inputs):
    raise KeyboardInterrupt


def test_ctrl_c_in_one_of_the_side_by_side_fits_stops_both(torch_threads):
    torch_threads(2)
    regressor = RNNRegressor(hidden_size=4, max_iter=50, cell="lstm",
                             callbacks=[_CtrlCInDirectFit()])
    forecaster = RNNForecaster(3, window_size=10, regressor=Ridge(),
                               random_state=0).fit(SERIES)
    before = forecaster.predict()
    forecaster.set_params(regressor=regressor)
    with pytest.raises(KeyboardInterrupt):
        forecaster.fit(SERIES)
    # Left as it was; and no fit still running beside (it was waited for).
    np.testing.assert_array_equal(forecaster.predict(), before)
    assert not any(t.name == "sklearn-rnn-fit" for t in threading.enumerate())

"""Many series (global models), known future covariates, window views in fit."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline

from sklearn_rnn import (
    RNNRegressor,
    SlidingWindowTransformer,
    make_windows,
    recursive_forecast,
)
from sklearn_rnn._sequences import dense_span, float32_window_view


# ------------------------------------------------------------- many series
def test_make_windows_stacks_series_without_crossing():
    a, b = np.arange(6.0), np.arange(100.0, 105.0)
    X, y, ids = make_windows([a, b], 3, return_series_id=True)
    Xa, ya = make_windows(a, 3)
    Xb, yb = make_windows(b, 3)
    assert_array_equal(X, np.concatenate([Xa, Xb]))
    assert_array_equal(y, np.concatenate([ya, yb]))
    assert_array_equal(ids, [0, 0, 0, 1, 1])
    # No window mixes the two series: each lies within one of them.
    assert all((row < 100).all() or (row >= 100).all() for row in X)


@pytest.mark.parametrize("container", [list, tuple])
def test_list_of_sequences_is_always_many_series(container):
    # Equal lengths too: the meaning never depends on the lengths.
    series = container([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])
    X, y, ids = make_windows(series, 2, return_series_id=True)
    assert X.shape == (4, 2)
    assert_array_equal(y, [3.0, 4.0, 7.0, 8.0])
    assert_array_equal(ids, [0, 0, 1, 1])
    # A list of numbers stays one series.
    X, y = make_windows([1.0, 2.0, 3.0, 4.0], 2)
    assert_array_equal(y, [3.0, 4.0])


def test_many_multivariate_series_and_options():
    rng = np.random.default_rng(0)
    series = [rng.normal(size=(n, 2)) for n in (10, 14)]
    X, y, ids = make_windows(series, 3, horizon=2, step=2, target=1,
                             return_series_id=True)
    parts = [make_windows(s, 3, horizon=2, step=2, target=1) for s in series]
    assert_array_equal(X, np.concatenate([p[0] for p in parts]))
    assert_array_equal(y, np.concatenate([p[1] for p in parts]))
    assert_array_equal(np.bincount(ids), [len(p[0]) for p in parts])
    # The last window of each series ends its target on the series' end.
    for i, s in enumerate(series):
        assert y[ids == i][-1, -1] == s[-1, 1]


def test_series_id_of_one_series_and_group_kfold():
    X, y, ids = make_windows(np.arange(20.0), 4, return_series_id=True)
    assert_array_equal(ids, np.zeros(len(X)))
    X, y, ids = make_windows([np.arange(20.0), np.arange(30.0), np.arange(25.0)],
                             4, return_series_id=True)
    for train, test in GroupKFold(n_splits=3).split(X, y, groups=ids):
        assert not set(ids[train]) & set(ids[test])


def test_make_windows_many_series_errors():
    ok = np.arange(10.0)
    with pytest.raises(ValueError, match=r"Series 1 of the list has 4 values.*"
                                         r"at least 5 are needed"):
        make_windows([ok, np.arange(4.0), ok], 3, horizon=2)
    with_nan = ok.copy()
    with_nan[6] = np.nan
    with pytest.raises(ValueError, match="Series 2 of the list contains NaN at "
                                         "position 6"):
        make_windows([ok, ok, with_nan], 3)
    with_inf = np.column_stack([ok, ok])
    with_inf[4, 1] = -np.inf
    with pytest.raises(ValueError, match="-infinity at position 4"):
        make_windows(with_inf, 3, target=0)
    with pytest.raises(ValueError, match="same number of dimensions"):
        make_windows([ok, ok[:, None]], 3)
    with pytest.raises(ValueError, match="mixes numbers and sequences"):
        make_windows([1.0, [2.0, 3.0]], 1)
    with pytest.raises(ValueError, match="empty list"):
        make_windows([], 1)


def test_recursive_forecast_many_series_calls_predict_once_per_step():
    t = np.arange(120)
    series = [np.sin(2 * np.pi * t / 12), 3 * np.cos(2 * np.pi * t / 12)]
    X, y = make_windows([s[:100] for s in series], 12)
    ridge = Ridge(alpha=1e-8).fit(X, y)

    class Counting(Ridge):
        calls = []

        def predict(self, X):
            self.calls.append(X.shape)
            return super().predict(X)

    model = Counting(alpha=1e-8).fit(X, y)
    windows = [s[88:100] for s in series]
    forecast = recursive_forecast(model, windows, 20)
    assert forecast.shape == (2, 20)
    assert Counting.calls == [(2, 12)] * 20
    for i, s in enumerate(series):
        assert_allclose(forecast[i], recursive_forecast(ridge, windows[i], 20),
                        atol=1e-12)
        assert_allclose(forecast[i], s[100:], atol=1e-3)
    # A 3-D stack of windows is the same as the list of its windows.
    stacked = np.stack([np.column_stack([w, w]) for w in windows])
    X2, y2 = make_windows([np.column_stack([s[:100], s[:100]]) for s in series],
                          12, target=0)
    model2 = Ridge(alpha=1e-8).fit(X2.reshape(len(X2), -1), y2)
    future = np.zeros((2, 20, 2))
    future[:, :, 1] = np.stack([s[100:] for s in series])
    by_stack = recursive_forecast(model2, stacked, 20, target=0,
                                  future_features=future, flatten=True)
    by_list = recursive_forecast(model2, list(stacked), 20, target=0,
                                 future_features=list(future), flatten=True)
    assert_allclose(by_stack, by_list)
    assert by_stack.shape == (2, 20)


def test_recursive_forecast_many_series_rows_pipeline():
    t = np.arange(200)
    series = [np.sin(2 * np.pi * t / 10), np.cos(2 * np.pi * t / 10)]
    model = make_pipeline(SlidingWindowTransformer(5, flatten=True), Ridge(1e-8))
    model.fit(series[0][:-1], series[0][1:])
    windows = [s[150:160] for s in series]
    together = recursive_forecast(model, windows, 8)
    for i in range(2):
        assert_allclose(together[i], recursive_forecast(model, windows[i], 8))
    with pytest.raises(ValueError, match="fewer than the window_size=5"):
        recursive_forecast(model, [s[:4] for s in series], 3)


def test_recursive_forecast_many_series_errors():
    X, y = make_windows(np.sin(np.arange(60.0)), 5)
    model = Ridge().fit(X, y)
    with pytest.raises(ValueError, match=r"Window 1 has the shape \(4,\)"):
        recursive_forecast(model, [np.zeros(5), np.zeros(4)], 3)
    with pytest.raises(ValueError, match="list of 2 arrays"):
        recursive_forecast(model, np.zeros((2, 5, 2)), 3, target=0,
                           future_features=np.zeros((3, 2)))


# ----------------------------------------------------- future covariates
def test_future_covariates_layout_never_leaks_the_future():
    values = np.arange(10.0) * 10
    covariates = np.column_stack([np.arange(10.0), -np.arange(10.0)])
    X, y = make_windows(values, 4, horizon=3, future_covariates=covariates)
    assert X.shape == (4, 7, 4)
    for i in range(len(X)):
        assert_array_equal(X[i, :4, 0], values[i : i + 4])
        # The values to predict are not in X: zeros, flagged as future steps.
        assert_array_equal(X[i, 4:, 0], 0.0)
        assert_array_equal(X[i, :, 1:3], covariates[i : i + 7])
        assert_array_equal(X[i, :, 3], [0, 0, 0, 0, 1, 1, 1])
        assert_array_equal(y[i], values[i + 4 : i + 7])


def test_future_covariates_multivariate_and_many_series():
    rng = np.random.default_rng(0)
    series = [rng.normal(size=(n, 2)) for n in (12, 9)]
    covariates = [rng.normal(size=(n, 1)) for n in (12, 9)]
    X, y, ids = make_windows(series, 3, horizon=2, target=0,
                             future_covariates=covariates, return_series_id=True)
    assert X.shape == (8 + 5, 5, 2 + 1 + 1)
    last = X[ids == 1][-1]
    assert_array_equal(last[:3, :2], series[1][4:7])
    assert_array_equal(last[:, 2], covariates[1][4:9, 0])
    assert_array_equal(y[ids == 1][-1], series[1][7:9, 0])


def test_future_covariates_errors():
    series = np.arange(10.0)
    with pytest.raises(ValueError, match="have 9 rows; expected 10"):
        make_windows(series, 3, future_covariates=np.zeros(9))
    with pytest.raises(ValueError, match="series 1 of the list have 7 rows; "
                                         "expected 8"):
        make_windows([series, series[:8]], 3,
                     future_covariates=[np.zeros(10), np.zeros(7)])
    with pytest.raises(ValueError, match="list of as many arrays"):
        make_windows([series, series], 3, future_covariates=np.zeros(10))
    bad = np.zeros(10)
    bad[9] = np.nan
    with pytest.raises(ValueError, match="contains NaN at position 9"):
        make_windows(series, 3, future_covariates=bad)
    with pytest.raises(ValueError, match="return_sequences"):
        make_windows(series, 3, future_covariates=np.zeros(10),
                     return_sequences=True)


def test_recursive_forecast_with_future_covariates_matches_direct_windows():
    rng = np.random.default_rng(0)
    n = 80
    covariate = rng.normal(size=n)
    series = np.cumsum(rng.normal(size=n))
    X, Y = make_windows(series, 6, horizon=2, future_covariates=covariate)

    class Recording(Ridge):
        seen = []

        def predict(self, X):
            self.seen.append(np.array(X))
            return super().predict(X)

    flat = X.reshape(len(X), -1)
    model = Recording().fit(flat, Y)
    # The first step's input is exactly make_windows' last window.
    forecast = recursive_forecast(model, series[-8:-2], 2, horizon=2, flatten=True,
                                  future_covariates=covariate[-8:])
    assert_allclose(Recording.seen[0], flat[-1:])
    assert_allclose(forecast, model.predict(flat[-1:])[0])
    with pytest.raises(ValueError, match="needs horizon="):
        recursive_forecast(model, series[-6:], 2, future_covariates=covariate[-8:])
    with pytest.raises(ValueError, match="only used with future_covariates"):
        recursive_forecast(model, series[-6:], 2, horizon=2, flatten=True)
    with pytest.raises(ValueError, match="have 8 rows; expected 10"):
        # 3 steps, 2 at a time: the covariates of 4 forecast steps are needed.
        recursive_forecast(model, series[-6:], 3, horizon=2, flatten=True,
                           future_covariates=covariate[-8:])

    class TwoAhead(RegressorMixin, BaseEstimator):
        def fit(self, X, y):
            self.fitted_ = True
            return self

        def predict(self, X):
            return np.zeros((len(X), 2))

    with pytest.raises(ValueError, match="predicts 2 value"):
        recursive_forecast(TwoAhead().fit(X, Y), series[-6:], 3, horizon=3,
                           future_covariates=np.zeros(9))


def test_rnn_consumes_future_covariate_windows():
    t = np.arange(300)
    weekend = (t % 7 >= 5).astype(float)
    series = np.sin(t / 10) + weekend
    X, Y = make_windows(series[:280], 14, horizon=7, future_covariates=weekend[:280])
    est = RNNRegressor(hidden_size=4, max_iter=2, random_state=0).fit(X, Y)
    forecast = recursive_forecast(est, series[266:280], 14, horizon=7,
                                  future_covariates=weekend[266:294])
    assert forecast.shape == (14,)
    assert np.isfinite(forecast).all()


# ------------------------------------------------ window views in fit
def test_float32_window_view_keeps_windows_a_view():
    series = np.random.default_rng(0).normal(size=(500, 3))
    X, _ = make_windows(series, 50, target=0)
    X32 = float32_window_view(X)
    assert X32.dtype == np.float32
    assert_array_equal(X32, X.astype(np.float32))
    assert not X32.flags.writeable
    # The span: the 499 rows before the last target, 3 values each.
    assert dense_span(X32.shape, [s // 4 for s in X32.strides]) == 499 * 3
    # Neighbouring windows share their memory: one float32 series behind them.
    assert np.shares_memory(X32[0], X32[1])
    # Not a window view: returned as is, for the usual validation.
    for other in (np.zeros((5, 3)), X.astype(np.float32), X[::2, ::2], [[1.0]]):
        assert float32_window_view(other) is other
    # step > window: windows with gaps between them are no dense span.
    gapped, _ = make_windows(np.arange(100.0), 3, step=5)
    assert float32_window_view(gapped) is gapped


def test_fit_on_window_view_matches_fit_on_a_copy(monkeypatch):
    series = np.sin(np.arange(400) / 7.0)
    X, y = make_windows(series, 16)
    params = dict(hidden_size=4, max_iter=2, random_state=0, shuffle=True)
    on_view = RNNRegressor(**params).fit(X, y)
    on_copy = RNNRegressor(**params).fit(np.ascontiguousarray(X), y)
    assert_allclose(on_view.predict(X), on_copy.predict(X.copy()), rtol=1e-5)
    assert_array_equal(series, np.sin(np.arange(400) / 7.0))  # not modified

    # The network is fed the strided view, not n x T values.
    import sklearn_rnn._net as net_module

    seen = []
    original = net_module.as_dataset

    def recording(batch, *args, **kwargs):
        seen.append(batch.values)
        return original(batch, *args, **kwargs)

    monkeypatch.setattr("sklearn_rnn._base.as_dataset", recording)
    RNNRegressor(**params).fit(X, y).predict(X)
    X3, y3 = make_windows(np.column_stack([series, series]), 16, target=0)
    RNNRegressor(**params).fit(X3, y3)
    for values in seen:
        assert values.dtype == np.float32
        assert values.base is not None and np.shares_memory(values[0], values[1])


def test_to_device_moves_the_series_behind_a_window_view():
    import torch

    from sklearn_rnn._net import _to_device

    X, _ = make_windows(np.arange(1000, dtype=np.float32), 100)
    tensor = torch.as_tensor(X.copy()).as_strided(X.shape, (1, 1))
    assert _to_device(tensor, "cpu") is tensor
    # "meta" stands in for an accelerator: the windows keep their strides
    # over a moved span of 999 values, instead of becoming 900 x 100.
    moved = _to_device(tensor, "meta")
    assert moved.device.type == "meta"
    assert moved.shape == tensor.shape and moved.stride() == (1, 1)
    assert moved.untyped_storage().nbytes() == 999 * 4

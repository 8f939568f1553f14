"""SlidingWindowTransformer and make_windows: contents, views, names, errors."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_rnn import RNNRegressor, SlidingWindowTransformer, make_windows

# A window is the rows ending at the current one: row order is the data, so
# transforming rows one by one or shuffled cannot give the same windows, and a
# 1-D array is a univariate series (the requirement), not an error.
EXPECTED_FAILED_CHECKS = {
    "check_methods_subset_invariance": "each row's window holds previous rows",
    "check_methods_sample_order_invariance": "each row's window holds "
    "previous rows",
    "check_fit1d": "a 1-D array is a univariate series by design",
}


@parametrize_with_checks(
    [
        SlidingWindowTransformer(3, flatten=True),
        SlidingWindowTransformer(3, flatten=True, padding="constant"),
        SlidingWindowTransformer(3),
    ],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible_transformer(estimator, check):
    check(estimator)


def _loop_windows(X, window_size, pad_row):
    """The windows built the obvious way, one row at a time."""
    n, n_features = X.shape
    out = np.empty((n, window_size, n_features))
    for i in range(n):
        for k in range(window_size):
            j = i - window_size + 1 + k
            out[i, k] = X[j] if j >= 0 else pad_row
    return out


@pytest.mark.parametrize("window_size", [1, 2, 5, 17])
@pytest.mark.parametrize("n_features", [1, 3])
@pytest.mark.parametrize("padding", ["edge", "constant"])
def test_windows_match_a_plain_loop(window_size, n_features, padding):
    X = np.random.RandomState(0).normal(size=(40, n_features))
    pad_row = X[0] if padding == "edge" else np.full(n_features, -7.5)
    expected = _loop_windows(X, window_size, pad_row)
    transformer = SlidingWindowTransformer(
        window_size, padding=padding, fill_value=-7.5
    )
    windows = transformer.fit_transform(X)
    assert windows.shape == (40, window_size, n_features)
    assert_array_equal(windows, expected)
    flat = transformer.set_params(flatten=True).transform(X)
    assert_array_equal(flat, expected.reshape(40, -1))


def test_padding_modes():
    series = np.array([5.0, 6.0, 7.0, 8.0])
    edge = SlidingWindowTransformer(3).fit_transform(series)[:, :, 0]
    assert_array_equal(edge[:2], [[5, 5, 5], [5, 5, 6]])
    zeros = SlidingWindowTransformer(3, padding="constant").fit_transform(series)
    assert_array_equal(zeros[:2, :, 0], [[0, 0, 5], [0, 5, 6]])
    nan = SlidingWindowTransformer(3, padding="constant", fill_value=np.nan)
    out = nan.fit_transform(series)[:, :, 0]
    assert np.isnan(out[0, :2]).all() and np.isnan(out[1, 0])
    assert np.isfinite(out[2:]).all()
    # Past the first window_size - 1 rows, the padding never shows.
    assert_array_equal(edge[2:], zeros[2:, :, 0])


def _memory_extent(array):
    """Bytes between the first and the last byte that ``array`` reads."""
    byte_bounds = getattr(np.lib, "array_utils", np).byte_bounds  # numpy < 2
    low, high = byte_bounds(array)
    return high - low


@pytest.mark.parametrize("flatten", [False, True])
def test_output_is_a_view_not_a_copy(flatten):
    n, n_features, window_size = 100_000, 4, 32
    X = np.random.RandomState(0).normal(size=(n, n_features))
    windows = SlidingWindowTransformer(window_size, flatten=flatten).fit_transform(X)
    assert windows.size == n * window_size * n_features
    # All windows live in one buffer of the padded series, not 32x bigger.
    assert _memory_extent(windows) == (n + window_size - 1) * n_features * 8
    assert np.shares_memory(windows[0], windows[1])
    assert not windows.flags.writeable


def test_window_of_one_is_a_view_of_the_input():
    X = np.arange(12.0).reshape(6, 2)
    windows = SlidingWindowTransformer(1).fit_transform(X)
    assert windows.shape == (6, 1, 2)
    assert np.shares_memory(windows, X)
    assert not windows.flags.writeable and X.flags.writeable


def test_dtype_and_layout_of_the_input_are_handled():
    X = np.asfortranarray(np.random.RandomState(0).normal(size=(30, 3)))
    out32 = SlidingWindowTransformer(4).fit_transform(X.astype(np.float32))
    assert out32.dtype == np.float32
    out_int = SlidingWindowTransformer(4).fit_transform(np.arange(10))
    assert out_int.dtype == np.float64
    expected = _loop_windows(np.ascontiguousarray(X), 4, X[0])
    assert_array_equal(SlidingWindowTransformer(4).fit_transform(X), expected)


def test_feature_names_and_pandas_output():
    df = pd.DataFrame(
        {"temp": np.arange(6.0), "load": np.arange(6.0) * 10},
        index=pd.date_range("2024-01-01", periods=6, freq="D"),
    )
    transformer = SlidingWindowTransformer(3, flatten=True)
    transformer.set_output(transform="pandas").fit(df)
    assert_array_equal(transformer.feature_names_in_, ["temp", "load"])
    expected_names = [
        "temp_t-2", "load_t-2", "temp_t-1", "load_t-1", "temp_t0", "load_t0"
    ]
    assert transformer.get_feature_names_out().tolist() == expected_names
    out = transformer.transform(df)
    assert isinstance(out, pd.DataFrame)
    assert out.columns.tolist() == expected_names
    assert out.index.equals(df.index)
    assert out.loc["2024-01-06"].tolist() == [3.0, 30.0, 4.0, 40.0, 5.0, 50.0]

    # Unnamed input and a named pandas Series.
    plain = SlidingWindowTransformer(2, flatten=True).fit(np.ones((5, 2)))
    assert plain.get_feature_names_out().tolist() == [
        "x0_t-1", "x1_t-1", "x0_t0", "x1_t0"
    ]
    named = SlidingWindowTransformer(2, flatten=True).fit(
        pd.Series(np.arange(5.0), name="co2")
    )
    assert named.get_feature_names_out().tolist() == ["co2_t-1", "co2_t0"]

    # 3-D windows name their last axis, and cannot become a DataFrame.
    cube = SlidingWindowTransformer(3).fit(df)
    assert cube.get_feature_names_out().tolist() == ["temp", "load"]
    cube.set_output(transform="pandas")
    with pytest.raises(ValueError, match="flatten=True"):
        cube.transform(df)


def test_flattened_windows_feed_a_tabular_model():
    t = np.arange(300)
    series = np.sin(2 * np.pi * t / 25)
    model = make_pipeline(SlidingWindowTransformer(5, flatten=True), Ridge(1e-6))
    model.fit(series[:-1], series[1:])
    # A pure sine is linear in its two previous values.
    assert model.score(series[:-1], series[1:]) > 0.999


def test_pipeline_grid_search_over_window_size():
    # The target is the input two steps back: a window of 1 cannot see it,
    # a window of 4 can. The search must prefer 4.
    rng = np.random.RandomState(0)
    x = rng.normal(size=(240, 1))
    y = np.r_[np.zeros(2), x[:-2, 0]]
    pipe = make_pipeline(
        StandardScaler(),
        SlidingWindowTransformer(),
        RNNRegressor(hidden_size=16, max_iter=15, batch_size=16,
                     learning_rate_init=1e-2, random_state=0),
    )
    search = GridSearchCV(
        pipe,
        {"slidingwindowtransformer__window_size": [1, 4]},
        cv=TimeSeriesSplit(n_splits=3),
        error_score="raise",
    )
    search.fit(x, y)
    assert search.best_params_ == {"slidingwindowtransformer__window_size": 4}
    scores = search.cv_results_["mean_test_score"]
    assert scores[0] < 0.2 < 0.5 < scores[1]
    assert search.predict(x).shape == (240,)


def test_transformer_errors():
    X = np.random.RandomState(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="larger than the series"):
        SlidingWindowTransformer(11).fit(X)
    fitted = SlidingWindowTransformer(4).fit(X)
    with pytest.raises(ValueError, match="larger than the series"):
        fitted.transform(X[:3])
    for bad in (0, -3):
        with pytest.raises(ValueError, match="window_size"):
            SlidingWindowTransformer(bad).fit(X)
    with pytest.raises(ValueError, match="padding"):
        SlidingWindowTransformer(3, padding="reflect").fit(X)
    X_nan = X.copy()
    X_nan[4, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SlidingWindowTransformer(3).fit(X_nan)
    with pytest.raises(ValueError, match="NaN"):
        fitted.transform(X_nan)
    with pytest.raises(ValueError, match="3-D array.*already windowed"):
        SlidingWindowTransformer(3).fit(np.zeros((10, 4, 2)))
    with pytest.raises(ValueError, match="3 features"):
        fitted.transform(np.zeros((10, 3)))
    with pytest.raises(ValueError, match="1-D, read as a univariate series"):
        fitted.transform(np.zeros(10))
    with pytest.raises(ValueError, match="not fitted|NotFitted|fit"):
        SlidingWindowTransformer(3).transform(X)


def test_transformer_clone_keeps_parameters():
    transformer = SlidingWindowTransformer(24, flatten=True, padding="constant",
                                           fill_value=-1.0)
    assert clone(transformer).get_params() == transformer.get_params()


# ----------------------------------------------------------------- make_windows
def test_make_windows_univariate_shapes_and_alignment():
    series = np.arange(100.0)
    X, y = make_windows(series, window_size=10)
    assert X.shape == (90, 10) and y.shape == (90,)
    assert_array_equal(X[-1], series[89:99])
    assert y[-1] == series[-1]
    assert_array_equal(X[0], series[:10])
    assert y[0] == series[10]
    # Every target is the value right after its window.
    assert_array_equal(y, X[:, -1] + 1)

    X, y = make_windows(series, window_size=10, horizon=5)
    assert X.shape == (86, 10) and y.shape == (86, 5)
    assert_array_equal(X[-1], series[85:95])
    assert_array_equal(y[-1], series[95:])
    assert_array_equal(y[:, 0], X[:, -1] + 1)


def test_make_windows_step_keeps_the_most_recent_values():
    series = np.arange(20.0)
    X, y = make_windows(series, window_size=4, horizon=2, step=3)
    assert y[-1].tolist() == [18.0, 19.0]
    assert np.diff(X[:, 0]).tolist() == [3.0] * (len(X) - 1)
    # 15 possible starts (0..14) every 3rd, counted back from the last.
    assert X[:, 0].tolist() == [2.0, 5.0, 8.0, 11.0, 14.0]


def test_make_windows_multivariate_keeps_all_features():
    n = 50
    df = pd.DataFrame({"a": np.arange(n) * 1.0, "b": np.arange(n) * 10.0,
                       "c": -np.arange(n) * 1.0})
    X, y = make_windows(df, window_size=7, horizon=3, target="b")
    assert X.shape == (41, 7, 3) and y.shape == (41, 3)
    assert_array_equal(X[-1], df.to_numpy()[-10:-3])
    assert_array_equal(y[-1], df["b"].to_numpy()[-3:])
    X_int, y_int = make_windows(df.to_numpy(), window_size=7, horizon=3, target=1)
    assert_array_equal(X_int, X)
    assert_array_equal(y_int, y)
    _, y_last = make_windows(df, 7, target=-1)
    assert y_last[-1] == df["c"].iloc[-1]
    # A single column is its own target, and X stays 3-D.
    X_one, y_one = make_windows(df[["a"]], 7)
    assert X_one.shape == (43, 7, 1) and y_one[-1] == n - 1


def test_make_windows_sequence_targets():
    series = np.arange(30.0)
    X, y = make_windows(series, window_size=5, return_sequences=True)
    assert X.shape == y.shape == (25, 5)
    assert_array_equal(y, X + 1)
    assert y[-1, -1] == series[-1]
    X, y = make_windows(series, window_size=5, horizon=3, return_sequences=True)
    assert X.shape == (23, 5) and y.shape == (23, 5, 3)
    for t in range(5):
        assert_array_equal(y[:, t, 0], X[:, t] + 1)
        assert_array_equal(y[:, t, 2], X[:, t] + 3)
    assert y[-1, -1].tolist() == [27.0, 28.0, 29.0]


def test_make_windows_returns_read_only_views():
    series = np.random.RandomState(0).normal(size=10_000)
    X, y = make_windows(series, window_size=50)
    assert np.shares_memory(X, series) and np.shares_memory(y, series)
    assert not X.flags.writeable and not y.flags.writeable
    assert series.flags.writeable


def test_make_windows_errors():
    series = np.arange(10.0)
    with pytest.raises(ValueError, match="at least 11"):
        make_windows(series, window_size=10)
    with pytest.raises(ValueError, match="at least 12"):
        make_windows(series, window_size=8, horizon=4)
    for name in ("window_size", "horizon", "step"):
        params = {"window_size": 3, "horizon": 1, "step": 1, name: 0}
        with pytest.raises(ValueError, match=name):
            make_windows(series, **params)
    with pytest.raises(ValueError, match="window_size"):
        make_windows(series, window_size=-2)
    with_nan = series.copy()
    with_nan[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        make_windows(with_nan, 3)
    with pytest.raises(ValueError, match="3-D"):
        make_windows(np.zeros((10, 2, 2)), 3)
    two_columns = np.zeros((10, 2))
    with pytest.raises(ValueError, match="pass target="):
        make_windows(two_columns, 3)
    with pytest.raises(ValueError, match="out of range"):
        make_windows(two_columns, 3, target=2)
    with pytest.raises(ValueError, match="not a column"):
        make_windows(pd.DataFrame(two_columns, columns=["u", "v"]), 3, target="w")
    with pytest.raises(ValueError, match="only for a multivariate"):
        make_windows(series, 3, target=0)

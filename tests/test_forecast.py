"""Multi-step forecasting, three ways, on a sine wave; recursive_forecast itself.

Each strategy must beat the constant forecast (the mean: R² = 0, or an MSE
equal to the variance of the wave, 0.5) by a wide margin on values it was not
fitted on.
"""

import numpy as np
import pandas as pd
import pytest
from _params import fast_params
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_rnn import (
    RNNRegressor,
    SlidingWindowTransformer,
    make_windows,
    recursive_forecast,
)

PERIOD = 20
WINDOW = 20
N_TRAIN = 340
# One network: these tests are not about ensembles (test_ensemble.py is).
FAST = fast_params(hidden_size=32, max_iter=30, learning_rate_init=1e-2)


@pytest.fixture(scope="module")
def sine():
    """A noisy sine (for fitting) and the clean wave (the truth to forecast)."""
    t = np.arange(400)
    clean = np.sin(2 * np.pi * t / PERIOD)
    noisy = clean + 0.05 * np.random.RandomState(0).normal(size=t.size)
    return noisy, clean


def test_recursive_forecast_with_an_rnn_learns_the_sine(sine):
    noisy, clean = sine
    X, y = make_windows(noisy[:N_TRAIN], WINDOW)
    model = RNNRegressor(**FAST).fit(X, y)
    forecast = recursive_forecast(model, noisy[N_TRAIN - WINDOW : N_TRAIN], 40)
    assert forecast.shape == (40,)
    # Two periods ahead, errors compound: 10x below the constant forecast's
    # error (seeds 0-4 give 0.001 to 0.03 of it).
    mse = np.mean((forecast - clean[N_TRAIN : N_TRAIN + 40]) ** 2)
    assert mse < 0.1 * np.var(clean)


def test_direct_multi_output_rnn_learns_the_sine(sine):
    noisy, clean = sine
    X, y = make_windows(noisy[:N_TRAIN], WINDOW, horizon=10)
    model = RNNRegressor(**FAST).fit(X, y)
    X_test, _ = make_windows(noisy[N_TRAIN - WINDOW :], WINDOW, horizon=10)
    _, y_test = make_windows(clean[N_TRAIN - WINDOW :], WINDOW, horizon=10)
    y_pred = model.predict(X_test)
    assert y_pred.shape == y_test.shape == (len(X_test), 10)
    assert r2_score(y_test, y_pred) > 0.95
    # Every step of the horizon is learned, not only the first ones.
    per_step = r2_score(y_test, y_pred, multioutput="raw_values")
    assert per_step.min() > 0.9


@pytest.mark.parametrize("horizon", [1, 3])
def test_sequence_to_sequence_rnn_learns_the_sine(sine, horizon):
    noisy, clean = sine
    X, y = make_windows(noisy[:N_TRAIN], WINDOW, horizon=horizon,
                        return_sequences=True)
    # Trained to the end: 30 epochs at a high rate are this test's budget;
    # early stopping and the zero start of windows with one target per step
    # are tested in test_instance_norm.py.
    model = RNNRegressor(return_sequences=True, early_stopping=False,
                         **FAST).fit(X, y)
    assert model.instance_norm_feature_ == 0
    X_test, _ = make_windows(noisy[N_TRAIN - WINDOW :], WINDOW, horizon=horizon,
                             return_sequences=True)
    _, y_test = make_windows(clean[N_TRAIN - WINDOW :], WINDOW, horizon=horizon,
                             return_sequences=True)
    y_pred = model.predict(X_test)
    assert y_pred.shape == y_test.shape
    # The first steps of a window have too little context to know the
    # phase; past them, the per-step outputs follow the wave.
    assert r2_score(y_test[:, 5:].ravel(), y_pred[:, 5:].ravel()) > 0.95
    # The output of the last step is a forecast recursive_forecast can use.
    forecast = recursive_forecast(model, noisy[N_TRAIN - WINDOW : N_TRAIN], 12)
    assert forecast.shape == (12,)
    mse = np.mean((forecast - clean[N_TRAIN : N_TRAIN + 12]) ** 2)
    assert mse < 0.05 * np.var(clean)


def test_rnn_on_3d_univariate_windows(sine):
    noisy, clean = sine
    X, y = make_windows(noisy[:N_TRAIN, None], WINDOW)
    assert X.shape[2] == 1
    model = RNNRegressor(**FAST).fit(X, y)
    window = noisy[N_TRAIN - WINDOW : N_TRAIN, None]
    forecast = recursive_forecast(model, window, 20)
    mse = np.mean((forecast - clean[N_TRAIN : N_TRAIN + 20]) ** 2)
    assert mse < 0.05 * np.var(clean)


# ---------------------------------------------------- recursive_forecast itself
def test_recursive_forecast_with_ridge_is_exact_on_a_clean_sine(sine):
    _, clean = sine
    # sin(t + 1) is a linear function of the two previous values, so the
    # recursion stays exact over many periods.
    X, y = make_windows(clean[:N_TRAIN], 6)
    for model in (Ridge(alpha=1e-8), make_pipeline(StandardScaler(),
                                                   Ridge(alpha=1e-8))):
        model.fit(X, y)
        forecast = recursive_forecast(model, clean[N_TRAIN - 6 : N_TRAIN], 60)
        assert_allclose(forecast, clean[N_TRAIN : N_TRAIN + 60], atol=1e-4)


def test_recursive_forecast_feeds_back_blocks_of_a_direct_model(sine):
    _, clean = sine
    X, y = make_windows(clean[:N_TRAIN], 6, horizon=4)
    model = Ridge(alpha=1e-8).fit(X, y)
    forecast = recursive_forecast(model, clean[N_TRAIN - 6 : N_TRAIN], 10)
    assert forecast.shape == (10,)
    assert_allclose(forecast, clean[N_TRAIN : N_TRAIN + 10], atol=1e-4)


def test_recursive_forecast_feeds_predictions_back():
    class LastPlusOne(RegressorMixin, BaseEstimator):
        """Predicts the last value of the window plus one; records inputs."""

        def fit(self, X, y):
            self.inputs_ = []
            return self

        def predict(self, X):
            self.inputs_.append(np.array(X))
            return X[:, -1] + 1

    model = LastPlusOne().fit(None, None)
    forecast = recursive_forecast(model, [0.0, 1.0, 2.0], 4)
    assert forecast.tolist() == [3.0, 4.0, 5.0, 6.0]
    assert [x.tolist() for x in model.inputs_] == [
        [[0.0, 1.0, 2.0]], [[1.0, 2.0, 3.0]], [[2.0, 3.0, 4.0]], [[3.0, 4.0, 5.0]]
    ]


def _exogenous_series(n=300, seed=0):
    """y_t = 0.8 y_{t-1} + x_{t-1}, with x a known input (e.g. a plan)."""
    x = np.random.RandomState(seed).normal(size=n)
    y = np.zeros(n)
    for t in range(1, n):
        y[t] = 0.8 * y[t - 1] + x[t - 1]
    return pd.DataFrame({"y": y, "x": x})


def test_recursive_forecast_multivariate_with_future_features():
    df = _exogenous_series()
    train, future = df.iloc[:250], df.iloc[250:270]
    X, y = make_windows(train, 3, target="y")
    model = Ridge(alpha=1e-8).fit(X.reshape(len(X), -1), y)
    future_features = future.assign(y=np.nan)
    forecast = recursive_forecast(
        model, train.iloc[-3:], 20, target="y",
        future_features=future_features, flatten=True,
    )
    assert_allclose(forecast, future["y"].to_numpy(), atol=1e-5)
    by_index = recursive_forecast(
        model, train.to_numpy()[-3:], 20, target=0,
        future_features=future.to_numpy(), flatten=True,
    )
    assert_allclose(by_index, forecast)


def test_recursive_forecast_accepts_pandas_windows(sine):
    _, clean = sine
    X, y = make_windows(clean[:N_TRAIN], 6)
    model = Ridge(alpha=1e-8).fit(X, y)
    window = pd.Series(clean[N_TRAIN - 6 : N_TRAIN], name="wave")
    assert_allclose(recursive_forecast(model, window, 5),
                    clean[N_TRAIN : N_TRAIN + 5], atol=1e-5)


def test_recursive_forecast_errors():
    X, y = make_windows(np.sin(np.arange(60.0)), 5)
    model = Ridge().fit(X, y)
    window = X[-1]
    with pytest.raises(NotFittedError):
        recursive_forecast(Ridge(), window, 3)
    for bad in (0, -1):
        with pytest.raises(ValueError, match="n_steps"):
            recursive_forecast(model, window, bad)
    with pytest.raises(ValueError, match="4-D"):
        recursive_forecast(model, np.zeros((5, 2, 2, 2)), 3)
    with_nan = window.copy()
    with_nan[2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        recursive_forecast(model, with_nan, 3)
    with pytest.raises(ValueError, match="1-D window is its own target"):
        recursive_forecast(model, window, 3, target=0)
    with pytest.raises(ValueError, match="features"):
        recursive_forecast(model, np.zeros(4), 3)

    two = np.zeros((5, 2))
    with pytest.raises(ValueError, match="pass target="):
        recursive_forecast(model, two, 3, flatten=True)
    with pytest.raises(ValueError, match="future_features of shape \\(3, 2\\)"):
        recursive_forecast(model, two, 3, target=0, flatten=True)
    with pytest.raises(ValueError, match="expected \\(3, 2\\)"):
        recursive_forecast(model, two, 3, target=0, future_features=np.zeros((2, 2)))
    future = np.zeros((3, 2))
    future[1, 1] = np.nan
    with pytest.raises(ValueError, match="outside the target column"):
        recursive_forecast(model, two, 3, target=0, future_features=future)
    with pytest.raises(ValueError, match="only the target"):
        recursive_forecast(model, np.zeros((5, 1)), 3,
                           future_features=np.zeros((3, 1)))

    class TwoRows(RegressorMixin, BaseEstimator):
        def fit(self, X, y):
            self.fitted_ = True
            return self

        def predict(self, X):
            return np.zeros(2)

    with pytest.raises(ValueError, match="shape \\(2,\\) for one window"):
        recursive_forecast(TwoRows().fit(X, y), window, 3)


@pytest.mark.parametrize("final", ["ridge", "rnn"])
def test_recursive_forecast_with_a_pipeline_that_windows_rows(sine, final):
    noisy, clean = sine
    if final == "ridge":
        regressor, tolerance = Ridge(alpha=1e-8), 1e-3
        rows = clean[:N_TRAIN]
    else:
        # About the pipeline's path, not the defaults' accuracy: a pure
        # cycle keeps its levels (instance normalisation, on by default for
        # windows of a series with or without the scaler, needs more than
        # these 30 epochs here: test_instance_norm.py tests it).
        regressor, tolerance = RNNRegressor(**FAST, instance_norm=None), 0.05
        rows = noisy[:N_TRAIN]
    model = make_pipeline(
        StandardScaler(), SlidingWindowTransformer(WINDOW), regressor
    )
    if final == "ridge":
        model.set_params(slidingwindowtransformer__flatten=True)
    # Row i's target is the value after it: the window ending at row i
    # predicts row i + 1.
    model.fit(rows[:-1, None], rows[1:])
    window = rows[-2 * WINDOW :]
    forecast = recursive_forecast(model, window, 30)
    mse = np.mean((forecast - clean[N_TRAIN : N_TRAIN + 30]) ** 2)
    assert mse < tolerance * np.var(clean)
    # A 2-D one-column window is the same series.
    assert_allclose(recursive_forecast(model, window[:, None], 30), forecast)


def test_pipeline_fitted_on_a_dataframe_gets_the_window_as_a_dataframe(recwarn):
    df = _exogenous_series()
    train = df.iloc[:250]
    model = make_pipeline(
        StandardScaler(), SlidingWindowTransformer(3, flatten=True), Ridge(1e-8)
    )
    model.fit(train.iloc[:-1], train["y"].iloc[1:])
    future = df.iloc[250:260]
    forecast = recursive_forecast(model, train.iloc[-5:], 10, target="y",
                                  future_features=future)
    assert_allclose(forecast, future["y"].to_numpy(), atol=1e-3)
    # No "fitted with feature names" warning: the columns travel along.
    assert not [w for w in recwarn if "feature names" in str(w.message)]


def test_pipeline_fitted_on_a_named_series_gets_the_window_with_its_name(
    sine, recwarn
):
    _, clean = sine
    rows = pd.Series(clean[:N_TRAIN], name="wave")
    model = make_pipeline(SlidingWindowTransformer(6, flatten=True), Ridge(1e-8))
    model.fit(rows.iloc[:-1].to_frame(), rows.iloc[1:])
    forecast = recursive_forecast(model, rows.iloc[-6:], 10)
    # The padded first rows are fitted too, hence not an exact recursion.
    assert_allclose(forecast, clean[N_TRAIN : N_TRAIN + 10], atol=0.05)
    assert not [w for w in recwarn if "feature names" in str(w.message)]

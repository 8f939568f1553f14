"""sktime interop: RNNRegressor inside sktime's reduction forecasters."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sktime.forecasting.compose import make_reduction

from sklearn_rnn import RNNRegressor, make_windows, recursive_forecast

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning:sktime")


def test_make_reduction_recursive_matches_recursive_forecast():
    y = pd.Series(np.sin(np.arange(80) / 4.0))
    params = dict(hidden_size=4, max_iter=2, random_state=0)
    forecaster = make_reduction(RNNRegressor(**params), window_length=12,
                                strategy="recursive")
    forecaster.fit(y)
    predicted = forecaster.predict(fh=[1, 2, 3])
    assert list(predicted.index) == [80, 81, 82]
    # sktime frames the series as make_windows does: the same fit, the same
    # recursion.
    X, target = make_windows(y.to_numpy(), 12)
    ours = RNNRegressor(**params).fit(X, target)
    assert_allclose(predicted.to_numpy(), recursive_forecast(ours, y[-12:], 3),
                    rtol=1e-5)


def test_make_reduction_direct():
    y = pd.Series(np.cos(np.arange(60) / 3.0))
    forecaster = make_reduction(
        RNNRegressor(hidden_size=4, max_iter=1, random_state=0),
        window_length=8, strategy="direct",
    )
    predicted = forecaster.fit(y, fh=[1, 2]).predict()
    assert predicted.shape == (2,)
    assert np.isfinite(predicted).all()

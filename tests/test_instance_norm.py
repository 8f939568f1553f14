"""Windows of a series: recognising them, instance normalisation (RevIN) and
the 'auto' early stopping that both follow from it (issue 12)."""

import pickle

import numpy as np
import pytest
from _params import fast_params
from numpy.testing import assert_allclose

from sklearn_rnn import (
    RNNClassifier,
    RNNRegressor,
    load_model,
    make_windows,
    recursive_forecast,
    save_model,
)
from sklearn_rnn._window import find_continued_feature

# One network: these tests are not about ensembles (test_ensemble.py is).
FAST = fast_params(hidden_size=8, max_iter=5)


def _noisy_sine(n=300, seed=0):
    rng = np.random.RandomState(seed)
    return np.sin(np.arange(n) * 0.1) + 0.1 * rng.normal(size=n)


def _found(X, y):
    X = np.asarray(X, dtype=np.float32)
    return find_continued_feature(X[..., None] if X.ndim == 2 else X, None, y)


@pytest.mark.parametrize("kwargs, expected", [
    ({}, (0, 9)),
    ({"horizon": 5}, (0, 9)),
    # step 3: the next window starts 3 values later, its step 7 is the target.
    ({"step": 3}, (0, 7)),
])
def test_windows_of_one_series_are_recognised(kwargs, expected):
    X, y = make_windows(_noisy_sine(), 10, **kwargs)
    assert _found(X, y) == expected


def test_windows_of_many_series_and_of_a_multivariate_series():
    s = _noisy_sine()
    X, y = make_windows([s[:100], s[100:130], s[130:]], 10)
    assert _found(X, y) == (0, 9)
    X, y = make_windows(np.c_[s ** 2, s], 10, target=1)
    assert _found(X, y) == (1, 9)


def test_known_future_steps_are_after_the_step_that_holds_the_target():
    s = _noisy_sine()
    X, y = make_windows(s, 10, horizon=3, future_covariates=np.arange(300.0))
    assert X.shape[1] == 13
    assert _found(X, y) == (0, 9)


def test_rows_that_are_not_windows_are_not_recognised():
    rng = np.random.RandomState(0)
    X, y = make_windows(_noisy_sine(), 10)
    order = rng.permutation(len(y))
    assert _found(X[order], y[order]) is None
    # Values that repeat match by chance: binary data is not windows.
    binary = rng.randint(0, 2, size=(200, 20, 3))
    assert _found(binary, rng.randint(0, 2, size=200)) is None
    assert _found(rng.normal(size=(200, 20, 3)), rng.normal(size=200)) is None
    X, y = make_windows(np.zeros(100), 10)
    assert _found(X, y) is None
    assert find_continued_feature(np.zeros((5, 4, 1), np.float32),
                                  np.array([4, 3, 2, 4, 4]), np.zeros(5)) is None


def test_auto_rules_on_windows_and_elsewhere():
    X, y = make_windows(_noisy_sine(), 10)
    reg = RNNRegressor(**FAST).fit(X, y)
    assert reg.instance_norm_feature_ == 0
    assert reg.early_stopping_ is True
    assert len(reg.validation_scores_) == reg.n_iter_
    # Plain sequence regression: neither rule applies.
    rng = np.random.RandomState(0)
    X2 = rng.normal(size=(60, 10))
    reg = RNNRegressor(**FAST).fit(X2, X2[:, -3:].sum(axis=1))
    assert reg.instance_norm_feature_ is None
    assert reg.early_stopping_ is False
    assert reg.validation_scores_ is None
    # Explicit parameters win over the rules.
    reg = RNNRegressor(**FAST, instance_norm=None, early_stopping=False).fit(X, y)
    assert reg.instance_norm_feature_ is None
    assert reg.early_stopping_ is False
    reg = RNNRegressor(**FAST, instance_norm=0).fit(X2, X2[:, -1])
    assert reg.instance_norm_feature_ == 0
    # A classifier's labels never continue a feature.
    clf = RNNClassifier(**FAST).fit(X, y > 0)
    assert clf.early_stopping_ is False


def test_partial_fit_never_stops_early():
    X, y = make_windows(_noisy_sine(), 10)
    reg = RNNRegressor(**FAST).partial_fit(X, y)
    assert reg.early_stopping_ is False
    assert reg.instance_norm_feature_ == 0


def test_bad_instance_norm_parameters():
    X, y = make_windows(_noisy_sine(), 10)
    with pytest.raises(ValueError, match="X has 1 feature"):
        RNNRegressor(**FAST, instance_norm=1).fit(X, y)
    with pytest.raises(ValueError, match="return_sequences"):
        RNNRegressor(**FAST, instance_norm=0, return_sequences=True).fit(
            X, np.c_[X[:, 1:], y])
    reg = RNNRegressor(**FAST, warm_start=True).fit(X, y)
    reg.set_params(instance_norm=None)
    with pytest.raises(ValueError, match="instance_norm_feature 0 -> None"):
        reg.fit(X, y)


def test_predictions_follow_each_windows_level_and_scale():
    """Whatever the level and spread of a window, the network sees the
    same standardised shape: predict(a * X + b) == a * predict(X) + b."""
    X, y = make_windows(_noisy_sine(), 10)
    reg = RNNRegressor(**FAST).fit(X, y)
    for a, b in [(1.0, 5.0), (3.0, -2.0), (0.5, 100.0)]:
        assert_allclose(reg.predict(a * X + b), a * reg.predict(X) + b,
                        rtol=1e-4, atol=1e-4 * (abs(b) + a))


def test_a_flat_window_forecasts_its_level():
    X, y = make_windows(_noisy_sine(), 10)
    reg = RNNRegressor(**FAST).fit(X, y)
    assert_allclose(reg.predict(np.full((2, 10), 0.7)), [0.7, 0.7], rtol=1e-6)


def test_a_trend_carries_on_past_the_training_range():
    """The motivating failure: a network on standardised inputs cannot
    reach values above those it was trained on; RevIN forecasts the shape."""
    t = np.arange(240.0)
    series = 0.05 * t + np.sin(t * 2 * np.pi / 12)
    train, test = series[:200], series[200:]
    X, y = make_windows(train, 24)
    errors = {}
    for instance_norm in ("auto", None):
        reg = RNNRegressor(hidden_size=16, max_iter=60, random_state=0,
                           instance_norm=instance_norm).fit(X, y)
        forecast = recursive_forecast(reg, train[-24:], len(test))
        errors[instance_norm] = np.abs(forecast - test).mean()
    assert errors["auto"] < 0.5 * errors[None]
    assert errors["auto"] < 0.5


def test_variable_length_sequences_use_their_own_valid_steps():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=n) + 10 * i for i, n in enumerate([5, 8, 12, 6] * 5)]
    y = np.array([x[-1] for x in X])
    reg = RNNRegressor(**FAST, instance_norm=0).fit(X, y)
    together = reg.predict(X)
    alone = np.concatenate([reg.predict([x]) for x in X])
    assert_allclose(together, alone, rtol=1e-5, atol=1e-5)


def test_pickle_and_save_keep_the_normalisation(tmp_path):
    X, y = make_windows(_noisy_sine(), 10, horizon=3,
                        future_covariates=np.arange(300.0))
    reg = RNNRegressor(**FAST).fit(X, y)
    assert reg._instance_norm_steps == 10
    expected = reg.predict(X)
    assert_allclose(pickle.loads(pickle.dumps(reg)).predict(X), expected)
    save_model(reg, tmp_path / "model.zip")
    assert_allclose(load_model(tmp_path / "model.zip").predict(X), expected)

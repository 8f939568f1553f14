"""Behaviour shared by RNNRegressor and RNNClassifier (sklearn_rnn._base)."""

import pickle

import joblib
import numpy as np
import pytest
from _params import fast_params
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import (
    GridSearchCV,
    TimeSeriesSplit,
    cross_val_score,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_rnn import RNNClassifier, RNNRegressor

# One network: these tests are not about ensembles (test_ensemble.py is).
FAST = fast_params(hidden_size=16, max_iter=15)
ESTIMATORS = [RNNRegressor, RNNClassifier]


def _data(Est, n=120, T=8, F=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, T, F))
    score = X[:, -3:, 0].sum(axis=1)
    y = score if Est is RNNRegressor else (score > 0).astype(int)
    return X, y


# ----------------------------------------------------------------- shapes
@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_dtypes_accepted(Est, dtype):
    X, y = _data(Est)
    X = (X * 10).astype(dtype)
    est = Est(**{**FAST, "max_iter": 1}).fit(X, y)
    assert est.predict(X).shape == (len(X),)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_n_features_in_for_each_layout(Est):
    X, y = _data(Est)
    assert Est(max_iter=1).fit(X, y).n_features_in_ == 2
    assert Est(max_iter=1).fit(X[:, :, 0], y).n_features_in_ == 8
    ragged = [x[: 3 + i % 5] for i, x in enumerate(X)]
    assert Est(max_iter=1).fit(ragged, y).n_features_in_ == 2


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_3d_fit_accepts_other_lengths_at_predict(Est):
    X, y = _data(Est)
    est = Est(**{**FAST, "max_iter": 1}).fit(X, y)
    assert est.predict(X[:5, :3]).shape == (5,)
    assert est.predict([X[0, :2], X[1]]).shape == (2,)


# ------------------------------------------------------ variable lengths
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_prediction_independent_of_batch_companions(Est):
    rng = np.random.RandomState(1)
    X = [rng.normal(size=(n, 2)) for n in rng.randint(2, 25, size=60)]
    y = _data(Est, n=60)[1]
    est = Est(**{**FAST, "max_iter": 2}).fit(X, y)
    proba = est.predict_proba if Est is RNNClassifier else est.predict
    target = X[7]
    alone = proba([target])
    with_short = proba([target, X[0][:2], X[1][:3]])[:1]
    with_long = proba([rng.normal(size=(80, 2)), target])[1:]
    np.testing.assert_allclose(with_short, alone, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(with_long, alone, rtol=1e-5, atol=1e-6)
    # Padding a 3-D batch by hand changes nothing either once given as a list.
    padded = np.zeros((1, 40, 2))
    padded[0, : len(target)] = target
    assert not np.allclose(proba(padded), alone)  # padding counted as data
    np.testing.assert_allclose(proba([target]), alone)


# ----------------------------------------------------------- determinism
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_same_random_state_same_predictions(Est):
    X, y = _data(Est)
    a = Est(**FAST, dropout=0.2, num_layers=2).fit(X, y)
    b = Est(**FAST, dropout=0.2, num_layers=2).fit(X, y)
    outputs = {est: est.predict_proba if hasattr(est, "predict_proba")
               else est.predict for est in (a, b)}
    np.testing.assert_array_equal(outputs[a](X), outputs[b](X))
    c = Est(**{**FAST, "random_state": 1}, dropout=0.2, num_layers=2).fit(X, y)
    c_out = c.predict_proba(X) if hasattr(c, "predict_proba") else c.predict(X)
    assert not np.array_equal(outputs[a](X), c_out)


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_fits_in_concurrent_threads_reproduce_the_sequential_fit(dropout):
    import threading

    X, y = _data(RNNRegressor, n=70)
    params = dict(hidden_size=8, max_iter=3, batch_size=16, num_layers=2,
                  dropout=dropout, random_state=0)
    expected = RNNRegressor(**params).fit(X, y).predict(X)
    results = [None] * 4

    def fit(i):
        results[i] = RNNRegressor(**params).fit(X, y).predict(X)

    threads = [threading.Thread(target=fit, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        # Thread counts may differ between the runs: float32 rounding only.
        np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-5)


def test_fit_leaves_global_torch_rng_alone():
    import torch

    X, y = _data(RNNRegressor)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    RNNRegressor(**{**FAST, "max_iter": 1}).fit(X, y)
    torch.testing.assert_close(torch.rand(3), expected)


# ------------------------------------------------------------ bad input
@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros(10), "Expected 2D array"),
        (np.zeros((10, 3, 2, 2)), "4 dimensions"),
        (np.zeros((0, 3)), "0 sample"),
        ([], "found 0 sequences"),
        (np.array([[1.0, np.nan]] * 10), "NaN"),
        (np.array([[1.0, np.inf]] * 10), "infinity"),
        ([np.ones((3, 2)), np.ones((2, 3))] * 5, "inconsistent numbers of features"),
        (np.array([["a", "b"]] * 10, dtype=object), "could not convert"),
    ],
)
def test_bad_X_gives_clear_errors(Est, X, match):
    y = np.arange(10) % 2
    with pytest.raises(ValueError, match=match):
        Est(max_iter=1).fit(X, y)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_bad_y_gives_clear_errors(Est):
    X, y = _data(Est)
    with pytest.raises(ValueError, match="different numbers of samples"):
        Est(max_iter=1).fit(X, y[:-1])
    if Est is RNNRegressor:
        bad = y.astype(float)
        bad[3] = np.nan
        with pytest.raises(ValueError, match="NaN"):
            Est(max_iter=1).fit(X, bad)
    with pytest.raises(ValueError, match="requires y"):
        Est(max_iter=1).fit(X, None)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_feature_mismatch_at_predict(Est):
    X, y = _data(Est)
    est = Est(max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="3 features per time step.*expecting 2"):
        est.predict(np.zeros((2, 8, 3)))
    with pytest.raises(ValueError, match="expecting 2 features per time step"):
        est.predict(np.zeros((2, 8)))  # 2-D means univariate
    est2d = Est(max_iter=1).fit(X[:, :, 0], y)
    with pytest.raises(ValueError, match="X has 5 features, but"):
        est2d.predict(np.zeros((2, 5)))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_predict_before_fit(Est):
    with pytest.raises(NotFittedError):
        Est().predict(np.zeros((2, 3)))


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize(
    "params, match",
    [
        ({"cell": "transformer"}, "'cell' parameter"),
        ({"hidden_size": 0}, "'hidden_size' parameter"),
        ({"num_layers": 1.5}, "'num_layers' parameter"),
        ({"dropout": 1.0}, "'dropout' parameter"),
        ({"pooling": "first"}, "'pooling' parameter"),
        ({"max_iter": 0}, "'max_iter' parameter"),
        ({"learning_rate_init": -1}, "'learning_rate_init' parameter"),
        ({"optimizer": "lbfgs2"}, "'optimizer' parameter"),
        ({"validation_fraction": 1.0}, "'validation_fraction' parameter"),
        ({"head_hidden_sizes": (8, 0)}, "positive integers"),
        ({"device": "gpu9"}, "not a valid torch device"),
    ],
)
def test_invalid_hyperparameters(Est, params, match):
    X, y = _data(Est, n=10)
    with pytest.raises(ValueError, match=match):
        Est(**{"max_iter": 1, **params}).fit(X, y)


def test_network_too_large_to_allocate_is_a_clear_error():
    X, y = _data(RNNRegressor, n=10)
    with pytest.raises(ValueError, match="Could not build the network.*hidden_size"):
        RNNRegressor(hidden_size=10**12, max_iter=1).fit(X, y)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_inputs_are_not_modified(Est):
    X, y = _data(Est)
    ragged = [x[: 2 + i % 4].copy() for i, x in enumerate(X)]
    X_before, y_before = X.copy(), y.copy()
    ragged_before = [r.copy() for r in ragged]
    est = Est(**{**FAST, "max_iter": 2}).fit(X, y)
    est.predict(X)
    Est(**{**FAST, "max_iter": 2}).fit(ragged, y).predict(ragged)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    for r, before in zip(ragged, ragged_before, strict=True):
        np.testing.assert_array_equal(r, before)


# -------------------------------------------------------- early stopping
def test_early_stopping_validates_on_the_tail_and_keeps_the_best():
    X, y = _data(RNNRegressor, n=200)
    reg = RNNRegressor(hidden_size=16, max_iter=40, early_stopping=True,
                       validation_fraction=0.2, n_iter_no_change=5,
                       random_state=0).fit(X, y)
    assert len(reg.validation_scores_) == reg.n_iter_
    assert len(reg.validation_loss_curve_) == reg.n_iter_
    best = reg.best_iteration_
    assert reg.validation_loss_curve_[best - 1] == min(reg.validation_loss_curve_)
    # The restored model's R² on the last 20 % rows is the best epoch's.
    tail_score = reg.score(X[160:], y[160:])
    assert tail_score == pytest.approx(reg.best_validation_score_, abs=1e-4)
    head_score = reg.score(X[:40], y[:40])
    assert head_score != pytest.approx(reg.best_validation_score_, abs=1e-4)


def test_without_early_stopping_no_validation_attributes():
    X, y = _data(RNNClassifier)
    clf = RNNClassifier(**{**FAST, "max_iter": 2}).fit(X, y)
    assert clf.validation_scores_ is None and clf.validation_loss_curve_ is None
    assert clf.n_iter_ == 2 and len(clf.loss_curve_) == 2
    assert clf.best_loss_ == min(clf.loss_curve_)


# ----------------------------------------------------- sklearn ecosystem
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_pickle_and_joblib_round_trip(Est, tmp_path):
    X, y = _data(Est)
    est = Est(**{**FAST, "max_iter": 3}).fit(X, y)
    expected = est.predict(X)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict(X), expected)
    joblib.dump(est, tmp_path / "model.joblib")
    np.testing.assert_array_equal(
        joblib.load(tmp_path / "model.joblib").predict(X), expected
    )


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_clone_is_unfitted_with_same_params(Est):
    X, y = _data(Est)
    est = Est(**{**FAST, "max_iter": 1}).fit(X, y)
    cloned = clone(est)
    assert cloned.get_params() == est.get_params()
    assert not hasattr(cloned, "net_")


def test_pipeline_with_standard_scaler(sine_windows):
    X, y = sine_windows
    pipe = make_pipeline(StandardScaler(), RNNRegressor(scale_inputs=False, **FAST))
    pipe.fit(X[:450], y[:450])
    assert pipe.score(X[450:], y[450:]) > 0.85


def test_grid_search_over_architecture_in_parallel(sine_windows):
    X, y = sine_windows
    grid = GridSearchCV(
        RNNRegressor(max_iter=5, random_state=0),
        {"cell": ["rnn", "gru"], "hidden_size": [8, 16], "num_layers": [1, 2]},
        cv=TimeSeriesSplit(n_splits=2),
        n_jobs=2,
    ).fit(X[:300], y[:300])
    assert len(grid.cv_results_["params"]) == 8
    assert grid.best_params_["cell"] in ("rnn", "gru")
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    sequential = GridSearchCV(
        RNNRegressor(max_iter=5, random_state=0),
        {"cell": ["rnn", "gru"], "hidden_size": [8, 16], "num_layers": [1, 2]},
        cv=TimeSeriesSplit(n_splits=2),
    ).fit(X[:300], y[:300])
    np.testing.assert_allclose(
        grid.cv_results_["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
        rtol=1e-5,
    )


def test_cross_validation_with_time_series_split(sine_windows):
    X, y = sine_windows
    scores = cross_val_score(RNNRegressor(**FAST), X, y, cv=TimeSeriesSplit(3))
    assert scores.shape == (3,) and (scores > 0.5).all()
    result = cross_validate(
        RNNClassifier(**{**FAST, "max_iter": 3}), X, (y > 0).astype(int),
        cv=TimeSeriesSplit(2), scoring=["accuracy", "neg_log_loss"],
    )
    assert set(result) >= {"test_accuracy", "test_neg_log_loss"}


# -------------------------------------------------------------- verbosity
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_silent_by_default(Est, capsys):
    X, y = _data(Est)
    Est(**{**FAST, "max_iter": 2}).fit(X, y)
    Est(**{**FAST, "max_iter": 2}, early_stopping=True).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_2_prints_a_table_per_epoch(capsys):
    X, y = _data(RNNRegressor)
    RNNRegressor(**{**FAST, "max_iter": 3}, early_stopping=True, verbose=2).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "valid_loss" in out and "valid_score" in out
    assert len([line for line in out.splitlines() if line.strip()[:1].isdigit()]) == 3
    # Captured output is no terminal: no colour codes in it.
    assert "\x1b[" not in out


def test_verbose_2_colours_the_best_values_on_a_terminal(monkeypatch):
    from sklearn_rnn._callbacks import EpochTable

    row = {"epoch": 1, "train_loss": 0.5, "train_loss_best": True}
    table = EpochTable()
    monkeypatch.setattr("sys.stdout.isatty", lambda: False, raising=False)
    assert table.format_row(row, "train_loss", "\x1b[36m") == "0.5000"
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    assert table.format_row(row, "train_loss", "\x1b[36m") == "\x1b[36m0.5000\x1b[0m"


def test_verbose_1_shows_a_progress_bar(capsys):
    X, y = _data(RNNRegressor)
    RNNRegressor(**{**FAST, "max_iter": 3}, verbose=1).fit(X, y)
    err = capsys.readouterr().err
    assert "3/3" in err and "train_loss" in err


def test_auto_device_is_cpu_without_cuda():
    import torch

    X, y = _data(RNNRegressor)
    reg = RNNRegressor(max_iter=1).fit(X, y)
    assert reg.device_ == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            RNNRegressor(max_iter=1, device="cuda").fit(X, y)

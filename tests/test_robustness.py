"""Robustness: bad inputs, inputs left untouched, load, threads, resumable fits.

Every public entry point is given the bad inputs users actually produce
(NaN, inf, wrong dimensions, empty arrays, strings, ragged lists, zero-length
sequences, mismatched X/y, wrong hyperparameter types). Each must fail with a
``ValueError``/``TypeError`` raised by our validation or scikit-learn's --
never from inside torch or skorch, where the message speaks of tensors and
kernels instead of the user's data -- and must leave its inputs unmodified.

Several of these cases found bugs in the core that are fixed now (numpy
scalars and bools reaching torch, unchecked callbacks and optimizer classes,
negative sample weights, unstandardisable targets, the predict-time
train/eval toggle racing between threads); the tests keep them fixed.
"""

import copy
import os
import subprocess
import sys
import textwrap
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from _params import fast_params
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from skorch.callbacks import Callback, Checkpoint, LoadInitState

from sklearn_rnn import (
    RNNClassifier,
    RNNRegressor,
    SlidingWindowTransformer,
    make_windows,
    recursive_forecast,
)

# One network: these tests are not about ensembles (test_ensemble.py is).
FAST = fast_params(hidden_size=4, max_iter=2, batch_size=16, device="cpu")

# Derandomised so that CI runs the same examples every time; a failure is
# reproducible from the printed falsifying example.
PROPERTY = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


# ----------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(24, 5)).astype(np.float32)
    X3 = rng.normal(size=(24, 5, 2)).astype(np.float32)
    y = X.sum(axis=1).astype(np.float64)
    labels = np.where(y > 0, "up", "down")
    series = np.sin(np.linspace(0, 12, 60)) + 0.1 * rng.normal(size=60)
    return {"X": X, "X3": X3, "y": y, "labels": labels, "series": series}


@pytest.fixture(scope="module")
def fitted(data):
    X, X3, y, labels = data["X"], data["X3"], data["y"], data["labels"]
    Xw, yw = make_windows(data["series"], 5)
    return {
        "reg": RNNRegressor(**FAST).fit(X, y),
        "clf": RNNClassifier(**FAST).fit(X, labels),
        "reg3": RNNRegressor(**FAST).fit(X3, y),
        "clf3": RNNClassifier(**FAST).fit(X3, labels),
        "window_reg": RNNRegressor(**FAST).fit(Xw, yw),
        "swt": SlidingWindowTransformer(4).fit(data["series"]),
    }


def _snapshot(obj):
    """A deep copy to compare with after the call (arrays, lists, scalars)."""
    return copy.deepcopy(obj)


def _same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype.kind in "fc":
            return np.array_equal(a, b, equal_nan=True)
        return bool(np.all(a == b))
    if isinstance(a, list | tuple):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(_same(u, v) for u, v in zip(a, b, strict=True))
        )
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return a == b


def assert_clear_error(call, *args, match=None):
    """``call(*args)`` raises ValueError/TypeError before torch/skorch run.

    Where it is raised is checked: an error raised inside torch or skorch is
    a crash the user cannot act on, even when it happens to be a TypeError.
    The arguments must be left exactly as they were.
    """
    before = [_snapshot(a) for a in args]
    with warnings.catch_warnings():
        # numpy may warn on overflowing input on the way to the error.
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises((ValueError, TypeError), match=match) as info:
            call(*args)
    origin = str(info.traceback[-1].path)
    assert not any(f"{os.sep}{lib}{os.sep}" in origin for lib in ("torch", "skorch")), (
        f"{type(info.value).__name__}: {info.value} was raised inside "
        f"{origin}, not by input validation"
    )
    assert str(info.value).strip(), "the error has no message"
    for old, new in zip(before, args, strict=True):
        assert _same(old, new), "the input was modified"
    return info.value


# ------------------------------------------------------- the bad-input matrix
def _bad_X(data):
    X, X3 = data["X"], data["X3"]
    with_nan = X.copy()
    with_nan[3, 2] = np.nan
    with_inf = X3.copy()
    with_inf[0, 4, 1] = -np.inf
    return {
        "nan": with_nan,
        "inf": with_inf,
        "1d": X[:, 0],
        "4d": X3[:, :, :, None],
        "empty_2d": X[:0],
        "empty_3d": X3[:0],
        "empty_list": [],
        "zero_timesteps": X3[:, :0],
        "zero_features": X3[:, :, :0],
        "object_strings": np.full((24, 5), "a", dtype=object),
        "list_of_strings": [["a"] * 5] * 24,
        "ragged_with_empty_sequence": [np.ones(3), np.ones(0)] * 12,
        "ragged_with_strings": [np.ones(3), ["a", "b"]] * 12,
        "ragged_with_nan": [np.ones(3), np.array([np.nan, 1.0])] * 12,
        "ragged_3d_sequence": [np.ones(3), np.ones((2, 2, 2))] * 12,
        "ragged_mixed_dims": [np.ones(3), np.ones((2, 2))] * 12,
        "ragged_mixed_features": [np.ones((3, 2)), np.ones((2, 3))] * 12,
        "none": None,
        "scalar": 3.0,
        "dict": {"a": 1},
        "complex": X.astype(np.complex64),
        "beyond_float32": np.full((24, 5), 1e39),
    }


BAD_X = sorted(_bad_X({"X": np.zeros((24, 5)), "X3": np.zeros((24, 5, 2))}))

# What each error must say: the problem, in the user's terms.
BAD_X_MESSAGES = {
    "nan": "contains NaN",
    "inf": "contains infinity",
    "1d": "Expected 2D array, got 1D array",
    "4d": "X has 4 dimensions; expected 2-D",
    "empty_2d": "Found array with 0 sample",
    "empty_3d": "Found array with 0 sample",
    "empty_list": "X is empty: found 0 sequences",
    "zero_timesteps": "X has 0 time steps",
    "zero_features": "X has 0 features per time step",
    "object_strings": "could not convert string to float",
    "list_of_strings": "could not convert string to float",
    "ragged_with_empty_sequence": r"Sequence 1 of X is empty \(length 0\)",
    "ragged_with_strings": "Sequence 1 of X could not be converted to float",
    "ragged_with_nan": "contains NaN or infinity",
    "ragged_3d_sequence": "Sequence 1 of X has 3 dimensions",
    "ragged_mixed_dims": r"mix 1-D \(univariate\) and 2-D",
    "ragged_mixed_features": "inconsistent numbers of features per time step",
    # X_val=None beside a y_val: the pair is the problem there.
    "none": "got scalar array|X_val and y_val must be passed together",
    "scalar": "got scalar array",
    "dict": "not 'dict'",
    "complex": "Complex data not supported",
    "beyond_float32": r"too large for dtype\('float32'\)",
}


@pytest.mark.parametrize("case", BAD_X)
@pytest.mark.parametrize(
    "entry",
    [
        "RNNRegressor.fit",
        "RNNClassifier.fit",
        "RNNRegressor.partial_fit",
        "RNNClassifier.partial_fit",
        "RNNRegressor.predict",
        "RNNRegressor.score",
        "RNNClassifier.predict",
        "RNNClassifier.predict_proba",
        "RNNClassifier.predict_log_proba",
        "RNNClassifier.score",
        "RNNRegressor.fit(X_val)",
        "RNNClassifier.fit(X_val)",
    ],
)
def test_bad_X_gives_clear_error(entry, case, data, fitted):
    X = _bad_X(data)[case]
    y = data["y"]
    labels = data["labels"]
    calls = {
        "RNNRegressor.fit": lambda X: RNNRegressor(**FAST).fit(X, y),
        "RNNClassifier.fit": lambda X: RNNClassifier(**FAST).fit(X, labels),
        "RNNRegressor.partial_fit": lambda X: RNNRegressor(**FAST).partial_fit(X, y),
        "RNNClassifier.partial_fit": lambda X: RNNClassifier(**FAST).partial_fit(
            X, labels, classes=["down", "up"]
        ),
        "RNNRegressor.predict": fitted["reg3"].predict,
        "RNNRegressor.score": lambda X: fitted["reg3"].score(X, y),
        "RNNClassifier.predict": fitted["clf3"].predict,
        "RNNClassifier.predict_proba": fitted["clf3"].predict_proba,
        "RNNClassifier.predict_log_proba": fitted["clf3"].predict_log_proba,
        "RNNClassifier.score": lambda X: fitted["clf3"].score(X, labels),
        "RNNRegressor.fit(X_val)": lambda X: RNNRegressor(
            early_stopping=True, **FAST
        ).fit(data["X3"], y, X_val=X, y_val=y),
        "RNNClassifier.fit(X_val)": lambda X: RNNClassifier(
            early_stopping=True, **FAST
        ).fit(data["X3"], labels, X_val=X, y_val=labels),
    }
    assert_clear_error(calls[entry], X, match=BAD_X_MESSAGES[case])


def test_every_bad_input_case_has_its_message():
    assert sorted(BAD_X_MESSAGES) == BAD_X


def _bad_series():
    series = np.sin(np.linspace(0, 6, 30))
    return {
        "nan": np.r_[series, np.nan],
        "inf": np.r_[np.inf, series],
        "empty": np.array([]),
        "3d": np.zeros((30, 2, 2)),
        "strings": np.array(["a"] * 30),
        "mixed_objects": [1.0, "a", 3.0] * 10,
        "ragged": [[1.0, 2.0], [3.0]] * 15,
        "none": None,
        "too_short": series[:3],
        "complex": series.astype(complex),
    }


@pytest.mark.parametrize("case", sorted(_bad_series()))
@pytest.mark.parametrize(
    "entry",
    [
        "SlidingWindowTransformer.fit",
        "SlidingWindowTransformer.transform",
        "make_windows",
        "recursive_forecast",
    ],
)
def test_bad_series_gives_clear_error(entry, case, fitted):
    series = _bad_series()[case]
    calls = {
        "SlidingWindowTransformer.fit": SlidingWindowTransformer(4).fit,
        "SlidingWindowTransformer.transform": fitted["swt"].transform,
        "make_windows": lambda s: make_windows(s, 4),
        "recursive_forecast": lambda s: recursive_forecast(
            fitted["window_reg"], s, 3
        ),
    }
    assert_clear_error(calls[entry], series)


@pytest.mark.parametrize(
    "call",
    [
        lambda f, s: recursive_forecast(f, s[:5], 0),
        lambda f, s: recursive_forecast(f, s[:5], 2.5),
        lambda f, s: recursive_forecast(f, s[:4], 3),  # window shorter than fit
        lambda f, s: recursive_forecast(f, s[:7], 3),  # window longer than fit
        lambda f, s: recursive_forecast(object(), s[:5], 3),
        lambda f, s: make_windows(s, 0),
        lambda f, s: make_windows(s, "3"),
        lambda f, s: make_windows(s, 4, horizon=0),
        lambda f, s: make_windows(s, 4, step=0),
        lambda f, s: make_windows(s, 100),
        lambda f, s: SlidingWindowTransformer(0).fit(s),
        lambda f, s: SlidingWindowTransformer(2.5).fit(s),
        lambda f, s: SlidingWindowTransformer(4, padding="reflect").fit(s),
        lambda f, s: SlidingWindowTransformer(4).fit(np.c_[s, s]).transform(s),
    ],
    ids=[
        "n_steps=0",
        "n_steps=2.5",
        "short_window",
        "long_window",
        "not_an_estimator",
        "window_size=0",
        "window_size_str",
        "horizon=0",
        "step=0",
        "window_longer_than_series",
        "transformer_window_size=0",
        "transformer_window_size_float",
        "transformer_bad_padding",
        "transformer_feature_mismatch",
    ],
)
def test_window_helpers_reject_bad_arguments(call, fitted, data):
    assert_clear_error(lambda s: call(fitted["window_reg"], s), data["series"])


def test_recursive_forecast_of_unfitted_estimator_says_not_fitted(data):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        recursive_forecast(RNNRegressor(), data["series"][:5], 3)


# ------------------------------------------------------------- X against y
@pytest.mark.parametrize("Est", [RNNRegressor, RNNClassifier])
def test_mismatched_lengths_of_X_y_and_sample_weight(Est, data):
    X = data["X"]
    y = data["y"] if Est is RNNRegressor else data["labels"]
    assert_clear_error(lambda y: Est(**FAST).fit(X, y), y[:-1], match="samples")
    assert_clear_error(lambda X: Est(**FAST).fit(X, y), X[:-3])
    assert_clear_error(lambda y: Est(**FAST).fit(X, y), None)
    assert_clear_error(
        lambda w: Est(**FAST).fit(X, y, sample_weight=w), np.ones(len(y) - 1)
    )
    assert_clear_error(
        lambda w: Est(**FAST).fit(X, y, sample_weight=w), np.full(len(y), np.nan)
    )
    ragged = [np.ones(3), np.ones(4)] * 12
    assert_clear_error(lambda y: Est(**FAST).fit(ragged, y), y[:-1])


@pytest.mark.parametrize("Est", [RNNRegressor, RNNClassifier])
def test_score_with_mismatched_lengths(Est, data, fitted):
    est = fitted["reg"] if Est is RNNRegressor else fitted["clf"]
    y = data["y"] if Est is RNNRegressor else data["labels"]
    assert_clear_error(lambda y: est.score(data["X"], y), y[:-1])


def test_negative_sample_weight_is_rejected(data):
    # It would silently maximise the loss of those samples.
    assert_clear_error(
        lambda w: RNNRegressor(**FAST).fit(data["X"], data["y"], sample_weight=w),
        -np.ones(len(data["y"])),
    )


def test_bad_regression_targets(data):
    X, y = data["X"], data["y"]
    y_nan = y.copy()
    y_nan[5] = np.nan
    assert_clear_error(lambda y: RNNRegressor(**FAST).fit(X, y), y_nan)
    assert_clear_error(lambda y: RNNRegressor(**FAST).fit(X, y), np.r_[y[:-1], np.inf])
    assert_clear_error(lambda y: RNNRegressor(**FAST).fit(X, y), np.ones((24, 2, 2, 2)))
    assert_clear_error(lambda y: RNNRegressor(**FAST).fit(X, y), data["labels"])
    assert_clear_error(lambda y: RNNRegressor(**FAST).fit(X, y), y[:0])
    # Sequence targets must match the time axis of X.
    assert_clear_error(
        lambda y: RNNRegressor(return_sequences=True, **FAST).fit(X, y), y
    )


def test_targets_too_large_to_standardise_are_rejected(data):
    # Their standard deviation overflows: a scale of inf would give infinite
    # predictions without an error.
    X = data["X"]
    y = np.linspace(1e300, 1.5e300, len(X))
    reg = RNNRegressor(**FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match="y is too large to standardise.*"
                           "Rescale y"):
            reg.fit(X, y)
    assert not hasattr(reg, "net_")


def test_huge_but_representable_values_train_and_predict(data):
    # Inputs and targets are standardised inside: their scale is irrelevant
    # as long as float32 (inputs) and float64 (targets) can hold it.
    X, y = data["X3"], data["y"]
    small = RNNRegressor(**FAST).fit(X, y).predict(X)
    with warnings.catch_warnings():
        # scikit-learn's finiteness check sums the array, which overflows.
        warnings.simplefilter("ignore", RuntimeWarning)
        huge = RNNRegressor(**FAST).fit(X * np.float32(1e30), y * 1e100)
        pred = huge.predict(X * np.float32(1e30))
    assert np.isfinite(pred).all()
    # The same network up to the scale: the predictions scale with y.
    np.testing.assert_allclose(pred / 1e100, small, rtol=1e-3, atol=1e-4)


def test_bad_classification_labels(data):
    X, labels = data["X"], data["labels"]
    assert_clear_error(lambda y: RNNClassifier(**FAST).fit(X, y), data["y"])
    assert_clear_error(
        lambda y: RNNClassifier(**FAST).fit(X, y), np.c_[labels, labels]
    )
    assert_clear_error(
        lambda y: RNNClassifier(**FAST).fit(X, y),
        np.array([None, "a"] * 12, dtype=object),
    )
    assert_clear_error(
        lambda y: RNNClassifier(**FAST).fit(X, y), np.full(24, "only"),
        match="class",
    )


def test_single_sample(data):
    X, y = data["X"][:1], data["y"][:1]
    reg = RNNRegressor(**FAST).fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == (1,) and np.isfinite(pred).all()
    # One sample is one class: a classifier cannot be fitted on it.
    assert_clear_error(lambda y: RNNClassifier(**FAST).fit(X, y), ["up"])
    # ... nor a validation tail carved out of it.
    assert_clear_error(
        lambda X: RNNRegressor(early_stopping=True, **FAST).fit(X, y), X
    )
    # A single sequence, as a list, predicts like the array.
    np.testing.assert_allclose(reg.predict([X[0]]), pred, rtol=1e-6)


def test_labels_unseen_at_fit(data, fitted):
    clf, X, labels = fitted["clf"], data["X"], data["labels"]
    # partial_fit cannot learn a label it was not told about.
    est = RNNClassifier(**FAST).partial_fit(X, labels, classes=["down", "up"])
    assert_clear_error(lambda y: est.partial_fit(X, y), np.full(24, "sideways"))
    assert_clear_error(
        lambda y: RNNClassifier(**FAST).partial_fit(X, y, classes=["up"]), labels
    )
    # predict only ever answers with known labels, and score counts the
    # unseen label as an error rather than crashing.
    assert set(clf.predict(X)) <= {"down", "up"}
    assert clf.score(X, np.full(24, "sideways")) == 0.0
    # A label of another type is a clear error, not a silent 0.
    assert_clear_error(lambda y: clf.score(X, y), np.arange(24))


@pytest.mark.parametrize("name", ["reg", "clf"])
def test_predict_dimension_mismatch_with_fit(name, data, fitted):
    est2, est3 = fitted[name], fitted[name + "3"]
    X, X3 = data["X"], data["X3"]
    assert_clear_error(est2.predict, X3)  # 2 features per step, fitted on 1
    assert_clear_error(est2.predict, X[:, :3])  # other number of columns
    assert_clear_error(est3.predict, X)  # 1 feature per step, fitted on 2
    assert_clear_error(est3.predict, X3[:, :, :1])
    # Sequences of another length are fine for 3-D input.
    assert est3.predict(X3[:, :3]).shape == (24,)


def test_warm_start_and_partial_fit_reject_changed_shapes(data):
    X3, y = data["X3"], data["y"]
    reg = RNNRegressor(warm_start=True, **FAST).fit(X3, y)
    assert_clear_error(lambda X: reg.fit(X, y), X3[:, :, :1])
    assert_clear_error(lambda y: reg.fit(X3, y), np.c_[y, y])
    reg = RNNRegressor(**FAST).partial_fit(X3, y)
    assert_clear_error(lambda X: reg.partial_fit(X, y), X3[:, :, :1])


# -------------------------------------------------------- hyperparameters
class Junk:
    def __repr__(self):
        # Stable test ids: pytest-xdist workers must collect the same names.
        return "Junk()"


INVALID_PARAMS = {
    "cell": ["transformer", 1, None],
    "hidden_size": [0, 2.5, "8", None],
    "num_layers": [0, 1.5, "2"],
    "bidirectional": ["yes", 2],
    "dropout": [-0.1, 1.0, "0.5"],
    "nonlinearity": ["sigmoid", None],
    "pooling": ["sum", 3],
    "head_hidden_sizes": [(0,), (2.5,), (-1,), "16", 16, (True,)],
    "max_iter": [0, 2.5, "10"],
    "batch_size": [0, -1, 2.0, "32"],
    # int: a class, but not an optimizer (it used to crash inside skorch).
    "optimizer": ["lbfgs", Junk(), None, int, torch.nn.Linear],
    "learning_rate_init": [0, -1e-3, "0.1"],
    "learning_rate": ["invscaling", 0.1],
    "momentum": [-0.1, 1.5, "0.9"],
    "alpha": [-1.0, "0"],
    "clip_grad_norm": [0, -1.0, "1"],
    "average_weights": ["yes", 1, None, 0.99],
    "ensemble_size": [0, -1, 1.5, "3", None, True],
    "early_stopping": ["no", 1.5],
    "validation_fraction": [0.0, 1.0, "0.1"],
    "n_iter_no_change": [0, 1.5],
    "tol": [-1.0, "0"],
    "shuffle": ["yes"],
    "scale_inputs": ["yes"],
    "random_state": ["seed", 1.5],
    "verbose": [-1, "loud"],
    "warm_start": ["yes"],
    "device": ["gpu0", "bogus", 0, None],
    "callbacks": ["progress", Junk(), [1], [("name", "x")], ["progress"]],
    "return_sequences": ["yes"],
    "loss": ["mse", "pinball", None, 1],
    # 0.9 with the default loss: a quantile the loss would not use.
    "quantile": [0.0, 1.0, -0.5, "0.9", True, 0.9],
    "conv_layers": [-1, 1.5, "two", True],
    "instance_norm": [-1, 1.5, "last", True],
    "instance_norm_center": ["median", None, 1, True],
    "instance_norm_scale": ["spread", None, 1, True],
    "conv_kernel_size": [0, 2.5, "5", True],
    "conv_batch_norm": ["yes", 1, None],
    "standardize_sequences": ["yes", 1, None],
    "embedding_dim": [0, 1.5, "8", True],
    "vocabulary_size": [1, 2.5, "10", True],
    "class_weight": ["balanced_subsample", [1, 2], {"down": "heavy", "up": 1}],
}

def _param_cases():
    for Est in (RNNRegressor, RNNClassifier):
        for name in Est().get_params():
            for value in INVALID_PARAMS.get(name, []):
                yield pytest.param(
                    Est, name, value, id=f"{Est.__name__}-{name}-{value!r}"
                )


def test_every_hyperparameter_has_invalid_values():
    names = set(RNNRegressor().get_params()) | set(RNNClassifier().get_params())
    assert names == set(INVALID_PARAMS)


@pytest.mark.parametrize("Est, name, value", list(_param_cases()))
def test_invalid_hyperparameter_gives_clear_error(Est, name, value, data):
    y = data["y"] if Est is RNNRegressor else data["labels"]
    est = Est(**{**FAST, name: value})
    assert_clear_error(lambda X: est.fit(X, y), data["X"])


@pytest.mark.parametrize("optimizer", [torch.optim.LBFGS, torch.optim.Adagrad])
def test_any_torch_optimizer_class_trains(optimizer, data):
    # LBFGS takes no weight_decay and needs a closure: both handled.
    est = RNNRegressor(**{**FAST, "optimizer": optimizer}).fit(data["X"], data["y"])
    assert est.n_iter_ == 2
    assert np.isfinite(est.predict(data["X"])).all()


def test_unavailable_cuda_device_is_a_clear_error(data):
    if torch.cuda.is_available():
        device = f"cuda:{torch.cuda.device_count()}"
        # torch accepts the ordinal and fails only when it is used.
        est = RNNRegressor(**{**FAST, "device": device})
        with pytest.raises((ValueError, RuntimeError)):
            est.fit(data["X"], data["y"])
        return
    assert_clear_error(
        lambda X: RNNRegressor(**{**FAST, "device": "cuda"}).fit(X, data["y"]),
        data["X"],
        match="CUDA",
    )


@pytest.mark.parametrize(
    "name, value",
    [
        ("hidden_size", np.int64(4)),
        ("num_layers", np.int64(2)),
        ("max_iter", np.int64(2)),
        ("batch_size", np.int64(8)),
        ("head_hidden_sizes", (np.int64(3),)),
        ("learning_rate_init", np.float32(0.01)),
        ("dropout", np.float64(0.1)),
        ("random_state", np.int64(3)),
    ],
)
def test_numpy_scalar_hyperparameters_from_a_grid_work(name, value, data):
    # What GridSearchCV passes for param_grid={"hidden_size": np.arange(...)}.
    est = RNNRegressor(**{**FAST, name: value}).fit(data["X"], data["y"])
    assert np.isfinite(est.predict(data["X"])).all()


@pytest.mark.parametrize(
    "name",
    [
        "hidden_size", "num_layers", "max_iter", "batch_size",
        "learning_rate_init", "momentum", "alpha", "clip_grad_norm",
        "n_iter_no_change", "tol",
    ],
)
def test_boolean_for_a_number_is_rejected_or_works(name, data):
    # scikit-learn's Interval(Integral/Real) accepts bools (True == 1); the
    # estimator must then either treat it as 1 or reject it, not crash.
    # RMSprop: no fused kernel that would cast the bool on the way.
    est = RNNRegressor(**{**FAST, "optimizer": "rmsprop", name: True})
    try:
        est.fit(data["X"], data["y"])
    except (ValueError, TypeError):
        assert_clear_error(lambda X: est.fit(X, data["y"]), data["X"])
    else:
        assert np.isfinite(est.predict(data["X"])).all()


# --------------------------------------------------- inputs never modified
@pytest.mark.parametrize("layout", ["2d", "3d", "ragged"])
def test_valid_inputs_are_not_modified(layout, data):
    X = {"2d": data["X"], "3d": data["X3"], "ragged": None}[layout]
    if X is None:
        rng = np.random.RandomState(1)
        X = [rng.normal(size=(n, 2)) for n in rng.randint(1, 7, size=24)]
    y, labels = data["y"].copy(), data["labels"].copy()
    weights = np.linspace(0.5, 1.5, 24)
    before = _snapshot((X, y, labels, weights))
    reg = RNNRegressor(**FAST).fit(X, y, sample_weight=weights)
    RNNRegressor(**FAST).partial_fit(X, y, sample_weight=weights)
    reg.predict(X)
    reg.score(X, y, sample_weight=weights)
    clf = RNNClassifier(class_weight="balanced", **FAST).fit(X, labels, weights)
    clf.predict_proba(X)
    clf.score(X, labels)
    assert _same(before, (X, y, labels, weights))


def test_read_only_inputs_are_accepted(data):
    X, y, labels = data["X3"].copy(), data["y"].copy(), data["labels"].copy()
    for a in (X, y, labels):
        a.flags.writeable = False
    reg = RNNRegressor(**FAST).fit(X, y)
    clf = RNNClassifier(**FAST).fit(X, labels)
    assert reg.predict(X).shape == (24,)
    assert clf.predict_proba(X).shape == (24, 2)
    series = np.array(data["series"])
    series.flags.writeable = False
    Xw, yw = make_windows(series, 5)
    SlidingWindowTransformer(4).fit_transform(series)
    recursive_forecast(RNNRegressor(**FAST).fit(Xw, yw), series[-5:], 3)


def test_window_helpers_do_not_modify_the_series(data):
    series = data["series"].copy()
    before = series.copy()
    Xw, yw = make_windows(series, 5, horizon=2)
    SlidingWindowTransformer(4, flatten=True).fit_transform(series)
    reg = RNNRegressor(**FAST).fit(Xw, yw)
    recursive_forecast(reg, series[-5:], 4)
    np.testing.assert_array_equal(series, before)


# ------------------------------------------------------ property-based tests
def _finite_sequences(max_abs):
    max_abs = float(np.float32(max_abs))  # exactly representable in float32
    return hnp.arrays(
        np.float32,
        st.tuples(
            st.integers(1, 6), st.integers(1, 7), st.just(2)
        ),
        elements=st.floats(-max_abs, max_abs, width=32, allow_subnormal=False),
    )


@PROPERTY
@given(X=_finite_sequences(1e6))
def test_property_predictions_are_finite_and_per_row(X, fitted):
    reg, clf = fitted["reg3"], fitted["clf3"]
    before = X.copy()
    pred = reg.predict(X)
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(X, before)
    assert pred.shape == (len(X),) and np.isfinite(pred).all()
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    # A row's prediction does not depend on the rows batched with it.
    alone = np.array([reg.predict(X[i : i + 1])[0] for i in range(len(X))])
    np.testing.assert_allclose(alone, pred, rtol=1e-5, atol=1e-6)


@PROPERTY
@given(X=_finite_sequences(3e38))
def test_property_extreme_finite_values_never_give_nan(X, fitted):
    # Anything float32 can hold gives a finite answer: inputs are
    # standardised in float32 and the recurrent cells saturate, so neither
    # an error nor a NaN can come out.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pred = fitted["reg3"].predict(X)
        proba = fitted["clf3"].predict_proba(X)
    assert np.isfinite(pred).all()
    assert np.isfinite(proba).all()


@PROPERTY
@given(
    shape=st.tuples(st.integers(1, 5), st.integers(1, 6), st.just(2)),
    where=st.integers(0, 10_000),
    bad=st.sampled_from([np.nan, np.inf, -np.inf]),
    as_list=st.booleans(),
)
def test_property_any_non_finite_value_is_rejected(shape, where, bad, as_list, fitted):
    X = np.random.RandomState(where).normal(size=shape).astype(np.float32)
    X.flat[where % X.size] = bad
    if as_list:
        # Variable-length sequences go through another validation path.
        X = [X[i, : 1 + i % shape[1]] for i in range(len(X))]
    for call in (fitted["reg3"].predict, fitted["clf3"].predict_proba):
        if as_list and not any(not np.isfinite(s).all() for s in X):
            continue  # the bad value was in the cut-off part
        assert_clear_error(call, X)


@PROPERTY
@given(n=st.integers(1, 4), T=st.integers(1, 6), F=st.integers(1, 3))
def test_property_fit_accepts_any_small_valid_shape(n, T, F):
    X = np.random.RandomState(n * 100 + T * 10 + F).normal(size=(n, T, F))
    y = X[:, -1, 0]
    reg = RNNRegressor(**{**FAST, "max_iter": 1}).fit(X, y)
    assert reg.n_features_in_ == F
    assert np.isfinite(reg.predict(X)).all()


# ------------------------------------------------------------------- load
PREDICT_A_MILLION = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    from sklearn_rnn import RNNRegressor

    def rss_mb():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024

    rng = np.random.RandomState(0)
    X = rng.normal(size=(1_000_000, 5)).astype(np.float32)
    reg = RNNRegressor(hidden_size=4, max_iter=1, random_state=0, device="cpu")
    reg.fit(X[:256], X[:256, -1])
    head = reg.predict(X[:1000])
    before = max(rss_mb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    pred = reg.predict(X)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert pred.shape == (1_000_000,), pred.shape
    assert np.isfinite(pred).all()
    np.testing.assert_allclose(pred[:1000], head, rtol=1e-5, atol=1e-6)
    print(f"GROWTH_MB={peak - before:.1f}")
    """
)


@pytest.mark.skipif(
    not os.path.exists("/proc/self/status"), reason="reads /proc for the RSS"
)
def test_predicting_a_million_sequences_uses_bounded_memory():
    # A fresh interpreter, so the peak RSS is this call's own and not that of
    # whatever the test worker ran before. The input is 20 MB and the output
    # 8 MB; an unbatched forward pass of the 1e6 sequences needs about 300 MB
    # more (hidden states of every sequence and step at once), a batched one
    # about 35 MB.
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", PREDICT_A_MILLION],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    growth = float(result.stdout.split("GROWTH_MB=")[1].split()[0])
    assert growth < 150, f"predict grew the peak memory by {growth:.0f} MB"


# --------------------------------------------------------------- threads
@pytest.fixture(scope="module")
def dropout_model():
    # Dropout makes any forward pass in training mode visible in the output.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(64, 8, 2)).astype(np.float32)
    y = X[:, -2:, 0].sum(axis=1)
    reg = RNNRegressor(
        num_layers=2, dropout=0.5, head_hidden_sizes=(8,), **{**FAST, "hidden_size": 8}
    ).fit(X, y)
    return reg, X


@pytest.mark.parametrize("ragged", [False, True])
def test_concurrent_predict_gives_identical_results(ragged):
    # With dropout, which any forward pass in training mode would apply; the
    # interleaving that used to cause it is forced in the next test.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 8, 2)).astype(np.float32)
    labels = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    clf = RNNClassifier(
        num_layers=2, dropout=0.5, **{**FAST, "hidden_size": 8}
    ).fit(X, labels)
    if ragged:
        X = [x[: 1 + i % 8] for i, x in enumerate(X)]
    expected = clf.predict_proba(X)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: clf.predict_proba(X), range(24)))
    for result in results:
        np.testing.assert_array_equal(result, expected)


def test_concurrent_predict_never_runs_in_training_mode(dropout_model):
    # The interleaving that broke an earlier predict, which switched the
    # shared module to eval() and back to the mode it found: A enters the
    # forward pass and waits; B starts predicting and waits inside its
    # forward pass; A finishes (and used to switch dropout back on); then B
    # runs its forward pass, which must still be in evaluation mode.
    reg, X = dropout_model
    expected = reg.predict(X)
    reg.net_.module_.train()  # e.g. someone trained net_ by hand
    a_inside, b_inside = threading.Event(), threading.Event()
    modes = {}

    def hook(module, args):
        name = threading.current_thread().name
        if name == "A":
            a_inside.set()
            b_inside.wait(timeout=10)
        elif name == "B":
            b_inside.set()
            a_done.wait(timeout=10)
            modes["B"] = module.training

    a_done = threading.Event()
    handle = reg.net_.module_.register_forward_pre_hook(hook)
    results = {}
    try:
        def run(name):
            results[name] = reg.predict(X)
            if name == "A":
                a_done.set()

        thread_a = threading.Thread(target=run, args=("A",), name="A")
        thread_a.start()
        assert a_inside.wait(timeout=10)
        thread_b = threading.Thread(target=run, args=("B",), name="B")
        thread_b.start()
        thread_a.join(timeout=20)
        thread_b.join(timeout=20)
    finally:
        handle.remove()
    assert modes["B"] is False, "B ran its forward pass in training mode"
    np.testing.assert_array_equal(results["B"], expected)


# ------------------------------------------------------ resumable training
class CrashAfter(Callback):
    """Stand-in for a killed process: fail after ``n`` epochs."""

    def __init__(self, n):
        self.n = n

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.n:
            raise RuntimeError("simulated crash")


@pytest.mark.parametrize("Est", [RNNRegressor, RNNClassifier])
def test_checkpoint_written_during_fit_resumes_training(Est, data, tmp_path):
    # skorch's Checkpoint (saving weights, optimiser and history every epoch)
    # and LoadInitState (loading them when training begins) through the
    # estimator's callbacks. With shuffle=False a crash after 3 of 6 epochs
    # followed by a 3-epoch resume gives the uninterrupted weights exactly.
    X = data["X3"]
    y = data["y"] if Est is RNNRegressor else data["labels"]
    # The weight average is the callback's own state, which a checkpoint
    # does not hold: a resumed fit averages from the resumed weights on, so
    # the exact comparison is made with the last step's weights.
    params = {**FAST, "hidden_size": 8, "shuffle": False,
              "average_weights": False}
    uninterrupted = Est(**{**params, "max_iter": 6}).fit(X, y)

    checkpoint = Checkpoint(monitor=None, dirname=str(tmp_path))
    with pytest.raises(RuntimeError, match="simulated crash"):
        Est(
            **{**params, "max_iter": 6}, callbacks=[checkpoint, CrashAfter(3)]
        ).fit(X, y)
    assert (tmp_path / "params.pt").exists()

    # A new process would build all of this again from the same arguments.
    checkpoint = Checkpoint(monitor=None, dirname=str(tmp_path))
    resumed = Est(
        **{**params, "max_iter": 3},
        callbacks=[checkpoint, LoadInitState(checkpoint)],
    ).fit(X, y)
    assert resumed.n_iter_ == 6
    np.testing.assert_allclose(
        resumed.loss_curve_, uninterrupted.loss_curve_, rtol=1e-6
    )
    if Est is RNNRegressor:
        np.testing.assert_array_equal(resumed.predict(X), uninterrupted.predict(X))
    else:
        np.testing.assert_array_equal(
            resumed.predict_proba(X), uninterrupted.predict_proba(X)
        )


def test_resuming_without_a_checkpoint_starts_from_scratch(data, tmp_path):
    # LoadInitState with nothing saved yet is a plain fit: the same code can
    # start a job and restart it.
    checkpoint = Checkpoint(monitor=None, dirname=str(tmp_path / "empty"))
    params = {**FAST, "max_iter": 3}
    fresh = RNNRegressor(**params).fit(data["X"], data["y"])
    restartable = RNNRegressor(
        **params, callbacks=[checkpoint, LoadInitState(checkpoint)]
    ).fit(data["X"], data["y"])
    assert restartable.n_iter_ == 3
    np.testing.assert_array_equal(
        restartable.predict(data["X"]), fresh.predict(data["X"])
    )

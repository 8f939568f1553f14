"""to_onnx and the skl2onnx converters: ONNX Runtime against predict."""

import ast
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import skl2onnx
from _params import fast_params
from numpy.testing import assert_allclose
from skl2onnx.common.data_types import FloatTensorType
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_rnn
from sklearn_rnn import (
    RNNClassifier,
    RNNRegressor,
    SlidingWindowTransformer,
    make_windows,
    register_onnx_converters,
    to_onnx,
)

# One network: these tests are not about ensembles (test_ensemble.py is).
FAST = fast_params(hidden_size=4, max_iter=2, batch_size=16)
ATOL = 1e-4


class _Clip(TransformerMixin, BaseEstimator):
    """A step skl2onnx has no converter for."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.clip(X, -3, 3)


def _session(model):
    return ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"])


def _run(model, X):
    return _session(model).run(None, {"X": X})


@pytest.fixture(scope="module")
def data():
    # Raw-scale inputs and targets: the input standardisation and the
    # target scaling must both be in the graph to reproduce predict.
    rng = np.random.RandomState(0)
    X = rng.normal(5.0, 3.0, size=(40, 6, 2)).astype(np.float32)
    y = 100.0 + 20.0 * X[:, :, 0].mean(axis=1) - X[:, -1, 1]
    X_new = rng.normal(5.0, 3.0, size=(9, 11, 2)).astype(np.float32)
    return X, y, X_new


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["last", "mean", "max", "attention"])
def test_regressor_architectures_match_predict(data, cell, bidirectional, pooling):
    X, y, X_new = data
    reg = RNNRegressor(cell=cell, bidirectional=bidirectional, pooling=pooling,
                       num_layers=2, head_hidden_sizes=(3,), **FAST).fit(X, y)
    model = to_onnx(reg, X[:1])
    # Another batch size and sequence length than the sample's.
    (out,) = _run(model, X_new)
    expected = reg.predict(X_new)
    assert out.shape == expected.shape == (9,)
    np.testing.assert_allclose(out, expected, atol=ATOL, rtol=0)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_return_sequences_matches_predict(data, cell, bidirectional):
    X, _, X_new = data
    y = np.cumsum(X[:, :, 0], axis=1) * 10
    reg = RNNRegressor(cell=cell, bidirectional=bidirectional,
                       return_sequences=True, **FAST).fit(X, y)
    (out,) = _run(to_onnx(reg, X[:2]), X_new)
    expected = reg.predict(X_new)
    assert out.shape == expected.shape == (9, 11)
    np.testing.assert_allclose(out, expected, atol=ATOL, rtol=0)
    # (n, T, k) targets keep their last axis.
    reg.fit(X, np.stack([y, -y], axis=-1))
    (out,) = _run(to_onnx(reg, X[:2]), X_new)
    assert out.shape == (9, 11, 2)
    np.testing.assert_allclose(out, reg.predict(X_new), atol=ATOL, rtol=0)


def test_univariate_2d_input_and_multi_output(data):
    X, y, _ = data
    X2 = X[:, :, 0]
    reg = RNNRegressor(cell="gru", nonlinearity="relu", **FAST).fit(
        X2, np.c_[y, -y])
    model = to_onnx(reg, X2[:3])
    (out,) = _run(model, X2)
    assert out.shape == (40, 2)
    np.testing.assert_allclose(out, reg.predict(X2), atol=ATOL, rtol=0)
    assert [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim] \
        == [0, 0], "batch and time axes are dynamic"


def test_relu_rnn_and_double_input(data):
    X, y, X_new = data
    reg = RNNRegressor(cell="rnn", nonlinearity="relu", **FAST).fit(X, y)
    X64 = X_new.astype(np.float64)
    model = to_onnx(reg, X64[:1])
    (out,) = _run(model, X64)
    np.testing.assert_allclose(out, reg.predict(X64), atol=ATOL, rtol=0)


@pytest.mark.parametrize(
    "labels, onnx_kind",
    [(np.array(["cat", "dog", "eel"]), "U"), (np.array([3, 7, 11]), "i"),
     (np.array([0.0, 1.0, 2.0]), "i"), (np.array([-1, 4, 9], dtype=np.int8), "i")],
)
def test_classifier_labels_and_probabilities(data, labels, onnx_kind):
    X, _, X_new = data
    y = labels[np.digitize(X[:, :, 0].mean(axis=1), [4.5, 5.5])]
    clf = RNNClassifier(cell="lstm", bidirectional=True, pooling="attention",
                        **FAST).fit(X, y)
    model = to_onnx(clf, X[:1])
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]
    label, proba = _run(model, X_new)
    np.testing.assert_allclose(proba, clf.predict_proba(X_new), atol=ATOL, rtol=0)
    expected = clf.predict(X_new)
    assert np.asarray(label).dtype.kind in ("O" if onnx_kind == "U" else "i")
    np.testing.assert_array_equal(np.asarray(label).astype(expected.dtype),
                                  expected)


@pytest.mark.parametrize("cell", ["rnn", "gru"])
@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_classifier_architectures(data, cell, pooling):
    X, _, X_new = data
    y = (X[:, :, 1].mean(axis=1) > 5).astype(int)
    # Fitted on 2-D input, predict takes the same number of time steps.
    X_fit, X_test = X[:30, :, 1], X[30:, :, 1]
    clf = RNNClassifier(cell=cell, pooling=pooling, num_layers=2,
                        head_hidden_sizes=(5, 3), **FAST).fit(X_fit, y[:30])
    label, proba = _run(to_onnx(clf, X_fit[:2]), X_test)
    np.testing.assert_allclose(proba, clf.predict_proba(X_test), atol=ATOL, rtol=0)
    np.testing.assert_array_equal(label, clf.predict(X_test))


def test_dropout_is_not_in_the_graph(data):
    X, y, X_new = data
    reg = RNNRegressor(dropout=0.5, num_layers=2, head_hidden_sizes=(3,),
                       **FAST).fit(X, y)
    model = to_onnx(reg, X[:1])
    assert "Dropout" not in {node.op_type for node in model.graph.node}
    np.testing.assert_allclose(_run(model, X_new)[0], reg.predict(X_new),
                               atol=ATOL, rtol=0)


# ----------------------------------------------------------------- pipelines
def test_pipeline_with_standard_scaler(data):
    X, y, _ = data
    X2 = X[:, :, 0].astype(np.float64)
    pipe = make_pipeline(StandardScaler(), RNNRegressor(**FAST)).fit(X2, y)
    model = to_onnx(pipe, X2[:2])
    (out,) = _run(model, X2)
    np.testing.assert_allclose(out, pipe.predict(X2), atol=ATOL, rtol=0)


@pytest.mark.parametrize("padding", ["edge", "constant"])
def test_pipeline_with_sliding_windows(padding):
    rng = np.random.RandomState(1)
    series = np.cumsum(rng.normal(size=(120, 2)), axis=0)
    pipe = make_pipeline(
        SlidingWindowTransformer(5, padding=padding, fill_value=-3.0),
        RNNRegressor(**FAST),
    ).fit(series, series[:, 0])
    model = to_onnx(pipe, series[:5])
    # Any number of rows: the windows are built in the graph.
    (out,) = _run(model, series[:17])
    np.testing.assert_allclose(out, pipe.predict(series[:17]), atol=ATOL, rtol=0)


@pytest.mark.parametrize("flatten", [False, True])
@pytest.mark.parametrize("window_size", [1, 4])
def test_sliding_window_transformer_alone(flatten, window_size):
    register_onnx_converters()
    series = np.arange(24.0).reshape(12, 2)
    windows = SlidingWindowTransformer(window_size, flatten=flatten).fit(series)
    model = skl2onnx.to_onnx(windows, series[:4])
    (out,) = _run(model, series)
    np.testing.assert_array_equal(out, windows.transform(series))


def test_skl2onnx_converts_the_estimators_after_registration(data):
    X, y, X_new = data
    register_onnx_converters()
    register_onnx_converters()  # idempotent
    reg = RNNRegressor(**FAST).fit(X, y)
    # skl2onnx takes the time axis from the sample: (None, 6, 2).
    model = skl2onnx.to_onnx(reg, X[:1])
    np.testing.assert_allclose(_run(model, X)[0], reg.predict(X),
                               atol=ATOL, rtol=0)
    clf = RNNClassifier(**FAST).fit(X, y > np.median(y))
    model = skl2onnx.to_onnx(clf, X[:1], options={"zipmap": False})
    label, proba = _run(model, X)
    np.testing.assert_array_equal(label.astype(bool), clf.predict(X))
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=ATOL, rtol=0)
    # Its initial_types make the time axis dynamic.
    model = skl2onnx.convert_sklearn(
        reg, initial_types=[("X", FloatTensorType([None, None, 2]))])
    np.testing.assert_allclose(_run(model, X_new)[0], reg.predict(X_new),
                               atol=ATOL, rtol=0)


# ----------------------------------------------------------------- bad input
def test_unfitted_estimator(data):
    X, _, _ = data
    with pytest.raises(NotFittedError):
        to_onnx(RNNRegressor(), X[:1])
    with pytest.raises(NotFittedError):
        to_onnx(make_pipeline(StandardScaler(), RNNRegressor()), X[:1, :, 0])


def test_other_models_are_refused(data):
    X, y, _ = data
    with pytest.raises(TypeError, match="RNNRegressor, an RNNClassifier or a "
                       "Pipeline ending in one; got StandardScaler"):
        to_onnx(StandardScaler().fit(X[:, :, 0]), X[:1, :, 0])
    with pytest.raises(TypeError, match="Pipeline ending in PCA"):
        to_onnx(make_pipeline(PCA(2)).fit(X[:, :, 0]), X[:1, :, 0])


def test_unsupported_pipeline_step(data):
    X, y, _ = data
    pipe = make_pipeline(_Clip(), RNNRegressor(**FAST)).fit(X[:, :, 0], y)
    with pytest.raises(TypeError, match=r"'_clip' \(_Clip\) has no ONNX converter"):
        to_onnx(pipe, X[:1, :, 0])


def test_variable_length_sample_is_refused(data):
    X, y, _ = data
    ragged = [X[0, :4], X[1]]
    reg = RNNRegressor(**FAST).fit(ragged + list(X[2:]), y)
    with pytest.raises(ValueError, match="different lengths.*one sequence"):
        to_onnx(reg, ragged)
    # A list of equally long sequences is an array.
    model = to_onnx(reg, [X[0], X[1]])
    np.testing.assert_allclose(_run(model, X[:3])[0], reg.predict(X[:3]),
                               atol=ATOL, rtol=0)


@pytest.mark.parametrize(
    "X_sample, match",
    [(np.zeros((2, 6, 3), np.float32), "3 features per time step.*fitted on 2"),
     (np.zeros((2, 6), np.float32), "univariate.*pass X_sample as \\(n, T, 2\\)"),
     (np.zeros(6, np.float32), "shape \\(n, T\\) or \\(n, T, n_features\\)"),
     (np.array([["a", "b"]]), "numeric"),
     ([[1.0, 2.0], [3.0]], "different lengths")],
)
def test_bad_sample(data, X_sample, match):
    X, y, _ = data
    reg = RNNRegressor(**FAST).fit(X, y)
    with pytest.raises(ValueError, match=match):
        to_onnx(reg, X_sample)


def test_missing_onnx_packages(data, monkeypatch):
    X, y, _ = data
    reg = RNNRegressor(**FAST).fit(X, y)
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    with pytest.raises(ImportError, match=r"sklearn-rnn\[onnx\]"):
        to_onnx(reg, X[:1])
    with pytest.raises(ImportError, match=r"sklearn-rnn\[onnx\]"):
        register_onnx_converters()


def test_package_imports_without_onnx():
    # The optional packages are imported inside the export functions only:
    # no module of the package imports them at import time.
    package = Path(sklearn_rnn.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            roots = {name.split(".")[0] for name in names}
            assert not roots & {"onnx", "onnxruntime", "skl2onnx"}, path.name


@pytest.mark.parametrize("pooling", ["last", "mean", "max", "attention"])
@pytest.mark.parametrize("conv_layers", [1, 3])
@pytest.mark.parametrize("conv_batch_norm", [False, True])
def test_convolutional_front_end_matches_predict(data, pooling, conv_layers,
                                                 conv_batch_norm):
    X, y, _ = data
    rng = np.random.RandomState(1)
    # Odd lengths exercise the ceil-mode pooling at the end of a sequence.
    X_new = rng.normal(5.0, 3.0, size=(7, 13, 2)).astype(np.float32)
    reg = RNNRegressor(conv_layers=conv_layers, conv_kernel_size=3,
                       conv_batch_norm=conv_batch_norm, pooling=pooling,
                       **FAST).fit(X, y)
    # Batch normalisation (folded into the convolutions) is really there.
    assert (reg.net_.module_.conv_norms is not None) == conv_batch_norm
    (out,) = _run(to_onnx(reg, X[:1]), X_new)
    np.testing.assert_allclose(out, reg.predict(X_new), atol=ATOL, rtol=0)


@pytest.mark.parametrize("Est", [RNNRegressor, RNNClassifier])
def test_token_embeddings_match_predict(Est):
    rng = np.random.RandomState(0)
    X = rng.randint(2, 12, size=(40, 9))
    y = (X[:, 0] > X[:, -1]).astype(int)
    est = Est(embedding_dim=3, conv_layers=1, **FAST).fit(X, y)
    # Ids past the vocabulary read as the unknown id, as in predict.
    X_new = rng.randint(0, 30, size=(6, 9))
    outputs = _run(to_onnx(est, X[:1]), X_new.astype(np.int64))
    if Est is RNNClassifier:
        np.testing.assert_allclose(outputs[1], est.predict_proba(X_new),
                                   atol=ATOL, rtol=0)
        np.testing.assert_array_equal(outputs[0], est.predict(X_new))
    else:
        np.testing.assert_allclose(outputs[0], est.predict(X_new), atol=ATOL,
                                   rtol=0)


@pytest.mark.parametrize("scale", ["window", "series"])
@pytest.mark.parametrize("center", ["last", "mean"])
@pytest.mark.parametrize("kwargs", [{}, {"horizon": 3, "future_covariates": True},
                                    {"rescaled": True}])
def test_instance_normalised_forecaster_matches(kwargs, center, scale):
    """RevIN (found by instance_norm='auto' on windows) is in the graph:
    the window's statistics (or the series' one scale), the replaced
    feature and the mapped-back outputs, also when the windows end with
    known-future steps."""
    series = np.sin(np.arange(300) * 0.1) * np.arange(300) / 30 + 0.05 * np.arange(300)
    if kwargs.get("future_covariates"):
        kwargs = dict(kwargs, future_covariates=np.arange(300.0))
    rescaled = kwargs.pop("rescaled", False)
    X, y = make_windows(series, 12, **kwargs)
    if rescaled:
        # Inputs rescaled, targets not (a scaler before the windows).
        X = (X - 3.0) / 4.0
    reg = RNNRegressor(hidden_size=8, max_iter=3, random_state=0,
                       instance_norm_center=center,
                       instance_norm_scale=scale).fit(X, y)
    assert reg.instance_norm_feature_ == 0
    assert reg.instance_norm_scale_ == scale
    if rescaled:
        assert_allclose(reg._instance_norm_affine, (4.0, 3.0), rtol=1e-5)
    X32 = np.asarray(X, dtype=np.float32)
    assert_allclose(_run(to_onnx(reg, X32[:2]), X32)[0], reg.predict(X),
                    rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("horizon", [1, 3])
def test_per_step_anchored_forecaster_matches(horizon):
    """Windows with one target per step, anchored on each step's value
    (instance_norm='auto' with return_sequences) are in the graph too."""
    series = np.sin(np.arange(300) * 0.1) * np.arange(300) / 30 + 0.05 * np.arange(300)
    X, y = make_windows(series, 12, horizon=horizon, return_sequences=True)
    reg = RNNRegressor(hidden_size=8, max_iter=3, random_state=0,
                       return_sequences=True).fit(X, y)
    assert reg.instance_norm_feature_ == 0
    X32 = np.asarray(X, dtype=np.float32)
    assert_allclose(_run(to_onnx(reg, X32[:2]), X32)[0], reg.predict(X),
                    rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("Est", [RNNRegressor, RNNClassifier])
def test_standardised_sequences_match(Est):
    """Per-sequence standardisation (and its mean and log-deviation
    features) is in the graph."""
    rng = np.random.RandomState(0)
    X = (rng.normal(size=(30, 12, 2)) * rng.uniform(0.1, 10, size=(30, 1, 1))
         + rng.normal(size=(30, 1, 1))).astype(np.float32)
    y = np.arange(30) % 3 if Est is RNNClassifier else X[:, -1, 0] * 2.0
    est = Est(**FAST).fit(X, y)
    assert est.standardize_sequences_
    outputs = _run(to_onnx(est, X[:1]), X)
    if Est is RNNClassifier:
        assert_allclose(outputs[1], est.predict_proba(X), atol=ATOL, rtol=0)
    else:
        assert_allclose(outputs[0], est.predict(X), atol=ATOL, rtol=ATOL)


ENSEMBLE = {**FAST, "ensemble_size": 3}


@pytest.mark.parametrize("Est", [RNNRegressor, RNNClassifier])
@pytest.mark.parametrize("extra", [{}, {"conv_layers": 1},
                                   {"standardize_sequences": True}],
                         ids=["plain", "front_end", "standardised"])
def test_ensembles_match_predict(data, Est, extra):
    """Every member is in the graph, and their combination: the mean of the
    regressor's outputs, of the classifier's probabilities."""
    X, y, X_new = data
    y = y if Est is RNNRegressor else (y > np.median(y)).astype(int) + (y > 110)
    est = Est(**ENSEMBLE, **extra).fit(X, y)
    assert len(est.net_.module_.members) == 3
    outputs = _run(to_onnx(est, X[:1]), X_new)
    if Est is RNNClassifier:
        assert_allclose(outputs[1], est.predict_proba(X_new), atol=ATOL, rtol=0)
        np.testing.assert_array_equal(outputs[0], est.predict(X_new))
    else:
        assert_allclose(outputs[0], est.predict(X_new), atol=ATOL, rtol=0)


def test_ensembles_of_token_embeddings_and_revin_match_predict():
    rng = np.random.RandomState(0)
    X = rng.randint(2, 12, size=(40, 9))
    clf = RNNClassifier(embedding_dim=3, **ENSEMBLE).fit(X, X[:, 0] > X[:, -1])
    X_new = rng.randint(0, 30, size=(6, 9))
    outputs = _run(to_onnx(clf, X[:1]), X_new.astype(np.int64))
    assert_allclose(outputs[1], clf.predict_proba(X_new), atol=ATOL, rtol=0)
    series = np.sin(np.arange(200) * 0.1) + 0.05 * np.arange(200)
    windows, targets = make_windows(series, 12)
    reg = RNNRegressor(**ENSEMBLE).fit(windows, targets)
    assert reg.instance_norm_feature_ == 0
    windows = np.asarray(windows, dtype=np.float32)
    assert_allclose(_run(to_onnx(reg, windows[:2]), windows)[0],
                    reg.predict(windows), rtol=1e-4, atol=1e-4)

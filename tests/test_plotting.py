"""plot_loss_curve: curves, best-epoch marker, errors."""

import sys

import matplotlib
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_rnn import RNNClassifier, RNNRegressor, plot_loss_curve

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 6, 2))
    return X, X[:, -2:, 0].sum(axis=1)


def _lines(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_training_and_validation_curves_with_the_best_epoch(data):
    X, y = data
    reg = RNNRegressor(hidden_size=4, max_iter=6, early_stopping=True,
                       random_state=0).fit(X, y)
    ax = plot_loss_curve(reg)
    lines = _lines(ax)
    np.testing.assert_allclose(lines["training loss"].get_ydata(), reg.loss_curve_)
    np.testing.assert_array_equal(lines["training loss"].get_xdata(),
                                  np.arange(1, reg.n_iter_ + 1))
    np.testing.assert_allclose(lines["validation loss"].get_ydata(),
                               reg.validation_loss_curve_)
    best = reg.best_iteration_
    marker = lines[f"best epoch ({best})"]
    assert list(marker.get_xdata()) == [best, best]
    stars = [line for line in ax.get_lines() if line.get_marker() == "*"]
    assert len(stars) == 1
    assert stars[0].get_xdata()[0] == best
    assert stars[0].get_ydata()[0] == pytest.approx(
        min(reg.validation_loss_curve_))
    assert ax.get_xlabel() == "epoch"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["training loss", "validation loss", f"best epoch ({best})"]


def test_without_validation_only_the_training_curve(data):
    X, y = data
    clf = RNNClassifier(hidden_size=4, max_iter=4, random_state=0)
    clf.fit(X, y > 0)
    fig, ax = plt.subplots()
    assert plot_loss_curve(clf, ax=ax, log_scale=True) is ax
    assert "validation loss" not in _lines(ax)
    assert "training loss" in _lines(ax)
    assert ax.get_yscale() == "log"


def test_pipeline_search_and_mlp_are_accepted(data):
    X, y = data
    pipe = make_pipeline(FunctionTransformer(),
                         RNNRegressor(hidden_size=4, max_iter=3, random_state=0))
    pipe.fit(X, y)
    ax = plot_loss_curve(pipe)
    np.testing.assert_allclose(_lines(ax)["training loss"].get_ydata(),
                               pipe[-1].loss_curve_)
    search = GridSearchCV(RNNRegressor(hidden_size=4, random_state=0),
                          {"max_iter": [2, 3]}, cv=2).fit(X, y)
    ax = plot_loss_curve(search)
    assert len(_lines(ax)["training loss"].get_ydata()) == \
        search.best_estimator_.n_iter_
    mlp = MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0)
    with pytest.warns(UserWarning):  # ConvergenceWarning: 5 epochs only
        mlp.fit(X[:, :, 0], y)
    ax = plot_loss_curve(mlp)
    assert len(_lines(ax)["training loss"].get_ydata()) == 5


def test_unfitted_estimator_raises_not_fitted():
    with pytest.raises(NotFittedError):
        plot_loss_curve(RNNRegressor())


def test_missing_matplotlib_gives_a_clear_import_error(data, monkeypatch):
    X, y = data
    reg = RNNRegressor(hidden_size=4, max_iter=2, random_state=0).fit(X, y)
    # A None entry in sys.modules makes `import` raise ImportError.
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_loss_curve(reg)

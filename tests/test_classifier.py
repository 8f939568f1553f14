import numpy as np
import pytest
from _params import fast_params
from sklearn.datasets import load_digits
from sklearn.dummy import DummyClassifier

from sklearn_rnn import RNNClassifier

# One network: these tests are not about ensembles (test_ensemble.py is).
FAST = fast_params(hidden_size=16, max_iter=20)


def test_learns_beyond_the_majority_class(sign_sequences):
    X, y = sign_sequences
    clf = RNNClassifier(**FAST).fit(X[:200], y[:200])
    majority = DummyClassifier().fit(X[:200], y[:200]).score(X[200:], y[200:])
    assert clf.score(X[200:], y[200:]) > max(0.85, majority + 0.2)


def test_multiclass_digits_as_sequences():
    digits = load_digits()
    X, y = digits.images[:900], digits.target[:900]
    clf = RNNClassifier(hidden_size=32, max_iter=30, random_state=0)
    clf.fit(X[:700], y[:700])
    assert clf.score(X[700:], y[700:]) > 0.8
    np.testing.assert_array_equal(clf.classes_, np.arange(10))


def test_string_labels_and_probabilities(sign_sequences):
    X, y = sign_sequences
    clf = RNNClassifier(**{**FAST, "max_iter": 3}).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, ["down", "up"])
    pred = clf.predict(X[:7])
    assert pred.dtype == y.dtype and set(pred) <= {"down", "up"}
    proba = clf.predict_proba(X[:7])
    assert proba.shape == (7, 2) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], pred)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X[:7])), proba)


def test_variable_length_sequences_with_string_labels():
    rng = np.random.RandomState(0)
    lengths = rng.randint(5, 30, size=240)
    labels = rng.choice(["rise", "fall"], size=240)
    X = [
        np.column_stack([np.linspace(0, 1 if lab == "rise" else -1, n),
                         rng.normal(size=n)]) + 0.1 * rng.normal(size=(n, 2))
        for n, lab in zip(lengths, labels, strict=True)
    ]
    clf = RNNClassifier(**FAST).fit(X[:180], labels[:180])
    assert clf.score(X[180:], labels[180:]) > 0.9


def test_single_class_is_an_error():
    with pytest.raises(ValueError, match="at least 2 classes"):
        RNNClassifier(max_iter=1).fit(np.zeros((4, 3)), ["a"] * 4)


def test_continuous_target_is_an_error():
    with pytest.raises(ValueError, match="Unknown label type"):
        RNNClassifier(max_iter=1).fit(np.zeros((4, 3)), [0.1, 0.2, 0.3, 0.4])


def test_warm_start_rejects_unseen_labels(sign_sequences):
    X, y = sign_sequences
    clf = RNNClassifier(**{**FAST, "max_iter": 1}, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="not among the classes seen"):
        clf.fit(X[:4], ["up", "down", "sideways", "up"])


def test_partial_fit_needs_classes_first(sign_sequences):
    X, y = sign_sequences
    clf = RNNClassifier(**FAST)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:50], y[:50], classes=["down", "up", "flat"])
    np.testing.assert_array_equal(clf.classes_, ["down", "flat", "up"])
    assert clf.predict_proba(X[:2]).shape == (2, 3)
    clf.partial_fit(X[50:], y[50:])
    assert clf.n_iter_ == 2


def test_class_weight_shifts_the_decision():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 6, 1))
    y = np.where(X[:, :, 0].mean(axis=1) > 0.45, 1, 0)  # about 13 % ones
    plain = RNNClassifier(**FAST).fit(X, y)
    balanced = RNNClassifier(class_weight="balanced", **FAST).fit(X, y)
    assert balanced.predict(X).mean() > plain.predict(X).mean()
    heavy = RNNClassifier(class_weight={0: 1.0, 1: 20.0}, **FAST).fit(X, y)
    assert heavy.predict(X).mean() > plain.predict(X).mean()

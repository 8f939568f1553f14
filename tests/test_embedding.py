"""Estimators on integer token ids (embedding_dim): learning, ids, tooling."""

import io
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from _params import fast_params
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_rnn import (
    RNNClassifier,
    RNNRegressor,
    SequenceVectorizer,
    load_model,
    save_model,
)
from sklearn_rnn._module import RecurrentNetwork
from sklearn_rnn._tokens import check_token_ids

# One network: these tests are not about ensembles (test_ensemble.py is).
FAST = fast_params(embedding_dim=8, hidden_size=16, max_iter=3, batch_size=16)


def _order_data(n=120, seed=0):
    """Sequences holding both tokens 2 and 3: label is which comes first.

    Every sequence has the same multiset of "marker" tokens, so counts (a
    bag of words) carry no information; only the order does.
    """
    rng = np.random.RandomState(seed)
    X, y = [], []
    for _ in range(n):
        filler = list(rng.randint(4, 10, size=rng.randint(1, 6)))
        first, second = (2, 3) if rng.rand() < 0.5 else (3, 2)
        i = rng.randint(0, len(filler) + 1)
        j = rng.randint(i, len(filler) + 1)
        seq = filler[:i] + [first] + filler[i:j] + [second] + filler[j:]
        X.append(np.array(seq, dtype=np.int64))
        y.append("2 first" if first == 2 else "3 first")
    return X, np.array(y)


def test_classifier_learns_token_order():
    X, y = _order_data(200)
    clf = RNNClassifier(embedding_dim=8, hidden_size=16, max_iter=15,
                        learning_rate_init=1e-2, random_state=0).fit(X, y)
    X_test, y_test = _order_data(100, seed=1)
    assert clf.score(X_test, y_test) > 0.9


def test_vocabulary_size_from_data_or_given():
    X, y = _order_data(40)
    clf = RNNClassifier(**FAST).fit(X, y)
    assert clf.vocabulary_size_ == 10
    assert clf.net_.module_.embedding.num_embeddings == 10
    assert clf.n_features_in_ == 1 and clf.n_input_features_ == 1
    clf = RNNClassifier(vocabulary_size=50, **FAST).fit(X, y)
    assert clf.vocabulary_size_ == 50
    assert clf.net_.module_.embedding.weight.shape == (50, 8)
    # Only padding and unknown vectors in the smallest vocabulary.
    tiny = RNNRegressor(**FAST).fit([[0, 1], [1, 0]], [0.0, 1.0])
    assert tiny.vocabulary_size_ == 2


def test_padding_vector_is_zero_and_fixed():
    X, y = _order_data(40)
    clf = RNNClassifier(**FAST).fit(X, y)
    assert_array_equal(clf.net_.module_.embedding.weight[0].detach().numpy(), 0)


def test_unseen_ids_predict_as_unknown():
    X, y = _order_data(60)
    clf = RNNClassifier(**FAST).fit(X, y)
    unseen = [np.array([4, 10_000, 3, 2]), np.array([2**40])]
    known = [np.array([4, 1, 3, 2]), np.array([1])]
    assert_allclose(clf.predict_proba(unseen), clf.predict_proba(known))


def test_ids_are_not_standardised():
    # The input scaling would shift ids: with it skipped, scale_inputs has
    # no effect on an embedding model.
    X, y = _order_data(60)
    a = RNNClassifier(scale_inputs=True, **FAST).fit(X, y)
    b = RNNClassifier(scale_inputs=False, **FAST).fit(X, y)
    assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_large_ids_stay_exact():
    # float32 would merge 2**24 and 2**24 + 1.
    batch, _ = check_token_ids(RNNClassifier(embedding_dim=2),
                               [[2**24, 2**24 + 1], [2**40]], reset=True)
    assert batch.values.dtype == np.int64
    assert batch.values[:, :, 0].tolist() == [[2**24, 2**24 + 1], [2**40, 0]]


def test_module_maps_out_of_range_ids_to_unknown():
    torch.manual_seed(0)
    module = RecurrentNetwork(1, 2, hidden_size=4, embedding_dim=3,
                              num_embeddings=5).eval()
    ids = torch.tensor([[[2], [5]], [[2], [2**40]], [[2], [1]]])
    out = module(ids).detach()
    assert_allclose(out[0], out[2])
    assert_allclose(out[1], out[2])


def test_padding_never_changes_a_prediction():
    X, y = _order_data(60)
    clf = RNNClassifier(**FAST).fit(X, y)
    together = clf.predict_proba(X[:10])
    alone = np.vstack([clf.predict_proba([seq]) for seq in X[:10]])
    assert_allclose(together, alone, rtol=1e-5, atol=1e-6)


def test_two_d_array_and_list_agree():
    rng = np.random.RandomState(0)
    X = rng.randint(2, 12, size=(50, 5))
    y = X[:, 0] * 1.0
    reg = RNNRegressor(**FAST).fit(X, y)
    assert reg.n_features_in_ == 5
    assert_allclose(reg.predict(X), reg.predict(list(X)), rtol=1e-6)
    with pytest.raises(ValueError, match="features"):
        reg.predict(X[:, :4])
    # A list is always sequences: any length predicts.
    assert reg.predict([X[0, :2]]).shape == (1,)


def test_return_sequences_tags_every_step():
    rng = np.random.RandomState(0)
    X = [rng.randint(2, 6, size=rng.randint(1, 7)) for _ in range(60)]
    y = [np.cumsum(seq == 2).astype(float) for seq in X]
    reg = RNNRegressor(return_sequences=True, **FAST).fit(X, y)
    pred = reg.predict(X[:5])
    assert isinstance(pred, list)
    assert [p.shape for p in pred] == [seq.shape for seq in X[:5]]
    equal = rng.randint(2, 6, size=(4, 3))
    assert reg.predict(equal).shape == (4, 3)


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.array([[2.0, 3.0], [4.0, 5.0]]), TypeError, "dtype float64"),
        ([np.array([2.5, 3.0])], TypeError, "integer token ids"),
        ([[2, -1], [3, 4, 5]], ValueError, "negative token ids"),
        (np.array([[2, -7]]), ValueError, "smallest: -7"),
        (["the cat", "a dog"], TypeError, "SequenceVectorizer"),
        (np.array([["a", "b"]]), TypeError, "dtype <U1"),
        (np.zeros((2, 3, 1), dtype=int), ValueError, "3 dimension"),
        ([[2, 3], []], ValueError, "Sequence 1 of X is empty"),
        ([[[2], [3]]], ValueError, "1-D array of integer token ids"),
        ([], ValueError, "0 sequences"),
        ([np.array([True, False])], TypeError, "dtype bool"),
    ],
)
def test_bad_token_input(X, error, match):
    with pytest.raises(error, match=match):
        RNNRegressor(**FAST).fit(X, np.zeros(len(X)))


def test_ids_above_given_vocabulary_size_raise_at_fit():
    with pytest.raises(ValueError, match="token id 9 but vocabulary_size=5"):
        RNNRegressor(vocabulary_size=5, **FAST).fit([[2, 9]], [1.0])


@pytest.mark.parametrize(
    "params, error",
    [
        ({"embedding_dim": 0}, ValueError),
        ({"embedding_dim": 2.5}, ValueError),
        ({"embedding_dim": 4, "vocabulary_size": 1}, ValueError),
        ({"embedding_dim": True}, (TypeError, ValueError)),
    ],
)
def test_invalid_embedding_parameters(params, error):
    with pytest.raises(error, match="embedding_dim|vocabulary_size"):
        RNNRegressor(max_iter=1, **params).fit([[2, 3]], [1.0])


def test_predict_rejects_float_ids_after_fit():
    X, y = _order_data(30)
    clf = RNNClassifier(**FAST).fit(X, y)
    with pytest.raises(TypeError, match="integer token ids"):
        clf.predict([np.array([2.0, 3.0])])


def test_clone_pickle_and_save_model_round_trip():
    X, y = _order_data(40)
    clf = RNNClassifier(**FAST).fit(X, y)
    assert clone(clf).embedding_dim == 8
    expected = clf.predict_proba(X)
    assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), expected)
    buffer = io.BytesIO()
    save_model(clf, buffer)
    buffer.seek(0)
    loaded = load_model(buffer)
    assert loaded.vocabulary_size_ == clf.vocabulary_size_
    assert_array_equal(loaded.predict_proba(X), expected)
    # Unseen ids stay safe after loading.
    assert loaded.predict([np.array([99, 3])]).shape == (1,)


def test_save_model_round_trip_with_given_vocabulary_regressor():
    X = [np.array([2, 3, 4]), np.array([5, 2])]
    reg = RNNRegressor(vocabulary_size=20, **FAST).fit(X, [1.0, 2.0])
    buffer = io.BytesIO()
    save_model(reg, buffer)
    buffer.seek(0)
    assert_array_equal(load_model(buffer).predict(X), reg.predict(X))


def test_warm_start_and_partial_fit_keep_the_vocabulary():
    X, y = _order_data(40)
    clf = RNNClassifier(warm_start=True, **FAST).fit(X, y)
    weights = clf.net_.module_.embedding.weight.detach().clone()
    # Continuing on data with new ids: they read as unknown; the embedding
    # keeps its size and continues from its trained vectors.
    clf.fit([np.append(seq, 40) for seq in X], y)
    assert clf.vocabulary_size_ == 10
    after = clf.net_.module_.embedding.weight.detach()
    assert after.shape == weights.shape
    assert (after - weights).abs().max() < 0.1
    assert clf.n_iter_ == 6
    inc = RNNClassifier(**FAST)
    for _ in range(2):
        inc.partial_fit(X, y, classes=["2 first", "3 first"])
    assert inc.n_iter_ == 2 and inc.vocabulary_size_ == 10


def test_grid_search_over_embedding_dim_in_a_text_pipeline():
    rng = np.random.RandomState(0)
    words = np.array(["alpha", "beta", "gamma", "delta"])
    docs = [" ".join(rng.choice(words, size=rng.randint(1, 5))) for _ in range(40)]
    y = np.array([d.split()[0] for d in docs]) == "alpha"
    pipe = make_pipeline(SequenceVectorizer(), RNNClassifier(**FAST))
    search = GridSearchCV(pipe, {"rnnclassifier__embedding_dim": [2, 4]}, cv=2)
    search.fit(docs, y)
    assert search.best_params_["rnnclassifier__embedding_dim"] in (2, 4)
    assert search.predict(["", "alpha zeta"]).shape == (2,)


def test_numeric_estimator_unchanged_without_embedding():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 4))
    reg = RNNRegressor(hidden_size=4, max_iter=2, random_state=0,
                       ensemble_size=1).fit(X, X[:, 0])
    assert reg.net_.module_.embedding is None
    assert not hasattr(reg, "vocabulary_size_")


def test_series_of_sequences_and_one_d_numeric_array():
    X = pd.Series([np.array([2, 3]), np.array([4])])
    reg = RNNRegressor(**FAST).fit(X, [1.0, 2.0])
    assert reg.n_features_in_ == 1
    with pytest.raises(ValueError, match="1 dimension"):
        reg.predict(np.array([2, 3, 4]))


def test_dataframe_of_ids_records_feature_names():
    X = pd.DataFrame({"t0": [2, 3, 4], "t1": [5, 2, 3]})
    reg = RNNRegressor(**FAST).fit(X, [1.0, 2.0, 3.0])
    assert reg.feature_names_in_.tolist() == ["t0", "t1"]
    assert reg.predict(X).shape == (3,)

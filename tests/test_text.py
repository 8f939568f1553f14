"""SequenceVectorizer: vocabulary, ids, pruning, inverse, checks, pipelines."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_rnn import RNNClassifier, SequenceVectorizer

DOCS = [
    "The cat sat on the mat.",
    "The dog ate my homework!",
    "A cat and a dog, the best of friends.",
    "",
]

# Text transformers declare string input (input_tags.string=True,
# two_d_array=False), as CountVectorizer does: scikit-learn then runs only
# check_estimator_cloneable and skips the checks that feed numeric arrays.
# Nothing is expected to fail; the API checks that need no data run below,
# and the tests after them cover the data checks with documents.
EXPECTED_FAILED_CHECKS: dict = {}

# scikit-learn's checks that only look at the estimator object (parameters,
# tags, repr, mixin order); they are meaningful for any input type.
DATA_FREE_CHECKS = [
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
    "check_get_params_invariance",
    "check_set_params",
    "check_parameters_default_constructible",
]

VECTORIZERS = [
    SequenceVectorizer(),
    SequenceVectorizer(lowercase=False, max_features=3, min_df=2, max_length=4),
]


@parametrize_with_checks(
    VECTORIZERS, expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
)
def test_sklearn_compatible_vectorizer(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", VECTORIZERS, ids=repr)
@pytest.mark.parametrize("check_name", DATA_FREE_CHECKS)
def test_data_free_sklearn_checks(estimator, check_name):
    getattr(estimator_checks, check_name)(type(estimator).__name__, estimator)


def test_vocabulary_ids_follow_count_vectorizer_terms():
    vec = SequenceVectorizer().fit(DOCS)
    terms = CountVectorizer().fit(DOCS).get_feature_names_out()
    # Same tokenisation, alphabetical order, ids from 2 (0 and 1 reserved).
    assert list(vec.vocabulary_) == terms.tolist()
    assert sorted(vec.vocabulary_.values()) == list(range(2, len(terms) + 2))
    assert vec.vocabulary_size_ == len(terms) + 2


def test_transform_keeps_token_order_and_maps_unknown_to_one():
    vec = SequenceVectorizer().fit(DOCS)
    v = vec.vocabulary_
    out = vec.transform(["the mat sat on the cat", "zebra cat"])
    assert_array_equal(out[0], [v["the"], v["mat"], v["sat"], v["on"],
                                v["the"], v["cat"]])
    assert_array_equal(out[1], [1, v["cat"]])
    assert all(seq.dtype == np.int64 for seq in out)


@pytest.mark.parametrize("doc", ["", "   ", "!!! ?", "a"])
def test_document_without_tokens_is_single_unknown(doc):
    # "a" has one character: the default token_pattern drops it.
    (ids,) = SequenceVectorizer().fit(DOCS).transform([doc])
    assert_array_equal(ids, [1])


def test_analyzer_options_are_count_vectorizer_options():
    docs = ["Café au lait", "THE end of the day"]
    vec = SequenceVectorizer(
        lowercase=False, strip_accents="ascii", stop_words=["end"],
        token_pattern=r"(?u)\b\w+\b",
    ).fit(docs)
    assert set(vec.vocabulary_) == {"Cafe", "au", "lait", "THE", "of", "the",
                                    "day"}
    vec = SequenceVectorizer(tokenizer=str.split, token_pattern=None).fit(docs)
    assert "café" in vec.vocabulary_
    assert_array_equal(vec.inverse_transform(vec.transform(["au lait"]))[0],
                       ["au", "lait"])


def test_min_df_max_df_and_max_features_prune_to_unknown():
    docs = ["a1 b1 c1", "a1 b1", "a1 d1 d1 d1"]
    assert set(SequenceVectorizer(min_df=2).fit(docs).vocabulary_) == {"a1", "b1"}
    assert set(SequenceVectorizer(min_df=0.5).fit(docs).vocabulary_) == {"a1",
                                                                         "b1"}
    assert "a1" not in SequenceVectorizer(max_df=2).fit(docs).vocabulary_
    # By corpus frequency: d1 (3) and a1 (3) beat b1 (2) and c1 (1).
    vec = SequenceVectorizer(max_features=2).fit(docs)
    assert set(vec.vocabulary_) == {"a1", "d1"}
    assert_array_equal(vec.transform(["c1 a1"])[0], [1, vec.vocabulary_["a1"]])


def test_max_length_keeps_first_tokens():
    vec = SequenceVectorizer(max_length=2).fit(["one two three four"])
    v = vec.vocabulary_
    assert_array_equal(vec.transform(["three four one"])[0],
                       [v["three"], v["four"]])


def test_inverse_transform_round_trip():
    vec = SequenceVectorizer().fit(DOCS)
    ids = vec.transform(["the dog sat on a unicorn"])
    (terms,) = vec.inverse_transform(ids)
    assert terms.tolist() == ["the", "dog", "sat", "on", "<unk>"]
    # Padding is dropped, so a padded 2-D batch inverts too.
    padded = np.array([[vec.vocabulary_["cat"], 0, 0]])
    assert vec.inverse_transform(padded)[0].tolist() == ["cat"]


def test_inverse_transform_rejects_bad_ids():
    vec = SequenceVectorizer().fit(DOCS)
    with pytest.raises(ValueError, match="outside"):
        vec.inverse_transform([[vec.vocabulary_size_]])
    with pytest.raises(ValueError, match="integer token ids"):
        vec.inverse_transform([[2.0]])


def test_fit_transform_equals_fit_then_transform_and_is_stateless():
    vec = SequenceVectorizer(min_df=1)
    a = vec.fit_transform(DOCS)
    b = clone(vec).fit(DOCS).transform(DOCS)
    assert len(a) == len(b) == len(DOCS)
    for x, z in zip(a, b, strict=True):
        assert_array_equal(x, z)
    # Each document is transformed on its own: order and subsets agree.
    reversed_out = vec.transform(DOCS[::-1])[::-1]
    for x, z in zip(a, reversed_out, strict=True):
        assert_array_equal(x, z)


def test_does_not_modify_input_and_pickles():
    docs = list(DOCS)
    vec = SequenceVectorizer().fit(docs)
    assert docs == DOCS
    restored = pickle.loads(pickle.dumps(vec))
    assert restored.vocabulary_ == vec.vocabulary_
    assert_array_equal(restored.transform(["the cat"])[0],
                       vec.transform(["the cat"])[0])


def test_accepts_numpy_and_generator_documents():
    vec = SequenceVectorizer().fit(np.array(DOCS))
    assert len(vec.transform(d for d in DOCS)) == len(DOCS)


def test_unfitted_transform_raises():
    with pytest.raises(NotFittedError):
        SequenceVectorizer().transform(DOCS)


@pytest.mark.parametrize(
    "docs, error, match",
    [
        ("a single string", ValueError, "string object received"),
        (["fine", 3], TypeError, "Document 1 is of type int, not str"),
        (["fine", None], TypeError, "Document 1 is of type NoneType"),
        ([b"bytes"], TypeError, "Document 0 is of type bytes"),
        ([], ValueError, "0 documents"),
        (42, TypeError, "iterable of str"),
        (["", "  ", "!"], ValueError, "Empty vocabulary"),
    ],
)
def test_bad_documents(docs, error, match):
    with pytest.raises(error, match=match):
        SequenceVectorizer().fit(docs)


def test_non_string_at_transform():
    vec = SequenceVectorizer().fit(DOCS)
    with pytest.raises(TypeError, match="Document 0 is of type float"):
        vec.transform([float("nan")])


def test_stop_words_only_and_pruning_everything():
    with pytest.raises(ValueError, match="Empty vocabulary"):
        SequenceVectorizer(stop_words="english").fit(["the and of", "a the"])
    with pytest.raises(ValueError, match="no terms remain"):
        SequenceVectorizer(min_df=2).fit(["one two", "three four", "five"])
    with pytest.raises(ValueError, match="fewer documents than"):
        SequenceVectorizer(min_df=2, max_df=1).fit(["one two", "one"])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"max_length": 0}, "max_length"),
        ({"max_features": 0}, "max_features"),
        ({"min_df": -1}, "min_df"),
        ({"stop_words": "french"}, "stop_words"),
    ],
)
def test_invalid_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        SequenceVectorizer(**params).fit(DOCS)


def test_pipeline_fits_strings_and_predicts_unseen_and_empty_sentences():
    rng = np.random.RandomState(0)
    words = ["red", "blue", "green", "cat", "dog"]
    docs = [" ".join(rng.choice(words, size=rng.randint(1, 6))) for _ in range(80)]
    y = np.array(["cat" if "cat" in d else "other" for d in docs])
    model = make_pipeline(
        SequenceVectorizer(),
        RNNClassifier(embedding_dim=4, hidden_size=8, max_iter=3, random_state=0),
    ).fit(docs, y)
    pred = model.predict(["a zebra I never saw", "", "cat dog"])
    assert pred.shape == (3,)
    assert set(pred) <= {"cat", "other"}
    proba = model.predict_proba([""])
    assert proba.shape == (1, 2) and np.isfinite(proba).all()

"""SequenceVectorizer: raw documents -> lists of token ids, order kept."""

from collections import Counter
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils.validation import check_is_fitted

from ._compat import Interval, StrOptions
from ._tokens import PADDING_ID, UNKNOWN_ID

__all__ = ["SequenceVectorizer"]

# CountVectorizer's analyzer options, passed through unchanged.
_ANALYZER_PARAMS = ("lowercase", "preprocessor", "tokenizer", "token_pattern",
                    "stop_words", "strip_accents")


class SequenceVectorizer(TransformerMixin, BaseEstimator):
    """Turn raw documents into sequences of integer token ids.

    The order-keeping counterpart of ``CountVectorizer``: each document
    becomes a 1-D int64 array with one id per token, in the order of the
    text, ready for ``RNNClassifier(embedding_dim=...)`` or
    ``RNNRegressor(embedding_dim=...)``. Tokenisation is scikit-learn's own
    (``CountVectorizer(...).build_analyzer()``), with the same options.

    Id 0 is reserved for padding and id 1 for unknown tokens (pruned by
    ``min_df``, ``max_df`` or ``max_features``, or never seen in ``fit``);
    the vocabulary starts at 2. A document without any token (the empty
    string, only punctuation, only stop words) becomes the single unknown
    token ``[1]``: the estimators need at least one step per sequence, and
    "nothing known" is what such a document says.

    Parameters
    ----------
    lowercase : bool, default=True
        Convert all characters to lowercase before tokenising.
    preprocessor : callable, default=None
        Override the preprocessing (string transformation) stage while
        preserving the tokenizing stage, as in ``CountVectorizer``.
    tokenizer : callable, default=None
        Override the string tokenization step (``token_pattern`` is then
        ignored), as in ``CountVectorizer``.
    token_pattern : str or None, default=r"(?u)\\b\\w\\w+\\b"
        Regular expression denoting what constitutes a token. The default,
        ``CountVectorizer``'s, ignores one-character tokens; use
        ``r"(?u)\\b\\w+\\b"`` to keep them.
    stop_words : {'english'}, list or None, default=None
        Words removed from the documents, as in ``CountVectorizer``.
    strip_accents : {'ascii', 'unicode'} or None, default=None
        Remove accents during preprocessing, as in ``CountVectorizer``.
    max_features : int or None, default=None
        Keep only the ``max_features`` most frequent tokens (over the whole
        corpus; ties go to the alphabetically first); the others become
        unknown.
    min_df : float in [0.0, 1.0] or int, default=1
        Ignore tokens whose document frequency is below this count (int) or
        proportion of the documents (float).
    max_df : float in [0.0, 1.0] or int, default=1.0
        Ignore tokens whose document frequency is above this count (int) or
        proportion (float): corpus-specific stop words.
    max_length : int or None, default=None
        Keep at most the first ``max_length`` tokens of each document.

    Attributes
    ----------
    vocabulary_ : dict
        A mapping of terms to token ids (2, 3, ..., in alphabetical order of
        the terms).
    vocabulary_size_ : int
        ``len(vocabulary_) + 2``: the number of ids (padding and unknown
        included), the ``vocabulary_size`` an estimator needs for this
        output.

    See Also
    --------
    sklearn.feature_extraction.text.CountVectorizer : Bag-of-words counts
        (the order of the tokens is lost).
    RNNClassifier : Classifies the sequences, with ``embedding_dim`` set.

    Examples
    --------
    >>> from sklearn_rnn import SequenceVectorizer
    >>> docs = ["the cat sat", "the dog sat on the cat", ""]
    >>> vec = SequenceVectorizer().fit(docs)
    >>> vec.vocabulary_
    {'cat': 2, 'dog': 3, 'on': 4, 'sat': 5, 'the': 6}
    >>> [ids.tolist() for ids in vec.transform(["The cat sat on a mat", ""])]
    [[6, 2, 5, 4, 1], [1]]
    >>> [words.tolist() for words in vec.inverse_transform([[6, 2, 5, 4, 1]])]
    [['the', 'cat', 'sat', 'on', '<unk>']]

    In a pipeline, the estimators take the sequences as they come:

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_rnn import RNNClassifier
    >>> model = make_pipeline(
    ...     SequenceVectorizer(),
    ...     RNNClassifier(embedding_dim=8, hidden_size=8, max_iter=2,
    ...                   random_state=0),
    ... )
    >>> model.fit(docs, ["pet", "pet", "none"]).predict(["a new sentence"]).shape
    (1,)
    """

    #: The term ``inverse_transform`` gives for the unknown id.
    unknown_token = "<unk>"

    _parameter_constraints: dict = {
        "lowercase": ["boolean"],
        "preprocessor": [callable, None],
        "tokenizer": [callable, None],
        "token_pattern": [str, None],
        "stop_words": [StrOptions({"english"}), list, None],
        "strip_accents": [StrOptions({"ascii", "unicode"}), callable, None],
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
        "min_df": [
            Interval(Real, 0, 1, closed="both"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_df": [
            Interval(Real, 0, 1, closed="both"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_length": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        lowercase=True,
        preprocessor=None,
        tokenizer=None,
        token_pattern=r"(?u)\b\w\w+\b",
        stop_words=None,
        strip_accents=None,
        max_features=None,
        min_df=1,
        max_df=1.0,
        max_length=None,
    ):
        self.lowercase = lowercase
        self.preprocessor = preprocessor
        self.tokenizer = tokenizer
        self.token_pattern = token_pattern
        self.stop_words = stop_words
        self.strip_accents = strip_accents
        self.max_features = max_features
        self.min_df = min_df
        self.max_df = max_df
        self.max_length = max_length

    def _analyzer(self):
        params = {name: getattr(self, name) for name in _ANALYZER_PARAMS}
        return CountVectorizer(analyzer="word", **params).build_analyzer()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, raw_documents, y=None):
        """Learn the vocabulary of the documents.

        Parameters
        ----------
        raw_documents : iterable of str
            The training documents.
        y : None
            Ignored.

        Returns
        -------
        self : SequenceVectorizer
            The fitted vectorizer.
        """
        documents = _check_documents(raw_documents)
        analyze = self._analyzer()
        term_counts = Counter()
        document_counts = Counter()
        for doc in documents:
            tokens = analyze(doc)
            term_counts.update(tokens)
            document_counts.update(set(tokens))
        if not term_counts:
            raise ValueError(
                "Empty vocabulary: the documents contain no tokens (perhaps "
                "they are empty or only contain stop words, or token_pattern "
                f"{self.token_pattern!r} matches nothing in them)."
            )
        n_docs = len(documents)
        min_count = self.min_df if isinstance(self.min_df, Integral) else (
            self.min_df * n_docs)
        max_count = self.max_df if isinstance(self.max_df, Integral) else (
            self.max_df * n_docs)
        if max_count < min_count:
            raise ValueError(
                f"max_df={self.max_df} corresponds to fewer documents than "
                f"min_df={self.min_df}."
            )
        kept = [t for t, df in document_counts.items()
                if min_count <= df <= max_count]
        if self.max_features is not None and len(kept) > self.max_features:
            kept = sorted(kept, key=lambda t: (-term_counts[t], t))
            kept = kept[: self.max_features]
        if not kept:
            raise ValueError(
                "After pruning, no terms remain: every token is in fewer than "
                f"min_df={self.min_df} or more than max_df={self.max_df} "
                "documents. Try a lower min_df or a higher max_df."
            )
        first = UNKNOWN_ID + 1
        self.vocabulary_ = {term: first + i for i, term in enumerate(sorted(kept))}
        self.vocabulary_size_ = first + len(kept)
        return self

    def transform(self, raw_documents):
        """Turn each document into its array of token ids.

        Parameters
        ----------
        raw_documents : iterable of str
            The documents.

        Returns
        -------
        sequences : list of ndarray of shape (n_tokens_i,), int64
            One array per document, at least one id long (``[1]`` for a
            document without tokens), at most ``max_length``.
        """
        check_is_fitted(self, "vocabulary_")
        documents = _check_documents(raw_documents)
        analyze = self._analyzer()
        lookup = self.vocabulary_.get
        out = []
        for doc in documents:
            tokens = analyze(doc)[: self.max_length]
            ids = np.fromiter((lookup(t, UNKNOWN_ID) for t in tokens),
                              dtype=np.int64, count=len(tokens))
            out.append(ids if ids.size else np.array([UNKNOWN_ID], dtype=np.int64))
        return out

    def inverse_transform(self, X):
        """Map token ids back to their terms.

        Parameters
        ----------
        X : list of array-like of int, or 2-D array-like of int
            Sequences of token ids. Padding (0) is dropped; the unknown id
            (1) becomes ``'<unk>'``.

        Returns
        -------
        terms : list of ndarray of str
            The terms of each sequence.
        """
        check_is_fitted(self, "vocabulary_")
        terms = np.empty(self.vocabulary_size_, dtype=object)
        terms[UNKNOWN_ID] = self.unknown_token
        for term, i in self.vocabulary_.items():
            terms[i] = term
        out = []
        for i, seq in enumerate(X):
            ids = np.asarray(seq)
            if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
                raise ValueError(
                    f"Sequence {i} must be a 1-D array of integer token ids, got "
                    f"shape {ids.shape} and dtype {ids.dtype}."
                )
            ids = ids.astype(np.int64)
            if ids.size and (ids.min() < 0 or ids.max() >= self.vocabulary_size_):
                raise ValueError(
                    f"Sequence {i} contains token ids outside [0, "
                    f"{self.vocabulary_size_ - 1}] (the vocabulary's ids)."
                )
            ids = ids[ids != PADDING_ID]
            out.append(terms[ids].astype(str))
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        # Documents in, lists of arrays out: no dtype to preserve.
        tags.transformer_tags.preserves_dtype = []
        return tags


def _check_documents(raw_documents):
    """The documents as a list, checking they are strings."""
    if isinstance(raw_documents, str | bytes):
        raise ValueError(
            "Iterable over raw text documents expected, string object received."
        )
    if not hasattr(raw_documents, "__iter__"):
        raise TypeError(
            "raw_documents must be an iterable of str (e.g. a list of "
            f"documents), got {type(raw_documents).__name__}."
        )
    documents = list(raw_documents)
    for i, doc in enumerate(documents):
        if not isinstance(doc, str):
            raise TypeError(
                f"Document {i} is of type {type(doc).__name__}, not str: "
                "SequenceVectorizer takes raw text documents (decode bytes "
                "first; replace missing values with '')."
            )
    if not documents:
        raise ValueError(
            "raw_documents is empty: found 0 documents while a minimum of 1 "
            "is required."
        )
    return documents

"""Integer token ids as input: validation for the estimators' embedding layer.

With ``embedding_dim`` set, ``X`` holds token ids instead of measurements.
They stay int64 from the user's array to the embedding lookup: a float32
detour would silently merge ids above 2**24. The batch is the usual
:class:`~sklearn_rnn._sequences.Sequences` (one "feature" per step), only
with int64 values, so batching, padding and packing work unchanged.

Id conventions (shared with :class:`~sklearn_rnn.SequenceVectorizer`):
0 is padding (its embedding is fixed at zero), 1 is the unknown token, and
an id the model was not built for (``>= vocabulary_size_``) is read as 1 at
predict time.
"""

import numpy as np
from sklearn.utils.validation import check_array, validate_data

from ._sequences import Sequences

__all__ = ["PADDING_ID", "UNKNOWN_ID", "check_token_ids"]

PADDING_ID = 0
UNKNOWN_ID = 1
_INT64_MAX = np.iinfo(np.int64).max


def check_token_ids(estimator, X, *, reset):
    """Validate token-id input and return it as an int64 ``Sequences``.

    Parameters
    ----------
    estimator : BaseRNN
        The estimator; on ``reset`` its ``vocabulary_size_`` (and, for a
        2-D array, ``n_features_in_`` and ``feature_names_in_`` through
        ``validate_data``) are set here.
    X : array-like of shape (n_samples, n_timesteps) or list of 1-D arrays
        Integer token ids. A list is always a batch of sequences (never a
        table with one column per step), so a pipeline fitted on lists
        predicts any length.
    reset : bool
        Whether this is the fit that builds the network.

    Returns
    -------
    batch : Sequences
        Values of shape ``(n, max T_i, 1)``, int64, zero (padding) filled.
    ndim : int or None
        2 for a 2-D array (columns are time steps, as for numeric input),
        ``None`` for a list of sequences.

    Examples
    --------
    >>> from sklearn_rnn import RNNClassifier
    >>> from sklearn_rnn._tokens import check_token_ids
    >>> batch, ndim = check_token_ids(
    ...     RNNClassifier(embedding_dim=4), [[5, 2, 7], [3]], reset=True)
    >>> batch.values[..., 0].tolist(), batch.lengths.tolist(), ndim
    ([[5, 2, 7], [3, 0, 0]], [3, 1], None)
    """
    if getattr(X, "ndim", None) == 1 and np.dtype(X.dtype).kind == "O":
        # A 1-D object array (or Series) of sequences is a list of them.
        X = list(X)
    if isinstance(X, list | tuple):
        batch, ndim = _from_list(X), None
    else:
        batch, ndim = _from_array(estimator, X, reset=reset), 2
    values = batch.values
    if values.size and values.min() < 0:
        raise ValueError(
            f"X contains negative token ids (smallest: {int(values.min())}); "
            "token ids must be >= 0 (0 is padding, 1 the unknown token)."
        )
    if reset:
        _set_vocabulary_size(estimator, int(values.max()) if values.size else 0)
    return batch, ndim


def _set_vocabulary_size(estimator, max_id):
    given = estimator.vocabulary_size
    if given is None:
        # At least padding and unknown, so id 1 always has a vector.
        estimator.vocabulary_size_ = max(max_id + 1, UNKNOWN_ID + 1)
        return
    if max_id >= given:
        raise ValueError(
            f"X contains the token id {max_id} but vocabulary_size={given}; "
            f"ids must be < vocabulary_size (use vocabulary_size>={max_id + 1} "
            "or None to take it from the data)."
        )
    estimator.vocabulary_size_ = int(given)


def _from_list(X):
    if len(X) == 0:
        raise ValueError(
            "X is empty: found 0 sequences while a minimum of 1 is required."
        )
    arrays = [_check_sequence(seq, i) for i, seq in enumerate(X)]
    lengths = np.fromiter((a.shape[0] for a in arrays), dtype=np.int64,
                          count=len(arrays))
    values = np.zeros((len(arrays), int(lengths.max()), 1), dtype=np.int64)
    for i, arr in enumerate(arrays):
        values[i, : arr.shape[0], 0] = arr
    if (lengths == lengths[0]).all():
        # Equal lengths: an array, as for numeric input (y and the
        # predictions of return_sequences are then arrays, not lists).
        lengths = None
    return Sequences(values, lengths)


def _check_sequence(seq, i):
    if isinstance(seq, str | bytes):
        raise TypeError(
            f"Sequence {i} of X is a string ({seq[:30]!r}); with embedding_dim "
            "set, X holds integer token ids. Turn documents into ids with "
            "sklearn_rnn.SequenceVectorizer (e.g. make_pipeline("
            "SequenceVectorizer(), RNNClassifier(embedding_dim=32)))."
        )
    try:
        arr = np.asarray(seq)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"Sequence {i} of X could not be read as an array of token ids: "
            f"{exc}."
        ) from exc
    if arr.ndim != 1:
        raise ValueError(
            f"Sequence {i} of X has shape {arr.shape}; with embedding_dim set, "
            "each sequence is a 1-D array of integer token ids."
        )
    if arr.shape[0] == 0:
        raise ValueError(
            f"Sequence {i} of X is empty (length 0); every sequence needs at "
            "least one token (SequenceVectorizer turns an empty document into "
            "the single unknown token [1])."
        )
    return _as_int64(arr, f"Sequence {i} of X")


def _from_array(estimator, X, *, reset):
    if not hasattr(X, "ndim"):
        try:
            X = np.asarray(X)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"X could not be read as token ids: {exc}. Pass a 2-D integer "
                "array or a list of 1-D integer arrays."
            ) from exc
    if X.ndim != 2:
        raise ValueError(
            f"X has {X.ndim} dimension(s); with embedding_dim set, X is a 2-D "
            "(n_samples, n_timesteps) array of integer token ids or a list of "
            "1-D integer arrays of any lengths."
        )
    if reset or estimator._fitted_on_2d_:
        # Columns are time steps, as for numeric 2-D input: validate_data
        # records n_features_in_ (and pandas column names) and checks them.
        values = validate_data(estimator, X, reset=reset, dtype=None)
    else:
        values = check_array(X, dtype=None, input_name="X")
    values = _as_int64(values, "X")
    return Sequences(values[:, :, None], None)


def _as_int64(arr, name):
    if arr.dtype.kind not in "iu":
        hint = (
            " Whole-number floats need an explicit X.astype(np.int64)."
            if arr.dtype.kind == "f" else ""
        )
        raise TypeError(
            f"{name} has dtype {arr.dtype}; with embedding_dim set, X must "
            f"hold integer token ids.{hint} Use SequenceVectorizer to turn "
            "text into ids, or embedding_dim=None for numeric sequences."
        )
    if arr.dtype.kind == "u" and arr.size and arr.max() > _INT64_MAX:
        raise ValueError(
            f"{name} contains token ids above {_INT64_MAX}; ids must fit in "
            "int64."
        )
    return arr.astype(np.int64, copy=False)


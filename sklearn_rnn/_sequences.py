"""Input coercion: 2-D / 3-D arrays, DataFrames and ragged lists -> padded float32.

Every estimator of the package sees its sequences as one zero-padded
``(n_samples, n_timesteps, n_features)`` float32 array plus, for
variable-length input, the true length of every sequence. The network packs
the padded batch with those lengths, so padding never changes a prediction.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import check_array

__all__ = ["Sequences", "is_ragged", "pad_sequences", "feature_mean_and_scale"]


@dataclass(frozen=True)
class Sequences:
    """A validated batch of sequences.

    Attributes
    ----------
    values : ndarray of shape (n_samples, n_timesteps, n_features), float32
        Zero-padded sequences, batch first.
    lengths : ndarray of shape (n_samples,), int64, or None
        True length of each sequence; ``None`` when every sequence fills
        ``n_timesteps`` (no padding).
    """

    values: np.ndarray
    lengths: np.ndarray | None

    def __len__(self):
        return self.values.shape[0]


def is_ragged(X):
    """Whether ``X`` is a list or tuple of sequences of different lengths.

    A list of equally long sequences is treated as an array: it stacks into
    a 2-D or 3-D array without padding.
    """
    if not isinstance(X, list | tuple) or len(X) == 0:
        return False
    first_len = None
    for seq in X:
        if np.ndim(seq) == 0:
            return False
        n = len(seq)
        if first_len is None:
            first_len = n
        elif n != first_len:
            return True
    return False


def pad_sequences(sequences):
    """Validate a list of variable-length sequences and zero-pad them.

    Parameters
    ----------
    sequences : list of array-like of shape (T_i,) or (T_i, n_features)
        The sequences; all must have the same number of dimensions and, when
        2-D, the same number of features. Every ``T_i`` must be at least 1.

    Returns
    -------
    Sequences
        Padded values of shape ``(n, max T_i, n_features)`` and the lengths.

    Examples
    --------
    >>> from sklearn_rnn._sequences import pad_sequences
    >>> batch = pad_sequences([[1.0, 2.0, 3.0], [4.0]])
    >>> batch.values.shape, batch.lengths.tolist()
    ((2, 3, 1), [3, 1])
    """
    arrays = []
    ndims = set()
    for i, seq in enumerate(sequences):
        try:
            arr = np.asarray(seq, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"Sequence {i} of X could not be converted to float: {exc}. "
                "Each sequence must be a numeric array of shape (T_i,) or "
                "(T_i, n_features)."
            ) from exc
        ndims.add(arr.ndim)
        if arr.ndim == 1:
            arr = arr[:, None]
        elif arr.ndim != 2:
            raise ValueError(
                f"Sequence {i} of X has {arr.ndim} dimensions; each sequence must "
                "be of shape (T_i,) or (T_i, n_features)."
            )
        if arr.shape[0] == 0:
            raise ValueError(
                f"Sequence {i} of X is empty (length 0); every sequence needs at "
                "least one time step."
            )
        arrays.append(arr)
    if len(ndims) > 1:
        raise ValueError(
            "The sequences in X mix 1-D (univariate) and 2-D (multivariate) "
            "arrays; give them all the same number of dimensions."
        )
    n_features = {arr.shape[1] for arr in arrays}
    if len(n_features) > 1:
        raise ValueError(
            "The sequences in X have inconsistent numbers of features per time "
            f"step: {sorted(n_features)}. All sequences need the same features."
        )
    (n_features,) = n_features
    if n_features == 0:
        raise ValueError("The sequences in X have 0 features per time step.")
    lengths = np.fromiter((a.shape[0] for a in arrays), dtype=np.int64,
                          count=len(arrays))
    values = np.zeros((len(arrays), int(lengths.max()), n_features),
                      dtype=np.float32)
    for i, arr in enumerate(arrays):
        values[i, : arr.shape[0]] = arr
    if not np.isfinite(values).all():
        raise ValueError(
            "Input X contains NaN or infinity; sequences must be finite."
        )
    return Sequences(values, lengths)


def check_sequence_array(X):
    """Validate an array-like of equal-length sequences (2-D or 3-D).

    Returns the float32 array, reshaped to 3-D (a 2-D ``(n, T)`` array is a
    batch of univariate sequences). A copy is made only when the dtype or
    memory layout requires one; ``X`` itself is never modified.
    """
    arr = check_array(
        X,
        allow_nd=True,
        dtype=np.float32,
        ensure_all_finite=True,
        input_name="X",
    )
    if arr.ndim == 2:
        return arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError(
            f"X has {arr.ndim} dimensions; expected 2-D (n_samples, n_timesteps) "
            "univariate sequences, 3-D (n_samples, n_timesteps, n_features) "
            "sequences, or a list of variable-length sequences."
        )
    if arr.shape[1] == 0:
        raise ValueError("X has 0 time steps; sequences need at least one.")
    if arr.shape[2] == 0:
        raise ValueError("X has 0 features per time step; expected at least one.")
    return arr


def feature_mean_and_scale(batch, rows_per_chunk=4096):
    """Per-feature mean and standard deviation, pooled over valid time steps.

    Padding is excluded. A constant feature gets scale 1, so it is centred
    but not blown up. The statistics are accumulated over chunks of rows
    (Chan et al.'s parallel variance), so a window view over a long series
    is never materialised: memory stays at one chunk, not a copy of ``X``.

    Returns
    -------
    mean, scale : ndarray of shape (n_features,), float64

    Examples
    --------
    >>> from sklearn_rnn._sequences import feature_mean_and_scale, pad_sequences
    >>> mean, scale = feature_mean_and_scale(pad_sequences([[1.0, 3.0], [5.0]]))
    >>> mean.tolist(), scale.round(3).tolist()
    ([3.0], [1.633])
    """
    values, lengths = batch.values, batch.lengths
    n, n_steps, n_features = values.shape
    steps = np.arange(n_steps)
    count = 0
    mean = np.zeros(n_features)
    sq_dev = np.zeros(n_features)
    for start in range(0, n, rows_per_chunk):
        block = values[start : start + rows_per_chunk]
        if lengths is None:
            block = block.reshape(-1, n_features)
        else:
            chunk_lengths = lengths[start : start + rows_per_chunk]
            block = block[steps[None, :] < chunk_lengths[:, None]]
        k = block.shape[0]
        if k == 0:
            continue
        block_mean = block.mean(axis=0, dtype=np.float64)
        block_sq_dev = np.square(block - block_mean, dtype=np.float64).sum(axis=0)
        delta = block_mean - mean
        total = count + k
        mean += delta * (k / total)
        sq_dev += block_sq_dev + delta**2 * (count * k / total)
        count = total
    scale = np.sqrt(sq_dev / count)
    scale[~(scale > 1e-12)] = 1.0
    return mean, scale

"""Input coercion: 2-D / 3-D arrays, DataFrames and ragged lists -> padded float32.

Every estimator of the package sees its sequences as one zero-padded
``(n_samples, n_timesteps, n_features)`` float32 array plus, for
variable-length input, the true length of every sequence. The network packs
the padded batch with those lengths, so padding never changes a prediction.
"""

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided
from sklearn.utils.validation import check_array

from ._utils import safe_scale, spread_indices

__all__ = [
    "Sequences",
    "is_ragged",
    "pad_sequences",
    "feature_mean_and_scale",
    "float32_window_view",
    "dense_span",
]


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
        float32_window_view(X),
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
    return mean, safe_scale(np.sqrt(sq_dev / count))


def sequences_are_standardized(values, lengths, tol=1e-2, max_rows=2048):
    """Whether every sequence is already standardised on its own.

    True when, feature by feature, all sequences have the same mean (within
    ``tol`` of their deviation) and the same deviation (within ``tol``,
    relatively): z-normalised series, as the UCR/UEA archive stores them.
    Up to ``max_rows`` evenly spaced sequences are read.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn._sequences import sequences_are_standardized
    >>> X = np.random.RandomState(0).normal(size=(5, 20, 1))
    >>> sequences_are_standardized(X, None)
    False
    >>> Z = (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)
    >>> sequences_are_standardized(Z, None)
    True
    """
    n, n_steps, _ = values.shape
    rows = spread_indices(n, max_rows)
    block = np.asarray(values[rows], dtype=np.float64)
    if lengths is None:
        valid = np.ones((len(rows), n_steps, 1))
    else:
        valid = (np.arange(n_steps)[None, :] < lengths[rows][:, None])[..., None]
    counts = valid.sum(axis=1)
    mean = (block * valid).sum(axis=1) / counts
    std = np.sqrt((np.square(block - mean[:, None]) * valid).sum(axis=1) / counts)
    if not (std > 0).all():
        return False
    log_std = np.log(std)
    return bool((np.abs(mean - mean.mean(axis=0)) <= tol * std).all()
                and (np.abs(log_std - log_std.mean(axis=0)) <= tol).all())


def dense_span(shape, strides):
    """Length of the memory an overlapping view covers, or None.

    ``strides`` are in elements. Returns the number of consecutive elements
    from the view's first one to its last when (a) every stride is positive,
    (b) those elements are all part of the view (no gap between them), and
    (c) they are fewer than the view's own size, i.e. its elements overlap:
    the windows of a series (:func:`make_windows`, ``sliding_window_view``)
    are such views, ``n`` windows of ``T`` values over ``n + T - 1`` values.
    Any other layout (contiguous, transposed, sliced with gaps) gives None.

    Examples
    --------
    >>> import numpy as np
    >>> from numpy.lib.stride_tricks import sliding_window_view
    >>> from sklearn_rnn._sequences import dense_span
    >>> windows = sliding_window_view(np.arange(10.0), 4)   # (7, 4)
    >>> dense_span(windows.shape, [s // 8 for s in windows.strides])
    10
    >>> dense_span((7, 4), (4, 1)) is None                  # contiguous
    True
    """
    axes = sorted(
        (int(st), int(n)) for n, st in zip(shape, strides, strict=True) if n > 1
    )
    size = int(np.prod(shape, dtype=np.int64))
    if not axes or size == 0 or axes[0][0] != 1:
        return None
    covered = 1
    for stride, n in axes:
        if stride > covered:
            return None  # a gap: elements between the view's are not its own
        covered += (n - 1) * stride
    return covered if covered < size else None


def float32_window_view(X):
    """``X`` as float32, keeping a window view a view; anything else as is.

    ``check_array(X, dtype=np.float32)`` on the float64 windows of a series
    would allocate every window, ``window_size`` times the series (10
    million values in windows of 256 become 10 GB). For an overlapping view
    (see :func:`dense_span`), the span of the series it covers is converted
    once and the same strides are rebuilt over the float32 copy: the result
    costs the memory of the series, and batches gather only their windows.
    The result is read-only, as the windows it replaces; ``X`` is never
    modified. Other input (float32 already, contiguous arrays, lists,
    DataFrames) is returned unchanged for the usual validation.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import make_windows
    >>> from sklearn_rnn._sequences import float32_window_view
    >>> X, y = make_windows(np.arange(1000.0), window_size=100)
    >>> X32 = float32_window_view(X)
    >>> X32.dtype, X32.shape, bool(np.array_equal(X32, X))
    (dtype('float32'), (900, 100), True)
    >>> bool(np.shares_memory(X32[0], X32[899]))   # one float32 series
    False
    >>> bool(np.shares_memory(X32[0], X32[99]))
    True
    """
    if (
        not isinstance(X, np.ndarray)
        or X.dtype == np.float32
        or X.dtype.kind not in "fiu"
    ):
        return X
    item = X.itemsize
    if any(st % item for st in X.strides):
        return X
    span = dense_span(X.shape, [st // item for st in X.strides])
    if span is None:
        return X
    # The span is made of X's own elements only (dense_span checked it), so
    # reading it as one flat run stays inside X's memory.
    series = as_strided(X, shape=(span,), strides=(item,)).astype(np.float32)
    step = series.itemsize
    return as_strided(
        series,
        shape=X.shape,
        strides=tuple(st // item * step for st in X.strides),
        writeable=False,
    )

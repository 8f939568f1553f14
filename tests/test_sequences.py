import numpy as np
import pytest

from sklearn_rnn._sequences import (
    Sequences,
    check_sequence_array,
    feature_mean_and_scale,
    is_ragged,
    pad_sequences,
)


def test_is_ragged():
    assert is_ragged([[1, 2], [3]])
    assert not is_ragged([[1, 2], [3, 4]])
    assert not is_ragged(np.zeros((3, 4)))
    assert not is_ragged([])


def test_pad_sequences_univariate_and_multivariate():
    batch = pad_sequences([np.arange(3.0), np.arange(1.0)])
    assert batch.values.shape == (2, 3, 1)
    assert batch.values.dtype == np.float32
    np.testing.assert_array_equal(batch.lengths, [3, 1])
    np.testing.assert_array_equal(batch.values[1, :, 0], [0, 0, 0])
    np.testing.assert_array_equal(batch.values[0, :, 0], [0, 1, 2])

    seqs = [np.ones((4, 2)), 2 * np.ones((2, 2))]
    batch = pad_sequences(seqs)
    assert batch.values.shape == (2, 4, 2)
    np.testing.assert_array_equal(batch.values[1, 2:], 0)
    np.testing.assert_array_equal(batch.values[1, :2], 2)


@pytest.mark.parametrize(
    "seqs, match",
    [
        ([np.ones((3, 2)), np.ones((2, 3))], "inconsistent numbers of features"),
        ([np.ones(3), np.ones((2, 1))], "mix 1-D"),
        ([np.ones(3), np.ones(0)], "length 0"),
        ([np.ones(3), np.array([1.0, np.nan])], "NaN or infinity"),
        ([np.ones(3), np.array([1.0, np.inf])], "NaN or infinity"),
        ([np.ones(3), ["a", "b"]], "could not be converted"),
        ([np.ones(3), np.ones((2, 2, 2))], "3 dimensions"),
    ],
)
def test_pad_sequences_errors(seqs, match):
    with pytest.raises(ValueError, match=match):
        pad_sequences(seqs)


def test_check_sequence_array_shapes_and_no_copy():
    X = np.zeros((5, 4), dtype=np.float32)
    out = check_sequence_array(X)
    assert out.shape == (5, 4, 1)
    assert np.shares_memory(out, X)
    assert check_sequence_array(np.zeros((5, 4, 3), dtype=int)).dtype == np.float32


@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros((2, 2, 2, 2)), "4 dimensions"),
        (np.zeros((2, 0, 2)), "0 time steps"),
        (np.zeros((2, 3, 0)), "0 features"),
        (np.zeros(4), "Expected 2D array"),
    ],
)
def test_check_sequence_array_errors(X, match):
    with pytest.raises(ValueError, match=match):
        check_sequence_array(X)


def test_feature_mean_and_scale_ignores_padding():
    batch = pad_sequences([[1.0, 3.0], [5.0]])
    mean, scale = feature_mean_and_scale(batch)
    np.testing.assert_allclose(mean, [3.0])
    np.testing.assert_allclose(scale, [np.std([1.0, 3.0, 5.0])])


def test_feature_mean_and_scale_constant_feature():
    values = np.ones((4, 3, 2), dtype=np.float32)
    values[..., 1] = np.arange(3)
    mean, scale = feature_mean_and_scale(Sequences(values, None))
    np.testing.assert_allclose(mean, [1.0, 1.0])
    assert scale[0] == 1.0  # constant: centred, not divided by ~0
    np.testing.assert_allclose(scale[1], np.std([0, 1, 2]))


@pytest.mark.parametrize("ragged", [False, True])
def test_feature_mean_and_scale_chunked_equals_direct(ragged):
    rng = np.random.RandomState(0)
    values = (rng.normal(size=(50, 7, 3)) * [1, 10, 100] + [5, -3, 1e4]).astype(
        np.float32
    )
    lengths = rng.randint(1, 8, size=50) if ragged else None
    if ragged:
        values[np.arange(7)[None, :] >= lengths[:, None]] = 0
        valid = values[np.arange(7)[None, :] < lengths[:, None]]
    else:
        valid = values.reshape(-1, 3)
    mean, scale = feature_mean_and_scale(Sequences(values, lengths), rows_per_chunk=4)
    np.testing.assert_allclose(mean, valid.mean(axis=0, dtype=np.float64), rtol=1e-10)
    np.testing.assert_allclose(scale, valid.std(axis=0, dtype=np.float64), rtol=1e-8)

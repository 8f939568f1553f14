"""The benchmark workloads: their data and their training settings.

Every contender trains the same architecture (one recurrent layer, then a
linear layer on the last hidden state) with Adam (learning rate 1e-3), the
same batch size and the same number of epochs. Data are synthetic but shaped
like the tutorials' data sets, and made with a fixed seed.
"""

from dataclasses import dataclass

import numpy as np

from sklearn_rnn import make_windows

__all__ = ["Data", "Workload", "WORKLOADS", "windowing_series"]


@dataclass
class Data:
    """One workload's data, in the forms each contender is given.

    ``X`` is padded float32 ``(n, T, F)``: what a hand-written loop, skorch
    and Keras take. ``X_ours`` is what a user hands to our estimator: the
    same array, or the list of variable-length sequences (we pad inside, and
    that work is timed; the others get it done for them).
    """

    X: np.ndarray
    y: np.ndarray
    X_ours: object
    lengths: np.ndarray | None = None
    n_classes: int | None = None

    @property
    def n_samples(self):
        return self.X.shape[0]


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    cell: str  # "rnn" or "lstm"
    hidden_size: int
    batch_size: int
    epochs: int
    n_samples: int  # full size; --quick divides it
    make: object  # callable(n_samples, rng) -> Data
    rounds: int = 3  # interleaved rounds by default (more for cheap ones)

    @property
    def classification(self):
        return self.key in ("rows", "varlen")


def _sine(n_samples, rng):
    # The tutorials' noisy sine: windows of the last 10 values -> next value.
    n_points = n_samples + 10
    t = np.arange(n_points)
    series = np.sin(2 * np.pi * t / 50) + 0.1 * rng.normal(size=n_points)
    X, y = make_windows(series.astype(np.float32), window_size=10)
    # Own writeable copies: the benchmark times training, not windowing.
    X = np.array(X)[:, :, None]
    return Data(X, np.array(y), X)


def _rows(n_samples, rng):
    # Image rows as time steps (28 steps of 28 features), 10 classes: each
    # class is a noisy version of its own template.
    templates = rng.uniform(size=(10, 28, 28)).astype(np.float32)
    y = rng.randint(10, size=n_samples)
    X = templates[y] + 0.5 * rng.normal(size=(n_samples, 28, 28)).astype(np.float32)
    return Data(X.astype(np.float32), y.astype(np.int64), X, n_classes=10)


def _long_windows(n_samples, rng):
    # Windows of 50 steps over one long seasonal series -> next value.
    n_points = n_samples + 50
    t = np.arange(n_points)
    series = (
        np.sin(2 * np.pi * t / 24)
        + 0.5 * np.sin(2 * np.pi * t / 168)
        + 0.2 * rng.normal(size=n_points)
    ).astype(np.float32)
    X, y = make_windows(series, window_size=50)
    X = np.array(X)[:, :, None]
    return Data(X, np.array(y), X)


def _varlen(n_samples, rng):
    # Sequences of 10 to 200 frames of 8 features (speech-frame-like), the
    # label set by which of 5 patterns the frames drift along.
    lengths = rng.randint(10, 201, size=n_samples)
    y = rng.randint(5, size=n_samples)
    drift = rng.normal(size=(5, 8)).astype(np.float32)
    sequences = [
        (
            np.linspace(0, 1, n)[:, None] * drift[label]
            + rng.normal(size=(n, 8))
        ).astype(np.float32)
        for n, label in zip(lengths, y, strict=True)
    ]
    X = np.zeros((n_samples, lengths.max(), 8), dtype=np.float32)
    for i, seq in enumerate(sequences):
        X[i, : len(seq)] = seq
    return Data(X, y.astype(np.int64), sequences, lengths=lengths, n_classes=5)


WORKLOADS = {
    w.key: w
    for w in [
        Workload("sine", "1k noisy sine, window 10, RNN-64, batch 32, 10 epochs",
                 "rnn", 64, 32, 10, 990, _sine, rounds=5),
        Workload("rows", "10k sequences 28x28, RNN-64, 10 classes, batch 64, "
                 "2 epochs", "rnn", 64, 64, 2, 10_000, _rows, rounds=5),
        Workload("lstm", "50k windows of 50, LSTM-64, batch 256, 2 epochs",
                 "lstm", 64, 256, 2, 50_000, _long_windows),
        Workload("varlen", "3k sequences of 10-200 steps x 8 features, packed, "
                 "LSTM-64, 5 classes, batch 64, 2 epochs",
                 "lstm", 64, 64, 2, 3_000, _varlen),
    ]
}


def windowing_series(n_rows, n_features, seed=0):
    """The series of the windowing workload, float32 ``(n_rows, n_features)``."""
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n_rows, n_features)).astype(np.float32)

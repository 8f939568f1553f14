import numpy as np
import pytest
import torch

# One torch thread per test process: pytest-xdist already runs one process
# per core, more threads would only oversubscribe.
torch.set_num_threads(1)


@pytest.fixture
def torch_threads():
    """``torch.set_num_threads`` for the test; this process's setting is
    restored after it."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


@pytest.fixture
def sine_windows():
    """Windows of 10 past values of a noisy sine -> next value (time order)."""
    rng = np.random.RandomState(0)
    t = np.arange(600) * 0.1
    series = np.sin(t) + 0.05 * rng.normal(size=t.size)
    X = np.lib.stride_tricks.sliding_window_view(series[:-1], 10).copy()
    y = series[10:].copy()
    return X, y


@pytest.fixture
def sign_sequences():
    """3-D sequences whose label is the sign of the mean of feature 0."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 12, 3))
    y = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    return X, y

"""The main demo (``make demo``): an RNN regressor and classifier in a minute.

1. Forecast a noisy sine wave: windows of the last 10 values -> the next one.
2. Classify scikit-learn's digits read as 8 time steps of 8 pixels.

Prints held-out scores and writes a loss-curve plot and a forecast-vs-truth
plot to the folder it names (``demo_output/`` by default, or the first
command-line argument).
"""

import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # write files; no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from sklearn_rnn import RNNClassifier, RNNRegressor  # noqa: E402


def main(out_dir):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    # 1. Noisy sine: 1,000 points, windows of 10 past values -> next value.
    rng = np.random.RandomState(0)
    t = np.arange(1000) * 0.1
    series = np.sin(t) + 0.1 * rng.normal(size=t.size)
    window = 10
    X = sliding_window_view(series[:-1], window)  # (990, 10), a view
    y = series[window:]
    split = 800  # time-ordered split: train on the past, test on the future
    start = time.perf_counter()
    reg = RNNRegressor(cell="rnn", hidden_size=64, max_iter=30, random_state=0)
    reg.fit(X[:split], y[:split])
    fit_s = time.perf_counter() - start
    r2 = reg.score(X[split:], y[split:])
    naive_r2 = 1 - np.mean((y[split:] - X[split:, -1]) ** 2) / np.var(y[split:])
    print(
        f"RNNRegressor  noisy sine, next value: held-out R² = {r2:.3f} "
        f"(repeat-last-value baseline {naive_r2:.3f}), "
        f"{reg.n_iter_} epochs in {fit_s:.1f} s"
    )

    # 2. Digits as sequences: 8 rows (time steps) of 8 pixels (features).
    digits = load_digits()
    Xd = digits.images.astype(np.float32)  # (1797, 8, 8)
    Xd_train, Xd_test, yd_train, yd_test = train_test_split(
        Xd, digits.target, test_size=0.25, random_state=0, stratify=digits.target
    )
    start = time.perf_counter()
    clf = RNNClassifier(cell="lstm", hidden_size=64, max_iter=30, random_state=0)
    clf.fit(Xd_train, yd_train)
    fit_s = time.perf_counter() - start
    acc = clf.score(Xd_test, yd_test)
    print(
        f"RNNClassifier digits as 8x8 sequences: held-out accuracy = {acc:.3f}, "
        f"{clf.n_iter_} epochs in {fit_s:.1f} s"
    )

    # Loss curves of both models.
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(range(1, reg.n_iter_ + 1), reg.loss_curve_, label="sine regressor")
    ax.plot(range(1, clf.n_iter_ + 1), clf.loss_curve_, label="digits classifier")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    loss_path = out_dir / "loss_curves.png"
    fig.savefig(loss_path, dpi=100)

    # Forecast vs truth on the held-out part of the series.
    fig, ax = plt.subplots(figsize=(8, 3.5))
    t_test = t[window + split :]
    ax.plot(t_test, y[split:], label="truth", lw=1)
    ax.plot(t_test, reg.predict(X[split:]), label="RNN one-step forecast", lw=1)
    ax.set_xlabel("t")
    ax.legend()
    fig.tight_layout()
    forecast_path = out_dir / "forecast_vs_truth.png"
    fig.savefig(forecast_path, dpi=100)
    print(f"Plots written to {out_dir.resolve()}/: {loss_path.name}, "
          f"{forecast_path.name}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "demo_output")

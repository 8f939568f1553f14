"""
==========================================================
Direct multi-step forecasting, saved and reloaded
==========================================================

Rather than feeding one-step predictions back (as the sine-wave example
does), a *direct* model predicts the whole horizon at once: here the next 5 values
of a series from a window of its last 24. The target is a 2-D ``y`` of shape
``(n_windows, 5)`` and the regressor has 5 outputs.

The network is deeper than the defaults: two stacked recurrent layers, a
hidden layer of 64 units in the head and dropout 0.2. Once fitted, it is
saved to a file and loaded back, and the reloaded model predicts exactly
the same values. (For the recursive strategy, see
:ref:`sphx_glr_auto_examples_plot_sine_forecast.py`.)
"""

# %%
# An hourly series, framed for a 5-step horizon
# ---------------------------------------------
# A daily cycle (24 steps), a slow random wander of the level, and noise: a
# stand-in for hourly energy load or temperature.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from sklearn_rnn import RNNRegressor, load_model, make_windows, save_model

rng = np.random.default_rng(0)
t = np.arange(2000)
level = np.cumsum(rng.normal(scale=0.05, size=t.size))
series = 10 + 3 * np.sin(2 * np.pi * t / 24) + level + 0.3 * rng.normal(size=t.size)

X, y = make_windows(series, window_size=24, horizon=5)
print(f"X: {X.shape}, y: {y.shape}")

n_train = int(0.8 * len(X))
X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]

# %%
# A 2-layer network with a 64-unit head and dropout
# -------------------------------------------------
# ``dropout`` acts between the two recurrent layers, on the pooled features
# and in the head, only while training. The series is on its raw scale
# (around 10): inputs and targets are standardised inside ``fit`` and the
# predictions come back on the original scale.
model = RNNRegressor(
    cell="lstm",
    hidden_size=32,
    num_layers=2,
    head_hidden_sizes=(64,),
    dropout=0.2,
    max_iter=30,
    learning_rate_init=3e-3,
    early_stopping=True,
    random_state=0,
)
model.fit(X_train, y_train)
y_pred = model.predict(X_test)
print(f"{model.n_iter_} epochs; predictions: {y_pred.shape}")

# %%
# Error by horizon
# ----------------
# Each of the 5 outputs is scored on its own, against the seasonal naive
# forecast that repeats the value of 24 steps earlier (same hour, previous
# day): ``X_test[:, h]`` is exactly 24 steps before ``y_test[:, h]``.
rmse = np.sqrt(((y_pred - y_test) ** 2).mean(axis=0))
seasonal_naive = X_test[:, :5]
rmse_naive = np.sqrt(((seasonal_naive - y_test) ** 2).mean(axis=0))
for h in range(5):
    print(f"t+{h + 1}: RNN {rmse[h]:.3f}   same hour yesterday {rmse_naive[h]:.3f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), width_ratios=[2, 1])
start = 100
for k, origin in enumerate(range(start, start + 60, 12)):
    steps = np.arange(origin + 24, origin + 29)
    axes[0].plot(steps, y_pred[origin], "o-", color="C3", ms=3,
                 label="5-step forecasts" if k == 0 else None)
axes[0].plot(
    np.arange(start + 24, start + 24 + 65),
    np.concatenate([y_test[start : start + 61, 0], y_test[start + 60, 1:]]),
    color="0.5", lw=1, label="test series",
)
axes[0].set_xlabel("step (test period)")
axes[0].legend(fontsize=8)
axes[1].plot(range(1, 6), rmse, "o-", label="RNN, direct")
axes[1].plot(range(1, 6), rmse_naive, "s--", label="same hour yesterday")
axes[1].set_xticks(range(1, 6))
axes[1].set_xlabel("steps ahead")
axes[1].set_ylabel("test RMSE")
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %%
# Save, reload, same predictions
# ------------------------------
# :func:`~sklearn_rnn.save_model` writes one file: the weights as
# safetensors and the hyperparameters and fitted attributes as JSON. Loading
# it with :func:`~sklearn_rnn.load_model` only parses data (unlike a pickle,
# it cannot run code), so it is safe to share. ``pickle`` and ``joblib`` work
# too, for files you wrote yourself.
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "load_forecaster.skrnn"
    save_model(model, path)
    print(f"saved {path.stat().st_size / 1024:.0f} KiB")
    reloaded = load_model(path)

print(reloaded)
np.testing.assert_array_equal(reloaded.predict(X_test), y_pred)
print("the reloaded model predicts exactly the same values")

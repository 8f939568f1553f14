"""
=====================================================
Sequence to sequence: one prediction per time step
=====================================================

Instead of one value per window, predict the series *shifted by one step*:
for every step ``t`` of a window, the value at ``t + 1``. The network emits
an output at each step (``return_sequences=True``), so every window gives as
many training targets as it has steps. This is the synchronous
sequence-to-sequence setting of the many-to-many RNN tutorials.

We also watch training: with ``early_stopping=True`` the last 10 % of the
training windows (the most recent ones) are held out, and the estimator
records a training and a validation loss for every epoch.
"""

# %%
# Windows and shifted targets
# ---------------------------
# ``make_windows(..., return_sequences=True)`` returns ``y`` with the shape of
# ``X``: ``y[i, t]`` is the value that follows step ``t`` of window ``i``.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_rnn import RNNRegressor, make_windows, plot_loss_curve

rng = np.random.default_rng(0)
t = np.arange(1500)
series = (
    np.sin(2 * np.pi * t / 50)
    + 0.5 * np.sin(2 * np.pi * t / 13)
    + 0.1 * rng.normal(size=t.size)
)
X, y = make_windows(series, window_size=25, step=2, return_sequences=True)
print(f"X: {X.shape}, y: {y.shape}")
print("first window, last 3 steps:", X[0, -3:].round(3))
print("its targets, last 3 steps: ", y[0, -3:].round(3))

n_train = int(0.8 * len(X))  # time order: the last 20 % of the windows test
X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]

# %%
# Fit with a validation tail
# --------------------------
model = RNNRegressor(
    return_sequences=True,
    cell="gru",
    hidden_size=32,
    max_iter=40,
    learning_rate_init=3e-3,
    early_stopping=True,
    n_iter_no_change=5,
    random_state=0,
)
model.fit(X_train, y_train)
print(
    f"{model.n_iter_} epochs; best validation loss at epoch "
    f"{model.best_iteration_} (R² {model.best_validation_score_:.3f})"
)

# %%
# Training and validation loss curves
# -----------------------------------
# :func:`~sklearn_rnn.plot_loss_curve` draws ``loss_curve_`` and
# ``validation_loss_curve_`` and marks the epoch whose weights were kept.
plot_loss_curve(model)
plt.show()

# %%
# Predicted versus true
# ---------------------
# ``predict`` returns one value per step, ``(n_windows, 25)``. Early steps of
# a window have seen little history (the network reads forwards only), so
# their predictions are a little worse: the R² per position shows it.
y_pred = model.predict(X_test)
print(f"test R² over all steps: {model.score(X_test, y_test):.3f}")

r2_per_step = 1 - ((y_test - y_pred) ** 2).mean(axis=0) / y_test.var(axis=0)

fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
axes[0].plot(np.arange(1, 26), X_test[0], "o-", color="0.6", ms=3, label="input")
axes[0].plot(np.arange(2, 27), y_test[0], "k--", lw=1, label="true next value")
axes[0].plot(np.arange(2, 27), y_pred[0], color="C3", label="predicted")
axes[0].set_xlabel("step in the window")
axes[0].set_title("One test window")
axes[0].legend(fontsize=8)

axes[1].scatter(y_test.ravel(), y_pred.ravel(), s=2, alpha=0.3)
lims = [y_test.min(), y_test.max()]
axes[1].plot(lims, lims, "k:", lw=1)
axes[1].set_xlabel("true")
axes[1].set_ylabel("predicted")
axes[1].set_title("All test steps")

axes[2].bar(np.arange(1, 26), r2_per_step)
axes[2].set_xlabel("step in the window")
axes[2].set_ylabel("R²")
axes[2].set_ylim(0, 1)
axes[2].set_title("Accuracy by position")
plt.tight_layout()
plt.show()

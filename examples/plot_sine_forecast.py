"""
=================================================
Forecasting a noisy sine wave with a simple RNN
=================================================

The "hello world" of recurrent networks: a noisy sine wave of 1,000 points,
cut into windows of the last 10 values, each labelled with the value that
follows. A simple RNN of 64 units learns the one-step prediction; feeding its
predictions back in gives a 30-step forecast.
"""

# %%
# The series and its windows
# --------------------------
# :func:`~sklearn_rnn.make_windows` is the tutorials' ``create_dataset``:
# window ``i`` holds 10 consecutive values and its target is the next one.
# A 1-D series gives 2-D windows ``(n_windows, 10)``, which the estimators
# read as univariate sequences of 10 time steps.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import TimeSeriesSplit, cross_val_score
from sklearn.pipeline import make_pipeline

from sklearn_rnn import (
    RNNRegressor,
    SlidingWindowTransformer,
    make_windows,
    recursive_forecast,
)

rng = np.random.default_rng(0)
t = np.arange(1000)
series = np.sin(0.05 * t) + 0.1 * rng.normal(size=t.size)

n_train = 800  # fit on the first 800 points, keep the last 200 for testing
X_train, y_train = make_windows(series[:n_train], window_size=10)
print(f"windows: {X_train.shape}, targets: {y_train.shape}")

# %%
# A simple RNN with 64 units
# --------------------------
# ``cell='rnn'`` is the plain (Elman) cell of Keras' ``SimpleRNN``. The
# estimator recognises windows of a series: by default it holds out the most
# recent 10 % of them, stops once their loss stalls for ``n_iter_no_change``
# epochs and keeps the best epoch (``early_stopping='auto'``), and it reads
# each window relative to its last value, in units of the series' usual step
# (``instance_norm='auto'``, ``instance_norm_scale='auto'``).
model = RNNRegressor(cell="rnn", hidden_size=64, max_iter=50, random_state=0)
model.fit(X_train, y_train)
print(f"{model.n_iter_} epochs, final training loss {model.loss_curve_[-1]:.4f}")

# %%
# One step ahead on the test period
# ---------------------------------
# Each test window starts 10 steps before the point it predicts, so the
# windows of the test period reach back into the training period: that is
# the past, known at forecast time, not a leak.
X_test, y_test = make_windows(series[n_train - 10 :], window_size=10)
print(f"one-step R² on the last 200 points: {model.score(X_test, y_test):.3f}")

# %%
# A 30-step forecast by feeding predictions back
# ----------------------------------------------
# :func:`~sklearn_rnn.recursive_forecast` predicts the next value, appends it
# to the window, drops the oldest value, and repeats. Errors compound: every
# step is predicted from earlier predictions, which are smoother than the
# noisy inputs the model was trained on, so the forecast drifts from the sine
# as the horizon grows. A direct model that predicts the whole horizon at
# once is the alternative: see
# :ref:`sphx_glr_auto_examples_plot_direct_multistep.py`.
horizon = 30
forecast = recursive_forecast(model, series[n_train - 10 : n_train], n_steps=horizon)
truth = np.sin(0.05 * t[n_train : n_train + horizon])
rmse = np.sqrt(np.mean((forecast - truth) ** 2))
print(f"30-step forecast RMSE against the noise-free sine: {rmse:.3f}")

fig, ax = plt.subplots(figsize=(9, 3.5))
ax.plot(t[600:900], series[600:900], color="0.6", lw=1, label="noisy series")
ax.plot(t[n_train : n_train + horizon], truth, "k--", lw=1, label="noise-free sine")
ax.plot(
    t[n_train : n_train + horizon], forecast, color="C3", lw=2,
    label="30-step recursive forecast",
)
ax.axvline(n_train, color="0.3", lw=1, ls=":")
ax.set_xlabel("time step")
ax.legend(loc="lower left", fontsize=9)
ax.set_title("Simple RNN (64 units), windows of 10")
plt.tight_layout()
plt.show()

# %%
# The whole test period, one step ahead
# -------------------------------------
fig, ax = plt.subplots(figsize=(9, 3))
ax.plot(t[n_train:], y_test, color="0.6", lw=1, label="series")
ax.plot(t[n_train:], model.predict(X_test), color="C0", lw=1.5,
        label="one-step prediction")
ax.set_xlabel("time step")
ax.legend(loc="lower left", fontsize=9)
plt.tight_layout()
plt.show()

# %%
# Cross-validation without leakage, in a pipeline
# -----------------------------------------------
# To score the whole procedure rather than one split, put the windowing in a
# pipeline. :class:`~sklearn_rnn.SlidingWindowTransformer` turns each row of
# the series into the window of the 10 rows ending there, so the rows stay
# aligned with their targets (the next values); ``TimeSeriesSplit`` always
# tests on the block that follows the training rows, and each fold fits its
# own input and target scaling. (The first 9 rows of each test block have a
# padded window: a small cost of windowing inside the pipeline.)
pipe = make_pipeline(
    SlidingWindowTransformer(window_size=10),
    RNNRegressor(cell="rnn", hidden_size=64, max_iter=50, random_state=0),
)
rows, next_values = series[:-1].reshape(-1, 1), series[1:]
scores = cross_val_score(pipe, rows, next_values, cv=TimeSeriesSplit(n_splits=3))
print("one-step R² of each fold:", scores.round(3))

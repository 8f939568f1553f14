"""
==========================================================
Prediction intervals with quantile losses
==========================================================

A point forecast says nothing about how far off it may be. Trained with the
pinball loss, ``RNNRegressor(loss="quantile", quantile=q)`` predicts the
``q``-quantile of the target instead of its mean; two such models, at 0.1
and 0.9, bound an 80 % prediction interval. Here they are *direct*
multi-step models (a 6-step horizon at once, see
:ref:`sphx_glr_auto_examples_plot_direct_multistep.py`), and a third,
``loss="absolute_error"``, gives the median forecast.

The series is noisier at the peak of its daily cycle than at the trough, so
a good interval is not a constant band around the forecast: it should widen
where the noise is larger.
"""

# %%
# A series whose noise follows its cycle
# --------------------------------------
import matplotlib.pyplot as plt
import numpy as np

from sklearn_rnn import RNNRegressor, make_windows

rng = np.random.default_rng(0)
t = np.arange(2400)
cycle = np.sin(2 * np.pi * t / 24)
noise_scale = 0.15 + 0.35 * (1 + cycle) / 2  # 0.15 at the trough, 0.5 at the peak
series = 10 + 2 * cycle + noise_scale * rng.normal(size=t.size)

horizon = 6
X, y = make_windows(series, window_size=24, horizon=horizon)
n_train = int(0.8 * len(X))
X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
print(f"X: {X.shape}, y: {y.shape}")

# %%
# Three models: the 0.1 and 0.9 quantiles and the median
# -------------------------------------------------------
# Only the loss differs. ``quantile`` is used with ``loss="quantile"`` only
# (as in scikit-learn's ``HistGradientBoostingRegressor``). Targets are
# standardised inside, and a quantile survives the map back, so the
# predictions are quantiles on the series' own scale.
common = dict(hidden_size=16, max_iter=30, learning_rate_init=1e-2, random_state=0)
models = {
    "q0.1": RNNRegressor(loss="quantile", quantile=0.1, **common),
    "median": RNNRegressor(loss="absolute_error", **common),
    "q0.9": RNNRegressor(loss="quantile", quantile=0.9, **common),
}
pred = {name: model.fit(X_train, y_train).predict(X_test)
        for name, model in models.items()}
lower, median, upper = pred["q0.1"], pred["median"], pred["q0.9"]

# %%
# Coverage on the test period
# ---------------------------
# The share of test values inside the band should be close to 80 % at every
# step of the horizon; each bound alone should be exceeded about 10 % of the
# time.
inside = (lower <= y_test) & (y_test <= upper)
for h in range(horizon):
    print(
        f"t+{h + 1}: inside {inside[:, h].mean():.0%}  "
        f"below the 0.1 bound {(y_test[:, h] < lower[:, h]).mean():.0%}  "
        f"above the 0.9 bound {(y_test[:, h] > upper[:, h]).mean():.0%}"
    )

# %%
# The band widens where the noise is larger
# -----------------------------------------
# Left: the forecasts made at a few origins, with their 80 % bands. Right:
# the mean band width of the 1-step forecast by hour of the day, against the
# true 80 % width of the noise (``2 * 1.2816 * scale``, for Gaussian noise).
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5), width_ratios=[2, 1])
start = 200
test_steps = np.arange(n_train + 24, n_train + 24 + len(y_test))
axes[0].plot(test_steps[start : start + 72], y_test[start : start + 72, 0],
             color="0.5", lw=1, label="test series")
for k, origin in enumerate(range(start, start + 72 - horizon, 12)):
    steps = test_steps[origin] + np.arange(horizon)
    axes[0].fill_between(steps, lower[origin], upper[origin], color="C0",
                         alpha=0.3, label="80 % band" if k == 0 else None)
    axes[0].plot(steps, median[origin], "o-", color="C3", ms=3,
                 label="median forecast" if k == 0 else None)
axes[0].set_xlabel("step (test period)")
axes[0].legend(fontsize=8)

hour = test_steps % 24
width = upper[:, 0] - lower[:, 0]
hours = np.arange(24)
axes[1].plot(hours, [width[hour == h].mean() for h in hours], "o-",
             label="1-step band width")
axes[1].plot(hours, 2 * 1.2816 * noise_scale[:24], "--", color="0.3",
             label="true 80 % width")
axes[1].set_xlabel("hour of the day")
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

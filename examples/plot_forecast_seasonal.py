"""
==========================================================
Forecasting a seasonal series: three ways with an RNN
==========================================================

Two years of monthly CO2 concentration at Mauna Loa, forecast from the
forty years before them. The data are the weekly record bundled with
statsmodels (``statsmodels.datasets.co2``, loaded offline), averaged per month.

A recurrent network forecasts several steps ahead in three ways, all fitted
on windows of the past 24 months made by :func:`~sklearn_rnn.make_windows`:

* **recursive**: predict the next month, append the prediction to the window,
  predict again (:func:`~sklearn_rnn.recursive_forecast`);
* **direct**: predict all 24 months at once (``y`` of shape ``(n, 24)``);
* **sequence to sequence**: one output per time step
  (``return_sequences=True``), the next month after every month of the
  window; the output of the last step is fed back as in the recursive way.

A fourth forecast skips the differencing: ``RNNRegressor()`` with its
defaults on windows of the levels, which it standardises one window at a
time; a fifth hands the levels to :class:`~sklearn_rnn.RNNForecaster`,
which fits a recursive and a direct model with those defaults and averages
their forecasts.

They are compared with two baselines: the *seasonal naive* forecast (the
same months of last year) and a Ridge regression on the very same windows
(flattened lags), forecast recursively too.
"""

# %%
# The series
# ----------
# The weekly record has gaps (NaN); monthly means still miss a few months,
# which are interpolated: the windowing functions reject NaN on purpose.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import statsmodels.api as sm
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_rnn import RNNForecaster, RNNRegressor, make_windows, recursive_forecast

weekly = sm.datasets.co2.load_pandas().data["co2"]
monthly = weekly.resample("MS").mean().interpolate()
print(f"{len(monthly)} months, {monthly.index[0]:%Y-%m} to {monthly.index[-1]:%Y-%m}")

horizon = 24  # forecast the last two years
window = 24  # from the two years before each forecast origin

# %%
# Forecast the monthly change, not the level
# ------------------------------------------
# The level keeps rising: the two test years lie above every value seen in
# training, where a network with standardised inputs and saturating units
# has never been. The month-over-month change has no trend and a strong
# yearly cycle; a forecast of the changes is summed back into levels from
# the last observed month.
change = monthly.diff().dropna()
train = change.iloc[:-horizon].to_numpy()
last_level = monthly.iloc[-horizon - 1]
truth = monthly.iloc[-horizon:]


def to_levels(changes):
    return last_level + np.cumsum(changes)


fig, axes = plt.subplots(2, 1, figsize=(9, 4.5), sharex=True)
axes[0].plot(monthly, lw=1)
axes[0].set_ylabel("CO2 (ppm)")
axes[1].plot(change, lw=1)
axes[1].set_ylabel("monthly change (ppm)")
for ax in axes:
    ax.axvline(truth.index[0], color="grey", ls="--", lw=1)
plt.tight_layout()
plt.show()

# %%
# Windows of the past 24 months
# -----------------------------
# ``make_windows`` frames the series as supervised learning: each row of
# ``X`` is 24 consecutive months, its target the month after (or the 24
# months after, or the window shifted by one month). The windows are views of
# the series, not copies.
X, y = make_windows(train, window)
X_direct, y_direct = make_windows(train, window, horizon=horizon)
X_seq, y_seq = make_windows(train, window, return_sequences=True)
print(f"one step: X {X.shape}, y {y.shape}")
print(f"direct:   X {X_direct.shape}, y {y_direct.shape}")
print(f"seq2seq:  X {X_seq.shape}, y {y_seq.shape}")
last_window = train[-window:]

# %%
# Baselines: seasonal naive and Ridge on the same windows
# -------------------------------------------------------
# Seasonal naive repeats last year's monthly changes: in levels, last year's
# seasonal pattern plus last year's growth. The Ridge sees each window as 24
# lag features; ``recursive_forecast`` feeds its predictions back.
forecasts = {}
forecasts["seasonal naive"] = np.tile(train[-12:], horizon // 12)
ridge = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
ridge.fit(X, y)
forecasts["Ridge (recursive)"] = recursive_forecast(ridge, last_window, horizon)

# %%
# The RNN, three ways
# -------------------
# Small networks (the default GRU cell), trained for at most 100 epochs.
# ``early_stopping=True`` holds out the *last* 10 % of the windows (the most
# recent ones, never a shuffled slice) and keeps the weights of the best
# epoch. ``instance_norm=None``:
# the changes have no trend, and a window's mean change (the growth rate)
# is worth reading as it is. By default each window would be standardised
# by its own level and spread (see the last model below), which is what a
# trending series needs; these windows of a strong yearly cycle it would
# centre on their mean (``instance_norm_center='auto'``), which here helps
# the recursive forecast (its level MAE about 0.30 instead of 0.59; centred
# on the last value, 1.46).
params = dict(
    hidden_size=32,
    max_iter=100,
    learning_rate_init=5e-3,
    early_stopping=True,
    n_iter_no_change=15,
    instance_norm=None,
    random_state=0,
)

one_step = RNNRegressor(**params).fit(X, y)
forecasts["RNN recursive"] = recursive_forecast(one_step, last_window, horizon)

direct = RNNRegressor(**params).fit(X_direct, y_direct)
forecasts["RNN direct"] = direct.predict(last_window[None, :])[0]

seq2seq = RNNRegressor(return_sequences=True, **params).fit(X_seq, y_seq)
forecasts["RNN seq2seq"] = recursive_forecast(seq2seq, last_window, horizon)

for name, model in [("recursive", one_step), ("direct", direct),
                    ("seq2seq", seq2seq)]:
    print(f"RNN {name}: {model.n_iter_} epochs, best validation R² "
          f"{model.best_validation_score_:.3f} at epoch {model.best_iteration_}")

# %%
# Or forecast the levels, with the defaults
# -----------------------------------------
# The differencing above is the classic fix for a trend. On windows of a
# series the defaults have their own: ``RNNRegressor`` recognises the windows
# (each window's first target is a value of the next one) and standardises
# every window by its own level and spread, mapping the outputs back
# (``instance_norm='auto'``, RevIN). The network learns the shape of the next
# month whatever the level, so the rising level is no longer out of reach;
# ``early_stopping='auto'`` holds out the most recent windows.
levels_train = monthly.iloc[:-horizon].to_numpy()
X_levels, y_levels = make_windows(levels_train, window)
on_levels = RNNRegressor(random_state=0).fit(X_levels, y_levels)
print(f"instance_norm_feature_={on_levels.instance_norm_feature_}, "
      f"early_stopping_={on_levels.early_stopping_}, {on_levels.n_iter_} epochs")
level_forecast = recursive_forecast(on_levels, levels_train[-window:], horizon)

# %%
# Or hand over the series
# -----------------------
# :class:`~sklearn_rnn.RNNForecaster` takes the series itself: with
# ``season_length=12`` its window is two seasons (the 24 months used above),
# and by default it fits both a one-step and a 24-step model with the
# defaults and forecasts the mean of the recursive and the direct forecast,
# the best forecast of the forecast benchmark's development list.
forecaster = RNNForecaster(horizon=horizon, season_length=12, random_state=0)
forecaster = forecaster.fit(levels_train)
print(f"window_size_={forecaster.window_size_}")
mean_forecast = forecaster.predict()

# %%
# Errors over the two test years
# ------------------------------
# Mean absolute error of the levels, in ppm, over the 24 months and over the
# first 12. The ranking depends on the split and on the seed of the networks:
# a handful of training windows per calendar month is little data for a
# network, and a linear model on the same lags is a strong competitor on such
# a regular cycle.
levels = {name: to_levels(values) for name, values in forecasts.items()}
levels["RNN on levels (defaults)"] = level_forecast
levels["RNNForecaster (mean of recursive and direct)"] = mean_forecast
errors = pd.DataFrame(
    {
        "MAE, 24 months": {
            name: np.mean(np.abs(values - truth.to_numpy()))
            for name, values in levels.items()
        },
        "MAE, first 12": {
            name: np.mean(np.abs(values[:12] - truth.to_numpy()[:12]))
            for name, values in levels.items()
        },
    }
).round(3)
print(errors.sort_values("MAE, 24 months"))

# %%
# The forecasts
# -------------
history = monthly.loc["1996":truth.index[0]]
fig, ax = plt.subplots(figsize=(9, 4))
ax.plot(history, color="black", lw=1, label="observed")
ax.plot(truth, color="black", lw=2, label="truth (test)")
styles = {"seasonal naive": ":", "Ridge (recursive)": "--"}
for name, values in levels.items():
    ax.plot(truth.index, values, ls=styles.get(name, "-"), lw=1.5, label=name)
ax.axvline(truth.index[0], color="grey", ls="--", lw=1)
ax.set_ylabel("CO2 (ppm)")
ax.set_title("24-month forecasts of monthly CO2 at Mauna Loa")
ax.legend(fontsize=8, ncols=2)
plt.tight_layout()
plt.show()

"""Probe (issue 24, round 14): the gallery's sequence-to-sequence forecast
(``examples/plot_forecast_seasonal.py``: monthly CO2 changes, windows of 24
with one target per step, ``RNNRegressor(return_sequences=True,
early_stopping=True, ...)`` rolled forward 24 months) over several seeds.

Run it once with the library of a commit before round 14 (no gap before the
validation tail of windows with one target per step) and once after, e.g.
from a ``git worktree`` of the older commit with ``PYTHONPATH=.``::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.per_step_gap --seeds 0 1 2 3 4 5

Prints per seed the epochs, the best epoch, its validation R², and the
24-month MAE of the forecast levels; then the mean and median MAE.
"""

import argparse

import numpy as np
import statsmodels.api as sm

from sklearn_rnn import RNNRegressor, make_windows, recursive_forecast

# The example's parameters.
PARAMS = dict(hidden_size=32, max_iter=100, learning_rate_init=5e-3,
              early_stopping=True, n_iter_no_change=15, instance_norm=None)
HORIZON = WINDOW = 24


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    weekly = sm.datasets.co2.load_pandas().data["co2"]
    monthly = weekly.resample("MS").mean().interpolate()
    change = monthly.diff().dropna()
    train = change.iloc[:-HORIZON].to_numpy()
    last_level = monthly.iloc[-HORIZON - 1]
    truth = monthly.iloc[-HORIZON:].to_numpy()
    X, y = make_windows(train, WINDOW, return_sequences=True)
    errors = []
    for seed in args.seeds:
        model = RNNRegressor(return_sequences=True, random_state=seed,
                             **PARAMS).fit(X, y)
        levels = last_level + np.cumsum(
            recursive_forecast(model, train[-WINDOW:], HORIZON))
        errors.append(float(np.abs(levels - truth).mean()))
        print(f"seed {seed}: {model.n_iter_} epochs, best {model.best_iteration_}, "
              f"validation R² {model.best_validation_score_:.3f}, "
              f"MAE {errors[-1]:.3f}", flush=True)
    print(f"mean MAE {np.mean(errors):.3f}, median {np.median(errors):.3f}")


if __name__ == "__main__":
    main()

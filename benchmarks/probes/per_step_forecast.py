"""Probe (issue 24, round 14): the tutorial path with one output per step.

The classic "one output per step" tutorial frames a series as windows whose
targets are the next value after every step (``make_windows(train, window,
return_sequences=True)``), fits ``RNNRegressor(return_sequences=True)`` and
rolls the last step's output forward (``recursive_forecast``). This runs the
forecast benchmark with its ``ours`` contender (the recursive forecast)
fitted that way instead, so that ``compare_rows`` sets it beside the
one-step windows' rows of the same series and seeds::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.per_step_forecast \\
        --only-ours --contenders ours --config r14-per-step --seeds 0 1 2 \\
        --datasets ... --no-docs --results FILE
    python -m benchmarks.probes.compare_rows \\
        --reference benchmarks/results/forecast-round-13-defaults.json --rows FILE

``--set`` passes parameters to the per-step regressor as to the benchmark's
own (e.g. ``--set early_stopping=True``). ``--no-zero-start`` keeps torch's
initialisation of the output layer where the library would start it at
zero (the probe fits per-step windows only).
"""

import sys

from sklearn_rnn import RNNRegressor, _plan, make_windows, recursive_forecast

from .. import _suite as S
from .. import forecast as F


def run_per_step(runner, series, train, h, seed, overrides):
    if runner is not F.run_ours:
        return runner(series, train, h, seed, overrides)
    X, y = make_windows(train, series.window, return_sequences=True)
    est = RNNRegressor(return_sequences=True,
                       **S.estimator_params(RNNRegressor, overrides, seed))
    seconds, _ = S.timed(est.fit, X, y)
    forecast = recursive_forecast(est, train[-series.window:], h)
    return seconds, forecast, {"epochs": est.n_iter_}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--no-zero-start" in argv:
        argv.remove("--no-zero-start")

        def choose_zero_output_layer(regression_on_rows, early_stopping,
                                     one_step_windows=False):
            return bool(early_stopping and regression_on_rows)

        _plan.choose_zero_output_layer = choose_zero_output_layer
    return F.main_with_wrapped_runners(run_per_step, argv)


if __name__ == "__main__":
    sys.exit(main())

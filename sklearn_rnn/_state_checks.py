"""What a fitted state read from a model file may hold: caps, types, shapes.

A file given to :func:`~sklearn_rnn.load_model` may come from a stranger.
Every value it holds is checked here, against the caps below, *before* any
size arithmetic, allocation or network construction uses it; the sizes of
the members and tensors it may contain are then computed only from checked
values (never from sizes the file declares about itself). A value that
``save_model`` could not have written raises :class:`InvalidModel` naming
it.

The caps sit far above anything this package trains (its documented models
have ``hidden_size`` 64-128, one to three layers, three ensemble members
and a few hundred epochs), and low enough that the largest network they
admit is still built on the meta device in milliseconds and its weights
are bounded (``MAX_NETWORK_VALUES``). They are written down in the
persistence guide; a model beyond them cannot be saved (``save_model``
checks the same caps, so every file it writes loads).
"""

import math
import re
from numbers import Integral, Real

import numpy as np
import torch

# ------------------------------------------------------------------- caps
# Hyperparameters (integers; 'auto' and None pass).
PARAMETER_CAPS = {
    "hidden_size": 8192,
    "num_layers": 32,
    "conv_layers": 32,
    "conv_kernel_size": 1024,
    "ensemble_size": 64,
    "embedding_dim": 8192,
    "vocabulary_size": 2**24,
    "max_iter": 100_000,
    "batch_size": 2**24,
    "n_iter_no_change": 100_000,
}
MAX_HEAD_LAYERS = 16
MAX_HEAD_WIDTH = 65_536
MAX_FEATURES = 2**20  # features per time step (n_input_features_)
MAX_TIMESTEPS = 2**24  # columns of 2-D input (n_features_in_)
MAX_OUTPUTS = 2**20  # classes or regression targets
MAX_EPOCHS = 100_000  # n_iter_: epochs in the history
# All module tensors together, members included (float32: 1 GiB).
MAX_NETWORK_VALUES = 2**28
MAX_STRING = 4096  # characters of a device name, a label, a feature name
# All arrays stored in the JSON members together (classes, feature names,
# target scaling), counted as numpy would hold them.
MAX_ARRAY_BYTES = 16 * 2**20
# Member sizes. The metadata holds parameters, classes, feature names and
# three per-epoch curves; the history one small row per epoch (the
# per-batch records are never written). Parsing JSON takes a few times its
# size in memory: these bound what a refused file can make the loader hold.
MAX_METADATA_BYTES = 8 * 2**20
HISTORY_BYTES_PER_EPOCH = 1024
MAX_HISTORY_BYTES = 16 * 2**20
MAX_HISTORY_KEYS = 256

_DEVICE = re.compile(r"^(cpu|cuda|mps|xpu|meta)(:[0-9]{1,4})?$")


class InvalidModel(Exception):
    """A value in a model file that ``save_model`` could not have written."""


# --------------------------------------------------------------- primitives
def _fail(name, message):
    raise InvalidModel(f"{name} {message}")


def is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool | np.bool_)


def integer(low, high):
    def check(name, value):
        if not is_int(value) or not low <= value <= high:
            _fail(name, f"must be an integer from {low} to {high}, got "
                        f"{_short(value)}")
    return check


def boolean(name, value):
    if not isinstance(value, bool):
        _fail(name, f"must be true or false, got {_short(value)}")


def real(*, allow_nan=False):
    def check(name, value):
        if not isinstance(value, Real) or isinstance(value, bool):
            _fail(name, f"must be a number, got {_short(value)}")
        if not (math.isfinite(value) or allow_nan and math.isnan(value)):
            _fail(name, f"must be finite, got {value!r}")
    return check


def non_negative(name, value):
    real()(name, value)
    if value < 0:
        _fail(name, f"must be at least 0, got {value!r}")


def positive_real(name, value):
    real()(name, value)
    if not value > 0:
        _fail(name, f"must be above 0, got {value!r}")


def fraction(name, value):
    real()(name, value)
    if not 0 < value < 1:
        _fail(name, f"must be between 0 and 1 (excluded), got {value!r}")


def instance_norm_center(name, value):
    if value not in ("last", "mean"):
        _fail(name, f"must be 'last' or 'mean', got {_short(value)}")


def instance_norm_scale(name, value):
    if value not in ("window", "series"):
        _fail(name, f"must be 'window' or 'series', got {_short(value)}")


def optional(check):
    def wrapped(name, value):
        if value is not None:
            check(name, value)
    return wrapped


def real_list(*, allow_nan=False):
    element = real(allow_nan=allow_nan)

    def check(name, value):
        if not isinstance(value, list) or len(value) > MAX_EPOCHS:
            _fail(name, f"must be a list of at most {MAX_EPOCHS} numbers")
        for v in value:
            element(name, v)
    return check


def device(name, value):
    if not isinstance(value, str) or not _DEVICE.match(value):
        _fail(name, f"must name a torch device such as 'cpu' or 'cuda:0', got "
                    f"{_short(value)}")


def float_vector(*, positive=False):
    """A 1-D float64 array of finite numbers (checked for its length in the
    consistency step)."""
    def check(name, value):
        if (not isinstance(value, np.ndarray) or value.ndim != 1
                or value.dtype != np.float64):
            _fail(name, "must be a 1-D float64 array")
        if not np.isfinite(value).all():
            _fail(name, "must hold finite numbers")
        if positive and not (value > 0).all():
            _fail(name, "must hold positive numbers")
    return check


def affine_map(name, value):
    """``(scale, offset)``: two finite numbers, the scale non-zero."""
    if not isinstance(value, tuple) or len(value) != 2:
        _fail(name, "must be a pair (scale, offset)")
    for v in value:
        real()(name, v)
    if value[0] == 0:
        _fail(name, "must have a non-zero scale")


def labels(name, value):
    """Class labels: a 1-D array of distinct, sorted numbers or strings."""
    if not isinstance(value, np.ndarray) or value.ndim != 1:
        _fail(name, "must be a 1-D array")
    if value.dtype.kind == "O":
        if not all(isinstance(v, str) for v in value):
            _fail(name, "must hold strings or numbers")
    elif value.dtype.kind not in "biufU":
        _fail(name, f"has an unsupported dtype {value.dtype}")
    if value.dtype.kind == "f" and not np.isfinite(value).all():
        _fail(name, "must hold finite numbers")
    if len(value) > 1 and not (value[1:] > value[:-1]).all():
        _fail(name, "must hold distinct labels in sorted order")


def strings(name, value):
    if (not isinstance(value, np.ndarray) or value.ndim != 1
            or not all(isinstance(v, str) for v in value)):
        _fail(name, "must be a 1-D array of strings")


def record(fields):
    """A dict with exactly ``fields`` (name -> check)."""
    def check(name, value):
        if not isinstance(value, dict) or set(value) != set(fields):
            _fail(name, f"must be an object with the keys {sorted(fields)}")
        for key, field_check in fields.items():
            field_check(f"{name}[{key!r}]", value[key])
    return check


def text(name, value):
    if not isinstance(value, str) or len(value) > MAX_STRING:
        _fail(name, f"must be a string of at most {MAX_STRING} characters")


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ------------------------------------------------------------ the schemas
# Every fitted attribute of the estimators, with the check its stored value
# must pass. ``True``: always present after a fit; ``False``: only for some
# inputs (pandas column names, token ids). The estimators' fitted state is
# taken from this list (an attribute outside it is not state), and a file
# with a key outside it is refused.
def _any_architecture(name, value):
    # Compared with what the checked parameters and attributes rebuild, once
    # they are set (check_consistency): here only its shape.
    if not isinstance(value, dict) or len(value) > 64:
        _fail(name, "must be an object")


BASE_ATTRIBUTES = {
    "n_features_in_": (True, integer(1, MAX_TIMESTEPS)),
    "feature_names_in_": (False, strings),
    "_fitted_on_2d_": (True, boolean),
    "n_input_features_": (True, integer(1, MAX_FEATURES)),
    "vocabulary_size_": (False, integer(2, PARAMETER_CAPS["vocabulary_size"])),
    "_n_outputs": (True, integer(1, MAX_OUTPUTS)),
    "conv_layers_": (True, integer(0, PARAMETER_CAPS["conv_layers"])),
    "conv_batch_norm_": (True, boolean),
    "standardize_sequences_": (True, boolean),
    "early_stopping_": (True, boolean),
    "validation_fraction_": (True, fraction),
    "average_weights_": (True, boolean),
    "ensemble_size_": (True, integer(1, PARAMETER_CAPS["ensemble_size"])),
    "batch_size_": (True, integer(1, PARAMETER_CAPS["batch_size"])),
    "n_iter_no_change_": (True, integer(1, PARAMETER_CAPS["n_iter_no_change"])),
    "alpha_": (True, non_negative),
    "device_": (True, device),
    "_architecture_": (True, _any_architecture),
    "_optimizer_settings_": (True, record({
        "optimizer": text,
        "learning_rate_init": real(),
        "alpha": real(),
        "batch_size": integer(1, PARAMETER_CAPS["batch_size"]),
        "momentum": real(),
    })),
    "n_iter_": (True, integer(0, MAX_EPOCHS)),
    "loss_curve_": (True, real_list()),
    "best_loss_": (True, real()),
    "validation_loss_curve_": (True, optional(real_list())),
    "validation_scores_": (True, optional(real_list(allow_nan=True))),
    "best_validation_score_": (True, optional(real(allow_nan=True))),
    "best_iteration_": (True, integer(1, MAX_EPOCHS)),
}

REGRESSOR_ATTRIBUTES = {
    **BASE_ATTRIBUTES,
    "_target_mean": (True, float_vector()),
    "_target_scale": (True, float_vector(positive=True)),
    "_target_ndim": (True, integer(1, 3)),
    "instance_norm_feature_": (True, optional(integer(0, MAX_FEATURES - 1))),
    "_instance_norm_steps": (True, optional(integer(1, MAX_TIMESTEPS))),
    # Added by format version 5 (older files: their parameter, see
    # _persistence._upgrade_version_4).
    "instance_norm_center_": (True, instance_norm_center),
    # Added by format version 6 (older files: 'window', see
    # _persistence._upgrade_version_5).
    "instance_norm_scale_": (True, instance_norm_scale),
    "_instance_norm_series_scale": (True, optional(positive_real)),
    # Absent from format-version-1 files: the identity.
    "_instance_norm_affine": (False, optional(affine_map)),
}

CLASSIFIER_ATTRIBUTES = {
    **BASE_ATTRIBUTES,
    "classes_": (True, labels),
    "_class_weights": (True, optional(float_vector())),
}


def check_fitted_attributes(schema, fitted):
    """Type and range of every stored fitted attribute; no unknown keys, no
    missing ones."""
    unknown = sorted(set(fitted) - set(schema))
    if unknown:
        raise InvalidModel(f"unexpected fitted attributes {unknown[:5]}")
    missing = sorted(k for k, (required, _) in schema.items()
                     if required and k not in fitted)
    if missing:
        raise InvalidModel(f"fitted attributes {missing} are missing")
    for key, value in fitted.items():
        schema[key][1](f"the fitted attribute {key}", value)


def check_consistency(estimator, fitted):
    """What the attributes say about each other and about the parameters
    (all of them checked one by one already)."""
    n_outputs = fitted["_n_outputs"]
    n_iter = fitted["n_iter_"]
    if len(fitted["loss_curve_"]) != n_iter:
        raise InvalidModel(
            f"loss_curve_ has {len(fitted['loss_curve_'])} epochs but n_iter_ "
            f"is {n_iter}")
    if not 1 <= fitted["best_iteration_"] <= max(n_iter, 1):
        raise InvalidModel("best_iteration_ is not one of the epochs")
    if n_iter and fitted["best_loss_"] != min(fitted["loss_curve_"]):
        raise InvalidModel("best_loss_ is not the lowest loss of loss_curve_")
    best_score = fitted["best_validation_score_"]
    scores = fitted["validation_scores_"]
    if best_score is not None and not (scores and any(
            v == best_score or (v != v and best_score != best_score)
            for v in scores)):
        raise InvalidModel("best_validation_score_ is not one of "
                           "validation_scores_")
    curves = [fitted[k] for k in ("validation_loss_curve_", "validation_scores_")]
    if (curves[0] is None) != (curves[1] is None) or (
            curves[0] is not None
            and not len(curves[0]) == len(curves[1]) <= n_iter):
        raise InvalidModel("the validation curves do not match the epochs")
    if fitted["_fitted_on_2d_"] and fitted["n_input_features_"] != 1:
        raise InvalidModel("a model fitted on 2-D input reads one feature per step")
    if (not fitted["_fitted_on_2d_"]
            and fitted["n_features_in_"] != fitted["n_input_features_"]):
        raise InvalidModel("n_features_in_ differs from n_input_features_")
    names = fitted.get("feature_names_in_")
    if names is not None and len(names) != fitted["n_features_in_"]:
        raise InvalidModel("feature_names_in_ does not name every feature")
    embedded = estimator.embedding_dim is not None
    if embedded != ("vocabulary_size_" in fitted):
        raise InvalidModel("vocabulary_size_ goes with embedding_dim, and only "
                           "with it")
    for key in ("_target_mean", "_target_scale", "classes_", "_class_weights"):
        value = fitted.get(key)
        if value is not None and len(value) != n_outputs:
            raise InvalidModel(f"{key} has {len(value)} entries for "
                               f"{n_outputs} outputs")
    # A classifier (the one estimator with _class_weights) needs two classes;
    # RNNSeq2Seq's output vocabulary may hold a single label.
    if "_class_weights" in fitted and n_outputs < 2:
        raise InvalidModel("a classifier has at least two classes")
    feature = fitted.get("instance_norm_feature_")
    if feature is not None and feature >= fitted["n_input_features_"]:
        raise InvalidModel("instance_norm_feature_ names no input feature")
    # A fit measures the series' scale exactly when it chooses 'series'.
    if "instance_norm_scale_" in fitted and (
            (fitted["instance_norm_scale_"] == "series")
            != (fitted["_instance_norm_series_scale"] is not None)):
        raise InvalidModel("_instance_norm_series_scale is given with "
                           "instance_norm_scale_='series', and only with it")


def check_parameters(estimator):
    """The caps on the (already type-checked) hyperparameters, and the
    parameters a file can never hold (callbacks, random generators)."""
    params = estimator.get_params(deep=False)
    for name, cap in PARAMETER_CAPS.items():
        value = params.get(name)
        if is_int(value) and value > cap:
            raise InvalidModel(f"the parameter {name}={value} is above the cap "
                               f"of {cap} for a model file")
    head = params.get("head_hidden_sizes", ())
    if len(head) > MAX_HEAD_LAYERS or any(v > MAX_HEAD_WIDTH for v in head):
        raise InvalidModel(
            f"head_hidden_sizes must have at most {MAX_HEAD_LAYERS} layers of at "
            f"most {MAX_HEAD_WIDTH} units in a model file")
    if params.get("callbacks"):
        raise InvalidModel("callbacks cannot be stored in a model file")
    seed = params.get("random_state")
    if seed is not None and not (is_int(seed) and 0 <= seed < 2**32):
        raise InvalidModel("random_state must be None or a seed from 0 to 2**32 - 1")
    for name, value in params.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidModel(f"the parameter {name} must be finite")
        if isinstance(value, str) and len(value) > MAX_STRING:
            raise InvalidModel(f"the parameter {name} is too long")
    instance_norm = params.get("instance_norm")
    if is_int(instance_norm) and instance_norm >= MAX_FEATURES:
        raise InvalidModel("instance_norm names no input feature")
    weights = params.get("class_weight")
    if isinstance(weights, dict):
        if len(weights) > MAX_OUTPUTS or not all(
                isinstance(v, Real) and not isinstance(v, bool)
                and math.isfinite(v) for v in weights.values()):
            raise InvalidModel("class_weight must map labels to finite numbers")
    device_param = params.get("device")
    if device_param != "auto":
        device("the parameter device", device_param)


# ---------------------------------------------------------------- tensors
def expected_module_tensors(estimator):
    """``{name: (dtype, shape)}`` of the module state the checked parameters
    and attributes build, and the shapes of its parameters in the
    optimiser's order; built on the meta device (nothing is allocated).

    An ensemble is measured from one member, so that its size is known
    before its members' names are listed.
    """
    from ._module import NetworkEnsemble, RecurrentNetwork

    module_cls, kwargs = estimator._module_spec()
    size = 1
    if module_cls is NetworkEnsemble:
        kwargs = dict(kwargs)
        size = kwargs.pop("ensemble_size")
        kwargs.pop("combine")
    try:
        with torch.device("meta"):
            # An estimator's own module class (RNNSeq2Seq's encoder-decoder);
            # an ensemble's members are RecurrentNetworks.
            member = (module_cls if size == 1 else RecurrentNetwork)(**kwargs)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise InvalidModel(
            f"its parameters describe no network that can be built ({exc})"
        ) from None
    state = {k: (v.dtype, tuple(v.shape)) for k, v in member.state_dict().items()}
    params = [tuple(p.shape) for p in member.parameters()]
    n_values = size * sum(math.prod(shape) for _, shape in state.values())
    if n_values > MAX_NETWORK_VALUES:
        raise InvalidModel(
            f"its parameters describe a network of {n_values} values, more than "
            f"the cap of {MAX_NETWORK_VALUES} for a model file")
    if size == 1:
        return state, params
    return ({f"members.{i}.{k}": v for i in range(size) for k, v in state.items()},
            params * size)


def expected_criterion_tensors(estimator):
    """``{name: (dtype, shape)}`` of the loss's state (class weights)."""
    _, kwargs = estimator._criterion()
    weight = kwargs.get("weight")
    if weight is None:
        return {}
    return {"weight": (torch.float32, (int(estimator._n_outputs),))}


_PROBES = {}


def optimizer_layout(optimizer_cls, kwargs):
    """What one parameter's optimiser state holds for ``optimizer_cls``.

    ``(state, group)``: ``state`` maps each key to ``("param", dtype)`` (a
    tensor of the parameter's shape), ``("scalar", dtype)`` (a 0-d tensor)
    or ``("value", None)`` (a plain number or None); ``group`` a parameter
    group's settings (but its parameters) as this optimiser has them.
    Learnt from one step on a small parameter (cached); an optimiser whose
    step needs a closure (LBFGS) holds no state here.
    """
    key = (optimizer_cls, tuple(sorted(kwargs.items())))
    if key not in _PROBES:
        parameter = torch.nn.Parameter(torch.zeros(3))
        try:
            optimizer = optimizer_cls([parameter], **kwargs)
        except (TypeError, ValueError) as exc:
            raise InvalidModel(
                f"the optimizer {optimizer_cls.__name__} cannot be built with "
                f"the stored parameters ({exc})") from None
        parameter.grad = torch.ones(3)
        try:
            optimizer.step()
        except (TypeError, RuntimeError):
            layout = None
        else:
            layout = {}
            for name, value in optimizer.state[parameter].items():
                if isinstance(value, torch.Tensor):
                    kind = "scalar" if value.dim() == 0 else "param"
                    layout[name] = (kind, value.dtype)
                else:
                    layout[name] = ("value", None)
        group = {k: v for k, v in optimizer.param_groups[0].items()
                 if k != "params"}
        _PROBES[key] = (layout, group)
    return _PROBES[key]


_SAFETENSORS_DTYPES = {torch.float32: "F32", torch.float64: "F64",
                       torch.int64: "I64", torch.float16: "F16",
                       torch.bfloat16: "BF16", torch.int32: "I32"}


def safetensors_dtype(dtype):
    return _SAFETENSORS_DTYPES.get(dtype)

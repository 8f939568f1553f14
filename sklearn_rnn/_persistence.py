"""Safe persistence: weights as safetensors, everything else as JSON, in one zip.

``pickle`` and ``joblib`` work on the estimators (they are plain Python
objects), but loading a pickle runs whatever code the file names: never load
one you did not write. :func:`save_model` writes a format whose loading only
*parses* data:

* ``weights.safetensors``: the tensors (network weights and input-scaling
  buffers, loss weights, optimiser state) in the safetensors format, a JSON
  header plus raw little-endian numbers;
* ``metadata.json``: the estimator class (one of ours, by name), its
  ``get_params()`` and the fitted attributes needed to predict (classes,
  target scaling, number of features, ...), as typed JSON;
* ``history.json``: the skorch training history (one row per epoch; the
  per-batch records are not kept).

Both sides go through the estimator's fitted-state pair
(``_get_fitted_state`` / ``_set_fitted_state``): this module only turns that
state into bytes and back. :func:`load_model` rebuilds the estimator and its
skorch net without training and copies the tensors in, on the CPU when the
model was saved on a GPU that this machine lacks. Every member's size is
checked before it is read: a file cannot make it allocate more than the
stored hyperparameters imply.
"""

import json
import math
import os
import re
import tempfile
import warnings
import zipfile

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

__all__ = ["save_model", "load_model"]

FORMAT_NAME = "sklearn-rnn-model"
FORMAT_VERSION = 1
# The versions this code reads (it writes FORMAT_VERSION).
SUPPORTED_VERSIONS = (1,)
_METADATA = "metadata.json"
_WEIGHTS = "weights.safetensors"
_HISTORY = "history.json"

# Bounds on the uncompressed size of the members, checked before reading.
# The metadata holds parameters, classes, feature names and the per-epoch
# curves: far below this for any model. The history gets a budget per
# epoch (skorch's row plus user callbacks' entries), the weights what the
# hyperparameters imply (see _weights_bound).
_MAX_METADATA_BYTES = 16 * 2**20
_HISTORY_BYTES_PER_EPOCH = 16 * 2**10
_HEADER_BYTES = 2**20

# The fitted attribute that is rebuilt rather than stored.
_REBUILT_ATTRIBUTES = {"net_"}
_ATTRIBUTE_NAME = re.compile(r"^_?[a-z][a-z0-9_]*$")
_ARRAY_KINDS = set("biufUO")


def _estimator_classes():
    # Imported here: this module is imported by the package __init__ too.
    from ._classifier import RNNClassifier
    from ._regressor import RNNRegressor

    return {"RNNRegressor": RNNRegressor, "RNNClassifier": RNNClassifier}


class _NotSerialisable(TypeError):
    pass


# ---------------------------------------------------------------- typed JSON
# JSON has no tuples, no non-string keys, no arrays and no NaN. Values that
# need them are wrapped in a one-key object whose key starts with "__"; plain
# objects never have such keys, so decoding is unambiguous.
def _encode(value):
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        if math.isfinite(value):
            return value
        return {"__float__": repr(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"__dict__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _ARRAY_KINDS:
            raise _NotSerialisable(f"an array of dtype {value.dtype}")
        return {
            "__ndarray__": {
                "dtype": value.dtype.str,
                "shape": list(value.shape),
                "values": [_encode(v) for v in value.ravel().tolist()],
            }
        }
    if isinstance(value, type) and _is_torch_optimizer(value):
        return {"__torch_optim__": value.__name__}
    raise _NotSerialisable(f"{value!r} (of type {type(value).__name__})")


def _is_torch_optimizer(cls):
    return (
        issubclass(cls, torch.optim.Optimizer)
        and getattr(torch.optim, cls.__name__, None) is cls
    )


def _decode(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        raise ValueError(f"unexpected JSON value of type {type(value).__name__}")
    tags = [k for k in value if k.startswith("__")]
    if not tags:
        return {k: _decode(v) for k, v in value.items()}
    if len(value) != 1:
        raise ValueError(f"malformed tagged object with keys {sorted(value)[:4]}")
    tag, content = next(iter(value.items()))
    if tag == "__float__" and content in ("nan", "inf", "-inf"):
        return float(content)
    if tag == "__tuple__" and isinstance(content, list):
        return tuple(_decode(v) for v in content)
    if tag == "__dict__" and isinstance(content, list):
        pairs = [_decode(pair) for pair in content]
        if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise ValueError("malformed dict entry")
        return {_hashable(k): v for k, v in pairs}
    if tag == "__ndarray__" and isinstance(content, dict):
        return _decode_array(content)
    if tag == "__torch_optim__" and isinstance(content, str):
        cls = getattr(torch.optim, content, None)
        if not (isinstance(cls, type) and _is_torch_optimizer(cls)):
            raise ValueError(f"{content!r} is not a torch.optim optimizer")
        return cls
    raise ValueError(f"unknown tag {tag!r}")


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


def _decode_array(content):
    dtype = np.dtype(str(content.get("dtype")))
    # A bounded item size: doctored string dtypes must not allocate GBs.
    if dtype.kind not in _ARRAY_KINDS or dtype.itemsize > 4096:
        raise ValueError(f"arrays of dtype {dtype} are not supported")
    shape = tuple(int(s) for s in content.get("shape", ()))
    values = [_decode(v) for v in content.get("values", ())]
    if any(isinstance(v, list | dict | tuple) for v in values):
        raise ValueError("array elements must be scalars")
    if dtype.kind == "O":
        array = np.empty(len(values), dtype=object)
        array[:] = values
    else:
        array = np.asarray(values, dtype=dtype)
    return array.reshape(shape)


def _dumps(obj):
    return json.dumps(obj, allow_nan=False, indent=1).encode("utf-8")


# -------------------------------------------------------------------- saving
def save_model(estimator, path):
    """Save a fitted estimator in a format that runs no code when loaded.

    The file is a zip archive holding the tensors (weights, input scaling,
    optimiser state) as safetensors and the hyperparameters and fitted
    attributes as JSON. Unlike ``pickle``/``joblib``, loading it with
    :func:`load_model` only parses data, so it is fit to share. A model
    saved on a GPU loads on a CPU-only machine.

    Parameters
    ----------
    estimator : RNNRegressor or RNNClassifier
        A fitted estimator. Every parameter must be plain data: a
        ``callbacks`` list or a ``random_state`` ``RandomState`` instance
        cannot be stored safely (set them to ``None`` with ``set_params``
        first; they only matter while fitting); an ``optimizer`` class is
        stored by name when it is one of ``torch.optim``'s.
    path : str, path-like or binary file object
        Where to write (an existing file is replaced only once the new one
        is complete).

    Returns
    -------
    path : str, path-like or binary file object
        The ``path`` argument.

    See Also
    --------
    load_model : Load a model saved by this function.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from sklearn_rnn import RNNRegressor, load_model, save_model
    >>> X = np.random.RandomState(0).normal(size=(40, 6))
    >>> reg = RNNRegressor(hidden_size=4, max_iter=2, random_state=0)
    >>> reg = reg.fit(X, X.sum(axis=1))
    >>> buffer = io.BytesIO()
    >>> _ = save_model(reg, buffer)
    >>> _ = buffer.seek(0)
    >>> bool(np.array_equal(load_model(buffer).predict(X), reg.predict(X)))
    True
    """
    from safetensors.torch import save as save_tensors

    classes = _estimator_classes()
    name = type(estimator).__name__
    if classes.get(name) is not type(estimator):
        raise TypeError(
            f"save_model supports {sorted(classes)}, not {type(estimator)!r}; "
            "use joblib.dump for other objects (and load only trusted pickles)."
        )
    check_is_fitted(estimator, "net_")
    state = estimator._get_fitted_state()

    params = {}
    for key, value in estimator.get_params(deep=False).items():
        try:
            params[key] = _encode(value)
        except _NotSerialisable as exc:
            raise ValueError(
                f"Parameter {key}={value!r} cannot be stored safely: "
                f"{exc} is not plain data. Set it to a plain value first "
                f"(e.g. estimator.set_params({key}=None); it is used only while "
                "fitting), or use pickle/joblib for models you will only load "
                "yourself."
            ) from None

    fitted = {}
    for key, value in state["attributes"].items():
        try:
            fitted[key] = _encode(value)
        except _NotSerialisable as exc:
            raise ValueError(
                f"Fitted attribute {key} cannot be stored safely: {exc}."
            ) from None

    tensors = {}
    for prefix in ("module", "criterion"):
        for key, tensor in state[prefix].items():
            tensors[f"{prefix}.{key}"] = tensor.contiguous()
    optimizers = {}
    for opt_name, opt_state in state["optimizers"].items():
        scalars = {}
        for index, param_state in opt_state["state"].items():
            for key, value in param_state.items():
                if isinstance(value, torch.Tensor):
                    tensor_key = f"optimizer.{opt_name}.{index}.{key}"
                    tensors[tensor_key] = value.contiguous()
                else:
                    scalars.setdefault(str(index), {})[key] = _encode(value)
        try:
            groups = _encode(opt_state["param_groups"])
        except _NotSerialisable as exc:
            raise ValueError(
                f"The state of optimizer {opt_name!r} cannot be stored: {exc}."
            ) from None
        optimizers[opt_name] = {"param_groups": groups, "scalars": scalars}

    history, dropped = _encode_history(state["history"])
    if dropped:
        warnings.warn(
            f"History entries {sorted(dropped)} are not plain data and were "
            "not saved.",
            UserWarning,
            stacklevel=2,
        )

    from . import __version__

    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "sklearn_rnn_version": __version__,
        "torch_version": torch.__version__,
        "estimator": name,
        "params": params,
        "fitted": fitted,
        "optimizers": optimizers,
    }
    payload = {
        _METADATA: _dumps(metadata),
        _WEIGHTS: save_tensors(tensors),
        _HISTORY: _dumps(history),
    }
    if hasattr(path, "write"):
        _write_zip(path, payload)
        return path
    directory = os.path.dirname(os.path.abspath(os.fspath(path)))
    handle, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            _write_zip(file, payload)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def _write_zip(file, payload):
    with zipfile.ZipFile(file, "w") as archive:
        for entry, data in payload.items():
            # Raw floats barely compress; JSON does.
            method = zipfile.ZIP_STORED if entry == _WEIGHTS else zipfile.ZIP_DEFLATED
            archive.writestr(entry, data, compress_type=method)


def _encode_history(history):
    dropped = set()

    def clean(row):
        out = {}
        for key, value in row.items():
            if key == "batches":
                # Per-batch records grow with the data, not the model: left
                # out, so the history's size has a bound per epoch.
                continue
            try:
                out[key] = _encode(value)
            except _NotSerialisable:
                dropped.add(key)
        return out

    return [clean(row) for row in history], dropped


# ------------------------------------------------------------------- loading
def load_model(path, *, device=None):
    """Load a model written by :func:`save_model`, without running any code.

    The estimator and its skorch net are rebuilt from the stored parameters
    (no training) and the stored tensors are copied in. Nothing is
    unpickled: a file that is not a valid model (corrupted, truncated, a
    pickle in place of the weights, ...) raises ``ValueError``.

    Parameters
    ----------
    path : str, path-like or binary file object
        A file written by :func:`save_model`.
    device : str or None, default=None
        Torch device to load onto. ``None`` keeps the device the model was
        saved from when it exists here and otherwise uses the CPU, so a
        model trained on a GPU loads on a CPU-only machine. The result is in
        ``device_``; the ``device`` parameter keeps its saved value.

    Returns
    -------
    estimator : RNNRegressor or RNNClassifier
        The fitted estimator, predicting as the saved one did. Training can
        continue with ``warm_start=True`` or ``partial_fit`` (the optimiser
        state is restored too).

    See Also
    --------
    save_model : Write the file.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from sklearn_rnn import RNNClassifier, load_model, save_model
    >>> X = np.random.RandomState(0).normal(size=(40, 5, 2))
    >>> y = np.where(X[:, :, 0].sum(axis=1) > 0, "pos", "neg")
    >>> clf = RNNClassifier(hidden_size=4, max_iter=2, random_state=0).fit(X, y)
    >>> buffer = io.BytesIO()
    >>> _ = save_model(clf, buffer)
    >>> _ = buffer.seek(0)
    >>> loaded = load_model(buffer, device="cpu")
    >>> loaded.classes_.tolist(), loaded.device_
    (['neg', 'pos'], 'cpu')
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            missing = {_METADATA, _WEIGHTS} - names
            if missing:
                raise ValueError(f"entries {sorted(missing)} are missing")
            metadata_bytes = _read_member(archive, _METADATA, _MAX_METADATA_BYTES)
            metadata = _parse_metadata(metadata_bytes)
            estimator = _new_estimator(metadata)
            n_iter = metadata["fitted"].get("n_iter_")
            if isinstance(n_iter, bool) or not isinstance(n_iter, int) or n_iter < 0:
                raise _InvalidModel("the fitted attribute n_iter_ is missing")
            history_bytes = (
                _read_member(archive, _HISTORY,
                             _HEADER_BYTES + n_iter * _HISTORY_BYTES_PER_EPOCH)
                if _HISTORY in names else b"[]"
            )
            weight_bytes = _read_member(archive, _WEIGHTS, _weights_bound(estimator))
    except _InvalidModel as exc:
        raise ValueError(
            f"{_describe(path)} is not a valid sklearn-rnn model file: {exc}"
        ) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError,
            ValueError) as exc:
        if isinstance(exc, FileNotFoundError | IsADirectoryError):
            raise
        raise ValueError(
            f"{_describe(path)} is not a valid sklearn-rnn model file "
            f"(save_model writes a zip archive): {exc}"
        ) from exc
    try:
        return _restore(estimator, metadata, weight_bytes, history_bytes, device)
    except _InvalidModel as exc:
        raise ValueError(
            f"{_describe(path)} is not a valid sklearn-rnn model file: {exc}"
        ) from None


class _InvalidModel(Exception):
    pass


def _describe(path):
    if hasattr(path, "read"):
        return "The file object"
    return repr(os.fspath(path))


def _read_member(archive, name, limit):
    """The bytes of member ``name``, refusing more than ``limit`` of them.

    The size in the zip's directory is checked before anything is read, and
    the read itself stops past the limit (a directory entry can lie).
    """
    size = archive.getinfo(name).file_size
    if size > limit:
        raise _InvalidModel(
            f"{name} holds {size} bytes uncompressed, more than the {limit} "
            "bytes a model with these parameters can need; it was not read"
        )
    with archive.open(name) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise _InvalidModel(f"{name} is larger than its size in the archive")
    return data


def _parse_metadata(metadata_bytes):
    try:
        metadata = json.loads(metadata_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _InvalidModel(f"unreadable JSON ({exc})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise _InvalidModel("the metadata does not name the sklearn-rnn format")
    version = metadata.get("format_version")
    if version not in SUPPORTED_VERSIONS or isinstance(version, bool):
        raise _InvalidModel(
            f"format version {version!r} is not one this sklearn-rnn reads "
            f"({', '.join(map(str, SUPPORTED_VERSIONS))}); a newer file needs a "
            "newer sklearn-rnn"
        )
    return metadata


def _new_estimator(metadata):
    """The estimator the metadata names, with its parameters and attributes."""
    classes = _estimator_classes()
    cls = classes.get(metadata.get("estimator"))
    if cls is None:
        raise _InvalidModel(f"unknown estimator {metadata.get('estimator')!r}")
    try:
        params = _decode(metadata["params"])
        fitted = _decode(metadata["fitted"])
        if not (isinstance(params, dict) and isinstance(fitted, dict)
                and isinstance(metadata.get("optimizers", {}), dict)):
            raise ValueError("params, fitted and optimizers must be objects")
        estimator = cls(**params)
        estimator._validate_params()
    except (KeyError, TypeError, ValueError, RecursionError) as exc:
        raise _InvalidModel(f"invalid parameters ({exc})") from None
    for key in fitted:
        if (
            not _ATTRIBUTE_NAME.match(key)
            or key in params
            or key in _REBUILT_ATTRIBUTES
            or hasattr(cls, key)
        ):
            raise _InvalidModel(f"unexpected fitted attribute {key!r}")
    metadata["fitted"] = fitted
    absent = [k for k in cls._required_state_attributes if k not in fitted]
    if absent:
        raise _InvalidModel(f"fitted attributes {absent} are missing")
    for key, value in fitted.items():
        setattr(estimator, key, value)
    return estimator


def _weights_bound(estimator):
    """Most bytes the weights member can need for the stored parameters.

    The network (counted on the meta device: nothing is allocated), up to
    three optimiser tensors per weight (Adam with amsgrad), the loss's class
    weights, and the safetensors header.
    """
    try:
        size, shapes = estimator._member_shapes()
    except (TypeError, ValueError, RuntimeError) as exc:
        raise _InvalidModel(
            f"the weights do not fit the model: its parameters describe no "
            f"network that can be built ({exc})"
        ) from None
    n_values = size * sum(math.prod(shape) for shape in shapes.values())
    return 4 * (4 * n_values + 4 * int(estimator._n_outputs)) + _HEADER_BYTES


def _restore(estimator, metadata, weight_bytes, history_bytes, device):
    from safetensors import SafetensorError
    from safetensors.torch import load as load_tensors

    try:
        history = _decode(json.loads(history_bytes.decode("utf-8")))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _InvalidModel(f"unreadable JSON ({exc})") from None
    if not isinstance(history, list):
        raise _InvalidModel("the history must be a list of epochs")
    try:
        tensors = load_tensors(weight_bytes)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise _InvalidModel(
            f"{_WEIGHTS} is not a safetensors file ({exc}); it was not loaded"
        ) from None
    try:
        state = {
            "attributes": metadata["fitted"],
            "module": _with_prefix(tensors, "module."),
            "criterion": _with_prefix(tensors, "criterion."),
            "optimizers": _optimizer_states(metadata.get("optimizers", {}),
                                            tensors),
            "history": history,
        }
        estimator._set_fitted_state(state, device)
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as exc:
        raise _InvalidModel(f"the weights do not fit the model ({exc})") from None
    return estimator


def _with_prefix(tensors, prefix):
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def _optimizer_states(optimizers, tensors):
    """The optimisers' state dicts from their JSON part and their tensors."""
    states = {}
    for opt_name, stored in optimizers.items():
        groups = _decode(stored["param_groups"])
        state = {}
        for key, value in _with_prefix(tensors, f"optimizer.{opt_name}.").items():
            index, _, field = key.partition(".")
            state.setdefault(int(index), {})[field] = value
        for index, fields in stored.get("scalars", {}).items():
            state.setdefault(int(index), {}).update(_decode(fields))
        states[opt_name] = {"state": state, "param_groups": groups}
    return states

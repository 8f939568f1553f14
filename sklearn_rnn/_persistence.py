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
import secrets
import warnings
import zipfile
from numbers import Real

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from ._state_checks import (
    HISTORY_BYTES_PER_EPOCH,
    MAX_ARRAY_BYTES,
    MAX_HEAD_LAYERS,
    MAX_HISTORY_BYTES,
    MAX_HISTORY_KEYS,
    MAX_METADATA_BYTES,
    MAX_STRING,
    InvalidModel,
    check_consistency,
    check_fitted_attributes,
    check_parameters,
    expected_criterion_tensors,
    expected_module_tensors,
    is_int,
    optimizer_layout,
    safetensors_dtype,
)

__all__ = ["save_model", "load_model"]

FORMAT_NAME = "sklearn-rnn-model"
FORMAT_VERSION = 6
# The versions this code reads (it writes FORMAT_VERSION). Version 2 added
# RNNRegressor's instance_norm_center; a version-1 file's windows were
# centred on their mean (_upgrade_version_1). Version 3 added the fitted
# validation_fraction_ (validation_fraction='auto'); an older file's
# validation_fraction was a number, the one it trained with
# (_upgrade_version_2). Version 4 added the fitted alpha_ (alpha='auto'),
# likewise (_upgrade_version_3). Version 5 added RNNRegressor's fitted
# instance_norm_center_ (instance_norm_center='auto'), likewise
# (_upgrade_version_4). Version 6 added RNNRegressor's instance_norm_scale;
# an older file's windows were divided by their own spread, 'window'
# (_upgrade_version_5).
SUPPORTED_VERSIONS = (1, 2, 3, 4, 5, 6)
_METADATA = "metadata.json"
_WEIGHTS = "weights.safetensors"
_HISTORY = "history.json"
_MEMBERS = (_METADATA, _WEIGHTS, _HISTORY)
# skorch's name of the net's one optimiser.
_OPTIMIZER = "optimizer"

_ARRAY_KINDS = set("biufUO")
# The types json.loads gives for values other than lists and objects.
_PLAIN_JSON = {bool, int, float, str, type(None)}


def _estimator_classes():
    # Imported here: this module is imported by the package __init__ too.
    from ._classifier import RNNClassifier
    from ._regressor import RNNRegressor
    from ._seq2seq import RNNSeq2Seq

    return {"RNNRegressor": RNNRegressor, "RNNClassifier": RNNClassifier,
            "RNNSeq2Seq": RNNSeq2Seq}


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


def _decode(value, budget):
    """The Python value of typed JSON read from a file; arrays are charged
    to ``budget`` (a :class:`_Budget`) before they are built."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        if set(map(type, value)) <= _PLAIN_JSON:
            return value  # plain values (the per-epoch curves): nothing to do
        return [_decode(v, budget) for v in value]
    if not isinstance(value, dict):
        raise ValueError(f"unexpected JSON value of type {type(value).__name__}")
    tags = [k for k in value if k.startswith("__")]
    if not tags:
        return {k: _decode(v, budget) for k, v in value.items()}
    if len(value) != 1:
        raise ValueError(f"malformed tagged object with keys {sorted(value)[:4]}")
    tag, content = next(iter(value.items()))
    if tag == "__float__" and content in ("nan", "inf", "-inf"):
        return float(content)
    if tag == "__tuple__" and isinstance(content, list):
        return tuple(_decode(content, budget))
    if tag == "__dict__" and isinstance(content, list):
        pairs = [_decode(pair, budget) for pair in content]
        if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise ValueError("malformed dict entry")
        return {_hashable(k): v for k, v in pairs}
    if tag == "__ndarray__" and isinstance(content, dict):
        return _decode_array(content, budget)
    if tag == "__torch_optim__" and isinstance(content, str):
        cls = getattr(torch.optim, content, None)
        if not (isinstance(cls, type) and _is_torch_optimizer(cls)):
            raise ValueError(f"{content!r} is not a torch.optim optimizer")
        return cls
    raise ValueError(f"unknown tag {tag!r}")


def decode_checked(values, budget, what):
    """Each of ``values`` decoded (:func:`_decode`); a malformed one is
    refused as :class:`InvalidModel` ``"{what} (the reason)"``."""
    try:
        return [_decode(value, budget) for value in values]
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidModel(f"{what} ({exc})") from None


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


def _decode_array(content, budget):
    """An array from its typed JSON, its size checked before it is built."""
    if set(content) != {"dtype", "shape", "values"}:
        raise ValueError("malformed array")
    dtype = np.dtype(str(content["dtype"])[:16])
    # A bounded item size: doctored string dtypes must not allocate GBs.
    if dtype.kind not in _ARRAY_KINDS or dtype.itemsize > 4 * MAX_STRING:
        raise ValueError(f"arrays of dtype {dtype} are not supported")
    shape, values = content["shape"], content["values"]
    if isinstance(values, list):
        # Non-finite floats are tagged objects.
        values = [_decode(v, budget) if isinstance(v, dict) else v
                  for v in values]
    if not (isinstance(shape, list) and len(shape) <= 3
            and all(is_int(s) and s >= 0 for s in shape)
            and isinstance(values, list) and math.prod(shape) == len(values)):
        raise ValueError("an array's shape does not match its values")
    if any(not isinstance(v, bool | int | float | str | None) for v in values):
        raise ValueError("array elements must be scalars")
    if dtype.kind == "O":
        if any(not isinstance(v, str) or len(v) > MAX_STRING for v in values):
            raise ValueError("object arrays hold strings of at most "
                             f"{MAX_STRING} characters")
        budget.take(sum(8 + 4 * len(v) for v in values), "an array of strings")
        array = np.empty(len(values), dtype=object)
        array[:] = values
    else:
        budget.take(len(values) * dtype.itemsize, f"an array of {len(values)} "
                    f"{dtype}")
        array = np.asarray(values, dtype=dtype)
    return array.reshape(shape)


def _dumps(obj, indent=1):
    return json.dumps(obj, allow_nan=False, indent=indent).encode("utf-8")


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
    estimator : RNNRegressor, RNNClassifier, RNNSeq2Seq or RNNForecaster
        A fitted estimator (a forecaster whose ``regressor`` is None or an
        :class:`RNNRegressor`: its fitted regressors are stored with it).
        Every parameter must be plain data: a
        ``callbacks`` list or a ``random_state`` ``RandomState`` instance
        cannot be stored safely (set them to ``None`` with ``set_params``
        first; they only matter while fitting); an ``optimizer`` class is
        stored by name when it is one of ``torch.optim``'s.
    path : str, path-like or binary file object
        Where to write. An existing file is replaced only once the new one
        is complete, and keeps its permission bits; a new file gets the
        ones ``open`` would give it (the umask decides); a symbolic link is
        written through to its target.

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
    from ._forecaster import RNNForecaster
    from ._forecaster_files import forecaster_payload

    if type(estimator) is RNNForecaster:
        payload = forecaster_payload(estimator)
    else:
        payload = model_payload(estimator)
    if hasattr(path, "write"):
        _write_zip(path, payload)
        return path
    _write_file_atomically(os.fspath(path), payload)
    return path


def model_payload(estimator):
    """The members of ``estimator``'s model file: ``{name: bytes}``."""
    from safetensors.torch import save as save_tensors

    classes = _estimator_classes()
    name = type(estimator).__name__
    if classes.get(name) is not type(estimator):
        raise TypeError(
            f"save_model supports {sorted(classes)} and RNNForecaster, not "
            f"{type(estimator)!r}; use joblib.dump for other objects (and "
            "load only trusted pickles)."
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
    try:
        check_parameters(estimator)
    except InvalidModel as exc:
        raise ValueError(f"The model cannot be saved: {exc}.") from None

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
        # Compact: its size is bounded per epoch at load.
        _HISTORY: _dumps(history, indent=None),
    }
    _check_saved_sizes(payload)
    return payload


def _check_saved_sizes(payload):
    """The members' sizes within what load_model reads (every file that
    save_model writes loads)."""
    n_epochs = len(json.loads(payload[_HISTORY]))
    limits = {_METADATA: MAX_METADATA_BYTES,
              _HISTORY: min(MAX_HISTORY_BYTES,
                            2**16 + n_epochs * HISTORY_BYTES_PER_EPOCH)}
    for name, limit in limits.items():
        if len(payload[name]) > limit:
            raise ValueError(
                f"The model cannot be saved: its {name} would take "
                f"{len(payload[name])} bytes, more than the {limit} bytes "
                "load_model reads (see the persistence guide's caps).")


def _write_file_atomically(path, payload):
    """Write ``payload`` to ``path`` through a temporary file beside it.

    A symlink is written through (its target is replaced), an existing
    file keeps its permission bits, and a new file gets the ones ``open``
    would give it (the umask decides).
    """
    target = os.path.realpath(path)
    directory, name = os.path.split(target)
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    while True:
        tmp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            handle = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(handle, "wb") as file:
            _write_zip(file, payload)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


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
    unpickled, and the file is treated as untrusted: every parameter and
    fitted attribute is checked for its type and against documented caps,
    every tensor (the optimiser's state too) must have exactly the dtype
    and shape that the rebuilt estimator holds, and each member's size is
    checked against what those checked values allow before it is read. A
    file that :func:`save_model` could not have written (corrupted,
    truncated, doctored, a pickle in place of the weights, ...) raises
    ``ValueError`` naming the member and what was wrong; see the
    persistence guide for what this does and does not guarantee.

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
    estimator : RNNRegressor, RNNClassifier, RNNSeq2Seq or RNNForecaster
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
    from ._forecaster_files import FORECASTER_MEMBER, load_forecaster

    try:
        _check_directory(path)
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if FORECASTER_MEMBER in names:
                return load_forecaster(archive, device)
            _check_members(archive)
            parts = read_model_members(archive)
    except InvalidModel as exc:
        raise ValueError(
            f"{_describe(path)} is not a valid sklearn-rnn model file: {exc}"
        ) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError,
            ValueError, NotImplementedError, RuntimeError) as exc:
        if isinstance(exc, FileNotFoundError | IsADirectoryError):
            raise
        raise ValueError(
            f"{_describe(path)} is not a valid sklearn-rnn model file "
            f"(save_model writes a zip archive): {exc}"
        ) from exc
    except (TypeError, KeyError, AttributeError, IndexError) as exc:
        # A value of a type no check above expected: still the file's fault.
        raise ValueError(
            f"{_describe(path)} is not a valid sklearn-rnn model file: "
            f"unexpected content ({type(exc).__name__}: {exc})"
        ) from exc
    try:
        return restore_model(parts, device)
    except InvalidModel as exc:
        raise ValueError(
            f"{_describe(path)} is not a valid sklearn-rnn model file: {exc}"
        ) from None


class PrefixedMembers:
    """The members of ``archive`` whose names start with ``prefix``, read
    by their names without it (a forecaster's file holds a model file's
    three members under ``recursive/`` and ``direct/``)."""

    def __init__(self, archive, prefix):
        self.archive = archive
        self.prefix = prefix

    def getinfo(self, name):
        return self.archive.getinfo(self.prefix + name)

    def open(self, name):
        return self.archive.open(self.prefix + name)


def read_model_members(archive):
    """A model file's members (of ``archive``: a ``ZipFile`` or a
    :class:`PrefixedMembers` view), each checked before it is read:
    ``(estimator, layout, weight_bytes, history)`` for
    :func:`restore_model`. Raises :class:`InvalidModel`."""
    metadata = _parse_metadata(
        _read_member(archive, _METADATA, MAX_METADATA_BYTES))
    budget = _Budget(MAX_ARRAY_BYTES)
    estimator = _new_estimator(metadata, budget)
    layout = _tensor_layout(estimator, metadata, budget)
    n_iter = estimator.n_iter_
    history_bytes = _read_member(archive, _HISTORY, min(
        MAX_HISTORY_BYTES, 2**16 + n_iter * HISTORY_BYTES_PER_EPOCH))
    weight_bytes = _read_weights(archive, layout)
    history = _parse_history(history_bytes, estimator, budget)
    return estimator, layout, weight_bytes, history


def restore_model(parts, device):
    """The fitted estimator from :func:`read_model_members`'s parts."""
    estimator, layout, weight_bytes, history = parts
    return _restore(estimator, layout, weight_bytes, history, device)


def _describe(path):
    if hasattr(path, "read"):
        return "The file object"
    return repr(os.fspath(path))


class _Budget:
    """Bytes that the arrays decoded from one file may take together."""

    def __init__(self, limit):
        self.left = limit

    def take(self, n_bytes, what):
        if n_bytes > self.left:
            raise InvalidModel(
                f"{what} would take {n_bytes} bytes, more than the "
                f"{MAX_ARRAY_BYTES} bytes all arrays of a model file may hold")
        self.left -= n_bytes


# The zip's end-of-central-directory record (APPNOTE 4.3.16): its signature,
# and bounds on the directory far above the three entries save_model writes
# (a few more are let through to be named by _check_members).
_END_RECORD = b"PK\x05\x06"
_MAX_ENTRIES = 16
_MAX_DIRECTORY_BYTES = 2**16


def _check_directory(path):
    """Refuse an archive whose central directory lists more members than
    save_model writes, before zipfile reads that directory (it builds one
    object per entry: a file of millions of empty entries would otherwise
    take gigabytes)."""
    if hasattr(path, "read"):
        start = path.tell()
        path.seek(0, os.SEEK_END)
        size = path.tell() - start
        path.seek(max(start, start + size - 2**16 - 22))
        tail = path.read(2**16 + 22)
        path.seek(start)
    else:
        with open(path, "rb") as file:
            file.seek(0, os.SEEK_END)
            size = file.tell()
            file.seek(max(0, size - 2**16 - 22))
            tail = file.read()
    at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) < at + 22:
        return  # not a zip: zipfile says so in its own words
    entries = int.from_bytes(tail[at + 10:at + 12], "little")
    directory = int.from_bytes(tail[at + 12:at + 16], "little")
    if entries == 0xFFFF or directory == 0xFFFFFFFF:
        raise InvalidModel("the archive uses ZIP64 records, which save_model "
                           "never writes (its models stay far below 4 GiB)")
    if entries > _MAX_ENTRIES or directory > _MAX_DIRECTORY_BYTES:
        raise InvalidModel(
            f"the archive lists {entries} entries in a directory of {directory} "
            f"bytes; save_model writes {len(_MEMBERS)}")


def _check_members(archive, allowed=_MEMBERS, required=_MEMBERS):
    """The archive holds the members save_model writes (``required``, and
    none but ``allowed``), once each, unencrypted, stored or deflated."""
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if len(names) != len(set(names)):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise InvalidModel(f"the archive holds {twice} more than once")
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        raise InvalidModel(f"the archive holds unexpected entries {unknown[:5]}")
    missing = sorted(set(required) - set(names))
    if missing:
        raise InvalidModel(f"entries {missing} are missing")
    for info in infos:
        if info.flag_bits & 0x1:
            raise InvalidModel(f"{info.filename} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise InvalidModel(
                f"{info.filename} uses compression method {info.compress_type}; "
                "save_model writes stored or deflated entries only")


def _read_member(archive, name, limit):
    """The bytes of member ``name``, refusing more than ``limit`` of them.

    The size in the zip's directory is checked before anything is read, and
    the read itself stops past the limit (a directory entry can lie).
    """
    size = archive.getinfo(name).file_size
    if size > limit:
        raise InvalidModel(
            f"{name} holds {size} bytes uncompressed, more than the {limit} "
            "bytes a model with these parameters can need; it was not read"
        )
    with archive.open(name) as member:
        data = member.read(limit + 1)
    if len(data) > limit or len(data) != size:
        raise InvalidModel(f"{name} does not have its size in the archive")
    return data


def _loads(data, name):
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidModel(f"{name} is unreadable JSON ({exc})") from None


def _parse_metadata(metadata_bytes):
    metadata = _loads(metadata_bytes, _METADATA)
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise InvalidModel("the metadata does not name the sklearn-rnn format")
    version = metadata.get("format_version")
    if version not in SUPPORTED_VERSIONS or isinstance(version, bool):
        raise InvalidModel(
            f"format version {version!r} is not one this sklearn-rnn reads "
            f"({', '.join(map(str, SUPPORTED_VERSIONS))}); a newer file needs a "
            "newer sklearn-rnn"
        )
    expected = {"format", "format_version", "sklearn_rnn_version",
                "torch_version", "estimator", "params", "fitted", "optimizers"}
    if set(metadata) != expected:
        raise InvalidModel(
            f"{_METADATA} must hold the keys {sorted(expected)}, found "
            f"{sorted(metadata)[:10]}")
    return metadata


def _new_estimator(metadata, budget):
    """The estimator the metadata names, with its checked parameters and
    fitted attributes set; nothing built yet."""
    classes = _estimator_classes()
    cls = classes.get(metadata.get("estimator"))
    if cls is None:
        raise InvalidModel(f"unknown estimator {metadata.get('estimator')!r}")
    params, fitted = decode_checked((metadata["params"], metadata["fitted"]),
                                    budget, "invalid parameters")
    if not (isinstance(params, dict) and isinstance(fitted, dict)):
        raise InvalidModel("params and fitted must be objects")
    if metadata["format_version"] == 1:
        _upgrade_version_1(cls, params, fitted)
    if metadata["format_version"] <= 2:
        _upgrade_version_2(cls, params, fitted)
    if metadata["format_version"] <= 3:
        _upgrade_version_3(cls, params, fitted)
    if metadata["format_version"] <= 4:
        _upgrade_version_4(cls, params, fitted)
    if metadata["format_version"] <= 5:
        _upgrade_version_5(cls, params, fitted)
    estimator = estimator_from_params(cls, params)
    check_fitted_attributes(cls._fitted_attributes, fitted)
    check_consistency(estimator, fitted)
    for key, value in fitted.items():
        setattr(estimator, key, value)
    try:
        architecture = estimator._architecture()
    except (TypeError, ValueError, KeyError) as exc:
        raise InvalidModel(f"the fitted attributes do not fit ({exc})") from None
    if fitted["_architecture_"] != architecture:
        differs = sorted(k for k in set(architecture) | set(fitted["_architecture_"])
                         if fitted["_architecture_"].get(k) != architecture.get(k))
        raise InvalidModel(
            f"the stored architecture differs from what the parameters and "
            f"fitted attributes build in {differs[:5]}")
    return estimator


def estimator_from_params(cls, params):
    """An unfitted ``cls(**params)`` from a file's decoded ``params``, each
    checked (names, types, ranges, caps) before anything is built. Raises
    :class:`InvalidModel`."""
    names = set(cls().get_params(deep=False))
    if set(params) != names:
        unknown, missing = sorted(set(params) - names), sorted(names - set(params))
        raise InvalidModel(
            f"invalid parameters (unknown {unknown[:5]}, missing {missing[:5]})")
    if params.get("callbacks"):
        raise InvalidModel("callbacks cannot be stored in a model file (its "
                           "parameter callbacks must be null)")
    head = params.get("head_hidden_sizes")
    if isinstance(head, tuple | list) and len(head) > MAX_HEAD_LAYERS:
        # Before the parameter checks, which would walk every entry.
        raise InvalidModel(f"head_hidden_sizes must have at most "
                           f"{MAX_HEAD_LAYERS} layers in a model file")
    try:
        estimator = cls(**params)
        estimator._validate_params()
        estimator._check_extra_params()
    except (TypeError, ValueError) as exc:
        raise InvalidModel(f"invalid parameters ({exc})") from None
    check_parameters(estimator)
    return estimator


def _upgrade_version_1(cls, params, fitted):
    """A version-1 regressor had no ``instance_norm_center``: its windows
    were centred on their mean, what that value rebuilds."""
    if cls.__name__ != "RNNRegressor" or "instance_norm_center" in params:
        return
    params["instance_norm_center"] = "mean"
    architecture = fitted.get("_architecture_")
    if isinstance(architecture, dict) and "instance_norm_center" not in architecture:
        architecture["instance_norm_center"] = "mean"


def _upgrade_version_2(cls, params, fitted):
    """Before version 3 the estimators' ``validation_fraction`` had no
    'auto': the stored number is the share a fit held out, the fitted
    ``validation_fraction_`` of today (checked as every attribute next).
    RNNSeq2Seq has no fit plan and no such attribute."""
    if cls.__name__ == "RNNSeq2Seq" or "validation_fraction_" in fitted:
        return
    fitted["validation_fraction_"] = params.get("validation_fraction")


def _upgrade_version_3(cls, params, fitted):
    """Before version 4 the estimators' ``alpha`` had no 'auto': the stored
    number is the penalty a fit trained with, the fitted ``alpha_`` of today
    (checked as every attribute next). RNNSeq2Seq has no fit plan."""
    if cls.__name__ == "RNNSeq2Seq" or "alpha_" in fitted:
        return
    fitted["alpha_"] = params.get("alpha")


def _upgrade_version_4(cls, params, fitted):
    """Before version 5 the regressor's ``instance_norm_center`` had no
    'auto': the stored centre is the one its windows trained with, the
    fitted ``instance_norm_center_`` of today (checked as every attribute
    next)."""
    if cls.__name__ != "RNNRegressor" or "instance_norm_center_" in fitted:
        return
    fitted["instance_norm_center_"] = params.get("instance_norm_center")


def _upgrade_version_5(cls, params, fitted):
    """Before version 6 the regressor had no ``instance_norm_scale``: its
    windows were divided by their own spread, what 'window' rebuilds (the
    parameter, the fitted ``instance_norm_scale_`` and no series scale)."""
    if cls.__name__ != "RNNRegressor":
        return
    params.setdefault("instance_norm_scale", "window")
    fitted.setdefault("instance_norm_scale_", "window")
    fitted.setdefault("_instance_norm_series_scale", None)
    architecture = fitted.get("_architecture_")
    if isinstance(architecture, dict):
        architecture.setdefault("instance_norm_series_scale", None)


def _tensor_layout(estimator, metadata, budget):
    """What the weights member must hold, and the optimiser's JSON part.

    ``{"tensors": {name: (dtype, shape)} (exact), "optimizer": rules for
    the optimiser's tensors, ...}``, all computed from checked values.
    """
    module, parameter_shapes = expected_module_tensors(estimator)
    tensors = {f"module.{k}": v for k, v in module.items()}
    tensors.update({f"criterion.{k}": v
                    for k, v in expected_criterion_tensors(estimator).items()})
    optimizer_cls, kwargs = estimator._optimizer_spec()
    state_layout, group_keys = optimizer_layout(optimizer_cls, kwargs)
    optimizers = metadata["optimizers"]
    if not isinstance(optimizers, dict) or set(optimizers) != {_OPTIMIZER}:
        raise InvalidModel(f"optimizers must hold the one optimizer "
                           f"{_OPTIMIZER!r}")
    stored = optimizers[_OPTIMIZER]
    if not isinstance(stored, dict) or set(stored) != {"param_groups", "scalars"}:
        raise InvalidModel("the optimizer state must hold param_groups and scalars")
    groups, scalars = decode_checked(
        (stored["param_groups"], stored["scalars"]), budget,
        "the optimizer state is malformed")
    n_params = len(parameter_shapes)
    _check_param_groups(groups, group_keys, n_params)
    if not isinstance(scalars, dict):
        raise InvalidModel("the optimizer's scalars must be an object")
    values = {}
    for index, fields in scalars.items():
        position = _state_index(index, n_params)
        if not isinstance(fields, dict):
            raise InvalidModel("the optimizer's scalars must be objects")
        for key, value in fields.items():
            if state_layout is None or state_layout.get(key, ("",))[0] != "value":
                raise InvalidModel(f"the optimizer state holds an unexpected "
                                   f"value {key!r}")
            if value is not None and not (
                    isinstance(value, Real) and not isinstance(value, bool)
                    and math.isfinite(value)):
                raise InvalidModel(f"the optimizer value {key!r} must be a "
                                   "finite number or null")
        values[position] = fields
    return {"tensors": tensors, "parameters": parameter_shapes,
            "state": state_layout, "groups": groups, "values": values}


def _check_param_groups(groups, reference, n_params):
    """One parameter group, with this optimiser's settings: numbers where
    it has numbers (they may have changed in training: a schedule lowers the
    rate), anything plain for its flags (replaced by its own at load)."""
    if not (isinstance(groups, list) and len(groups) == 1
            and isinstance(groups[0], dict)):
        raise InvalidModel("the optimizer must have one parameter group")
    group = groups[0]
    keys = set(reference) | {"params"}
    # A learning-rate schedule records the rate it started from.
    if not keys <= set(group) <= keys | {"initial_lr"}:
        raise InvalidModel(
            f"the optimizer's parameter group must hold the keys {sorted(keys)}")
    if group["params"] != list(range(n_params)):
        raise InvalidModel(f"the optimizer's parameter group must list the "
                           f"network's {n_params} parameters in order")
    for key, value in group.items():
        if key == "params":
            continue
        like = reference.get(key, 0.0)
        if like is None or isinstance(like, bool | str):
            # Flags (fused, foreach, ...) are never taken from a file: the
            # rebuilt optimiser keeps its own.
            if not (value is None or isinstance(value, bool | str)
                    and len(str(value)) <= 64):
                raise InvalidModel(f"the optimizer flag {key!r} must be plain")
            continue
        items = value if isinstance(value, tuple) else (value,)
        count = len(like) if isinstance(like, tuple) else 1
        if len(items) != count or not all(
                isinstance(v, Real) and not isinstance(v, bool)
                and math.isfinite(v) for v in items):
            raise InvalidModel(
                f"the optimizer setting {key!r} must be finite numbers, got "
                f"{value!r:.60}")


def _state_index(index, n_params):
    if not (isinstance(index, str) and index.isdigit() and str(int(index)) == index
            and int(index) < n_params):
        raise InvalidModel(f"the optimizer state names no parameter {index!r:.30}")
    return int(index)


def _read_weights(archive, layout):
    """The weights member, after its safetensors header has been checked
    against ``layout``: every tensor's name, dtype, shape and place, so that
    the member is read only when it holds exactly what the model needs."""
    expected = layout["tensors"]
    state_layout = layout["state"] or {}
    n_tensor_keys = sum(kind != "value" for kind, _ in state_layout.values())
    header_limit = 4096 + 512 * (len(expected)
                                 + len(layout["parameters"]) * n_tensor_keys)
    info = archive.getinfo(_WEIGHTS)
    with archive.open(_WEIGHTS) as member:
        prefix = member.read(8)
        if len(prefix) != 8:
            raise InvalidModel(f"{_WEIGHTS} is not a safetensors file")
        header_size = int.from_bytes(prefix, "little")
        if header_size > header_limit:
            raise InvalidModel(
                f"{_WEIGHTS} declares a header of {header_size} bytes, more than "
                f"the {header_limit} its tensors need; it was not read")
        header = _loads(member.read(header_size), f"the header of {_WEIGHTS}")
    if not isinstance(header, dict):
        raise InvalidModel(f"the header of {_WEIGHTS} must be an object")
    data_size = _check_header(header, layout)
    total = 8 + header_size + data_size
    if info.file_size != total:
        raise InvalidModel(
            f"{_WEIGHTS} holds {info.file_size} bytes, but its tensors take "
            f"{total}")
    return _read_member(archive, _WEIGHTS, total)


def _check_header(header, layout):
    """The data size the checked header describes."""
    expected = layout["tensors"]
    state_layout = layout["state"]
    found = {}
    spans = []
    for name, entry in header.items():
        if name in expected:
            dtype, shape = expected[name]
        elif name.startswith(f"optimizer.{_OPTIMIZER}."):
            index, _, key = name[len(f"optimizer.{_OPTIMIZER}."):].partition(".")
            position = _state_index(index, len(layout["parameters"]))
            kind, dtype = (state_layout or {}).get(key, ("value", None))
            if kind == "value":
                raise InvalidModel(f"{_WEIGHTS} holds an unexpected optimizer "
                                   f"tensor {name!r:.80}")
            shape = layout["parameters"][position] if kind == "param" else ()
            found.setdefault(position, set()).add(key)
        else:
            raise InvalidModel(f"{_WEIGHTS} holds an unexpected tensor "
                               f"{name!r:.80}")
        if not (isinstance(entry, dict) and set(entry) == {"dtype", "shape",
                                                          "data_offsets"}):
            raise InvalidModel(f"{_WEIGHTS} describes {name!r:.80} malformed")
        if entry["dtype"] != safetensors_dtype(dtype) or entry["shape"] != list(shape):
            raise InvalidModel(
                f"the tensor {name} in {_WEIGHTS} is {entry['dtype']} "
                f"{entry['shape']!r:.40}; the model needs "
                f"{safetensors_dtype(dtype)} {list(shape)}")
        offsets = entry["data_offsets"]
        n_bytes = math.prod(shape) * torch.empty((), dtype=dtype).element_size()
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(is_int(v) for v in offsets)
                and offsets[1] - offsets[0] == n_bytes):
            raise InvalidModel(f"the tensor {name} in {_WEIGHTS} has wrong offsets")
        spans.append(tuple(offsets))
    missing = sorted(set(expected) - set(header))
    if missing:
        raise InvalidModel(f"{_WEIGHTS} lacks the tensors {missing[:5]}")
    complete = {k for k, (kind, _) in (state_layout or {}).items()}
    for position in set(found) | set(layout["values"]):
        keys = found.get(position, set()) | set(layout["values"].get(position, {}))
        if keys != complete:
            raise InvalidModel(
                f"the optimizer state of parameter {position} holds "
                f"{sorted(keys)}, not {sorted(complete)}")
    spans.sort()
    end = 0
    for start, stop in spans:
        if start != end:
            raise InvalidModel(f"the tensors in {_WEIGHTS} overlap or leave gaps")
        end = stop
    return end


def _parse_history(history_bytes, estimator, budget):
    history = _loads(history_bytes, _HISTORY)
    if not isinstance(history, list) or len(history) != estimator.n_iter_:
        raise InvalidModel(f"{_HISTORY} must hold one row per epoch "
                           f"(n_iter_={estimator.n_iter_})")
    rows = []
    for row, loss in zip(history, estimator.loss_curve_, strict=True):
        if not isinstance(row, dict) or len(row) > MAX_HISTORY_KEYS:
            raise InvalidModel(f"{_HISTORY} must hold one object per epoch")
        (row,) = decode_checked((row,), budget, f"{_HISTORY} is malformed")
        if row.get("train_loss") != loss:
            raise InvalidModel(f"{_HISTORY} does not match loss_curve_")
        rows.append(row)
    return rows


def _restore(estimator, layout, weight_bytes, history, device):
    from safetensors import SafetensorError
    from safetensors.torch import load as load_tensors

    try:
        tensors = load_tensors(weight_bytes)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise InvalidModel(
            f"{_WEIGHTS} is not a safetensors file ({exc}); it was not loaded"
        ) from None
    optimizer_state = {}
    prefix = f"optimizer.{_OPTIMIZER}."
    for key, value in _with_prefix(tensors, prefix).items():
        index, _, field = key.partition(".")
        optimizer_state.setdefault(int(index), {})[field] = value
    for index, fields in layout["values"].items():
        optimizer_state.setdefault(index, {}).update(fields)
    state = {
        "attributes": {k: getattr(estimator, k)
                       for k in estimator._fitted_attributes
                       if hasattr(estimator, k)},
        "module": _with_prefix(tensors, "module."),
        "criterion": _with_prefix(tensors, "criterion."),
        "optimizers": {_OPTIMIZER: {"state": optimizer_state,
                                    "param_groups": layout["groups"]}},
        "history": history,
    }
    try:
        estimator._set_fitted_state(state, device)
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as exc:
        raise InvalidModel(f"the weights do not fit the model ({exc})") from None
    return estimator


def _with_prefix(tensors, prefix):
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}

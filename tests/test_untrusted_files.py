"""load_model on files crafted by an attacker, and how save_model writes.

Each file is built from a good model file, changed as an attacker would,
and must be refused with a ValueError naming what was wrong, before
anything large is read or built. That nothing large is read is observed
through the bytes the loader takes from the file object (a compressed
padding inflates only when read).
"""

import io
import json
import os
import stat
import zipfile

import numpy as np
import pytest
import torch
from _model_files import craft, file_members, set_at, zip_members
from _params import fast_params

from sklearn_rnn import RNNClassifier, RNNRegressor, load_model, save_model
from sklearn_rnn._state_checks import (
    CLASSIFIER_ATTRIBUTES,
    MAX_ARRAY_BYTES,
    PARAMETER_CAPS,
    REGRESSOR_ATTRIBUTES,
)

FAST = fast_params(hidden_size=4, max_iter=2, batch_size=16)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(48, 6, 2))
    y = X[:, :, 0].sum(axis=1)
    labels = np.where(y > 0, "up", "down")
    return X, y, labels


@pytest.fixture(scope="module")
def model_file(data):
    """The members of a good regressor file (Adam state included)."""
    X, y, _ = data
    return file_members(RNNRegressor(**FAST).fit(X, y))


class CountingFile(io.BytesIO):
    """A file object that counts the bytes read from it."""

    def __init__(self, blob):
        super().__init__(blob)
        self.bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def _refused(blob, message):
    source = CountingFile(blob)
    with pytest.raises(ValueError, match=message):
        load_model(source)
    return source


def test_a_good_file_loads(model_file, data):
    X, _, _ = data
    loaded = load_model(io.BytesIO(zip_members(model_file.items())))
    assert loaded.predict(X).shape == (48,)


# --------------------------------------------------------------- tensors
def test_an_optimizer_tensor_of_the_wrong_shape_is_refused_at_load(model_file):
    # Before: loaded, and the fused Adam step of partial_fit then crashed
    # the process (heap corruption) or "succeeded".
    def wrong_shape(t):
        key = next(k for k in t if k.endswith(".exp_avg") and t[k].dim() == 2)
        t[key] = torch.zeros(t[key].shape[0] + 1, t[key].shape[1])

    def fused(meta):
        meta["optimizers"]["optimizer"]["param_groups"][0]["fused"] = True

    blob = craft(model_file, tensors=wrong_shape, metadata=fused)
    _refused(blob, r"optimizer\.optimizer\.\d+\.exp_avg .* the model needs F32")


@pytest.mark.parametrize("dtype", [torch.int64, torch.float64, torch.float16])
def test_weights_of_another_dtype_are_refused(model_file, dtype):
    # Before: int64 weights loaded and predicted NaN.
    def retype(t):
        for key in t:
            if key.startswith("module."):
                t[key] = t[key].to(dtype)
    _refused(craft(model_file, tensors=retype), "the model needs F32")


@pytest.mark.parametrize("change", ["extra", "missing", "state_key", "index"])
def test_unexpected_or_missing_tensors_are_refused(model_file, change):
    def edit(t):
        if change == "extra":
            t["module.backdoor"] = torch.zeros(2)
        elif change == "missing":
            del t[next(k for k in t if k.startswith("module."))]
        elif change == "state_key":
            t["optimizer.optimizer.0.max_exp_avg_sq"] = t[
                "optimizer.optimizer.0.exp_avg"].clone()
        else:
            t["optimizer.optimizer.999.exp_avg"] = torch.zeros(1)
    message = {"extra": "unexpected tensor", "missing": "lacks the tensors",
               "state_key": "unexpected optimizer tensor",
               "index": "names no parameter"}[change]
    _refused(craft(model_file, tensors=edit), message)


def test_an_incomplete_optimizer_state_is_refused(model_file):
    def drop(t):
        del t["optimizer.optimizer.0.exp_avg_sq"]
    _refused(craft(model_file, tensors=drop),
             r"optimizer state of parameter 0 holds \['exp_avg', 'step'\]")


def test_optimizer_flags_are_never_taken_from_the_file(model_file, data):
    X, y, _ = data
    reference = load_model(io.BytesIO(zip_members(model_file.items())))
    fresh_group = reference.net_.optimizer_.param_groups[0]

    def flip(meta):
        group = meta["optimizers"]["optimizer"]["param_groups"][0]
        group.update(fused=not fresh_group["fused"], foreach=True,
                     differentiable=True, capturable=True, maximize=True)

    loaded = load_model(io.BytesIO(craft(model_file, metadata=flip)))
    group = loaded.net_.optimizer_.param_groups[0]
    for flag in ("fused", "foreach", "differentiable", "capturable", "maximize"):
        assert group[flag] == fresh_group[flag], flag
    loaded.partial_fit(X, y)  # trains with this machine's implementation


@pytest.mark.parametrize("value", [float("nan"), "fast", [1e-3]])
def test_optimizer_settings_must_be_finite_numbers(model_file, value):
    encoded = {"__float__": "nan"} if value != value else value
    _refused(craft(model_file, metadata=set_at(
        "optimizers", "optimizer", "param_groups", 0, "lr", value=encoded)),
        "optimizer setting 'lr' must be finite numbers")


# ------------------------------------------------------ caps and sizes
@pytest.mark.parametrize(
    "name, value",
    [("hidden_size", 10**5), ("ensemble_size", 10**6), ("num_layers", 10**5),
     ("conv_layers", 10**6), ("max_iter", 10**9), ("vocabulary_size", 10**9)],
)
def test_hyperparameters_above_their_caps_are_refused_before_building(
        model_file, name, value):
    # With a weights member padded to far more than the model needs: refused
    # from the metadata, before the weights are read.
    padded = model_file["weights.safetensors"] + b"\0" * (64 * 2**20)
    blob = craft(model_file, metadata=set_at("params", name, value=value),
                  weights=padded)
    source = _refused(blob, f"parameter {name}={value} is above the cap of "
                      f"{PARAMETER_CAPS[name]}")
    assert source.bytes_read < len(blob)
    assert len(blob) < 2**20  # the padding compresses away: never inflated


def test_a_head_with_a_million_layers_is_refused_at_once(model_file):
    head = {"__tuple__": [1] * 10**6}
    _refused(craft(model_file, metadata=set_at("params", "head_hidden_sizes",
                                              value=head)),
             "head_hidden_sizes must have at most 16 layers")


@pytest.mark.parametrize(
    "name, value, message",
    [("n_input_features_", 3 * 10**8, "n_input_features_ must be an integer"),
     ("n_iter_", 10**6, "n_iter_ must be an integer from 0 to 100000"),
     ("ensemble_size_", 10**6, "ensemble_size_ must be an integer"),
     ("conv_layers_", 10**6, "conv_layers_ must be an integer"),
     ("_n_outputs", True, "_n_outputs must be an integer"),
     ("_target_scale", {"__ndarray__": {"dtype": "<f8", "shape": [1],
                                        "values": [{"__float__": "nan"}]}},
      "_target_scale must hold finite numbers"),
     ("_target_scale", {"__ndarray__": {"dtype": "<f8", "shape": [1],
                                        "values": [-1.0]}},
      "_target_scale must hold positive numbers"),
     ("_target_mean", {"__ndarray__": {"dtype": "<f8", "shape": [2],
                                       "values": [0.0, 1.0]}},
      "_target_mean has 2 entries for 1 outputs"),
     ("best_loss_", "low", "best_loss_ must be a number"),
     ("device_", "cuda; rm -rf", "must name a torch device"),
     ("loss_curve_", [0.5], "loss_curve_ has 1 epochs but n_iter_ is 2"),
     ("best_loss_", -1.0, "best_loss_ is not the lowest loss"),
     ("best_validation_score_", 1e12, "best_validation_score_ is not one of"),
     ("backdoor_", 1, r"unexpected fitted attributes \['backdoor_'\]"),
     ("_architecture_", {"cell": "lstm"}, "stored architecture differs")],
)
def test_fitted_attributes_are_checked_for_type_range_and_consistency(
        model_file, name, value, message):
    _refused(craft(model_file, metadata=set_at("fitted", name, value=value)),
             message)


def test_a_missing_fitted_attribute_is_refused(model_file):
    def drop(meta):
        del meta["fitted"]["early_stopping_"]
    _refused(craft(model_file, metadata=drop),
             r"fitted attributes \['early_stopping_'\] are missing")


def test_a_huge_json_array_is_refused_before_it_is_built(model_file):
    # Before: 200,000 strings in a fitted attribute loaded (+0.75-1.2 GB)
    # and predict failed deep in numpy.
    labels = [str(i) for i in range(200_000)]
    array = {"__ndarray__": {"dtype": "<U64", "shape": [len(labels)],
                             "values": labels}}
    _refused(craft(model_file, metadata=set_at("fitted", "feature_names_in_",
                                              value=array)),
             f"more than the {MAX_ARRAY_BYTES} bytes all arrays")


def test_a_history_larger_than_its_epochs_can_need_is_not_read(model_file):
    # Before: n_iter_ = 10**6 let a 1.5 GiB history load (10-13 s, +3 GB).
    history = model_file["history.json"]
    padded = history[:1] + b" " * (256 * 2**20) + history[1:]
    blob = craft(model_file, history=padded)
    source = _refused(blob, "history.json holds .* it was not read")
    assert source.bytes_read <= len(blob) and len(blob) < 2**20


def test_a_history_must_match_the_epochs(model_file):
    rows = json.loads(model_file["history.json"])
    _refused(craft(model_file, history=json.dumps(rows[:1]).encode()),
             "one row per epoch")
    rows[0]["train_loss"] = 123.0
    _refused(craft(model_file, history=json.dumps(rows).encode()),
             "does not match loss_curve_")


def test_callbacks_in_a_file_are_refused_by_name(model_file):
    # Before: an AttributeError from skorch (nothing ran, but no refusal).
    _refused(craft(model_file, metadata=set_at("params", "callbacks",
                                              value=["os.system"])),
             "callbacks cannot be stored in a model file")


@pytest.mark.parametrize("edit, message", [
    (set_at("params", "random_state", value={"__tuple__": ["MT19937"]}),
     "random_state"),
    (lambda meta: meta["params"].pop("alpha"), r"missing \['alpha'\]"),
    (set_at("params", "learning_rate_init", value={"__float__": "inf"}),
     "learning_rate_init"),
    (set_at("surprise", value=1), "metadata.json must hold the keys"),
    (set_at("optimizers", "sgd", value={}), "one optimizer 'optimizer'"),
])
def test_other_doctored_metadata_is_refused(model_file, edit, message):
    _refused(craft(model_file, metadata=edit), message)


def test_an_optimizer_that_cannot_take_the_stored_settings_is_refused(model_file):
    # LBFGS takes no weight decay: alpha_ > 0 with it could never have
    # fitted.
    def edit(meta):
        meta["params"]["optimizer"] = {"__torch_optim__": "LBFGS"}
        meta["params"]["alpha"] = 0.1
        meta["fitted"]["alpha_"] = 0.1
    _refused(craft(model_file, metadata=edit),
             "the optimizer LBFGS cannot be built with the stored parameters")


def test_a_header_claiming_a_huge_size_is_not_read(model_file):
    weights = model_file["weights.safetensors"]
    forged = (2**40).to_bytes(8, "little") + weights[8:]
    _refused(craft(model_file, weights=forged), "declares a header of .* not read")


def test_weights_with_trailing_bytes_are_refused(model_file):
    weights = model_file["weights.safetensors"] + b"\0" * 64
    _refused(craft(model_file, weights=weights), "but its tensors take")


def _leaves(value, path=()):
    """Every key path of a JSON object, containers included."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list) and len(value) <= 4:
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))


@pytest.mark.parametrize("odd", [None, "x", -1, 10**12, 1e308, [], {}, True,
                                 {"__float__": "nan"}], ids=repr)
def test_any_metadata_value_replaced_loads_or_raises_value_error(model_file, odd):
    # Every value of the metadata, in turn, replaced by something odd: the
    # loader either loads (the value did not matter) or raises ValueError,
    # never another exception.
    meta = json.loads(model_file["metadata.json"])
    paths = [p for p in _leaves(meta) if p]
    assert len(paths) > 80
    for path in paths:
        blob = craft(model_file, metadata=set_at(*path, value=odd))
        try:
            load_model(io.BytesIO(blob))
        except ValueError:
            pass


# ------------------------------------------------------------ the zip
def test_a_member_twice_is_refused(model_file):
    members = [*model_file.items(), ("metadata.json", model_file["metadata.json"])]
    with pytest.warns(UserWarning, match="Duplicate name"):
        blob = zip_members(members)
    _refused(blob, r"holds \['metadata.json'\] more than once")


def test_unknown_members_are_refused(model_file):
    blob = zip_members([*model_file.items(), ("payload.pkl", b"\x80\x04")])
    _refused(blob, r"unexpected entries \['payload.pkl'\]")


def test_an_archive_of_many_entries_is_refused_before_its_directory_is_read(
        model_file, monkeypatch):
    members = [*model_file.items(), *((f"e{i}", b"") for i in range(5000))]
    blob = zip_members(members, compress=zipfile.ZIP_STORED)
    opened = []
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents",
                        lambda self: opened.append(True))
    _refused(blob, "the archive lists 5003 entries")
    assert not opened


def test_a_missing_history_is_refused(model_file):
    blob = zip_members([(k, v) for k, v in model_file.items() if k != "history.json"])
    _refused(blob, r"entries \['history.json'\] are missing")


def _patch_header_field(blob, name, field, value):
    """Set ``field`` ('flags' or 'method') of member ``name`` in both its
    local header and its central directory entry (the zip format's
    layout: APPNOTE 4.3.7 and 4.3.12)."""
    local_offset, central_offset = {"flags": (6, 8), "method": (8, 10)}[field]
    data = bytearray(blob)
    end = data.rindex(b"PK\x05\x06")
    count = int.from_bytes(data[end + 10:end + 12], "little")
    entry = int.from_bytes(data[end + 16:end + 20], "little")
    for _ in range(count):
        n, m, k = (int.from_bytes(data[entry + o:entry + o + 2], "little")
                   for o in (28, 30, 32))
        if data[entry + 46:entry + 46 + n] == name.encode():
            local = int.from_bytes(data[entry + 42:entry + 46], "little")
            for position in (local + local_offset, entry + central_offset):
                data[position:position + 2] = value.to_bytes(2, "little")
            return bytes(data)
        entry += 46 + n + m + k
    raise KeyError(name)


def test_an_encrypted_member_is_refused(model_file):
    # Before: RuntimeError from zipfile ("... is encrypted, password required").
    blob = zip_members(model_file.items())
    flags = zipfile.ZipFile(io.BytesIO(blob)).getinfo("metadata.json").flag_bits
    _refused(_patch_header_field(blob, "metadata.json", "flags", flags | 1),
             "metadata.json is encrypted")


def test_an_unknown_compression_method_is_refused(model_file):
    # Before: NotImplementedError from zipfile.
    blob = zip_members(model_file.items())
    _refused(_patch_header_field(blob, "metadata.json", "method", 99),
             "compression method 99")


# --------------------------------------------------- the attribute list
@pytest.mark.parametrize("make", [
    lambda X, y, labels: RNNRegressor(**FAST).fit(X[:, :, 0], y),
    lambda X, y, labels: RNNRegressor(**FAST, return_sequences=True).fit(
        X, X[:, :, :1]),
    lambda X, y, labels: RNNRegressor(**FAST, embedding_dim=3).fit(
        (np.abs(X[:, :, 0]) * 5).astype(int), y),
    lambda X, y, labels: RNNRegressor(**FAST, instance_norm=0).fit(X, y),
    lambda X, y, labels: RNNClassifier(**FAST, class_weight="balanced").fit(
        [x[: 3 + i % 3] for i, x in enumerate(X)], labels),
    lambda X, y, labels: RNNClassifier(**{**FAST, "ensemble_size": 2},
                                       conv_layers=1).fit(X, labels),
], ids=["2d", "sequences", "tokens", "instance-norm", "ragged", "ensemble"])
def test_every_fitted_attribute_is_in_the_list_and_round_trips(data, make):
    X, y, labels = data
    est = make(X, y, labels)
    schema = (CLASSIFIER_ATTRIBUTES if isinstance(est, RNNClassifier)
              else REGRESSOR_ATTRIBUTES)
    params = est.get_params(deep=False)
    assert set(vars(est)) - set(params) - {"net_"} <= set(schema)
    buffer = io.BytesIO()
    save_model(est, buffer)
    buffer.seek(0)
    loaded = load_model(buffer)
    assert set(vars(loaded)) == set(vars(est))


# ----------------------------------------------------------- save_model
@pytest.fixture
def fitted(data):
    X, y, _ = data
    return RNNRegressor(**FAST).fit(X, y)


def test_save_model_creates_files_as_open_does(fitted, tmp_path):
    previous = os.umask(0o027)
    try:
        save_model(fitted, tmp_path / "model.skrnn")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(tmp_path / "model.skrnn").st_mode) == 0o640


def test_save_model_keeps_an_existing_files_mode(fitted, tmp_path):
    path = tmp_path / "model.skrnn"
    path.write_bytes(b"old")
    os.chmod(path, 0o604)
    save_model(fitted, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o604
    assert zipfile.is_zipfile(path)
    assert sorted(os.listdir(tmp_path)) == ["model.skrnn"]


def test_save_model_writes_through_a_symlink(fitted, tmp_path, data):
    target = tmp_path / "models" / "real.skrnn"
    target.parent.mkdir()
    target.write_bytes(b"old")
    link = tmp_path / "current.skrnn"
    link.symlink_to(target)
    save_model(fitted, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    np.testing.assert_array_equal(load_model(target).predict(data[0]),
                                  fitted.predict(data[0]))
    assert sorted(os.listdir(target.parent)) == ["real.skrnn"]


def test_save_model_refuses_a_model_beyond_the_caps(data):
    X, y, _ = data
    est = RNNRegressor(**{**FAST, "max_iter": 1}).fit(X, y)
    est.set_params(max_iter=10**6)
    with pytest.raises(ValueError, match="cannot be saved: the parameter max_iter"):
        save_model(est, io.BytesIO())

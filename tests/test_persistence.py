"""save_model/load_model (safe format), pickle and joblib round trips."""

import io
import json
import pickle
import zipfile

import joblib
import numpy as np
import pytest
import torch
from _params import fast_params
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback

from sklearn_rnn import RNNClassifier, RNNRegressor, load_model, save_model
from sklearn_rnn._persistence import FORMAT_VERSION

# One network: these tests are not about ensembles (test_ensemble.py is).
FAST = fast_params(hidden_size=6, max_iter=3, batch_size=16)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(64, 7, 3))
    y = np.c_[X[:, -2:, 0].sum(axis=1), X[:, :, 1].mean(axis=1)] * 10 + 3
    labels = np.array(["cat", "dog", "eel"])[
        np.digitize(X[:, :, 0].mean(axis=1), [-0.1, 0.3])
    ]
    return X, y, labels


def _round_trip(estimator, tmp_path, **load_kwargs):
    path = tmp_path / "model.skrnn"
    assert save_model(estimator, path) == path
    return load_model(path, **load_kwargs)


def _assert_same_fitted_state(original, loaded):
    rebuilt = {"net_", "_encoder"}
    assert set(vars(loaded)) - rebuilt == set(vars(original)) - rebuilt
    assert loaded.get_params() == original.get_params()
    for key in ("n_iter_", "loss_curve_", "best_iteration_", "n_features_in_",
                "validation_scores_", "validation_loss_curve_"):
        assert getattr(loaded, key) == getattr(original, key), key
    assert (loaded.net_.history[:, "train_loss"]
            == original.net_.history[:, "train_loss"])


def test_regressor_round_trip_predicts_identically(data, tmp_path):
    X, y, _ = data
    reg = RNNRegressor(
        **FAST, head_hidden_sizes=(5,), early_stopping=True,
        learning_rate="cosine", optimizer=torch.optim.AdamW, alpha=1e-3,
        clip_grad_norm=1.0,
    ).fit(X, y)
    loaded = _round_trip(reg, tmp_path)
    assert type(loaded) is RNNRegressor
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    assert loaded.optimizer is torch.optim.AdamW
    assert loaded.head_hidden_sizes == (5,)
    assert loaded.device_ == "cpu"
    _assert_same_fitted_state(reg, loaded)
    assert loaded.score(X, y) == reg.score(X, y)


def test_classifier_round_trip_predicts_identically(data, tmp_path):
    X, _, labels = data
    clf = RNNClassifier(**FAST, class_weight="balanced", cell="gru",
                        bidirectional=True, pooling="attention").fit(X, labels)
    loaded = _round_trip(clf, tmp_path)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    assert loaded.classes_.dtype == clf.classes_.dtype
    np.testing.assert_array_equal(loaded.classes_, clf.classes_)
    # The loss weights are part of the model (they matter if training goes on).
    torch.testing.assert_close(loaded.net_.criterion_.weight,
                               clf.net_.criterion_.weight)
    _assert_same_fitted_state(clf, loaded)


def test_round_trip_keeps_integer_labels_and_dict_class_weight(data, tmp_path):
    X, _, labels = data
    y = np.searchsorted(["cat", "dog", "eel"], labels) * 10 - 5  # -5, 5, 15
    clf = RNNClassifier(**FAST, class_weight={-5: 1.0, 5: 2.0, 15: 0.5})
    loaded = _round_trip(clf.fit(X, y), tmp_path)
    assert loaded.get_params()["class_weight"] == {-5: 1.0, 5: 2.0, 15: 0.5}
    assert loaded.classes_.tolist() == [-5, 5, 15]
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))


def test_round_trip_of_2d_dataframe_input_keeps_feature_names(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(1)
    X = pd.DataFrame(rng.normal(size=(40, 5)), columns=list("abcde"))
    reg = RNNRegressor(**FAST, optimizer="sgd").fit(X, X.to_numpy().sum(axis=1))
    loaded = _round_trip(reg, tmp_path)
    assert loaded.feature_names_in_.tolist() == list("abcde")
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(X.rename(columns={"a": "z"}))


def test_round_trip_of_variable_length_sequence_outputs(tmp_path):
    rng = np.random.RandomState(2)
    X = [rng.normal(size=(t, 2)) for t in rng.randint(3, 9, size=30)]
    y = [x[:, 0].cumsum() for x in X]
    reg = RNNRegressor(**FAST, return_sequences=True).fit(X, y)
    loaded = _round_trip(reg, tmp_path)
    for got, expected in zip(loaded.predict(X), reg.predict(X), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_file_is_a_zip_of_safetensors_and_json(data):
    X, y, _ = data
    reg = RNNRegressor(**FAST).fit(X, y)
    buffer = io.BytesIO()
    save_model(reg, buffer)
    with zipfile.ZipFile(buffer) as archive:
        assert set(archive.namelist()) == {
            "metadata.json", "weights.safetensors", "history.json",
        }
        metadata = json.loads(archive.read("metadata.json"))
        tensors = load_tensors(archive.read("weights.safetensors"))
    assert metadata["estimator"] == "RNNRegressor"
    assert metadata["format_version"] == FORMAT_VERSION
    assert metadata["params"]["hidden_size"] == 6
    state = reg.net_.module_.state_dict()
    for key, value in state.items():
        torch.testing.assert_close(tensors["module." + key], value.cpu())
    # Input standardisation is a module buffer: it travels with the weights.
    assert "module.input_mean" in tensors


def test_load_leaves_the_global_torch_random_state_alone(data, tmp_path):
    X, y, _ = data
    reg = RNNRegressor(**FAST).fit(X, y)
    path = tmp_path / "model"
    save_model(reg, path)
    before = torch.random.get_rng_state()
    load_model(path)
    assert torch.equal(torch.random.get_rng_state(), before)


def _rewrite(path, target, *, metadata=None, weights=None):
    """Copy the model at ``path`` to ``target`` with entries replaced."""
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    if metadata is not None:
        meta = json.loads(entries["metadata.json"])
        metadata(meta)
        entries["metadata.json"] = json.dumps(meta).encode()
    if weights is not None:
        entries["weights.safetensors"] = weights
    with zipfile.ZipFile(target, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return target


def test_model_saved_on_a_gpu_loads_on_a_cpu_only_machine(
    data, tmp_path, monkeypatch
):
    # A file written on a GPU differs only in the recorded device (tensors
    # are moved to the CPU before they are written): record a CUDA device
    # and load where CUDA is absent.
    X, _, labels = data
    clf = RNNClassifier(**FAST).fit(X, labels)
    path = tmp_path / "cpu.skrnn"
    save_model(clf, path)

    def on_gpu(meta):
        meta["params"]["device"] = "cuda"
        meta["fitted"]["device_"] = "cuda:0"

    gpu_file = _rewrite(path, tmp_path / "gpu.skrnn", metadata=on_gpu)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = load_model(gpu_file)
    assert loaded.device_ == "cpu"
    assert loaded.device == "cuda"  # the parameter is kept as saved
    assert {p.device.type for p in loaded.net_.module_.parameters()} == {"cpu"}
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert load_model(gpu_file, device="cpu").device_ == "cpu"
    with pytest.raises(ValueError, match="CUDA is not available"):
        load_model(gpu_file, device="cuda")


class _Payload:
    """Unpickling this opens (creates) a file: stands for any code."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_pickle_in_place_of_the_weights_is_never_executed(data, tmp_path):
    X, y, _ = data
    path = tmp_path / "model.skrnn"
    save_model(RNNRegressor(**FAST).fit(X, y), path)
    marker = tmp_path / "pwned"
    malicious = pickle.dumps({"module.rnn.weight_ih_l0": _Payload(marker)})
    # The payload is live: unpickling it creates its file.
    probe = tmp_path / "probe"
    pickle.loads(pickle.dumps(_Payload(probe))).close()
    assert probe.exists()

    torch_file = io.BytesIO()
    torch.save({"module.rnn.weight_ih_l0": _Payload(marker)}, torch_file)
    for n, blob in enumerate([malicious, torch_file.getvalue()]):
        bad = _rewrite(path, tmp_path / f"bad{n}.skrnn", weights=blob)
        with pytest.raises(ValueError, match="model file: weights.safetensors"):
            load_model(bad)
    assert not marker.exists()


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda b: b[: len(b) // 2], "not a valid sklearn-rnn model"),
        (lambda b: b"", "not a valid sklearn-rnn model"),
        (lambda b: np.random.RandomState(0).bytes(len(b)),
         "not a valid sklearn-rnn model"),
    ],
    ids=["truncated", "empty", "random-bytes"],
)
def test_corrupted_files_raise_a_clear_value_error(data, tmp_path, corrupt, message):
    X, y, _ = data
    path = tmp_path / "model.skrnn"
    save_model(RNNRegressor(**FAST).fit(X, y), path)
    path.write_bytes(corrupt(path.read_bytes()))
    with pytest.raises(ValueError, match=message):
        load_model(path)


def _set(path, value):
    def edit(meta):
        *parents, leaf = path
        target = meta
        for key in parents:
            target = target[key]
        target[leaf] = value

    return edit


@pytest.mark.parametrize(
    "edit, message",
    [
        (_set(["format"], "something-else"), "does not name the sklearn-rnn"),
        (_set(["format_version"], FORMAT_VERSION + 1), "not one this sklearn"),
        (_set(["format_version"], 0), "not one this sklearn"),
        (_set(["estimator"], "os.system"), "unknown estimator"),
        (_set(["params", "hidden_size"], 7), "stored architecture differs"),
        (_set(["params", "hidden_size"], 10**9), "above the cap"),
        (_set(["params", "ensemble_size"], 10**9), "above the cap"),
        (_set(["params", "hidden_size"], "six"), "invalid parameters"),
        (_set(["params", "no_such_param"], 1), "invalid parameters"),
        (_set(["params", "optimizer"], {"__torch_optim__": "load"}),
         "invalid parameters"),
        (_set(["fitted", "predict"], 1), "unexpected fitted attribute"),
        (_set(["fitted", "__class__"], 1), "malformed tagged object"),
        (lambda meta: meta["fitted"].pop("_target_mean"), "are missing"),
        (_set(["fitted", "_target_mean"],
               {"__ndarray__": {"dtype": "<U100000", "shape": [1],
                                "values": ["x"]}}),
         "not supported"),
    ],
)
def test_doctored_metadata_is_refused(data, tmp_path, edit, message):
    X, y, _ = data
    path = tmp_path / "model.skrnn"
    save_model(RNNRegressor(**FAST).fit(X, y), path)
    bad = _rewrite(path, tmp_path / "bad.skrnn", metadata=edit)
    with pytest.raises(ValueError, match=message):
        load_model(bad)


def test_missing_entry_and_wrong_tensor_shapes_are_refused(data, tmp_path):
    X, y, _ = data
    path = tmp_path / "model.skrnn"
    save_model(RNNRegressor(**FAST).fit(X, y), path)
    with zipfile.ZipFile(path) as archive:
        tensors = load_tensors(archive.read("weights.safetensors"))
        metadata = archive.read("metadata.json")
    no_weights = tmp_path / "no_weights.skrnn"
    with zipfile.ZipFile(no_weights, "w") as archive:
        archive.writestr("metadata.json", metadata)
    with pytest.raises(ValueError, match="missing"):
        load_model(no_weights)
    tensors["module.head.0.weight"] = torch.zeros(3, 3)
    bad = _rewrite(path, tmp_path / "bad.skrnn", weights=save_tensors(tensors))
    with pytest.raises(ValueError, match=r"head.0.weight .* is F32 \[3, 3\]; the "
                       "model needs F32"):
        load_model(bad)


class _CountEpochs(Callback):
    def on_epoch_end(self, net, **kwargs):
        pass


class _MyAdam(torch.optim.Adam):
    pass


@pytest.mark.parametrize(
    "params, name",
    [
        ({"callbacks": [_CountEpochs()]}, "callbacks"),
        ({"random_state": np.random.RandomState(0)}, "random_state"),
        ({"optimizer": _MyAdam}, "optimizer"),
    ],
)
def test_parameters_that_are_not_plain_data_are_refused(data, params, name):
    X, y, _ = data
    reg = RNNRegressor(**{**FAST, **params}).fit(X, y)
    with pytest.raises(ValueError, match=f"Parameter {name}=.*cannot be stored"):
        save_model(reg, io.BytesIO())
    # The fix the message suggests works (these only matter while fitting).
    if name != "optimizer":
        reg.set_params(**{name: None})
        save_model(reg, io.BytesIO())


def test_save_refuses_unfitted_and_foreign_estimators(data):
    with pytest.raises(NotFittedError):
        save_model(RNNRegressor(), io.BytesIO())

    class MyRegressor(RNNRegressor):
        pass

    X, y, _ = data
    with pytest.raises(TypeError, match="save_model supports"):
        save_model(MyRegressor(**FAST).fit(X, y), io.BytesIO())


def test_save_replaces_an_existing_file_without_leftovers(data, tmp_path):
    X, y, _ = data
    path = tmp_path / "model.skrnn"
    path.write_bytes(b"old")
    save_model(RNNRegressor(**FAST).fit(X, y), str(path))
    assert [p.name for p in tmp_path.iterdir()] == ["model.skrnn"]
    assert load_model(str(path)).n_iter_ == 3


def test_training_continues_after_load_as_it_would_have(data, tmp_path):
    X, y, _ = data
    reg = RNNRegressor(**FAST, learning_rate="adaptive").fit(X, y)
    loaded = _round_trip(reg, tmp_path)
    # The optimiser state (Adam moments, scheduled rate) is restored too, so
    # one more epoch gives the same weights as on the original.
    reg.partial_fit(X, y)
    loaded.partial_fit(X, y)
    assert loaded.n_iter_ == reg.n_iter_ == 4
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))


@pytest.mark.parametrize(
    "dump, load",
    [
        (pickle.dumps, pickle.loads),
        (lambda est: _joblib_bytes(est), lambda blob: joblib.load(io.BytesIO(blob))),
    ],
    ids=["pickle", "joblib"],
)
def test_pickle_and_joblib_round_trips_predict_identically(data, dump, load):
    X, y, labels = data
    reg = RNNRegressor(**FAST, verbose=1).fit(X, y)
    clf = RNNClassifier(**FAST, early_stopping=True).fit(X, labels)
    reg2, clf2 = load(dump(reg)), load(dump(clf))
    np.testing.assert_array_equal(reg2.predict(X), reg.predict(X))
    np.testing.assert_array_equal(clf2.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(clf2.predict(X), clf.predict(X))
    assert clf2.validation_scores_ == clf.validation_scores_


def _joblib_bytes(estimator):
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    return buffer.getvalue()


def test_a_version_1_regressor_file_loads_with_windows_centred_on_their_mean():
    """Format version 1 had no instance_norm_center: its windows were
    centred on their mean, what such a file still loads as."""
    from _model_files import craft, file_members

    from sklearn_rnn import make_windows

    series = np.sin(np.arange(200) * 0.2) + np.arange(200) * 0.01
    X, y = make_windows(series, 10)
    reg = RNNRegressor(**FAST, instance_norm_center="mean").fit(X, y)
    assert reg.instance_norm_feature_ == 0

    def as_version_1(meta):
        meta["format_version"] = 1
        del meta["params"]["instance_norm_center"]
        del meta["fitted"]["_architecture_"]["instance_norm_center"]
        meta["params"]["validation_fraction"] = 0.1
        del meta["fitted"]["validation_fraction_"]
        meta["params"]["alpha"] = 0.0
        del meta["fitted"]["alpha_"]

    data = craft(file_members(reg), metadata=as_version_1)
    loaded = load_model(io.BytesIO(data))
    assert loaded.instance_norm_center == "mean"
    assert loaded.validation_fraction_ == 0.1
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))


@pytest.mark.parametrize("Estimator", [RNNRegressor, RNNClassifier])
def test_a_version_2_file_loads_with_the_tail_it_was_fitted_with(Estimator, data):
    """Before version 3 validation_fraction was a number and there was no
    validation_fraction_: the number is what the fit held out."""
    from _model_files import craft, file_members

    X, y, labels = data
    y = y if Estimator is RNNRegressor else labels
    model = Estimator(**FAST, early_stopping=True).fit(X, y)

    def as_version_2(meta, fraction=0.25):
        meta["format_version"] = 2
        meta["params"]["validation_fraction"] = fraction
        del meta["fitted"]["validation_fraction_"]
        meta["params"]["alpha"] = 0.0
        del meta["fitted"]["alpha_"]

    loaded = load_model(io.BytesIO(craft(file_members(model),
                                         metadata=as_version_2)))
    assert loaded.validation_fraction == loaded.validation_fraction_ == 0.25
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    # A version-2 file could not say 'auto'; a version-3 one must hold the
    # attribute.
    for doctor in (lambda meta: as_version_2(meta, "auto"),
                   lambda meta: meta["fitted"].pop("validation_fraction_")):
        with pytest.raises(ValueError, match="validation_fraction_"):
            load_model(io.BytesIO(craft(file_members(model), metadata=doctor)))


@pytest.mark.parametrize("Estimator", [RNNRegressor, RNNClassifier])
def test_a_version_3_file_loads_with_the_penalty_it_was_fitted_with(Estimator, data):
    """Before version 4 alpha was a number and there was no alpha_: the
    number is the penalty the fit trained with."""
    from _model_files import craft, file_members

    X, y, labels = data
    y = y if Estimator is RNNRegressor else labels
    model = Estimator(**FAST, alpha=0.5).fit(X, y)
    assert model.alpha_ == 0.5

    def as_version_3(meta, alpha=0.5):
        meta["format_version"] = 3
        meta["params"]["alpha"] = alpha
        del meta["fitted"]["alpha_"]

    loaded = load_model(io.BytesIO(craft(file_members(model),
                                         metadata=as_version_3)))
    assert loaded.alpha == loaded.alpha_ == 0.5
    assert loaded._optimizer_spec()[1]["weight_decay"] == 0.5 / model.batch_size_
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    # A version-3 file could not say 'auto'; a version-4 one must hold the
    # attribute, a number of at least 0.
    for doctor in (lambda meta: as_version_3(meta, "auto"),
                   lambda meta: meta["fitted"].pop("alpha_"),
                   lambda meta: meta["fitted"].update(alpha_=-1.0)):
        with pytest.raises(ValueError, match="alpha_"):
            load_model(io.BytesIO(craft(file_members(model), metadata=doctor)))


@pytest.mark.parametrize("center", ["last", "mean"])
def test_a_version_4_regressor_file_loads_with_the_centre_it_was_fitted_with(center):
    """Before version 5 instance_norm_center had no 'auto' and there was no
    instance_norm_center_: the stored centre is the one the windows
    trained with."""
    from _model_files import craft, file_members

    from sklearn_rnn import make_windows

    series = np.sin(np.arange(200) * 0.2) + np.arange(200) * 0.01
    X, y = make_windows(series, 10)
    reg = RNNRegressor(**FAST, instance_norm_center=center).fit(X, y)
    assert reg.instance_norm_center_ == center

    def as_version_4(meta, stored=center):
        meta["format_version"] = 4
        meta["params"]["instance_norm_center"] = stored
        del meta["fitted"]["instance_norm_center_"]

    loaded = load_model(io.BytesIO(craft(file_members(reg), metadata=as_version_4)))
    assert loaded.instance_norm_center == loaded.instance_norm_center_ == center
    assert loaded.net_.module_.instance_norm_center == center
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    # A version-4 file could not say 'auto'; a version-5 one must hold the
    # attribute, one of the two centres.
    for doctor in (lambda meta: as_version_4(meta, "auto"),
                   lambda meta: meta["fitted"].pop("instance_norm_center_"),
                   lambda meta: meta["fitted"].update(instance_norm_center_="median")):
        with pytest.raises(ValueError, match="instance_norm_center_"):
            load_model(io.BytesIO(craft(file_members(reg), metadata=doctor)))


def test_the_auto_centre_survives_a_round_trip():
    from sklearn_rnn import make_windows

    t = np.arange(150)
    series = 10 + np.sin(2 * np.pi * t / 12) + 0.05 * np.random.RandomState(0).normal(
        size=150)
    X, y = make_windows(series, 24)
    reg = RNNRegressor(**FAST).fit(X, y)
    assert reg.instance_norm_center == "auto" and reg.instance_norm_center_ == "mean"
    buffer = io.BytesIO()
    save_model(reg, buffer)
    loaded = load_model(io.BytesIO(buffer.getvalue()))
    assert loaded.instance_norm_center_ == "mean"
    assert loaded.net_.module_.instance_norm_center == "mean"
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))


def test_a_version_5_regressor_file_loads_with_windows_divided_by_their_spread():
    """Before version 6 there was no instance_norm_scale: every window was
    divided by its own spread, what such a file still loads as ('window')."""
    from _model_files import craft, file_members

    from sklearn_rnn import make_windows

    series = np.sin(np.arange(200) * 0.2) + np.arange(200) * 0.01
    X, y = make_windows(series, 10)
    reg = RNNRegressor(**FAST, instance_norm_scale="window").fit(X, y)

    def as_version_5(meta):
        meta["format_version"] = 5
        del meta["params"]["instance_norm_scale"]
        del meta["fitted"]["instance_norm_scale_"]
        meta["fitted"].pop("_instance_norm_series_scale", None)
        del meta["fitted"]["_architecture_"]["instance_norm_series_scale"]

    loaded = load_model(io.BytesIO(craft(file_members(reg), metadata=as_version_5)))
    assert loaded.instance_norm_scale == loaded.instance_norm_scale_ == "window"
    assert loaded.net_.module_.instance_norm_series_scale is None
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))


def test_the_series_scale_survives_a_round_trip_and_is_checked():
    from _model_files import craft, file_members

    from sklearn_rnn import make_windows

    rng = np.random.RandomState(0)
    X, y = make_windows(np.sin(np.arange(200) * 0.2) + 0.1 * rng.normal(size=200), 10)
    reg = RNNRegressor(**FAST).fit(X, y)
    assert reg.instance_norm_scale_ == "series"
    scale = reg._instance_norm_series_scale
    loaded = load_model(io.BytesIO(craft(file_members(reg))))
    assert loaded.instance_norm_scale_ == "series"
    assert loaded.net_.module_.instance_norm_series_scale == scale
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    # A stranger's file: the kind, the scale (a positive finite number) and
    # the architecture built from it are checked before anything is built.
    doctors = {
        "instance_norm_scale_": [
            lambda meta: meta["fitted"].pop("instance_norm_scale_"),
            lambda meta: meta["fitted"].update(instance_norm_scale_="median")],
        "_instance_norm_series_scale": [
            lambda meta: meta["fitted"].update(_instance_norm_series_scale=-1.0),
            lambda meta: meta["fitted"].update(_instance_norm_series_scale=0.0),
            lambda meta: meta["fitted"].update(_instance_norm_series_scale="big")],
        "architecture differs": [
            lambda meta: meta["fitted"]["_architecture_"].update(
                instance_norm_series_scale=2 * scale)],
        # The kind and the scale go together (a 'series' model without its
        # scale, a 'window' one with a scale).
        "only with it": [
            lambda meta: meta["fitted"].update(_instance_norm_series_scale=None),
            lambda meta: meta["fitted"].update(instance_norm_scale_="window")],
    }
    for match, crafts in doctors.items():
        for doctor in crafts:
            with pytest.raises(ValueError, match=match):
                load_model(io.BytesIO(craft(file_members(reg), metadata=doctor)))

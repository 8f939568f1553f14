"""One home for the fitted state: warm start, partial_fit, validation scoring,
pickle and save_model/load_model agree (issue 10's reproduced defects)."""

import ast
import inspect
import io
import pickle
import re
import zipfile

import numpy as np
import pytest
import torch
from _params import fast_params

from sklearn_rnn import RNNClassifier, RNNRegressor, load_model, save_model
from sklearn_rnn._base import BaseRNN

# One network: these tests are not about ensembles (test_ensemble.py is).
FAST = fast_params(hidden_size=8, batch_size=16)


@pytest.fixture(scope="module")
def series():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 6))
    return X, X[:, -2:].sum(axis=1)


def _lr(est):
    return est.net_.optimizer_.param_groups[0]["lr"]


# ------------------------------------------------------------ warm start
def test_warm_start_trains_with_the_current_parameters(series):
    X, y = series
    reg = RNNRegressor(**FAST, warm_start=True, max_iter=2).fit(X, y)
    assert _lr(reg) == pytest.approx(1e-3)
    assert "clip_grad_norm" not in dict(reg.net_.callbacks_)
    reg.set_params(learning_rate_init=0.05, clip_grad_norm=1.0).fit(X, y)
    assert _lr(reg) == pytest.approx(0.05)
    assert dict(reg.net_.callbacks_)["clip_grad_norm"].gradient_clip_value == 1.0
    assert reg.n_iter_ == 4


def test_warm_start_that_turns_early_stopping_on_scores_validation(series):
    X, y = series
    reg = RNNRegressor(**FAST, warm_start=True, max_iter=2).fit(X, y)
    assert reg.validation_scores_ is None
    reg.set_params(early_stopping=True).fit(X, y)
    assert len(reg.validation_scores_) == 2
    assert np.isfinite(reg.validation_scores_).all()


def test_warm_start_restarts_the_cosine_schedule(series):
    # Before: the second fit raised KeyError 'initial_lr' (skorch resumed the
    # schedule from the history on the warm start's new optimiser).
    X, y = series
    reg = RNNRegressor(**FAST, max_iter=3, learning_rate="cosine",
                       learning_rate_init=0.01, warm_start=True).fit(X, y)
    first = reg.net_.history[:, "event_lr"]
    reg.fit(X, y)
    assert reg.net_.history[:, "event_lr"] == first + first


def test_warm_start_keeps_the_weights(series):
    X, y = series
    reg = RNNRegressor(**FAST, warm_start=True, max_iter=3).fit(X, y)
    before = {k: v.clone() for k, v in reg.net_.module_.state_dict().items()}
    # max_iter=1 with a zero learning rate: the weights must be the old ones.
    reg.set_params(max_iter=1, optimizer="sgd", learning_rate_init=1e-12,
                   momentum=0.0).fit(X, y)
    for key, value in reg.net_.module_.state_dict().items():
        torch.testing.assert_close(value, before[key], atol=1e-9, rtol=0)


@pytest.mark.parametrize(
    "change",
    [{"cell": "lstm"}, {"hidden_size": 4}, {"num_layers": 2},
     {"bidirectional": True}, {"pooling": "attention"},
     {"head_hidden_sizes": (4,)}],
    ids=lambda change: next(iter(change)),
)
def test_warm_start_refuses_a_new_architecture_naming_it(series, change):
    X, y = series
    reg = RNNRegressor(**FAST, warm_start=True, max_iter=1).fit(X, y)
    (name, value), = change.items()
    with pytest.raises(ValueError, match=rf"{name} .* -> {re.escape(repr(value))}"):
        reg.set_params(**change).fit(X, y)
    # A new fit without warm start is always possible.
    reg.set_params(warm_start=False).fit(X, y)


def test_a_failed_warm_start_leaves_the_model_alone(series):
    X, y = series
    reg = RNNRegressor(**FAST, warm_start=True, max_iter=2).fit(X, y)
    before = reg.predict(X)
    with pytest.raises(ValueError, match="hidden_size"):
        reg.set_params(hidden_size=3).fit(X, y)
    np.testing.assert_array_equal(reg.set_params(hidden_size=8).predict(X), before)


# ----------------------------------------------------------- partial_fit
def test_partial_fit_refuses_early_stopping_as_mlp_does(series):
    X, y = series
    reg = RNNRegressor(**FAST, max_iter=2, early_stopping=True).fit(X, y)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopp"):
        reg.partial_fit(X[:60], y[:60])
    # Switched off, it trains on every row it is given.
    reg.set_params(early_stopping=False).partial_fit(X[:60], y[:60])
    assert reg.net_.history[-1, "train_batch_count"] == 4  # 60 rows / 16


def test_partial_fit_continues_the_optimizer_and_honours_a_new_rate(series):
    X, y = series
    reg = RNNRegressor(**FAST).partial_fit(X, y)
    steps = reg.net_.optimizer_.state_dict()["state"][0]["step"]
    reg.partial_fit(X, y)
    assert reg.net_.optimizer_.state_dict()["state"][0]["step"] == 2 * steps
    reg.set_params(learning_rate_init=0.02).partial_fit(X, y)
    assert _lr(reg) == pytest.approx(0.02)
    assert reg.net_.optimizer_.state_dict()["state"][0]["step"] == 3 * steps


# ------------------------------------------------------------- scoring
@pytest.fixture(scope="module")
def tagged_sequences():
    """300 sequences of 3-29 steps with a target per step."""
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(int(n), 2)) for n in rng.randint(3, 30, size=300)]
    y = [np.cumsum(x[:, 0]) for x in X]
    return X, y


def test_validation_score_of_variable_length_sequence_targets(tagged_sequences):
    X, y = tagged_sequences
    reg = RNNRegressor(**{**FAST, "batch_size": 8}, max_iter=3,
                       return_sequences=True, early_stopping=True)
    reg.fit(X[:240], y[:240], X_val=X[240:], y_val=y[240:])
    assert len(reg.validation_scores_) == reg.n_iter_
    # The validation score is the score() of the kept weights on X_val.
    kept = reg.best_iteration_ - 1
    assert reg.validation_scores_[kept] == pytest.approx(
        reg.score(X[240:], y[240:]), abs=1e-5)


def test_validation_score_is_weighted_like_score(series):
    X, y = series
    rng = np.random.RandomState(1)
    weights = rng.uniform(0, 2, size=20)
    clf_y = np.where(y > 0, "up", "down")
    for est, target in ((RNNRegressor, y), (RNNClassifier, clf_y)):
        model = est(**FAST, max_iter=2, early_stopping=True, n_iter_no_change=5)
        model.fit(X[:60], target[:60], X_val=X[60:], y_val=target[60:],
                  sample_weight_val=weights)
        assert model.validation_scores_[-1] == pytest.approx(
            model.score(X[60:], target[60:], sample_weight=weights), abs=1e-5)


def test_score_of_sequence_outputs_counts_valid_steps_only(tagged_sequences):
    from sklearn.metrics import r2_score

    X, y = tagged_sequences
    reg = RNNRegressor(**FAST, max_iter=2, return_sequences=True).fit(X, y)
    pred = reg.predict(X[:50])
    expected = r2_score(np.concatenate(y[:50]), np.concatenate(pred))
    assert reg.score(X[:50], y[:50]) == pytest.approx(expected, rel=1e-6)


# -------------------------------------------------- batch composition
@pytest.mark.parametrize("Est", [RNNRegressor, RNNClassifier])
def test_a_rows_prediction_does_not_depend_on_the_other_rows(Est):
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(300, 5)) * 3
    y = X.sum(axis=1)
    if Est is RNNClassifier:
        y = (y > np.median(y)).astype(int)
    est = Est(random_state=0, max_iter=2).fit(X, y)
    method = est.predict_proba if Est is RNNClassifier else est.predict
    full = method(X)
    one_by_one = np.concatenate([method(X[i : i + 1]) for i in range(0, 300, 7)])
    np.testing.assert_array_equal(full[::7], one_by_one)


# --------------------------------------------- pickle and persistence
def test_pickle_rebuilds_the_net_from_the_state(series):
    X, y = series
    reg = RNNRegressor(**FAST, max_iter=2).fit(X, y)
    blob = pickle.dumps(reg)
    assert b"skorch.net" not in blob and b"SequenceNet" not in blob
    loaded = pickle.loads(blob)
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    # Training continues exactly as on the original (optimiser state kept).
    reg.partial_fit(X, y)
    loaded.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))


def test_fitted_state_round_trip_through_the_method_pair(series):
    X, y = series
    clf = RNNClassifier(**FAST, max_iter=2).fit(X, np.where(y > 0, "a", "b"))
    state = clf._get_fitted_state()
    assert set(state) == {"attributes", "module", "criterion", "optimizers",
                          "history"}
    assert "net_" not in state["attributes"]
    other = RNNClassifier(**FAST, max_iter=2)._set_fitted_state(state)
    np.testing.assert_array_equal(other.predict_proba(X), clf.predict_proba(X))
    assert other.n_iter_ == clf.n_iter_ == len(other.net_.history)


def _model_bytes(series):
    X, y = series
    buffer = io.BytesIO()
    save_model(RNNRegressor(**FAST, max_iter=2).fit(X, y), buffer)
    return buffer.getvalue()


def _rewrite(blob, **members):
    source = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            data = members.get(name, source.read(name))
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


@pytest.mark.parametrize("member", ["history.json", "metadata.json"])
def test_load_model_refuses_an_oversized_member_before_reading_it(series, member):
    blob = _model_bytes(series)
    original = zipfile.ZipFile(io.BytesIO(blob)).read(member)
    # Valid JSON padded with whitespace: tiny compressed, huge inflated.
    padded = original[:1] + b" " * (64 * 2**20) + original[1:]
    bomb = _rewrite(blob, **{member: padded})
    assert len(bomb) < 2**20
    with pytest.raises(ValueError, match=f"{member} holds .* bytes a model"):
        load_model(io.BytesIO(bomb))


def test_load_model_refuses_weights_larger_than_the_parameters_imply(series):
    blob = _model_bytes(series)
    weights = zipfile.ZipFile(io.BytesIO(blob)).read("weights.safetensors")
    bomb = _rewrite(blob, **{"weights.safetensors": weights + b"\0" * (8 * 2**20)})
    with pytest.raises(ValueError, match="weights.safetensors holds"):
        load_model(io.BytesIO(bomb))


def test_load_model_reads_a_member_no_further_than_its_directory_size(series):
    blob = bytearray(_model_bytes(series))
    # Understate history.json's size in the central directory: the read
    # stops at that size and the zip's CRC check refuses the member.
    archive = zipfile.ZipFile(io.BytesIO(bytes(blob)))
    info = archive.getinfo("history.json")
    with pytest.raises(ValueError, match="not a valid sklearn-rnn model"):
        patched = bytes(blob).replace(
            info.file_size.to_bytes(4, "little"), (1).to_bytes(4, "little"))
        load_model(io.BytesIO(patched))


# ------------------------------------------------------- the contract
def test_the_base_class_states_its_contract_as_abstract_methods():
    assert inspect.isabstract(BaseRNN)
    assert BaseRNN.__abstractmethods__ == {
        "_encode_y", "_criterion", "_score_outputs", "predict"}
    for Est in (RNNRegressor, RNNClassifier):
        assert not inspect.isabstract(Est)
        # fit is written once, in the base class.
        assert Est.fit is BaseRNN.fit


@pytest.mark.parametrize("Est", [RNNRegressor, RNNClassifier])
def test_defaults_agree_with_the_base_signature_and_the_docstring(Est):
    base = inspect.signature(BaseRNN.__init__).parameters
    own = inspect.signature(Est.__init__).parameters
    for name, parameter in base.items():
        if name == "self":
            continue
        assert own[name].default == parameter.default, name
        assert own[name].kind == parameter.kind, name
    for name, parameter in own.items():
        if name == "self":
            continue
        match = re.search(rf"^    {name} : .*default=(.+)$", Est.__doc__, re.M)
        assert match, f"{name} is not documented with its default"
        documented = ast.literal_eval(match.group(1).strip())
        assert documented == parameter.default, (name, documented)

"""RNNSeq2Seq: encoder-decoder with outputs of another length than the input."""

import io
import pickle

import numpy as np
import pytest
import torch
from _model_files import craft, file_members
from _params import fast_params
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback

from sklearn_rnn import (
    RNNSeq2Seq,
    SequenceVectorizer,
    load_model,
    plot_loss_curve,
    to_onnx,
)
from sklearn_rnn._seq2seq_module import IGNORE_ID, Seq2SeqNetwork

FAST = fast_params(hidden_size=16, max_iter=5, batch_size=8, learning_rate_init=1e-2,
                   omit=('ensemble_size',))


def reverse_task(n=48, seed=0):
    """Token ids (2-4, lengths 1-3) and their reversal as letters, with the
    id 4 dropped: outputs of another length than the inputs (empty ones
    included)."""
    rng = np.random.RandomState(seed)
    X = [rng.randint(2, 5, size=rng.randint(1, 4)) for _ in range(n)]
    letters = {2: "a", 3: "b"}
    Y = [[letters[t] for t in x[::-1] if t in letters] for x in X]
    return X, Y


@pytest.fixture(scope="module")
def task():
    return reverse_task()


@pytest.fixture(scope="module")
def fitted(task):
    X, Y = task
    return RNNSeq2Seq(embedding_dim=4, **FAST).fit(X, Y)


def test_learns_a_task_with_outputs_of_other_lengths():
    X, Y = reverse_task(64)
    model = RNNSeq2Seq(embedding_dim=8, hidden_size=32, max_iter=60,
                       batch_size=16, learning_rate_init=1e-2, random_state=0)
    model.fit(X, Y)
    assert model.score(X, Y) >= 0.9
    assert model.classes_.tolist() == ["a", "b"]
    assert model.max_output_length_ == 3
    assert model.n_iter_ == len(model.loss_curve_) <= 60
    assert model.loss_curve_[-1] < model.loss_curve_[0]


def test_predict_returns_one_label_array_per_row(task, fitted):
    X, _ = task
    Y_pred = fitted.predict(X)
    assert isinstance(Y_pred, np.ndarray) and Y_pred.dtype == object
    assert Y_pred.shape == (len(X),)
    for row in Y_pred:
        assert row.ndim == 1
        assert len(row) <= fitted.max_output_length_
        assert set(row.tolist()) <= set(fitted.classes_.tolist())


def test_score_is_the_exact_match_share_of_predict(task, fitted):
    X, Y = task
    Y_pred = fitted.predict(X)
    expected = np.mean([list(p) == list(y) for p, y in zip(Y_pred, Y, strict=True)])
    assert fitted.score(X, Y) == pytest.approx(expected)
    # The model's own predictions score 1; a label never seen in fit scores 0.
    assert fitted.score(X, [list(p) for p in Y_pred]) == 1.0
    assert fitted.score(X[:1], [["z"]]) == 0.0
    weights = np.zeros(len(X))
    weights[0] = 1
    assert fitted.score(X, Y, sample_weight=weights) == float(
        list(Y_pred[0]) == list(Y[0]))


def test_exact_match_needs_the_whole_sequence():
    model = RNNSeq2Seq()
    model.max_output_length_ = 3
    targets = np.array([[1, 2, 0, IGNORE_ID], [1, 0, IGNORE_ID, IGNORE_ID],
                        [0, IGNORE_ID, IGNORE_ID, IGNORE_ID], [1, 1, 1, 0]])
    decoded = np.array([[1, 2, 0, 0], [1, 2, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]])
    # Row 1 predicts a longer sequence; row 4 runs out of steps at 3 labels,
    # which is the target.
    assert model._score_outputs(targets, decoded) == 0.75


def test_prediction_does_not_depend_on_the_other_rows(task, fitted):
    X, _ = task
    together = fitted.predict(X)
    for i in range(5):
        assert fitted.predict([X[i]])[0].tolist() == together[i].tolist()


@pytest.mark.parametrize("params", [
    dict(cell="lstm", attention="luong"),
    dict(cell="rnn", bidirectional=True, num_layers=2, dropout=0.1),
])
def test_numeric_ragged_and_3d_input(params):
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(rng.randint(2, 6), 2)) for _ in range(24)]
    Y = [["up"] * int(x[:, 0].sum() > 0) + ["n"] * (len(x) % 3) for x in X]
    model = RNNSeq2Seq(**FAST, **params).fit(X, Y)
    assert model.n_features_in_ == 2 and model.n_input_features_ == 2
    assert len(model.predict(X)) == 24
    # Padding never changes a prediction.
    assert [p.tolist() for p in model.predict(X[:4])] == [
        model.predict([x])[0].tolist() for x in X[:4]]
    X3 = rng.normal(size=(10, 4, 3))
    model = RNNSeq2Seq(**FAST, **params).fit(X3, [[1, 2]] * 5 + [[3]] * 5)
    assert model.classes_.tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="3 features per time step"):
        model.predict(X)


def test_convolutional_front_end_and_2d_input():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(16, 20))
    Y = [[int(v)] for v in (X.mean(axis=1) > 0)]
    model = RNNSeq2Seq(**FAST, conv_layers=2).fit(X, Y)
    assert model.n_features_in_ == 20 and model.n_input_features_ == 1
    assert len(model.predict(X[:3])) == 3
    with pytest.raises(ValueError, match="20 features"):
        model.predict(X[:, :5])


def test_pipeline_with_raw_text():
    texts = ["12+3", "4+56", "7+8", "9+10"] * 4
    answers = [list(str(eval(t))) for t in texts]  # noqa: S307 (our own strings)
    model = make_pipeline(
        SequenceVectorizer(tokenizer=list, lowercase=False, token_pattern=None),
        RNNSeq2Seq(embedding_dim=4, **FAST),
    ).fit(texts, answers)
    predicted = model.predict(["12+3", "1+1"])
    assert predicted.shape == (2,)
    digits = sorted({c for answer in answers for c in answer})
    assert model[-1].classes_.tolist() == digits == ["0", "1", "5", "6", "9"]
    assert all(set(p.tolist()) <= set(digits) for p in predicted)
    # The vectorizer's ids reach the model: 11 characters + 2 reserved ids.
    assert model[-1].vocabulary_size_ == 13


def test_random_state_makes_fits_identical(task):
    X, Y = task
    a = RNNSeq2Seq(embedding_dim=4, **{**FAST, "dropout": 0.2}).fit(X, Y)
    b = RNNSeq2Seq(embedding_dim=4, **{**FAST, "dropout": 0.2}).fit(X, Y)
    assert a.loss_curve_ == b.loss_curve_
    assert [p.tolist() for p in a.predict(X)] == [p.tolist() for p in b.predict(X)]
    c = RNNSeq2Seq(embedding_dim=4, **{**FAST, "random_state": 1}).fit(X, Y)
    assert c.loss_curve_ != a.loss_curve_


def test_what_the_scalar_y_checks_would_check(task, fitted):
    """scikit-learn's checks that fit on a scalar y (expected failures in
    test_common.py), here with sequences: refitting, predict leaving the
    estimator unchanged, row order, read-only input."""
    X, Y = task
    before = dict(vars(fitted))
    Y_pred = fitted.predict(X)
    assert vars(fitted).keys() == before.keys()
    assert all(vars(fitted)[k] is before[k] for k in before)
    order = np.random.RandomState(1).permutation(len(X))
    assert [p.tolist() for p in fitted.predict([X[i] for i in order])] == [
        Y_pred[i].tolist() for i in order]
    refit = clone(fitted).fit(X, Y)
    assert refit.loss_curve_ == fitted.loss_curve_
    assert [p.tolist() for p in refit.predict(X)] == [p.tolist() for p in Y_pred]
    frozen = np.random.RandomState(0).normal(size=(12, 4, 2))
    frozen.setflags(write=False)
    model = RNNSeq2Seq(**{**FAST, "max_iter": 1}).fit(frozen, [[1]] * 12)
    assert model.predict(frozen).shape == (12,)


def test_inputs_are_not_modified(task):
    X, Y = task
    X_copy = [x.copy() for x in X]
    Y_copy = [list(y) for y in Y]
    Y_arrays = [np.array(y, dtype=object) for y in Y]
    RNNSeq2Seq(embedding_dim=4, **{**FAST, "max_iter": 1}).fit(X, Y_arrays)
    assert all((a == b).all() for a, b in zip(X, X_copy, strict=True))
    assert [list(y) for y in Y_arrays] == Y_copy


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize("Y, message", [
    ([["a"]] * 3, "different numbers of samples: 4 sequences in X but 3"),
    (["a", "b", "c", "d"], "is the string 'a'"),
    ([1, 2, 3, 4], "y\\[0\\] is a scalar"),
    ([[]] * 4, "every target sequence is empty"),
    ([["a"], [1], ["b"], [2]], "mixes string and numeric labels"),
    ([[0.5], [1.5], [2.5], [0.1]], "Unknown label type"),
    ("abcd", "one sequence of labels per row"),
    ([[["a"]], ["b"], ["c"], ["d"]], "array of shape \\(1, 1\\)"),
])
def test_bad_targets_are_refused(Y, message):
    X = [[2, 3], [3], [2], [3, 3]]
    with pytest.raises(ValueError, match=message):
        RNNSeq2Seq(embedding_dim=4, **FAST).fit(X, Y)


def test_bad_parameters_are_refused(task):
    X, Y = task
    with pytest.raises(ValueError, match="max_output_length=1"):
        RNNSeq2Seq(embedding_dim=4, max_output_length=1, **FAST).fit(X, Y)
    with pytest.raises(ValueError, match="attention"):
        RNNSeq2Seq(attention="dot").fit(X, Y)
    with pytest.raises(TypeError, match="hidden_size must be a number"):
        RNNSeq2Seq(embedding_dim=4, hidden_size=True).fit(X, Y)
    with pytest.raises(ValueError, match="standardize_sequences=True"):
        RNNSeq2Seq(embedding_dim=4, standardize_sequences=True).fit(X, Y)
    with pytest.raises(TypeError, match="skorch callbacks"):
        RNNSeq2Seq(embedding_dim=4, callbacks=[print]).fit(X, Y)


def test_not_fitted():
    with pytest.raises(NotFittedError):
        RNNSeq2Seq().predict([[1.0, 2.0]])


def test_max_output_length_caps_the_predictions(task):
    X, Y = task
    model = RNNSeq2Seq(embedding_dim=4, max_output_length=5, **FAST).fit(X, Y)
    assert model.max_output_length_ == 5
    assert model.net_.module_.max_steps == 6


# ------------------------------------------------------- failed fits, Ctrl+C
class RaiseAt(Callback):
    def __init__(self, epoch, exception):
        self.epoch = epoch
        self.exception = exception

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise self.exception


class CtrlCAtEpoch(Callback):
    """A Ctrl-C that arrives inside the forward pass at epoch ``epoch`` (a
    KeyboardInterrupt raised in a callback's own code is skorch's way to
    stop training, as EarlyStopping does)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.epoch:
            net.module_.register_forward_pre_hook(_interrupt)


def _interrupt(module, inputs):
    raise KeyboardInterrupt


def test_keyboard_interrupt_propagates_and_changes_nothing(task, fitted):
    X, Y = task
    model = RNNSeq2Seq(embedding_dim=4, **FAST, callbacks=[CtrlCAtEpoch(2)])
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, Y)
    assert not hasattr(model, "classes_")
    with pytest.raises(NotFittedError):
        model.predict(X)


def test_a_callback_that_stops_training_ends_the_fit_normally(task):
    """skorch's callbacks stop training by raising KeyboardInterrupt (its
    EarlyStopping does): the fit ends and keeps the model; before, the
    exhausted patience of early stopping raised out of fit."""
    X, Y = task
    model = RNNSeq2Seq(embedding_dim=4, **{**FAST, "max_iter": 6},
                       callbacks=[RaiseAt(2, KeyboardInterrupt)]).fit(X, Y)
    assert model.n_iter_ == 2
    model = RNNSeq2Seq(embedding_dim=4, **{**FAST, "max_iter": 30},
                       early_stopping=True, n_iter_no_change=1, tol=10.0).fit(X, Y)
    assert model.n_iter_ < 30
    assert len(model.predict(X[:3])) == 3


def test_a_failed_fit_leaves_the_fitted_model_as_it_was(task):
    X, Y = task
    model = RNNSeq2Seq(embedding_dim=4, **FAST).fit(X, Y)
    before = model.predict(X)
    attributes = {k: v for k, v in vars(model).items() if k.endswith("_")}
    net = model.net_
    with pytest.raises(ValueError, match="different numbers of samples"):
        model.fit(X, Y[:-1])
    model.set_params(embedding_dim=None)
    with pytest.raises(ValueError, match="different numbers of samples"):
        model.fit(np.zeros((4, 2, 3)), [["q"]] * 3)
    model.set_params(embedding_dim=4,
                     callbacks=[RaiseAt(1, FloatingPointError("diverged"))])
    with pytest.raises(FloatingPointError):
        model.fit([[2]] * 4, [["new"]] * 4)
    assert model.net_ is net
    assert model.classes_.tolist() == attributes["classes_"].tolist()
    assert set(attributes) == {k for k in vars(model) if k.endswith("_")}
    assert [p.tolist() for p in model.predict(X)] == [p.tolist() for p in before]


# ------------------------------------------------------------ training knobs
def test_early_stopping_records_exact_match_scores(task):
    X, Y = task
    model = RNNSeq2Seq(embedding_dim=4, early_stopping=True, **{**FAST,
                       "max_iter": 6}).fit(X, Y)
    assert len(model.validation_scores_) == model.n_iter_
    assert len(model.validation_loss_curve_) == model.n_iter_
    assert all(0.0 <= s <= 1.0 for s in model.validation_scores_)
    assert model.best_validation_score_ in model.validation_scores_
    # The kept epoch's weights are restored: score() on the tail rows is
    # its validation score (one scoring function).
    tail = len(X) - 5
    assert model.score(X[tail:], Y[tail:]) == pytest.approx(
        model.best_validation_score_)
    with pytest.raises(ValueError, match="leaves no training sample"):
        RNNSeq2Seq(embedding_dim=4, early_stopping=True,
                   validation_fraction=0.9).fit(X[:1], Y[:1])


def test_skorch_table_with_early_stopping(task, capsys):
    X, Y = task
    RNNSeq2Seq(embedding_dim=4, verbose=2, early_stopping=True,
               **{**FAST, "max_iter": 2}).fit(X, Y)
    header = capsys.readouterr().out.splitlines()[0]
    for column in ("epoch", "train_loss", "valid_loss", "valid_score"):
        assert column in header


def test_progress_bar_and_loss_curve(task, capsys):
    X, Y = task
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    model = RNNSeq2Seq(embedding_dim=4, verbose=1, **{**FAST, "max_iter": 2})
    model.fit(X, Y)
    assert "2/2" in capsys.readouterr().err
    ax = plot_loss_curve(model)
    assert len(ax.get_lines()) >= 1


def test_warm_start_continues_and_refuses_a_new_architecture(task):
    X, Y = task
    model = RNNSeq2Seq(embedding_dim=4, warm_start=True, **FAST).fit(X, Y)
    first_curve = list(model.loss_curve_)
    model.fit(X, Y)
    assert model.n_iter_ == 2 * FAST["max_iter"]
    assert model.loss_curve_[:FAST["max_iter"]] == first_curve
    with pytest.raises(ValueError, match="hidden_size 16 -> 8"):
        model.set_params(hidden_size=8).fit(X, Y)
    model.set_params(hidden_size=16)
    with pytest.raises(ValueError, match="not among the classes"):
        model.fit(X[:2], [["a"], ["zz"]])


def test_sample_weight_of_ones_is_no_weight(task):
    X, Y = task
    a = RNNSeq2Seq(embedding_dim=4, **FAST).fit(X, Y)
    b = RNNSeq2Seq(embedding_dim=4, **FAST).fit(X, Y, sample_weight=np.ones(len(X)))
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-5)


# --------------------------------------------------------- scikit-learn API
def test_clone_grid_search_and_cross_validate(task):
    X, Y = task
    model = RNNSeq2Seq(embedding_dim=4, **{**FAST, "max_iter": 2})
    assert clone(model).get_params() == model.get_params()
    X_array = np.empty(len(X), dtype=object)
    X_array[:] = X
    Y_array = np.empty(len(Y), dtype=object)
    Y_array[:] = Y
    search = GridSearchCV(model, {"hidden_size": [8, 16]}, cv=KFold(2)).fit(
        X, Y_array)
    assert search.best_params_["hidden_size"] in (8, 16)
    scores = cross_validate(model, X, Y_array, cv=KFold(2))["test_score"]
    assert scores.shape == (2,) and ((0 <= scores) & (scores <= 1)).all()


def test_pickle_round_trip(task, fitted):
    X, Y = task
    restored = pickle.loads(pickle.dumps(fitted))
    assert [p.tolist() for p in restored.predict(X)] == [
        p.tolist() for p in fitted.predict(X)]
    assert restored.loss_curve_ == fitted.loss_curve_
    # The optimiser's state comes back too.
    assert (restored.net_.optimizer_.state_dict()["state"].keys()
            == fitted.net_.optimizer_.state_dict()["state"].keys())


def test_fitted_state_shapes_are_known_before_building(fitted):
    state = fitted._get_fitted_state()
    found = {k: tuple(v.shape) for k, v in state["module"].items()}
    assert fitted._module_shapes() == found
    doctored = {**state, "module": {**state["module"]}}
    key = "output.weight"
    doctored["module"][key] = torch.zeros(2, 2)
    with pytest.raises(ValueError, match="output.weight"):
        clone(fitted)._set_fitted_state(doctored)
    again = clone(fitted)._set_fitted_state(state)
    assert again.classes_.tolist() == fitted.classes_.tolist()


@pytest.mark.parametrize("edit, message", [
    (lambda a: a.update(unexpected_=1), r"\['unexpected_'\] unknown"),
    (lambda a: a.pop("max_output_length_"), "are missing"),
    (lambda a: a.update(_n_outputs=7), "_n_outputs differs"),
    (lambda a: a.update(max_output_length_=9), "max_output_length_ differs"),
])
def test_fitted_state_with_odd_attributes_is_refused(fitted, edit, message):
    # The checks of RNNSeq2Seq's own attributes, before the shared
    # FittedState builds anything (pickles reach them without load_model's).
    state = fitted._get_fitted_state()
    attributes = dict(state["attributes"])
    edit(attributes)
    model = clone(fitted).set_params(max_output_length=fitted.max_output_length_)
    with pytest.raises(ValueError, match=message):
        model._set_fitted_state({**state, "attributes": attributes})
    assert not hasattr(model, "net_")


def test_unpickled_early_stopping_model_keeps_its_validation_split(task):
    X, Y = task
    model = RNNSeq2Seq(embedding_dim=4, early_stopping=True,
                       **{**FAST, "max_iter": 2}).fit(X, Y)
    restored = pickle.loads(pickle.dumps(model))
    assert type(restored.net_).__name__ == "Seq2SeqNet"
    assert restored.net_.train_split is not None
    assert restored.net_.batch_size == FAST["batch_size"]
    assert [p.tolist() for p in restored.predict(X)] == [
        p.tolist() for p in model.predict(X)]


def test_module_teacher_forcing_ignores_padded_target_steps():
    torch.manual_seed(0)
    net = Seq2SeqNetwork(input_size=1, n_classes=3, hidden_size=8).eval()
    X = torch.randn(2, 4, 1)
    short = torch.tensor([[1, 0], [2, 0]])
    padded = torch.tensor([[1, 0, IGNORE_ID], [2, 0, IGNORE_ID]])
    with torch.no_grad():
        torch.testing.assert_close(net(X, None, short), net(X, None, padded)[:, :2])


# ------------------------------------------------------------ save / load
def test_save_and_load_round_trip(task, fitted):
    X, Y = task
    loaded = load_model(io.BytesIO(craft(file_members(fitted))))
    assert type(loaded) is RNNSeq2Seq
    assert loaded.get_params() == fitted.get_params()
    assert [p.tolist() for p in loaded.predict(X)] == [
        p.tolist() for p in fitted.predict(X)]
    assert loaded.classes_.tolist() == fitted.classes_.tolist()
    assert loaded.max_output_length_ == fitted.max_output_length_
    assert loaded.loss_curve_ == fitted.loss_curve_
    assert set(loaded.net_.optimizer_.state_dict()["state"]) == set(
        fitted.net_.optimizer_.state_dict()["state"])


def test_save_and_load_numeric_input_with_early_stopping_and_one_label():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 5, 2)) * 10 + 3
    Y = [[7] * (i % 3) for i in range(20)]  # one label, several lengths
    model = RNNSeq2Seq(**FAST, early_stopping=True, bidirectional=True).fit(X, Y)
    loaded = load_model(io.BytesIO(craft(file_members(model))))
    assert [p.tolist() for p in loaded.predict(X)] == [
        p.tolist() for p in model.predict(X)]
    assert loaded.validation_scores_ == model.validation_scores_
    torch.testing.assert_close(loaded.net_.module_.encoder.input_mean,
                               model.net_.module_.encoder.input_mean)


def _set_fitted(key, value):
    def edit(meta):
        meta["fitted"][key] = value
    return edit


@pytest.mark.parametrize("edit, message", [
    (_set_fitted("max_output_length_", 10**9), "max_output_length_"),
    (_set_fitted("max_output_length_", 0), "max_output_length_"),
    (_set_fitted("_n_outputs", 7), "classes_ has 2 entries for 7 outputs"),
    (_set_fitted("n_input_features_", 3), "n_features_in_ differs"),
    (_set_fitted("unexpected_", 1), "unexpected fitted attributes"),
])
def test_a_doctored_file_is_refused(fitted, edit, message):
    with pytest.raises(ValueError, match=message):
        load_model(io.BytesIO(craft(file_members(fitted), metadata=edit)))


def test_a_doctored_tensor_is_refused(fitted):
    def grow(tensors):
        tensors["module.output.weight"] = torch.zeros(40, 16)

    with pytest.raises(ValueError, match="module.output.weight"):
        load_model(io.BytesIO(craft(file_members(fitted), tensors=grow)))


def test_a_doctored_hidden_size_is_refused_before_building(fitted):
    def huge(meta):
        meta["params"]["hidden_size"] = 10**6

    with pytest.raises(ValueError, match="hidden_size"):
        load_model(io.BytesIO(craft(file_members(fitted), metadata=huge)))


def test_onnx_export_is_refused_with_a_clear_message(fitted):
    pytest.importorskip("skl2onnx")
    with pytest.raises(TypeError, match="cannot export an RNNSeq2Seq: its greedy"):
        to_onnx(fitted, np.zeros((1, 3), dtype=np.int64))


# ----------------------------------------------- bidirectional encoder
@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_bidirectional_encoder_without_packing_is_the_packed_one(cell):
    """Reversing each row within its length computes what packing does."""
    from sklearn_rnn._module import RecurrentNetwork
    from sklearn_rnn._seq2seq_module import _Encoder

    torch.manual_seed(0)
    kwargs = dict(cell=cell, hidden_size=8, num_layers=2, bidirectional=True,
                  return_sequences=True)
    packed, reversed_ = RecurrentNetwork(3, 1, **kwargs), _Encoder(3, 1, **kwargs)
    reversed_.load_state_dict(packed.state_dict())
    packed.head = reversed_.head = torch.nn.Identity()
    X = torch.randn(5, 7, 3)
    lengths = torch.tensor([7, 3, 1, 5, 2])
    valid = (torch.arange(7)[None] < lengths[:, None]).unsqueeze(-1)
    expected, got = packed(X, lengths) * valid, reversed_(X, lengths) * valid
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=1e-5)
    grads = [torch.autograd.grad(out.sum(), list(net.parameters()))
             for out, net in ((expected, packed), (got, reversed_))]
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(b, a, atol=1e-5, rtol=1e-4)
    # Whole rows (no padding) and no lengths at all: the same again.
    torch.testing.assert_close(reversed_(X, torch.full((5,), 7)), packed(X))


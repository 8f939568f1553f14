"""Training control: early stopping, optimisers, schedules, clipping, class
imbalance, warm start, progress output, interruption, divergence, callbacks.

Each test checks what the feature does to training (weights, learning rates,
gradients, decisions), not only that the parameter is accepted.
"""

import copy
import math

import numpy as np
import pytest
import sklearn
import torch
from _params import fast_params
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.class_weight import compute_class_weight
from skorch.callbacks import Callback, LRScheduler

from sklearn_rnn import RNNClassifier, RNNRegressor
from sklearn_rnn._net import TailSplit

# One network: these tests are not about ensembles (test_ensemble.py is).
FAST = fast_params(hidden_size=8, batch_size=16)


@pytest.fixture(scope="module")
def series():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 6, 2))
    y = X[:, -2:, 0].sum(axis=1) + 0.5 * rng.normal(size=100)
    return X, y


@pytest.fixture(scope="module")
def labelled():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(120, 6, 2))
    y = np.where(X[:, :, 0].mean(axis=1) + 0.3 * rng.normal(size=120) > 0,
                 "up", "down")
    return X, y


class Snapshots(Callback):
    """Keep a copy of the module weights at the end of every epoch."""

    def initialize(self):
        self.states = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.states.append(copy.deepcopy(net.module_.state_dict()))


def _same_weights(a, b):
    return all(torch.equal(a[key], b[key]) for key in a)


def _tail(array, fraction):
    n_valid = int(round(len(array) * fraction))
    return array[len(array) - n_valid:]


# ------------------------------------------------------------ early stopping
def test_early_stopping_restores_the_best_epochs_weights(series):
    X, y = series
    snapshots = Snapshots()
    reg = RNNRegressor(**FAST, max_iter=60, early_stopping=True, n_iter_no_change=4,
                       tol=0.0, learning_rate_init=0.01,
                       callbacks=[snapshots]).fit(X, y)
    best = reg.best_iteration_
    assert reg.n_iter_ < 60  # stopped early ...
    assert reg.n_iter_ == best + 4  # ... after n_iter_no_change bad epochs
    assert reg.validation_loss_curve_[best - 1] == min(reg.validation_loss_curve_)
    current = reg.net_.module_.state_dict()
    assert _same_weights(current, snapshots.states[best - 1])
    assert not _same_weights(current, snapshots.states[-1])
    # The kept model scores as the best epoch did on the validation tail.
    fraction = reg.validation_fraction_
    X_val, y_val = _tail(X, fraction), _tail(y, fraction)
    y_pred = reg.predict(X_val)
    scaled_mse = np.mean(((y_pred - y_val) / reg._target_scale) ** 2)
    assert scaled_mse == pytest.approx(min(reg.validation_loss_curve_), rel=1e-4)
    assert reg.best_validation_score_ == pytest.approx(r2_score(y_val, y_pred),
                                                       rel=1e-4)


def test_validation_is_the_time_ordered_tail(series):
    X, y = series

    class SeenRows(Callback):
        def initialize(self):
            self.train, self.valid = [], []
            return self

        def on_epoch_begin(self, net, **kwargs):
            self.train.append([])
            self.valid.append([])

        def on_batch_end(self, net, batch=None, training=False, **kwargs):
            rows = batch[0]["X"][:, 0, 0].tolist()
            (self.train if training else self.valid)[-1].extend(rows)

    seen = SeenRows()
    RNNRegressor(**FAST, max_iter=3, early_stopping=True, validation_fraction=0.2,
                 callbacks=[seen]).fit(X, y)
    first_values = X[:, 0, 0].astype(np.float32)
    for train_rows, valid_rows in zip(seen.train, seen.valid, strict=True):
        # Validation: the last 20 rows, in their original order, every epoch.
        np.testing.assert_array_equal(valid_rows, first_values[80:])
        # Training: the first 80 rows only (shuffled).
        np.testing.assert_array_equal(sorted(train_rows), np.sort(first_values[:80]))
        assert train_rows != first_values[:80].tolist()


@pytest.mark.parametrize("early_stopping", [False, True])
def test_n_iter_no_change_and_tol_decide_when_to_stop(series, early_stopping):
    X, y = series
    # No later epoch can improve on the first by tol=1000: training stops
    # n_iter_no_change epochs after it.
    reg = RNNRegressor(**FAST, max_iter=50, n_iter_no_change=3, tol=1e3,
                       early_stopping=early_stopping).fit(X, y)
    assert reg.n_iter_ == 4
    # With tol=0 and a loss that keeps falling, all max_iter epochs run.
    reg = RNNRegressor(**FAST, max_iter=6, n_iter_no_change=3, tol=0.0,
                       early_stopping=early_stopping).fit(X, y)
    assert reg.n_iter_ == 6


def test_per_epoch_curves_and_scores(labelled):
    X, y = labelled
    clf = RNNClassifier(**FAST, max_iter=5, early_stopping=True,
                        validation_fraction=0.25, n_iter_no_change=50).fit(X, y)
    history = clf.net_.history
    assert clf.n_iter_ == len(history) == 5
    assert clf.loss_curve_ == pytest.approx(history[:, "train_loss"])
    assert clf.validation_loss_curve_ == pytest.approx(history[:, "valid_loss"])
    assert len(clf.validation_scores_) == 5
    assert all(0.0 <= score <= 1.0 for score in clf.validation_scores_)
    # Scores are accuracies on the tail, the one of the kept epoch included.
    X_val, y_val = _tail(X, 0.25), _tail(y, 0.25)
    assert clf.best_validation_score_ == pytest.approx(
        accuracy_score(y_val, clf.predict(X_val)))
    assert clf.best_loss_ == min(clf.loss_curve_)
    # Without early stopping there is no validation set.
    plain = RNNClassifier(**FAST, max_iter=3).fit(X, y)
    assert plain.validation_scores_ is None
    assert plain.validation_loss_curve_ is None
    assert "valid_loss" not in plain.net_.history[-1]


def test_best_iteration_names_the_epoch_whose_weights_are_kept(series):
    X, y = series
    snapshots = Snapshots()
    reg = RNNRegressor(**FAST, max_iter=60, early_stopping=True, n_iter_no_change=4,
                       tol=0.02, learning_rate_init=0.01,
                       callbacks=[snapshots]).fit(X, y)
    kept = [i + 1 for i, state in enumerate(snapshots.states)
            if _same_weights(state, reg.net_.module_.state_dict())]
    assert kept == [reg.best_iteration_]


# ---------------------------------------------------------------- optimisers
@pytest.mark.parametrize(
    "name, cls",
    [("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW),
     ("sgd", torch.optim.SGD), ("rmsprop", torch.optim.RMSprop),
     (torch.optim.Adagrad, torch.optim.Adagrad)],
)
def test_optimizer_by_name_or_class(series, name, cls):
    X, y = series
    reg = RNNRegressor(**FAST, max_iter=1, optimizer=name, alpha=0.01,
                       learning_rate_init=0.005, momentum=0.7).fit(X, y)
    optimizer = reg.net_.optimizer_
    assert type(optimizer) is cls
    group = optimizer.param_groups[0]
    assert group["lr"] == 0.005
    # MLP's alpha: the L2 term is divided by the batch size.
    assert group["weight_decay"] == pytest.approx(0.01 / reg.batch_size)
    if name == "sgd":
        assert group["momentum"] == 0.7


def test_alpha_is_an_l2_penalty_that_shrinks_the_weights(series):
    X, y = series

    def weight_norm(alpha):
        # Every epoch trained (no early stopping restoring an early one).
        reg = RNNRegressor(**FAST, max_iter=15, optimizer="sgd",
                           learning_rate_init=0.05, alpha=alpha,
                           early_stopping=False).fit(X, y)
        return float(torch.sqrt(sum(
            (p.detach() ** 2).sum() for p in reg.net_.module_.parameters())))

    assert weight_norm(0.5) < 0.7 * weight_norm(0.0)


# --------------------------------------------------------- learning rates
def test_adaptive_rate_divides_by_five_when_the_loss_stalls(series):
    X, y = series
    # tol=1000: after the first epoch no epoch counts as an improvement.
    reg = RNNRegressor(**FAST, max_iter=6, learning_rate="adaptive",
                       learning_rate_init=0.01, tol=1e3,
                       n_iter_no_change=20).fit(X, y)
    lrs = reg.net_.history[:, "event_lr"]
    assert lrs == pytest.approx([0.01, 0.01, 0.01, 0.002, 0.002, 0.0004])
    assert reg.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(0.0004)


def test_constant_rate_does_not_change(series):
    X, y = series
    reg = RNNRegressor(**FAST, max_iter=4, learning_rate_init=0.01,
                       tol=1e3, n_iter_no_change=20).fit(X, y)
    assert "lr_schedule" not in dict(reg.net_.callbacks_)
    assert reg.net_.optimizer_.param_groups[0]["lr"] == 0.01


def test_cosine_rate_anneals_to_zero_over_max_iter(series):
    X, y = series
    reg = RNNRegressor(**FAST, max_iter=5, learning_rate="cosine",
                       learning_rate_init=0.01).fit(X, y)
    expected = [0.01 * (1 + math.cos(math.pi * e / 5)) / 2 for e in range(5)]
    assert reg.net_.history[:, "event_lr"] == pytest.approx(expected)
    assert reg.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(0, abs=1e-12)


# ----------------------------------------------------------------- clipping
class GradientNorms(Callback):
    """Record the global gradient norm the optimiser step is about to use."""

    def initialize(self):
        self.norms = []
        return self

    def on_grad_computed(self, net, named_parameters, **kwargs):
        grads = [p.grad for _, p in named_parameters if p.grad is not None]
        self.norms.append(float(torch.linalg.vector_norm(
            torch.stack([torch.linalg.vector_norm(g) for g in grads]))))


def test_clip_grad_norm_bounds_every_step(series):
    X, y = series
    free, clipped = GradientNorms(), GradientNorms()
    # All 100 rows train (no validation tail): 7 batches of 16 an epoch.
    params = {**FAST, "max_iter": 2, "early_stopping": False}
    RNNRegressor(**params, callbacks=[free]).fit(X, y)
    RNNRegressor(**params, clip_grad_norm=0.05, callbacks=[clipped]).fit(X, y)
    assert len(clipped.norms) == len(free.norms) == 2 * 7  # 100 rows / 16
    assert min(free.norms) > 0.05
    assert max(clipped.norms) <= 0.05 * (1 + 1e-5)


# --------------------------------------------------------------- imbalance
@pytest.fixture(scope="module")
def imbalanced():
    rng = np.random.RandomState(3)
    y = np.array(["common"] * 180 + ["rare"] * 20)
    X = rng.normal(size=(200, 5, 2))
    # A weak signal: the classes overlap, so the prior decides many rows.
    X[y == "rare", :, 0] += 0.5
    return X, y


@pytest.mark.parametrize("class_weight", ["balanced", {"common": 1.0, "rare": 9.0}])
def test_class_weight_shifts_decisions_towards_the_rare_class(
    imbalanced, class_weight
):
    X, y = imbalanced
    params = dict(**FAST, max_iter=15, learning_rate_init=0.01)
    plain = RNNClassifier(**params).fit(X, y)
    weighted = RNNClassifier(**params, class_weight=class_weight).fit(X, y)
    expected = compute_class_weight(class_weight, classes=weighted.classes_, y=y)
    np.testing.assert_allclose(weighted.net_.criterion_.weight.numpy(), expected,
                               rtol=1e-6)
    rare_plain = np.sum(plain.predict(X) == "rare")
    rare_weighted = np.sum(weighted.predict(X) == "rare")
    assert rare_weighted > rare_plain + 20
    recall = np.mean(weighted.predict(X[y == "rare"]) == "rare")
    assert recall > np.mean(plain.predict(X[y == "rare"]) == "rare")
    assert weighted.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean()


@pytest.fixture(scope="module")
def conflicting():
    """Targets +1 and -1 on indistinguishable inputs: only weights decide."""
    rng = np.random.RandomState(4)
    X = rng.normal(size=(96, 5, 2))
    y = np.where(np.arange(96) % 2 == 0, 1.0, -1.0)
    weight = np.where(y > 0, 1.0, 0.0)
    return X, y, weight


def test_sample_weight_regressor(conflicting):
    X, y, weight = conflicting
    params = dict(**FAST, max_iter=20, learning_rate_init=0.01)
    plain = RNNRegressor(**params).fit(X, y)
    weighted = RNNRegressor(**params).fit(X, y, sample_weight=weight)
    assert abs(plain.predict(X).mean()) < 0.3
    assert weighted.predict(X).mean() > 0.6
    # Unit weights are the unweighted loss.
    ones = RNNRegressor(**params).fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_allclose(ones.predict(X), plain.predict(X), rtol=1e-4,
                               atol=1e-5)


def test_sample_weight_classifier(conflicting):
    X, y, weight = conflicting
    labels = np.where(y > 0, "kept", "ignored")
    params = dict(**FAST, max_iter=20, learning_rate_init=0.01)
    plain = RNNClassifier(**params).fit(X, labels)
    weighted = RNNClassifier(**params).fit(X, labels, sample_weight=weight + 0.05)
    kept = list(weighted.classes_).index("kept")
    assert weighted.predict_proba(X)[:, kept].mean() > 0.75
    assert plain.predict_proba(X)[:, kept].mean() < 0.65
    assert np.mean(weighted.predict(X) == "kept") > 0.9


def test_sample_weight_is_validated(series):
    X, y = series
    with pytest.raises(ValueError, match="sample_weight"):
        RNNRegressor(**FAST, max_iter=1).fit(X, y, sample_weight=np.ones(3))


# --------------------------------------------- warm start and partial_fit
def test_refit_without_warm_start_starts_over(series):
    X, y = series
    reg = RNNRegressor(**FAST, max_iter=3).fit(X, y)
    first = reg.predict(X)
    reg.fit(X, y)
    assert reg.n_iter_ == 3
    np.testing.assert_array_equal(reg.predict(X), first)


def test_warm_start_continues_training(series):
    X, y = series
    reg = RNNRegressor(**FAST, max_iter=3, warm_start=True).fit(X, y)
    first_curve = list(reg.loss_curve_)
    reg.fit(X, y)
    assert reg.n_iter_ == 6
    assert reg.loss_curve_[:3] == first_curve
    # The second fit starts from the trained weights, not from scratch.
    assert reg.loss_curve_[3] < first_curve[0]


def test_warm_start_runs_the_current_max_iter(series):
    X, y = series
    reg = RNNRegressor(**FAST, max_iter=3, warm_start=True).fit(X, y)
    reg.set_params(max_iter=2).fit(X, y)
    assert reg.n_iter_ == 5


def test_partial_fit_first_call_trains_one_epoch(labelled):
    X, y = labelled
    reg = RNNRegressor(**FAST).partial_fit(X, (y == "up").astype(float))
    assert reg.n_iter_ == 1
    clf = RNNClassifier(**FAST)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    # classes= may list labels that the first batch lacks.
    clf.partial_fit(X, y, classes=["down", "flat", "up"])
    assert clf.n_iter_ == 1
    assert clf.classes_.tolist() == ["down", "flat", "up"]
    assert clf.predict_proba(X).shape == (len(X), 3)


def test_partial_fit_trains_one_epoch_per_call(labelled):
    X, y = labelled
    clf = RNNClassifier(**FAST, max_iter=50)
    for n, (start, stop) in enumerate([(0, 40), (40, 80), (80, 120)], start=1):
        classes = ["down", "up"] if n == 1 else None
        clf.partial_fit(X[start:stop], y[start:stop], classes=classes)
        assert clf.n_iter_ == n
    with pytest.raises(ValueError, match="not among"):
        clf.partial_fit(X[:5], ["sideways"] * 5)


# ------------------------------------------------------------------ verbose
def test_verbose_0_prints_nothing(series, capsys):
    X, y = series
    RNNRegressor(**FAST, max_iter=3, early_stopping=True, n_iter_no_change=1,
                 tol=1e3).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_verbose_1_shows_a_progress_bar_with_losses(series, capsys):
    X, y = series
    RNNRegressor(**FAST, max_iter=3, early_stopping=True, verbose=1).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "3/3" in captured.err
    assert "epoch" in captured.err
    assert "train_loss=" in captured.err
    assert "valid_loss=" in captured.err
    assert "valid_score=" in captured.err


def test_verbose_2_prints_one_table_row_per_epoch(series, capsys):
    X, y = series
    reg = RNNRegressor(**FAST, max_iter=4, early_stopping=True, verbose=2)
    reg.fit(X, y)
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    header = lines[0].split()
    for column in ("epoch", "train_loss", "valid_loss", "valid_score", "dur"):
        assert column in header
    rows = [line.split() for line in lines[2:]]
    assert [int(row[0]) for row in rows] == [1, 2, 3, 4]


# ------------------------------------------------ interruption, divergence
class InterruptAt(Callback):
    """Raise KeyboardInterrupt (as Ctrl+C does) at the end of an epoch."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("early_stopping", [False, True])
def test_keyboard_interrupt_keeps_a_usable_model(series, early_stopping):
    X, y = series
    reg = RNNRegressor(**FAST, max_iter=50, early_stopping=early_stopping,
                       n_iter_no_change=50, learning_rate_init=0.01,
                       callbacks=[InterruptAt(4)])
    assert reg.fit(X, y) is reg
    assert reg.n_iter_ == 4
    assert len(reg.loss_curve_) == 4
    y_pred = reg.predict(X)
    assert np.isfinite(y_pred).all()
    assert reg.score(X, y) > 0  # it learned something in 4 epochs


class PoisonWeights(Callback):
    """Turn a weight into NaN during an epoch: a divergence on cue."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_batch_begin(self, net, training=False, **kwargs):
        if training and len(net.history) == self.epoch:
            with torch.no_grad():
                next(net.module_.parameters()).fill_(float("nan"))


def test_non_finite_loss_stops_with_a_clear_error(series):
    X, y = series
    reg = RNNRegressor(**FAST, max_iter=10, callbacks=[PoisonWeights(2)])
    with pytest.raises(FloatingPointError) as info:
        reg.fit(X, y)
    message = str(info.value)
    assert "epoch 2" in message
    assert "learning_rate_init" in message
    assert "clip_grad_norm" in message
    # No model that predicts NaN is left behind.
    with pytest.raises(NotFittedError):
        reg.predict(X)


def test_divergence_while_continuing_keeps_the_previous_model(series):
    X, y = series
    reg = RNNRegressor(**FAST, max_iter=3, warm_start=True,
                       callbacks=[PoisonWeights(4)]).fit(X, y)
    before = reg.predict(X)
    with pytest.raises(FloatingPointError, match="epoch 4"):
        reg.fit(X, y)
    np.testing.assert_array_equal(reg.predict(X), before)
    assert reg.n_iter_ == len(reg.net_.history) == 3


def test_a_too_large_learning_rate_diverges_with_the_remedy(series):
    X, y = series
    reg = RNNRegressor(**FAST, max_iter=10, cell="rnn", nonlinearity="relu",
                       optimizer="sgd", learning_rate_init=1e4)
    with pytest.raises(FloatingPointError,
                       match=r"diverged.*epoch \d+.*learning_rate_init"):
        reg.fit(X, y)


# --------------------------------------------------------------- callbacks
def test_skorch_callbacks_pass_through(series):
    X, y = series
    halve = LRScheduler(policy="StepLR", step_size=1, gamma=0.5)
    snapshots = Snapshots()
    reg = RNNRegressor(**FAST, max_iter=3, learning_rate_init=0.01,
                       callbacks=[("halve", halve), snapshots]).fit(X, y)
    callbacks = dict(reg.net_.callbacks_)
    assert callbacks["halve"] is not None
    assert "user_1" in callbacks
    assert reg.net_.history[:, "event_lr"] == pytest.approx([0.01, 0.005, 0.0025])
    # The user's own instances run: their state is there to inspect.
    assert callbacks["user_1"] is snapshots
    assert len(snapshots.states) == 3


# --------------------------------------------------------- metadata routing
def test_sample_weight_is_routed_by_meta_estimators(conflicting):
    # BaseEstimator derives set_fit_request from fit's signature, so with
    # metadata routing on, pipelines and cross_validate pass sample_weight.
    X, y, weight = conflicting
    params = dict(**FAST, max_iter=5, learning_rate_init=0.01)
    direct = RNNRegressor(**params).fit(X, y, sample_weight=weight).predict(X)
    with sklearn.config_context(enable_metadata_routing=True):
        reg = RNNRegressor(**params).set_fit_request(sample_weight=True)
        reg.set_score_request(sample_weight=True)
        pipe = make_pipeline(FunctionTransformer(), reg)
        pipe.fit(X, y, sample_weight=weight)
        np.testing.assert_array_equal(pipe.predict(X), direct)
        result = cross_validate(pipe, X, y, params={"sample_weight": weight},
                                cv=2, return_estimator=True)
    assert all(est[-1].n_iter_ == 5 for est in result["estimator"])
    assert np.isfinite(result["test_score"]).all()
    unweighted = RNNRegressor(**params).fit(X, y).predict(X)
    assert not np.allclose(unweighted, direct)


# --------------------------------------------- explicit validation data
class BatchRows(Callback):
    """Count the rows of the training and validation batches."""

    def initialize(self):
        self.train, self.valid = 0, 0
        return self

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        rows = batch[0]["X"].shape[0]
        if training:
            self.train += rows
        else:
            self.valid += rows


def test_explicit_validation_data_drives_early_stopping(series):
    X, y = series
    rng = np.random.RandomState(5)
    X_val = rng.normal(size=(30, 6, 2))
    y_val = X_val[:, -2:, 0].sum(axis=1)
    rows, snapshots = BatchRows(), Snapshots()
    reg = RNNRegressor(**FAST, max_iter=40, early_stopping=True, n_iter_no_change=3,
                       tol=0.0, learning_rate_init=0.01,
                       callbacks=[rows, snapshots])
    reg.fit(X, y, X_val=X_val, y_val=y_val)
    # Every training row trains (no tail is held out); the given rows validate.
    assert rows.train == 100 * reg.n_iter_
    assert rows.valid == 30 * reg.n_iter_
    assert reg.n_iter_ < 40
    assert _same_weights(reg.net_.module_.state_dict(),
                         snapshots.states[reg.best_iteration_ - 1])
    assert reg.best_validation_score_ == pytest.approx(
        r2_score(y_val, reg.predict(X_val)), rel=1e-4)
    # X_val is not kept alive (nor pickled) inside the fitted net.
    assert isinstance(reg.net_.train_split, TailSplit)
    with pytest.raises(ValueError, match="early_stopping"):
        RNNRegressor(**FAST, early_stopping=False).fit(X, y, X_val=X_val,
                                                       y_val=y_val)
    # 'auto' stops on validation data whenever it is given.
    auto = RNNRegressor(**FAST, max_iter=2).fit(X, y, X_val=X_val, y_val=y_val)
    assert auto.early_stopping_ and len(auto.validation_scores_) == 2
    with pytest.raises(ValueError, match="together"):
        RNNRegressor(**FAST, early_stopping=True).fit(X, y, X_val=X_val)


def test_validation_data_for_the_classifier_and_through_a_pipeline(labelled):
    X, y = labelled
    X_val, y_val = X[:20] + 0.1, y[:20]
    clf = RNNClassifier(**FAST, max_iter=3, early_stopping=True,
                        n_iter_no_change=10, class_weight="balanced")
    clf.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=np.ones(20))
    assert len(clf.validation_scores_) == 3
    # The class weights come from the training labels, not the validation's.
    np.testing.assert_allclose(
        clf.net_.criterion_.weight.numpy(),
        compute_class_weight("balanced", classes=clf.classes_, y=y), rtol=1e-6)
    with pytest.raises(ValueError, match="not among"):
        clf.fit(X, y, X_val=X_val, y_val=["sideways"] * 20)
    # Pipeline(transform_input=["X_val"]) transforms X_val as X: here to a
    # single feature, which an untransformed X_val (2 features) lacks.
    with sklearn.config_context(enable_metadata_routing=True):
        est = RNNClassifier(**FAST, max_iter=2, early_stopping=True)
        est.set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline([("first", FunctionTransformer(_first_feature)),
                         ("rnn", est)], transform_input=["X_val"])
        pipe.fit(X, y, X_val=X_val, y_val=y_val)
    assert pipe[-1].n_features_in_ == 1
    assert len(pipe[-1].validation_scores_) == 2


def _first_feature(X):
    return X[:, :, :1]


def test_a_batch_whose_weights_are_all_zero_adds_no_loss():
    # Zero weights on every row of a batch (here the second and last one)
    # must not turn the epoch's loss into 0 / 0 = NaN.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(10, 5))
    y = X.sum(axis=1)
    weights = np.r_[np.ones(8), 0.0, 0.0]
    reg = RNNRegressor(hidden_size=4, batch_size=8, max_iter=3, shuffle=False,
                       random_state=0).fit(X, y, sample_weight=weights)
    assert np.isfinite(reg.loss_curve_).all()

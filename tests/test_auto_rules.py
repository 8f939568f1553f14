"""The data-dependent 'auto' rules of the defaults (issue 11): what each one
chooses for data of a given size and shape, and that the convolutional front
end they switch on never lets padding change a prediction."""

import numpy as np
import pytest
from _params import fast_params
from numpy.testing import assert_allclose
from skorch.callbacks import Callback

from sklearn_rnn import RNNClassifier, RNNRegressor, make_windows
from sklearn_rnn._module import networks
from sklearn_rnn._plan import (
    DIRECT_SHORT_SERIES_ALPHA,
    EARLY_STOPPING_MIN_WINDOWS,
    PREDICTABILITY_THRESHOLD,
    REGRESSION_EARLY_STOPPING_MIN_ROWS,
    SEASONAL_CENTRE_THRESHOLD,
    SHORT_SERIES_ALPHA,
    STEADY_TREND_THRESHOLD,
    STEP_GROWTH_MAX,
    SeriesWindows,
    choose_alpha,
    choose_ensemble_size,
    choose_instance_norm_center,
    choose_instance_norm_scale,
    choose_validation_fraction,
    choose_zero_output_layer,
)
from sklearn_rnn._predictability import (
    latest_changes,
    recent_spans,
    step_changes,
    window_predictability,
    window_seasonality,
)
from sklearn_rnn._window import find_continued_feature, find_series_starts

# One network: these tests are not about ensembles (test_ensemble.py is).
TINY = fast_params(hidden_size=4, max_iter=1)


def _fixed(n, T, seed=0):
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n, T, 1)), np.arange(n) % 2


def _ragged(n, low, high, seed=0):
    rng = np.random.RandomState(seed)
    return ([rng.normal(size=(t, 1)) for t in rng.randint(low, high, n)],
            np.arange(n) % 2)


@pytest.mark.parametrize("T, expected", [(10, 0), (64, 0), (65, 1), (128, 1),
                                         (300, 3)])
def test_conv_layers_halve_the_longest_sequence_to_64_steps(T, expected):
    X, y = _fixed(16, T)
    clf = RNNClassifier(**TINY).fit(X, y)
    assert clf.conv_layers_ == expected
    assert clf.net_.module_.pooling == ("max" if expected else "last")
    blocks = clf.net_.module_.conv
    assert (0 if blocks is None else len(blocks)) == expected


def test_conv_layers_read_the_longest_of_variable_lengths():
    X, y = _ragged(16, 20, 200)
    longest = max(len(x) for x in X)
    clf = RNNClassifier(**TINY).fit(X, y)
    assert clf.conv_layers_ == int(np.ceil(np.log2(longest / 64)))


def test_no_front_end_for_one_output_per_step():
    X, _ = _fixed(16, 100)
    y = X[..., 0].cumsum(axis=1)
    reg = RNNRegressor(**TINY, return_sequences=True).fit(X, y)
    assert reg.conv_layers_ == 0
    with pytest.raises(ValueError, match="return_sequences"):
        RNNRegressor(**TINY, return_sequences=True, conv_layers=1).fit(X, y)


@pytest.mark.parametrize("n, batch, patience", [
    (36, 8, 50),     # 36 // 8 = 4, raised to 8: 5 steps per epoch, 250 / 5
    (200, 25, 32),   # 8 steps per epoch: 250 / 8 = 31.25, rounded up
    (1000, 32, 10),  # 32 steps per epoch: 250 / 32 -> 8, the floor of 10 epochs
])
def test_batch_size_and_patience_follow_the_number_of_rows(n, batch, patience):
    X, y = _fixed(n, 5)
    clf = RNNClassifier(**TINY).fit(X, y)
    assert (clf.batch_size_, clf.n_iter_no_change_) == (batch, patience)


def test_explicit_sizes_are_used_as_given():
    X, y = _fixed(36, 5)
    clf = RNNClassifier(**TINY, batch_size=12, n_iter_no_change=3).fit(X, y)
    assert (clf.batch_size_, clf.n_iter_no_change_) == (12, 3)


def test_batch_norm_on_for_equal_lengths_only():
    X, y = _fixed(16, 200)
    clf = RNNClassifier(**TINY).fit(X, y)
    assert clf.conv_batch_norm_ is True
    assert len(clf.net_.module_.conv_norms) == clf.conv_layers_
    X, y = _ragged(16, 100, 200)
    assert RNNClassifier(**TINY).fit(X, y).conv_batch_norm_ is False
    assert RNNClassifier(**TINY, conv_batch_norm=True).fit(X, y).conv_batch_norm_
    X, y = _fixed(16, 30)  # no front end, nothing to normalise
    assert RNNClassifier(**TINY, conv_batch_norm=True).fit(X, y).conv_batch_norm_ \
        is False


def test_batch_norm_is_part_of_the_architecture():
    X, y = _fixed(16, 200)
    clf = RNNClassifier(**TINY, warm_start=True).fit(X, y)
    clf.set_params(conv_batch_norm=False)
    with pytest.raises(ValueError, match="conv_batch_norm True -> False"):
        clf.fit(X, y)


@pytest.mark.parametrize("conv_batch_norm", [False, True])
def test_padding_never_changes_a_prediction_through_the_front_end(conv_batch_norm):
    X, y = _ragged(24, 70, 260)
    clf = RNNClassifier(hidden_size=4, max_iter=3, random_state=0,
                        conv_batch_norm=conv_batch_norm).fit(X, y)
    assert clf.conv_layers_ >= 1
    together = clf.predict_proba(X)
    alone = np.vstack([clf.predict_proba([x]) for x in X])
    assert_allclose(together, alone, rtol=1e-5, atol=1e-6)


def _zscored(X):
    return (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)


def test_sequences_standardised_unless_they_already_are():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(24, 30, 2)) * rng.uniform(0.1, 10, size=(24, 1, 1))
    y = np.arange(24) % 2
    clf = RNNClassifier(**TINY).fit(X, y)
    assert clf.standardize_sequences_ is True
    # Three features per input feature: standardised, mean, log-deviation.
    assert clf.net_.module_.rnn.input_size == 6
    assert RNNClassifier(**TINY).fit(_zscored(X), y).standardize_sequences_ is False
    assert RNNClassifier(**TINY, standardize_sequences=True).fit(
        _zscored(X), y).standardize_sequences_ is True
    assert RNNClassifier(**TINY, standardize_sequences=False).fit(
        X, y).standardize_sequences_ is False
    X_ragged = [x[: 10 + i] for i, x in enumerate(X)]
    assert RNNClassifier(**TINY).fit(X_ragged, y).standardize_sequences_ is True


def test_standardised_sequences_keep_their_level_and_size():
    """The network still tells sequences apart by level and size alone: the
    same shape at two amplitudes is two classes."""
    rng = np.random.RandomState(0)
    shape = np.sin(np.linspace(0, 3, 20))
    scale = np.repeat([1.0, 5.0], 30)
    X = (shape[None, :] + 0.05 * rng.normal(size=(60, 20))) * scale[:, None]
    y = (scale > 1).astype(int)
    clf = RNNClassifier(hidden_size=8, max_iter=60, random_state=0).fit(X, y)
    assert clf.standardize_sequences_ is True
    assert clf.score(X, y) == 1.0


def test_no_sequence_standardisation_with_tokens_or_instance_norm():
    rng = np.random.RandomState(0)
    ids = rng.randint(2, 9, size=(20, 6))
    y = np.arange(20) % 2
    assert RNNClassifier(**TINY, embedding_dim=3).fit(ids, y) \
        .standardize_sequences_ is False
    with pytest.raises(ValueError, match="embedding_dim"):
        RNNClassifier(**TINY, embedding_dim=3, standardize_sequences=True).fit(ids, y)
    series = np.sin(np.arange(200) * 0.2) + np.arange(200) * 0.01
    windows = np.lib.stride_tricks.sliding_window_view(series[:-1], 8)
    reg = RNNRegressor(**TINY).fit(windows, series[8:])
    assert reg.instance_norm_feature_ == 0
    assert reg.standardize_sequences_ is False


def test_standardisation_is_part_of_the_architecture():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(16, 12)) * rng.uniform(1, 5, size=(16, 1))
    y = np.arange(16) % 2
    clf = RNNClassifier(**TINY, warm_start=True).fit(X, y)
    clf.set_params(standardize_sequences=False)
    with pytest.raises(ValueError, match="standardize_sequences True -> False"):
        clf.fit(X, y)


def test_thread_policy_gives_long_convolutions_all_threads():
    from torch import nn

    from sklearn_rnn._module import RecurrentNetwork
    from sklearn_rnn._threads import training_threads

    long_front = RecurrentNetwork(1, 2, conv_layers=5)
    # 12 x 1,460 steps (ACSF1): the convolutions dominate, both threads.
    assert training_threads(long_front, 12, available=2, n_steps=1460) == 2
    # 8 x 251 steps (ArrowHead): the small recurrent step decides, one thread.
    assert training_threads(RecurrentNetwork(1, 2, conv_layers=2), 8,
                            available=2, n_steps=251) == 1
    # Without a step count, or without convolutions, the recurrent rule.
    assert training_threads(long_front, 12, available=2) == 1
    assert training_threads(nn.LSTM(1, 64), 12, available=2, n_steps=1460) == 1
    # Never more than the caller's share.
    assert training_threads(long_front, 12, available=2, n_steps=1460,
                            concurrent=2) == 1


def _float_state(net):
    return {k: v.detach().clone() for k, v in net.module_.state_dict().items()
            if v.dtype.is_floating_point}


class _RecordWeights(Callback):
    """A user callback (it runs after the estimator's own) that records the
    module's floating-point state before training and after every step."""

    def on_train_begin(self, net, **kwargs):
        self.steps = [_float_state(net)]

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.steps.append(_float_state(net))


def test_average_weights_leaves_the_moving_average_of_every_step():
    # Batch norm in the front end: its running statistics are averaged too.
    X, y = _fixed(24, 80)
    record = _RecordWeights()
    clf = RNNClassifier(hidden_size=4, max_iter=3, batch_size=8, random_state=0,
                        ensemble_size=1, callbacks=[record]).fit(X, y)
    assert clf.average_weights_ and clf.conv_batch_norm_
    expected = dict(record.steps[0])
    for n, step in enumerate(record.steps[1:], start=1):
        weight = 1 - min(0.99, (1 + n) / (10 + n))
        expected = {k: v + weight * (step[k] - v) for k, v in expected.items()}
    assert len(record.steps) == 1 + 3 * 3
    final = clf.net_.module_.state_dict()
    for key, value in expected.items():
        assert_allclose(final[key].numpy(), value.numpy(), rtol=1e-5, atol=1e-6,
                        err_msg=key)
    # ... and not the last step's weights.
    assert not np.allclose(final["head.0.weight"].numpy(),
                           record.steps[-1]["head.0.weight"].numpy())


def test_average_weights_does_not_change_training():
    X, y = _fixed(24, 10)
    params = dict(hidden_size=4, max_iter=4, batch_size=8, random_state=0)
    averaged = RNNClassifier(**params).fit(X, y)
    last = RNNClassifier(**params, average_weights=False).fit(X, y)
    assert averaged.average_weights_ and not last.average_weights_
    assert_allclose(averaged.loss_curve_, last.loss_curve_)
    assert not np.allclose(averaged.predict_proba(X), last.predict_proba(X))


def test_average_weights_auto_is_off_with_early_stopping_and_partial_fit():
    X, y = _fixed(40, 10)
    assert RNNClassifier(**TINY).fit(X, y).average_weights_
    assert not RNNClassifier(**TINY, early_stopping=True).fit(
        X, y).average_weights_
    assert not RNNClassifier(**TINY).fit(
        X, y, X_val=X[:8], y_val=y[:8]).average_weights_
    assert not RNNClassifier(**TINY).partial_fit(
        X, y, classes=[0, 1]).average_weights_
    # Windows of a series: early stopping keeps the best epoch instead.
    series = np.sin(np.arange(300) / 5.0)
    windows = np.lib.stride_tricks.sliding_window_view(series, 11)
    reg = RNNRegressor(**TINY).fit(windows[:, :10, None], windows[:, 10])
    assert reg.early_stopping_ and not reg.average_weights_


def test_early_stopping_auto_on_a_regression_from_100_rows():
    # Rows that are not windows of a series: a validation tail of ten rows
    # from REGRESSION_EARLY_STOPPING_MIN_ROWS on; below, training to the end.
    rng = np.random.RandomState(0)
    n = REGRESSION_EARLY_STOPPING_MIN_ROWS
    X, y = rng.normal(size=(n, 8, 1)), rng.normal(size=n)
    reg = RNNRegressor(**TINY).fit(X, y)
    assert reg.early_stopping_ and not reg.average_weights_
    assert len(reg.validation_loss_curve_) == reg.n_iter_
    short = RNNRegressor(**TINY).fit(X[:n - 1], y[:n - 1])
    assert not short.early_stopping_ and short.validation_loss_curve_ is None
    # Said by the user, it holds either way.
    assert not RNNRegressor(**TINY, early_stopping=False).fit(X, y).early_stopping_
    assert RNNRegressor(**TINY, early_stopping=True).fit(
        X[:20], y[:20]).early_stopping_


def test_early_stopping_auto_leaves_classifiers_and_steps_alone():
    # The classifier's defaults were chosen without it (docs: "Getting a
    # good model"), and so were one output per step's.
    rng = np.random.RandomState(0)
    n = REGRESSION_EARLY_STOPPING_MIN_ROWS
    X = rng.normal(size=(n, 8, 1))
    assert not RNNClassifier(**TINY).fit(X, np.arange(n) % 2).early_stopping_
    steps = RNNRegressor(**TINY, return_sequences=True).fit(X, X[:, :, 0])
    assert not steps.early_stopping_


@pytest.mark.parametrize("n, expected", [(20, 0.3), (100, 0.3), (150, 0.2),
                                         (300, 0.1), (1000, 0.1)])
def test_validation_tail_of_a_regression_on_rows_holds_at_least_30_rows(
        n, expected):
    # A tenth, at least 30 rows, at most 30 %.
    assert choose_validation_fraction("auto", True, n) == pytest.approx(expected)
    # Windows of a series and classifiers keep the tenth; a number holds.
    assert choose_validation_fraction("auto", False, n) == 0.1
    assert choose_validation_fraction(0.25, True, n) == 0.25


class _SplitSizes(Callback):
    """Records how many rows an epoch trains and validates on."""

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None,
                       **kwargs):
        self.sizes = (len(dataset_train), len(dataset_valid))


def test_validation_fraction_auto_in_a_fit():
    rng = np.random.RandomState(0)
    n = REGRESSION_EARLY_STOPPING_MIN_ROWS
    X, y = rng.normal(size=(n, 8, 1)), rng.normal(size=n)
    sizes = _SplitSizes()
    reg = RNNRegressor(**TINY, callbacks=[sizes]).fit(X, y)
    assert reg.early_stopping_ and reg.validation_fraction_ == pytest.approx(0.3)
    # The tail the net held out is that share: 30 of the 100 rows.
    assert sizes.sizes == (70, 30)
    assert RNNRegressor(**TINY, validation_fraction=0.2).fit(
        X, y).validation_fraction_ == 0.2
    clf = RNNClassifier(**TINY, early_stopping=True).fit(X, np.arange(n) % 2)
    assert clf.validation_fraction_ == 0.1
    windows, targets = make_windows(np.sin(np.arange(n + 20) * 0.3), 20)
    forecaster = RNNRegressor(**TINY, early_stopping=True).fit(windows, targets)
    assert forecaster.validation_fraction_ == 0.1


class _OutputLayerAtStart(Callback):
    """Records whether every network's output layer is zero before the
    first epoch."""

    def on_train_begin(self, net, **kwargs):
        self.zero = all(
            not network.head[-1].weight.any() and not network.head[-1].bias.any()
            for network in networks(net.module_))


def _output_layer_starts_at_zero(estimator, X, y):
    record = _OutputLayerAtStart()
    estimator.set_params(callbacks=[record]).fit(X, y)
    return record.zero


def test_zero_output_layer_and_ensemble_rules_as_functions():
    # (regression on rows or one-step windows) x early stopping: zero only
    # for a fit that stops early on one of them.
    assert choose_zero_output_layer(True, True)
    assert not choose_zero_output_layer(True, False)
    assert not choose_zero_output_layer(False, True)
    assert choose_zero_output_layer(False, True, one_step_windows=True)
    assert not choose_zero_output_layer(False, False, one_step_windows=True)
    # A direct forecast's windows: one network, also without early
    # stopping; an explicit size holds.
    args = dict(incremental=False, early_stopping=False, n_valid_steps=500,
                regression_on_rows=False)
    assert choose_ensemble_size("auto", **args, direct_windows=True) == 1
    assert choose_ensemble_size("auto", **args, direct_windows=False) == 3
    assert choose_ensemble_size(2, **args, direct_windows=True) == 2
    # Windows the 'auto' weight decay penalises: one network.
    assert choose_ensemble_size("auto", **args, direct_windows=False,
                                penalised_windows=True) == 1


def test_output_layer_starts_at_zero_for_a_regression_on_rows_that_stops_early():
    # Then each network starts from the training mean, which early
    # stopping can keep on rows with little to learn.
    rng = np.random.RandomState(0)
    n = REGRESSION_EARLY_STOPPING_MIN_ROWS
    X, y = rng.normal(size=(n, 8, 1)), rng.normal(size=n) + 5
    assert _output_layer_starts_at_zero(RNNRegressor(**TINY), X, y)
    start = RNNRegressor(**TINY, learning_rate_init=1e-12).fit(X, y)
    assert_allclose(start.predict(X), y.mean(), rtol=1e-6)
    # Rows trained to the end, classifiers and one output per step: torch's
    # initialisation.
    assert not _output_layer_starts_at_zero(RNNRegressor(**TINY), X[:n - 1],
                                            y[:n - 1])
    assert not _output_layer_starts_at_zero(RNNClassifier(**TINY), X,
                                            np.arange(n) % 2)
    assert not _output_layer_starts_at_zero(
        RNNRegressor(**TINY, return_sequences=True), X, X[:, :, 0])
    # Early stopping said by the user counts too.
    assert _output_layer_starts_at_zero(
        RNNRegressor(**TINY, early_stopping=True), X[:20], y[:20])


def test_output_layer_starts_at_zero_on_one_step_windows_that_stop_early():
    # Centred on its last value (instance_norm='auto'), a window's zero
    # output is the naive forecast: the network starts from "no change".
    n = EARLY_STOPPING_MIN_WINDOWS
    series = 3 * np.sin(np.arange(n + 30) * 0.3) + np.arange(n + 30) * 0.05
    windows, targets = make_windows(series[:n + 20], 20)
    assert _output_layer_starts_at_zero(RNNRegressor(**TINY), windows, targets)
    start = RNNRegressor(**TINY, learning_rate_init=1e-12).fit(windows, targets)
    assert start.early_stopping_
    assert_allclose(start.predict(windows), windows[:, -1], rtol=1e-5,
                    atol=1e-5)
    # Fewer windows train to the end, and a direct forecast's windows
    # (several steps ahead) stop early: both keep torch's initialisation.
    assert not _output_layer_starts_at_zero(RNNRegressor(**TINY),
                                            windows[:n - 1], targets[:n - 1])
    direct_X, direct_Y = make_windows(series, 20, horizon=5)
    direct = RNNRegressor(**TINY)
    assert not _output_layer_starts_at_zero(direct, direct_X, direct_Y)
    assert direct.early_stopping_
    # Without the last-value centring a zero output is not the naive
    # forecast, and the rule was not measured there.
    for params in ({"instance_norm": None}, {"instance_norm_center": "mean"}):
        assert not _output_layer_starts_at_zero(
            RNNRegressor(**TINY, **params), windows, targets)


def _never_called():
    raise AssertionError("the rule asked for the predictability it needs not")


def test_alpha_auto_rule_as_a_function():
    def args(**changes):
        base = dict(centred_windows=1, early_stopping=False,
                    incremental=False, n_samples=EARLY_STOPPING_MIN_WINDOWS - 1,
                    n_series=1,
                    predictability=lambda: PREDICTABILITY_THRESHOLD + 0.1)
        return {**base, **changes}

    # Short one-step windows that train to the end, no better than the
    # naive forecast to a linear model: the penalty.
    assert choose_alpha("auto", **args()) == SHORT_SERIES_ALPHA == 1.0
    # A direct forecast's windows (their horizon): a milder one.
    assert choose_alpha("auto", **args(centred_windows=3)) == (
        DIRECT_SHORT_SERIES_ALPHA) == 0.1
    # Predictable windows, or a score that could not be made: none.
    assert choose_alpha("auto", **args(
        predictability=lambda: PREDICTABILITY_THRESHOLD)) == 0.0
    assert choose_alpha("auto", **args(predictability=lambda: None)) == 0.0
    assert choose_alpha("auto", **args(predictability=None)) == 0.0
    # The stacked one-step windows of several series (a global model): also
    # when they stop early.
    many = dict(early_stopping=True, n_samples=10 * EARLY_STOPPING_MIN_WINDOWS,
                n_series=5)
    assert choose_alpha("auto", **args(**many)) == SHORT_SERIES_ALPHA
    # Elsewhere the rule was not measured: 0, without scoring the windows.
    for changes in ({"centred_windows": 0}, {"early_stopping": True},
                    {"incremental": True},
                    {"n_samples": EARLY_STOPPING_MIN_WINDOWS},
                    {**many, "centred_windows": 3},
                    {**many, "incremental": True}):
        assert choose_alpha("auto", **args(**changes,
                                           predictability=_never_called)) == 0.0
    # A number is used as given.
    assert choose_alpha(0.25, **args(predictability=_never_called)) == 0.25


def _series_windows(X, y):
    found = find_continued_feature(X, None, y)
    return SeriesWindows(*found, series_starts=find_series_starts(X, y, found),
                         horizon=1)


def test_window_predictability_tells_a_pattern_from_noise():
    rng = np.random.RandomState(0)
    t = np.arange(80)
    seasonal = 10 + 3 * np.sin(2 * np.pi * t / 12) + 0.1 * rng.normal(size=80)
    walk = np.cumsum(rng.normal(size=80))
    scores = {}
    for name, series in {"seasonal": seasonal, "walk": walk}.items():
        X, y = make_windows(series, 24)
        X3 = np.asarray(X, dtype=np.float32)[:, :, None]
        scores[name] = window_predictability(X3, y, _series_windows(X3, y))
    # A season: a linear model of the windows is far better than "no
    # change"; a random walk: "no change" is the best forecast there is.
    assert scores["seasonal"] < 0.1
    assert scores["walk"] > PREDICTABILITY_THRESHOLD
    # The targets in other units than the inputs (a scaler before the
    # windows): the same score.
    X, y = make_windows(seasonal, 24)
    X3 = np.asarray(X, dtype=np.float64)[:, :, None]
    scaled = (X3 - 10) / 3
    assert window_predictability(scaled, y, _series_windows(scaled, y)) == (
        pytest.approx(window_predictability(X3, y, _series_windows(X3, y)),
                      rel=1e-6))
    # Stacked series are split one by one: the seasonal one's windows after
    # the random walk's score as the seasonal ones alone do.
    both_X, both_y = make_windows([walk, seasonal], 24)
    both_X = np.asarray(both_X, dtype=np.float32)[:, :, None]
    windows = _series_windows(both_X, both_y)
    assert windows.n_series == 2
    n_walk = len(walk) - 24
    only_seasonal = windows._replace(series_starts=(0,))
    assert window_predictability(both_X[n_walk:], both_y[n_walk:],
                                 only_seasonal) == pytest.approx(scores["seasonal"])
    # Too few windows to split: no score.
    assert window_predictability(X3[:2], y[:2],
                                 _series_windows(X3[:4], y[:4])._replace(
                                     series_starts=(0,))) is None


def test_window_predictability_reads_the_most_recent_windows_of_each_series():
    # All of them up to the cap, then the most recent of each, at least
    # three, then an evenly spaced choice of series.
    assert recent_spans((0, 10, 12), 40, max_rows=100) == [(0, 10), (12, 40)]
    assert recent_spans((0, 100), 300, max_rows=100) == [(50, 100), (250, 300)]
    assert recent_spans(tuple(range(0, 400, 4)), 400, max_rows=30) == [
        (4 * i + 1, 4 * i + 4) for i in np.linspace(0, 99, 10).astype(int)]
    assert recent_spans((0,), 2) == []


def test_alpha_auto_in_a_fit():
    rng = np.random.RandomState(0)
    walk = np.cumsum(rng.normal(size=70))
    t = np.arange(70)
    seasonal = 10 + 3 * np.sin(2 * np.pi * t / 12) + 0.1 * rng.normal(size=70)
    X, y = make_windows(walk, 12)
    noisy = RNNRegressor(**TINY).fit(X, y)
    assert not noisy.early_stopping_ and noisy.alpha_ == SHORT_SERIES_ALPHA
    assert noisy._optimizer_spec()[1] == {
        "weight_decay": SHORT_SERIES_ALPHA / noisy.batch_size_}
    assert noisy.net_.optimizer_.param_groups[0]["weight_decay"] == (
        SHORT_SERIES_ALPHA / noisy.batch_size_)
    Xs, ys = make_windows(seasonal, 24)
    assert RNNRegressor(**TINY).fit(Xs, ys).alpha_ == 0.0
    # The penalised fit trains one network where the 'auto' ensemble would
    # train three; the same ensemble rule with a user's alpha keeps three.
    untuned = {**TINY}
    del untuned["ensemble_size"]
    assert RNNRegressor(**untuned).fit(X, y).ensemble_size_ == 1
    assert RNNRegressor(**untuned).fit(Xs, ys).ensemble_size_ == 3
    assert RNNRegressor(**untuned, alpha=1.0).fit(Xs, ys).ensemble_size_ == 3
    # The windows rescaled and the targets not (a scaler before the
    # windows): the same choice.
    scaled = RNNRegressor(**TINY).fit((X - walk.mean()) / walk.std(), y)
    assert scaled._instance_norm_affine is not None
    assert scaled.alpha_ == SHORT_SERIES_ALPHA
    # A direct forecast's windows of the same series: the milder penalty.
    Xd, Yd = make_windows(walk, 12, horizon=3)
    direct = RNNRegressor(**TINY).fit(Xd, Yd)
    assert direct.alpha_ == DIRECT_SHORT_SERIES_ALPHA
    assert direct.net_.optimizer_.param_groups[0]["weight_decay"] == (
        DIRECT_SHORT_SERIES_ALPHA / direct.batch_size_)
    # A global model's stacked windows: gated also when they stop early.
    long_walk = np.cumsum(rng.normal(size=EARLY_STOPPING_MIN_WINDOWS + 20))
    other_walk = np.cumsum(rng.normal(size=EARLY_STOPPING_MIN_WINDOWS + 20))
    stacked = RNNRegressor(**TINY).fit(*make_windows([long_walk, other_walk], 12))
    assert stacked.early_stopping_ and stacked.alpha_ == SHORT_SERIES_ALPHA
    # Where the rule was not measured: one series' windows that stop early,
    # other centring, rows that are not windows, classifiers.
    assert RNNRegressor(**TINY).fit(*make_windows(long_walk, 12)).alpha_ == 0.0
    assert RNNRegressor(**TINY, early_stopping=True).fit(X, y).alpha_ == 0.0
    for params in ({"instance_norm": None}, {"instance_norm_center": "mean"}):
        assert RNNRegressor(**TINY, **params).fit(X, y).alpha_ == 0.0
    rows, targets = rng.normal(size=(50, 8, 1)), rng.normal(size=50)
    assert RNNRegressor(**TINY).fit(rows, targets).alpha_ == 0.0
    assert RNNClassifier(**TINY).fit(rows, targets > 0).alpha_ == 0.0
    # A number is used as given; a warm start resolves it again.
    explicit = RNNRegressor(**TINY, alpha=0.3, warm_start=True).fit(X, y)
    assert explicit.alpha_ == 0.3
    assert explicit.set_params(alpha="auto").fit(X, y).alpha_ == 1.0


def test_average_weights_true_refuses_what_it_cannot_do():
    X, y = _fixed(40, 10)
    with pytest.raises(ValueError, match="partial_fit does not support "
                                         "average_weights=True"):
        RNNClassifier(**TINY, average_weights=True).partial_fit(X, y,
                                                                classes=[0, 1])
    with pytest.raises(ValueError, match="early_stopping=False"):
        RNNClassifier(**TINY, average_weights=True, early_stopping=True).fit(X, y)


@pytest.mark.parametrize("T, widths", [(100, [8]), (200, [8, 8]),
                                       (300, [4, 8, 8]), (1500, [4, 4, 4, 8, 8])])
def test_front_end_blocks_before_the_last_two_have_half_the_channels(T, widths):
    X, y = _fixed(16, T)
    clf = RNNClassifier(**{**TINY, "hidden_size": 8}).fit(X, y)
    module = clf.net_.module_
    assert [block.out_channels for block in module.conv] == widths
    assert [norm.num_features for norm in module.conv_norms] == widths
    assert module.rnn.input_size == 8


def _seasonal(n, period=12, seed=0):
    """A strong season of ``period`` steps on a slow trend, little noise."""
    t = np.arange(n)
    rng = np.random.RandomState(seed)
    return (10 + 0.005 * t + np.sin(2 * np.pi * t / period)
            + 0.05 * rng.normal(size=n))


def _one_series(window, horizon=1, n_series=1):
    return SeriesWindows(feature=0, step=window - 1, scale=1.0, offset=0.0,
                         series_starts=tuple(range(n_series)), horizon=horizon)


def test_instance_norm_center_auto_rule_as_a_function():
    def never():
        raise AssertionError("the rule asked for the seasonality it needs not")

    windows = _one_series(24)
    below = lambda: SEASONAL_CENTRE_THRESHOLD - 0.01  # noqa: E731
    above = lambda: SEASONAL_CENTRE_THRESHOLD + 0.01  # noqa: E731
    assert choose_instance_norm_center("auto", 0, windows, below) == "mean"
    assert choose_instance_norm_center("auto", 0, windows, above) == "last"
    assert choose_instance_norm_center("auto", 0, windows, lambda: None) == "last"
    # A user's centre is used as given, and the score is never computed
    # where the rule does not apply: no normalised feature, rows that are
    # not windows, a direct forecast's windows, stacked series.
    for center in ("last", "mean"):
        assert choose_instance_norm_center(center, 0, windows, never) == center
    assert choose_instance_norm_center("auto", None, windows, never) == "last"
    assert choose_instance_norm_center("auto", 0, None, None) == "last"
    assert choose_instance_norm_center(
        "auto", 0, _one_series(24, horizon=6), never) == "last"
    assert choose_instance_norm_center(
        "auto", 0, _one_series(24, n_series=2), never) == "last"


def test_window_seasonality_tells_a_season_the_window_spans():
    def score(series, window):
        X, _ = make_windows(series, window)
        return window_seasonality(np.asarray(X)[:, :, None], _one_series(window))

    seasonal = _seasonal(300)
    assert score(seasonal, 24) < SEASONAL_CENTRE_THRESHOLD
    # A window shorter than the season holds no lag that repeats it.
    assert score(seasonal, 10) > SEASONAL_CENTRE_THRESHOLD
    rng = np.random.RandomState(0)
    walk = np.cumsum(rng.normal(size=300))
    assert score(walk, 24) > 1
    # The tutorials' noisy sines: a cycle longer than the window.
    t = np.arange(800)
    for frequency, window in ((0.05, 10), (0.1, 60)):
        sine = np.sin(frequency * t) + 0.1 * rng.normal(size=800)
        assert score(sine, window) > 1
    # No lag of two steps to compare, or nothing changes: no score.
    assert score(seasonal, 2) is None
    assert score(np.ones(100), 24) is None


def test_window_seasonality_reads_the_most_recent_long_windows_only():
    from sklearn_rnn._predictability import SEASONALITY_BUDGET

    window = 400
    cap = SEASONALITY_BUDGET // window ** 2
    rng = np.random.RandomState(0)
    X, _ = make_windows(np.cumsum(rng.normal(size=window + 3 * cap)), window)
    values = np.asarray(X)[:, :, None]
    assert len(values) > cap
    assert window_seasonality(values, _one_series(window)) == window_seasonality(
        values[-cap:], _one_series(window))


def test_instance_norm_center_auto_on_fits():
    seasonal = _seasonal(150)
    X, y = make_windows(seasonal, 24)
    reg = RNNRegressor(**TINY).fit(X, y)
    assert reg.instance_norm_center_ == "mean"
    assert reg.net_.module_.instance_norm_center == "mean"
    # Centred on the mean by 'auto', the windows that stop early still start
    # from the centre's forecast (a zero output).
    assert reg.early_stopping_
    assert _output_layer_starts_at_zero(RNNRegressor(**TINY), X, y)
    # A user's centre is kept; other series, a direct forecast's windows
    # and stacked series are centred on their last value.
    assert RNNRegressor(**TINY, instance_norm_center="last").fit(
        X, y).instance_norm_center_ == "last"
    rng = np.random.RandomState(0)
    walk_X, walk_y = make_windows(np.cumsum(rng.normal(size=150)), 24)
    assert RNNRegressor(**TINY).fit(walk_X, walk_y).instance_norm_center_ == "last"
    direct = RNNRegressor(**TINY).fit(*make_windows(seasonal, 24, horizon=6))
    assert direct.instance_norm_center_ == "last"
    stacked = RNNRegressor(**TINY).fit(
        *make_windows([seasonal, _seasonal(150, seed=1)], 24))
    assert stacked.instance_norm_center_ == "last"
    # Rows that are not windows: nothing to centre, 'last' recorded.
    rows = RNNRegressor(**TINY).fit(rng.normal(size=(40, 6, 1)), rng.normal(size=40))
    assert rows.instance_norm_feature_ is None
    assert rows.instance_norm_center_ == "last"
    # The tutorial path with a scaler before the windows chooses the same.
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_rnn import SlidingWindowTransformer

    pipe = make_pipeline(StandardScaler(), SlidingWindowTransformer(24),
                         RNNRegressor(**TINY)).fit(seasonal[:-1, None], seasonal[1:])
    assert pipe[-1].instance_norm_center_ == "mean"
    # A warm start keeps the network's centre.
    warm = RNNRegressor(**TINY, warm_start=True).fit(X, y)
    assert warm.fit(X, y).instance_norm_center_ == "mean"
    assert warm.net_.module_.instance_norm_center == "mean"


def test_step_changes_measure_the_usual_step_and_its_trend():
    rng = np.random.RandomState(0)
    series = rng.normal(size=300)
    X, _ = make_windows(series, 12)
    values = X[:, :, None]
    # The last change of each window: the series' one-step changes, once each.
    scale, trend, growth = step_changes(values, None, 0)
    assert_allclose(scale, np.abs(np.diff(series[:-1])[10:]).mean())
    assert trend < 0.1
    assert 0.8 < growth < 1.25
    ramp = np.arange(12.0)[None, :, None] * np.ones((6, 1, 1))
    assert step_changes(ramp, None, 0) == (1.0, 1.0, 1.0)
    assert step_changes(-ramp, None, 0) == (1.0, 1.0, 1.0)
    # Growth: the last third's usual step over the first third's.
    factors = np.array([1, 1, 2, 2, 6, 6.0])[:, None, None]
    grown = np.arange(12.0)[None, :, None] * factors
    assert step_changes(grown, None, 0)[2] == 6.0
    calm_start = grown.copy()
    calm_start[:2] = 0.0
    assert step_changes(calm_start, None, 0)[2] == np.inf
    # The leading steps only, the valid steps of each sequence, the feature.
    both = np.concatenate([values, 2 * values], axis=2)
    assert_allclose(step_changes(both, None, 1, steps=4)[0],
                    2 * np.abs(values[:, 3, 0] - values[:, 2, 0]).mean())
    lengths = np.array([3, 12] * (len(values) // 2) + [12] * (len(values) % 2))
    last = np.minimum(lengths, 12) - 1
    rows = np.arange(len(values))
    expected = np.abs(values[rows, last, 0] - values[rows, last - 1, 0]).mean()
    assert_allclose(step_changes(values, lengths, 0)[0], expected)
    # Nothing to measure: flat sequences, one step, a feature X does not have.
    assert step_changes(np.ones((5, 8, 1)), None, 0) is None
    assert step_changes(values[:, :1], None, 0) is None
    assert step_changes(values, np.ones(len(values), dtype=int), 0) is None
    assert step_changes(values, None, 2) is None


def test_the_latest_changes_reach_the_end_of_a_direct_forecasts_series():
    """A direct forecast's windows end a horizon before the series: the
    steps after the last window are its targets, which the growth reads."""
    series = np.r_[np.arange(30.0), 29 + 10 * np.arange(1, 7)]
    X, Y = make_windows(series, 5, horizon=6)
    values = X[:, :, None]
    windows = SeriesWindows(feature=0, step=4, scale=1.0, offset=0.0,
                            series_starts=(0,), horizon=6)
    assert_allclose(latest_changes(values, Y, windows), np.diff(series[-7:]))
    # Targets that are scale * feature + offset (a scaler before the windows).
    rescaled = windows._replace(scale=2.0, offset=1.0)
    assert_allclose(latest_changes(values, 2 * Y + 1, rescaled),
                    np.diff(series[-7:]))
    assert latest_changes(values, Y, windows._replace(series_starts=(0, 9))) is None
    assert step_changes(values, None, 0)[2] == 1.0
    latest = latest_changes(values, Y, windows)
    assert step_changes(values, None, 0, latest=latest)[2] > STEP_GROWTH_MAX
    # The scale and the trend are the windows' own.
    assert step_changes(values, None, 0, latest=latest)[:2] == (1.0, 1.0)


def test_instance_norm_scale_auto_rule_as_a_function():
    def never(*args):
        raise AssertionError("the rule measured what it needs not")

    def changes(trend, growth=1.0):
        return lambda feature, steps: (0.3, trend, growth)

    def seasonality(score):
        return lambda: score

    calm, trending = STEADY_TREND_THRESHOLD * 0.9, STEADY_TREND_THRESHOLD
    plain, seasonal = SEASONAL_CENTRE_THRESHOLD, SEASONAL_CENTRE_THRESHOLD * 0.9
    one, direct = _one_series(10), _one_series(10, horizon=6)
    rule = choose_instance_norm_scale
    assert rule("auto", 0, None, "last", one, False, changes(calm),
                seasonality(plain)) == ("series", 0.3)
    assert rule("auto", 0, None, "last", one, False, changes(calm),
                None) == ("series", 0.3)
    # One step ahead a steady trend keeps each window's spread; a direct
    # forecast's windows do not.
    assert rule("auto", 0, None, "last", one, False, changes(trending),
                seasonality(plain)) == ("window", None)
    assert rule("auto", 0, None, "last", direct, False, changes(trending),
                seasonality(plain)) == ("series", 0.3)
    # Recent windows that move far more than the early ones keep it too,
    # whatever the horizon; calmer ones do not.
    for windows in (one, direct):
        assert rule("auto", 0, None, "last", windows, False,
                    changes(calm, STEP_GROWTH_MAX * 1.1),
                    seasonality(plain)) == ("window", None)
        assert rule("auto", 0, None, "last", windows, False,
                    changes(calm, STEP_GROWTH_MAX), seasonality(plain)) == (
            "series", 0.3)
        assert rule("auto", 0, None, "last", windows, False,
                    changes(calm, 0.1), seasonality(plain)) == ("series", 0.3)
    assert rule("series", 0, None, "last", one, False, changes(0.9, 10.0),
                never) == ("series", 0.3)
    # Strongly seasonal windows keep it, whatever the horizon.
    for windows in (one, direct):
        assert rule("auto", 0, None, "last", windows, False, never,
                    seasonality(seasonal)) == ("window", None)
    # Windows the rule was not measured on keep their own spread, unasked.
    for args in [(0, None, "mean", one), (0, None, "last", _one_series(10, n_series=3)),
                 (0, None, "last", None), (None, None, "last", one),
                 (1, None, "last", one)]:
        assert rule("auto", *args, False, never, never) == ("window", None)
    assert rule("auto", 0, None, "last", one, True, never, never) == ("window", None)
    # A user's choice: 'series' on any normalised feature (no gate),
    # 'window' without a measurement.
    assert rule("window", 0, None, "last", one, False, never, never) == (
        "window", None)
    assert rule("series", 0, None, "mean", _one_series(10, n_series=3), False,
                changes(0.9), never) == ("series", 0.3)
    assert rule("series", 0, None, "last", None, False,
                lambda feature, steps: None, never) == ("window", None)


def test_instance_norm_scale_auto_on_fits():
    rng = np.random.RandomState(0)
    walk = np.cumsum(rng.normal(size=150))
    X, y = make_windows(walk, 10)
    reg = RNNRegressor(**TINY).fit(X, y)
    assert reg.instance_norm_scale_ == "series"
    assert_allclose(reg._instance_norm_series_scale,
                    np.abs(np.diff(walk[:-1])[8:]).mean(), rtol=1e-5)
    # A steady trend one step ahead, a strong season and stacked series keep
    # each window's spread.
    trend = 0.5 * np.arange(150) + 0.05 * rng.normal(size=150)
    assert RNNRegressor(**TINY).fit(*make_windows(trend, 10)).instance_norm_scale_ \
        == "window"
    # ... but a direct forecast of the trend takes the series' scale.
    direct = RNNRegressor(**TINY).fit(*make_windows(trend, 10, horizon=6))
    assert direct.instance_norm_scale_ == "series"
    # Steps that grow with an exponential level (a season on it): neither.
    t = np.arange(150)
    grown = np.exp(0.015 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12))
    for horizon in (1, 6):
        assert RNNRegressor(**TINY).fit(*make_windows(
            grown, 10, horizon=horizon)).instance_norm_scale_ == "window"
    seasonal = RNNRegressor(**TINY).fit(*make_windows(_seasonal(150), 24))
    assert (seasonal.instance_norm_center_, seasonal.instance_norm_scale_) == (
        "mean", "window")
    for kwargs, horizon in (({"instance_norm_center": "last"}, 1), ({}, 6)):
        assert RNNRegressor(**TINY, **kwargs).fit(*make_windows(
            _seasonal(150), 24, horizon=horizon)).instance_norm_scale_ == "window"
    stacked = RNNRegressor(**TINY).fit(*make_windows([walk, 3 * walk], 10))
    assert stacked.instance_norm_scale_ == "window"
    assert stacked.net_.module_.instance_norm_series_scale is None
    # Rows that are not windows: nothing normalised, 'window' recorded.
    rows = RNNRegressor(**TINY).fit(rng.normal(size=(40, 6, 1)), rng.normal(size=40))
    assert (rows.instance_norm_feature_, rows.instance_norm_scale_) == (None, "window")
    # A scaler before the windows: the same choice, the scale in its units.
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_rnn import SlidingWindowTransformer

    pipe = make_pipeline(StandardScaler(), SlidingWindowTransformer(10),
                         RNNRegressor(**TINY)).fit(walk[:-1, None], walk[1:])
    assert pipe[-1].instance_norm_scale_ == "series"
    assert_allclose(pipe[-1]._instance_norm_series_scale * walk[:-1].std(),
                    reg._instance_norm_series_scale, rtol=0.05)
    # A warm start keeps the network's scale; another kind is refused.
    warm = RNNRegressor(**TINY, warm_start=True).fit(X, y)
    assert warm.fit(X, y).instance_norm_scale_ == "series"
    warm.set_params(instance_norm_scale="window")
    with pytest.raises(ValueError, match="instance_norm_series_scale"):
        warm.fit(X, y)
    with pytest.raises(ValueError, match="instance_norm_scale"):
        RNNRegressor(**TINY, instance_norm_scale="median").fit(X, y)

"""Windows of a series: recognising them, instance normalisation (RevIN) and
the 'auto' early stopping that both follow from it (issue 12)."""

import pickle

import numpy as np
import pytest
import torch
from _params import fast_params
from numpy.testing import assert_allclose
from skorch.callbacks import Callback

from sklearn_rnn import (
    RNNClassifier,
    RNNRegressor,
    load_model,
    make_windows,
    recursive_forecast,
    save_model,
)
from sklearn_rnn._module import RecurrentNetwork
from sklearn_rnn._plan import EARLY_STOPPING_MIN_WINDOWS
from sklearn_rnn._window import find_continued_feature, find_sliding_windows

# One network: these tests are not about ensembles (test_ensemble.py is).
FAST = fast_params(hidden_size=8, max_iter=5)


def _noisy_sine(n=300, seed=0):
    rng = np.random.RandomState(seed)
    return np.sin(np.arange(n) * 0.1) + 0.1 * rng.normal(size=n)


def _found(X, y):
    X = np.asarray(X, dtype=np.float32)
    return find_continued_feature(X[..., None] if X.ndim == 2 else X, None, y)


@pytest.mark.parametrize("kwargs, expected", [
    ({}, (0, 9, 1.0, 0.0)),
    ({"horizon": 5}, (0, 9, 1.0, 0.0)),
    # step 3: the next window starts 3 values later, its step 7 is the target.
    ({"step": 3}, (0, 7, 1.0, 0.0)),
])
def test_windows_of_one_series_are_recognised(kwargs, expected):
    X, y = make_windows(_noisy_sine(), 10, **kwargs)
    assert _found(X, y) == expected


def test_windows_of_many_series_and_of_a_multivariate_series():
    s = _noisy_sine()
    X, y = make_windows([s[:100], s[100:130], s[130:]], 10)
    assert _found(X, y) == (0, 9, 1.0, 0.0)
    X, y = make_windows(np.c_[s ** 2, s], 10, target=1)
    assert _found(X, y) == (1, 9, 1.0, 0.0)


def test_known_future_steps_are_after_the_step_that_holds_the_target():
    s = _noisy_sine()
    X, y = make_windows(s, 10, horizon=3, future_covariates=np.arange(300.0))
    assert X.shape[1] == 13
    assert _found(X, y) == (0, 9, 1.0, 0.0)


def test_windows_of_a_rescaled_series_are_recognised_with_the_map():
    """A scaler before the windows rescales the inputs, not the targets:
    the target is then scale * value + offset, found with that map, also
    across the boundaries of stacked series and in a pipeline's padded
    first rows."""
    s = 5.0 * _noisy_sine() + 20.0
    X, y = make_windows(np.c_[np.cos(np.arange(300.0)), s], 10, target=1)
    X = X.copy()
    X[..., 1] = (X[..., 1] - 20.0) / 5.0
    feature, step, scale, offset = _found(X, y)
    assert (feature, step) == (1, 9)
    assert_allclose([scale, offset], [5.0, 20.0], rtol=1e-5)
    X, y = make_windows([s[:100], s[100:130], s[130:]], 10)
    found = _found((X - 20.0) / 5.0, y)
    assert found[:2] == (0, 9)
    assert_allclose(found[2:], [5.0, 20.0], rtol=1e-5)
    rng = np.random.RandomState(0)
    order = rng.permutation(len(y))
    assert _found(((X - 20.0) / 5.0)[order], y[order]) is None


def test_a_scaler_before_the_windows_keeps_the_rules_and_the_forecast():
    """make_pipeline(StandardScaler(), SlidingWindowTransformer(w),
    RNNRegressor()): the window rules hold as without the scaler, and the
    predictions are those of the same model without it (RevIN sees each
    window's shape whatever the inputs' units)."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_rnn import SlidingWindowTransformer

    s = 3.0 * _noisy_sine(200) + 0.05 * np.arange(200) + 10.0
    X, y = s[:-1, None], s[1:]
    params = dict(FAST, early_stopping=False)
    scaled = make_pipeline(StandardScaler(), SlidingWindowTransformer(12),
                           RNNRegressor(**params)).fit(X, y)
    plain = make_pipeline(SlidingWindowTransformer(12),
                          RNNRegressor(**params)).fit(X, y)
    reg = scaled[-1]
    assert reg.instance_norm_feature_ == 0
    assert_allclose(reg._instance_norm_affine,
                    (scaled[0].scale_[0], scaled[0].mean_[0]), rtol=1e-5)
    assert RNNRegressor(**FAST).fit(*make_windows(s, 12)).early_stopping_
    assert_allclose(scaled.predict(X), plain.predict(X), rtol=1e-3, atol=1e-3)


def test_rows_that_are_not_windows_are_not_recognised():
    rng = np.random.RandomState(0)
    X, y = make_windows(_noisy_sine(), 10)
    order = rng.permutation(len(y))
    assert _found(X[order], y[order]) is None
    # Values that repeat match by chance: binary data is not windows.
    binary = rng.randint(0, 2, size=(200, 20, 3))
    assert _found(binary, rng.randint(0, 2, size=200)) is None
    assert _found(rng.normal(size=(200, 20, 3)), rng.normal(size=200)) is None
    X, y = make_windows(np.zeros(100), 10)
    assert _found(X, y) is None
    assert find_continued_feature(np.zeros((5, 4, 1), np.float32),
                                  np.array([4, 3, 2, 4, 4]), np.zeros(5)) is None


def test_auto_rules_on_windows_and_elsewhere():
    X, y = make_windows(_noisy_sine(), 10)
    reg = RNNRegressor(**FAST).fit(X, y)
    assert reg.instance_norm_feature_ == 0
    assert reg.early_stopping_ is True
    assert len(reg.validation_scores_) == reg.n_iter_
    # A short series: fewer windows than EARLY_STOPPING_MIN_WINDOWS train to
    # the end (a tenth of them is too few to stop on).
    X_short, y_short = make_windows(_noisy_sine(EARLY_STOPPING_MIN_WINDOWS + 9), 10)
    assert len(y_short) == EARLY_STOPPING_MIN_WINDOWS - 1
    reg = RNNRegressor(**FAST).fit(X_short, y_short)
    assert reg.instance_norm_feature_ == 0
    assert reg.early_stopping_ is False
    reg = RNNRegressor(**FAST).fit(X_short, y_short, X_val=X[:5], y_val=y[:5])
    assert reg.early_stopping_ is True
    # Plain sequence regression: neither rule applies.
    rng = np.random.RandomState(0)
    X2 = rng.normal(size=(60, 10))
    reg = RNNRegressor(**FAST).fit(X2, X2[:, -3:].sum(axis=1))
    assert reg.instance_norm_feature_ is None
    assert reg.early_stopping_ is False
    assert reg.validation_scores_ is None
    # Explicit parameters win over the rules.
    reg = RNNRegressor(**FAST, instance_norm=None, early_stopping=False).fit(X, y)
    assert reg.instance_norm_feature_ is None
    assert reg.early_stopping_ is False
    reg = RNNRegressor(**FAST, instance_norm=0).fit(X2, X2[:, -1])
    assert reg.instance_norm_feature_ == 0
    # A classifier's labels never continue a feature.
    clf = RNNClassifier(**FAST).fit(X, y > 0)
    assert clf.early_stopping_ is False


def test_partial_fit_never_stops_early():
    X, y = make_windows(_noisy_sine(), 10)
    reg = RNNRegressor(**FAST).partial_fit(X, y)
    assert reg.early_stopping_ is False
    assert reg.instance_norm_feature_ == 0


def test_bad_instance_norm_parameters():
    X, y = make_windows(_noisy_sine(), 10)
    with pytest.raises(ValueError, match="X has 1 feature"):
        RNNRegressor(**FAST, instance_norm=1).fit(X, y)
    with pytest.raises(ValueError, match="return_sequences"):
        RNNRegressor(**FAST, instance_norm=0, return_sequences=True).fit(
            X, np.c_[X[:, 1:], y])
    reg = RNNRegressor(**FAST, warm_start=True).fit(X, y)
    reg.set_params(instance_norm=None)
    with pytest.raises(ValueError, match="instance_norm_feature 0 -> None"):
        reg.fit(X, y)


def test_predictions_follow_each_windows_level_and_scale():
    """Whatever the level and spread of a window, the network sees the
    same standardised shape: predict(a * X + b) == a * predict(X) + b."""
    X, y = make_windows(_noisy_sine(), 10)
    reg = RNNRegressor(**FAST, instance_norm_scale="window").fit(X, y)
    for a, b in [(1.0, 5.0), (3.0, -2.0), (0.5, 100.0)]:
        assert_allclose(reg.predict(a * X + b), a * reg.predict(X) + b,
                        rtol=1e-4, atol=1e-4 * (abs(b) + a))


def test_one_scale_for_the_series_follows_each_windows_level_only():
    """Divided by the series' usual step, a window keeps its size: the
    forecast follows its level (predict(X + b) == predict(X) + b) and reads
    its moves against that step, so a window twice as wild is another
    input (unlike 'window', where only its shape counts)."""
    series = _noisy_sine()
    X, y = make_windows(series, 10)
    reg = RNNRegressor(**FAST).fit(X, y)
    assert reg.instance_norm_scale_ == "series"
    # The usual step: the windows' last changes, the series' one-step ones.
    step = np.abs(np.diff(series[:-1])[8:]).mean()
    assert_allclose(reg._instance_norm_series_scale, step, rtol=1e-5)
    assert reg.net_.module_.instance_norm_series_scale == pytest.approx(step)
    for b in (5.0, -2.0, 100.0):
        assert_allclose(reg.predict(X + b), reg.predict(X) + b,
                        rtol=1e-4, atol=1e-4 * abs(b))
    doubled = reg.predict(2 * X) - 2 * reg.predict(X)
    assert np.abs(doubled).max() > 1e-3


@pytest.mark.parametrize("center", ["last", "mean"])
def test_an_untrained_output_is_the_windows_centre(center):
    """The network's output is read as a change from the window's centre,
    in units of its spread: a head that outputs zero forecasts the last
    valid value ('last': the naive forecast) or the window's mean."""
    import torch

    module = RecurrentNetwork(1, 1, hidden_size=4, instance_norm_feature=0,
                              instance_norm_center=center,
                              target_mean=[2.0], target_scale=[3.0])
    with torch.no_grad():
        module.head[-1].weight.zero_()
        module.head[-1].bias.zero_()
    X = torch.tensor([[1.0, 4.0, 7.0, 0.0], [2.0, 0.0, 5.0, 9.0]])[..., None]
    lengths = torch.tensor([3, 4])
    # Outputs are in the standardised target units: back to the series'.
    out = module(X, lengths)[:, 0] * 3.0 + 2.0
    expected = [7.0, 9.0] if center == "last" else [4.0, 4.0]
    assert_allclose(out.detach().numpy(), expected, rtol=1e-6)
    # A window's leading steps only (known-future covariates after them).
    module.instance_norm_steps = 2
    out = module(X, lengths)[:, 0] * 3.0 + 2.0
    expected = [4.0, 0.0] if center == "last" else [2.5, 1.0]
    assert_allclose(out.detach().numpy(), expected, rtol=1e-6)


def test_instance_norm_center_is_part_of_the_network():
    X, y = make_windows(_noisy_sine(), 10)
    assert RNNRegressor().instance_norm_center == "auto"
    # 'auto' centres these windows (a cycle longer than the window) on their
    # last value; a warm start may name that centre, not the other one.
    reg = RNNRegressor(**FAST, warm_start=True).fit(X, y)
    assert reg.instance_norm_center_ == "last"
    reg.set_params(instance_norm_center="last").fit(X, y)
    reg.set_params(instance_norm_center="mean")
    with pytest.raises(ValueError, match="instance_norm_center"):
        reg.fit(X, y)
    reg = RNNRegressor(**FAST, instance_norm_center="mean").fit(X, y)
    assert reg.net_.module_.instance_norm_center == "mean"
    reg.set_params(warm_start=True, instance_norm_center="last")
    with pytest.raises(ValueError, match="instance_norm_center"):
        reg.fit(X, y)
    # Without a normalised feature the centre changes nothing.
    reg = RNNRegressor(**FAST, instance_norm=None, warm_start=True).fit(X, y)
    reg.set_params(instance_norm_center="mean").fit(X, y)
    with pytest.raises(ValueError, match="instance_norm_center"):
        RNNRegressor(**FAST, instance_norm_center="median").fit(X, y)


def test_a_flat_window_forecasts_its_level():
    X, y = make_windows(_noisy_sine(), 10)
    reg = RNNRegressor(**FAST, instance_norm_scale="window").fit(X, y)
    assert_allclose(reg.predict(np.full((2, 10), 0.7)), [0.7, 0.7], rtol=1e-6)


def test_a_trend_carries_on_past_the_training_range():
    """The motivating failure: a network on standardised inputs cannot
    reach values above those it was trained on; RevIN forecasts the shape."""
    t = np.arange(240.0)
    series = 0.05 * t + np.sin(t * 2 * np.pi / 12)
    train, test = series[:200], series[200:]
    X, y = make_windows(train, 24)
    errors = {}
    for instance_norm in ("auto", None):
        reg = RNNRegressor(hidden_size=16, max_iter=60, random_state=0,
                           instance_norm=instance_norm).fit(X, y)
        forecast = recursive_forecast(reg, train[-24:], len(test))
        errors[instance_norm] = np.abs(forecast - test).mean()
    assert errors["auto"] < 0.5 * errors[None]
    assert errors["auto"] < 0.5


def test_variable_length_sequences_use_their_own_valid_steps():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=n) + 10 * i for i, n in enumerate([5, 8, 12, 6] * 5)]
    y = np.array([x[-1] for x in X])
    reg = RNNRegressor(**FAST, instance_norm=0).fit(X, y)
    together = reg.predict(X)
    alone = np.concatenate([reg.predict([x]) for x in X])
    assert_allclose(together, alone, rtol=1e-5, atol=1e-5)


def test_pickle_and_save_keep_the_normalisation(tmp_path):
    X, y = make_windows(_noisy_sine(), 10, horizon=3,
                        future_covariates=np.arange(300.0))
    reg = RNNRegressor(**FAST).fit(X, y)
    assert reg._instance_norm_steps == 10
    expected = reg.predict(X)
    assert_allclose(pickle.loads(pickle.dumps(reg)).predict(X), expected)
    save_model(reg, tmp_path / "model.zip")
    assert_allclose(load_model(tmp_path / "model.zip").predict(X), expected)


def test_tail_split_holds_out_the_end_of_every_series():
    from sklearn_rnn._net import SequenceDataset, TailSplit

    dataset = SequenceDataset(torch.arange(40.0).reshape(40, 1, 1), None,
                              torch.arange(40.0), None)
    train, valid = TailSplit(0.1, series_starts=(0, 20, 30, 39))(dataset)
    # 20 rows -> last 2, 10 -> last 1, 9 -> last 1, a 1-row series trains.
    assert valid.y.tolist() == [18.0, 19.0, 29.0, 38.0]
    assert len(train) == 36 and 39.0 in train.y.tolist()
    train, valid = TailSplit(0.1)(dataset)
    assert valid.y.tolist() == [36.0, 37.0, 38.0, 39.0]


def test_stacked_windows_validate_on_the_end_of_every_series():
    """A global model's early stopping: the last tenth of every series'
    windows, not the end of the last series alone; the fitted net keeps a
    plain tail split (nothing of the data)."""
    from sklearn_rnn._net import TailSplit

    s = _noisy_sine(300)
    X, y = make_windows([s[:150], s[150:], 3 * s[:120]], 10)
    windows = RNNRegressor()._find_series_windows(
        RNNRegressor(**FAST).fit(X, y)._validate_X(X, reset=False), y)
    assert windows.series_starts == (0, 140, 280)
    rows = _CountRows()
    reg = RNNRegressor(**FAST, callbacks=[rows]).fit(X, y)
    assert reg.early_stopping_
    # round(0.1 * n) windows of each series: 14 + 14 + 11.
    assert rows.valid == 39 * reg.n_iter_
    assert reg.net_.train_split.series_starts is None
    assert isinstance(reg.net_.train_split, TailSplit)


class _CountRows(Callback):
    def initialize(self):
        self.valid = 0
        self.train = []
        return self

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            self.train.extend(batch[1].reshape(len(batch[1]), -1)[:, 0].tolist())
        else:
            self.valid += batch[0]["X"].shape[0]


def test_tail_split_leaves_a_gap_before_every_tail():
    from sklearn_rnn._net import SequenceDataset, TailSplit

    dataset = SequenceDataset(torch.arange(40.0).reshape(40, 1, 1), None,
                              torch.arange(40.0), None)
    train, valid = TailSplit(0.1, gap=3)(dataset)
    assert valid.y.tolist() == [36.0, 37.0, 38.0, 39.0]
    assert train.y.tolist() == [float(i) for i in range(33)]
    train, valid = TailSplit(0.1, series_starts=(0, 20, 30, 39), gap=3)(dataset)
    assert valid.y.tolist() == [18.0, 19.0, 29.0, 38.0]
    # 20 rows: 0-14 train, 15-17 left out; 10 rows: 20-25 train, 26-28 out;
    # 9 rows: 30-34 train, 35-37 out; the 1-row series trains.
    assert train.y.tolist() == ([float(i) for i in range(15)]
                                + [float(i) for i in range(20, 26)]
                                + [float(i) for i in range(30, 35)] + [39.0])
    # A gap never takes a series' last training row.
    train, valid = TailSplit(0.5, gap=100)(dataset)
    assert train.y.tolist() == [0.0] and len(valid) == 20


@pytest.mark.parametrize("horizon", [1, 4])
def test_direct_windows_leave_out_the_rows_whose_targets_reach_the_tail(horizon):
    """A direct forecast's early stopping: the horizon - 1 windows before
    the validation tail hold targets inside it and do not train; one-step
    windows need no gap."""
    s = _noisy_sine(300)
    X, y = make_windows(s, 10, horizon=horizon)
    rows = _CountRows()
    reg = RNNRegressor(**FAST, callbacks=[rows]).fit(X, y)
    assert reg.early_stopping_
    n_valid = round(0.1 * len(X))
    assert len(rows.train) == (len(X) - n_valid - (horizon - 1)) * reg.n_iter_
    assert rows.valid == n_valid * reg.n_iter_
    # The same rows every epoch (distinct first targets, standardised).
    assert len(set(rows.train)) == len(X) - n_valid - (horizon - 1)
    # The fitted net keeps a plain tail split (nothing of the data).
    assert reg.net_.train_split.gap == 0


def test_stacked_direct_windows_leave_a_gap_in_every_series():
    s = _noisy_sine(300)
    X, y = make_windows([s[:150], s[150:]], 10, horizon=3)
    rows = _CountRows()
    reg = RNNRegressor(**FAST, callbacks=[rows]).fit(X, y)
    # 138 windows per series: 14 validate, 2 left out, 122 train.
    assert rows.valid == 28 * reg.n_iter_
    assert len(rows.train) == 244 * reg.n_iter_


def _as_values(X):
    return np.asarray(X, dtype=np.float32).reshape(len(X), X.shape[1], -1)


def test_sliding_windows_are_found_with_their_series_and_overlap():
    s = _noisy_sine(100)
    X, y = make_windows(s, 8, return_sequences=True)
    assert find_sliding_windows(_as_values(X), None, y) == ((0,), 7)
    # Three targets per step: a horizon, reaching two values further.
    X, y = make_windows(s, 8, horizon=3, return_sequences=True)
    assert find_sliding_windows(_as_values(X), None, y) == ((0,), 9)
    # Three unrelated outputs per step: no horizon.
    rng = np.random.RandomState(0)
    assert find_sliding_windows(_as_values(X), None,
                                rng.normal(size=y.shape)) == ((0,), 7)
    X, y = make_windows([s[:60], s[60:]], 8, return_sequences=True)
    assert find_sliding_windows(_as_values(X), None, y) == ((0, 52), 7)
    # Windows made 3 values apart: a row shares targets with the 2 after it.
    X, y = make_windows(s, 8, step=3, return_sequences=True)
    assert find_sliding_windows(_as_values(X), None, y) == ((0,), 2)
    # Not windows: shuffled windows, other rows, variable lengths.
    X, y = make_windows(s, 8, return_sequences=True)
    order = rng.permutation(len(X))
    assert find_sliding_windows(_as_values(X[order]), None, y[order]) is None
    assert find_sliding_windows(_as_values(rng.normal(size=(50, 8))), None,
                                None) is None
    assert find_sliding_windows(_as_values(X), np.full(len(X), 8), y) is None


def test_the_feature_per_step_targets_continue_is_found():
    from sklearn_rnn._window import find_per_step_feature

    s = _noisy_sine(100)
    X, y = make_windows(s, 8, return_sequences=True)
    assert find_per_step_feature(_as_values(X), y) == 0
    # A multivariate series whose second column is the target.
    both = np.c_[np.cos(np.arange(100.0)), s]
    X, y = make_windows(both, 8, target=1, return_sequences=True)
    assert find_per_step_feature(_as_values(X), y) == 1
    # Targets of their own (labels per step, another quantity): none.
    assert find_per_step_feature(_as_values(X), np.zeros(y.shape)) is None
    assert find_per_step_feature(_as_values(X), y[:, ::-1]) is None


def test_windows_with_one_target_per_step_leave_out_rows_sharing_the_tail():
    """A window's per-step targets are also targets of the window_size - 1
    windows after it: with early stopping those before the tail of every
    series do not train; with X_val nothing is left out."""
    s = _noisy_sine(300)
    X, y = make_windows(s, 10, return_sequences=True)
    rows = _CountRows()
    reg = RNNRegressor(**FAST, return_sequences=True, early_stopping=True,
                       callbacks=[rows]).fit(X, y)
    n_valid = round(0.1 * len(X))
    assert rows.valid == n_valid * reg.n_iter_
    assert len(rows.train) == (len(X) - n_valid - 9) * reg.n_iter_
    assert len(set(rows.train)) == len(X) - n_valid - 9
    assert reg.net_.train_split.gap == 0

    X, y = make_windows([s[:150], s[150:]], 10, return_sequences=True)
    rows = _CountRows()
    reg = RNNRegressor(**FAST, return_sequences=True, early_stopping=True,
                       callbacks=[rows]).fit(X, y)
    # 140 windows per series: 14 validate, 9 left out, 117 train.
    assert rows.valid == 28 * reg.n_iter_
    assert len(rows.train) == 234 * reg.n_iter_

    rows = _CountRows()
    reg = RNNRegressor(**FAST, return_sequences=True, early_stopping=True,
                       callbacks=[rows]).fit(X[:200], y[:200], X_val=X[200:],
                                             y_val=y[200:])
    assert len(rows.train) == 200 * reg.n_iter_


def test_per_step_windows_get_the_window_rules():
    """One target per step on windows of a series: the feature is found, the
    network anchors each step on its own value, and early stopping follows
    the windows' rule (from 100 windows)."""
    s = _noisy_sine(300) + 0.02 * np.arange(300)
    X, y = make_windows(s, 10, return_sequences=True)
    reg = RNNRegressor(**FAST, return_sequences=True).fit(X, y)
    assert reg.instance_norm_feature_ == 0
    assert reg.instance_norm_center_ == "last"
    assert reg.early_stopping_ is True
    short = RNNRegressor(**FAST, return_sequences=True).fit(X[:60], y[:60])
    assert short.instance_norm_feature_ == 0
    assert short.early_stopping_ is False
    # Per-step targets that continue no feature: no normalisation, no
    # early stopping; instance_norm=None switches the normalisation off.
    rng = np.random.RandomState(0)
    other = RNNRegressor(**FAST, return_sequences=True).fit(
        X, rng.normal(size=y.shape))
    assert other.instance_norm_feature_ is None
    assert other.early_stopping_ is False
    off = RNNRegressor(**FAST, return_sequences=True, instance_norm=None,
                       early_stopping=False).fit(X, y)
    assert off.instance_norm_feature_ is None
    # A window's mean would tell each step the values after it.
    with pytest.raises(ValueError, match="one target per step"):
        RNNRegressor(**FAST, return_sequences=True,
                     instance_norm_center="mean").fit(X, y)


def test_per_step_anchoring_is_causal_and_starts_from_the_naive_forecast():
    net = RecurrentNetwork(input_size=1, output_size=2, hidden_size=4,
                           return_sequences=True, input_mean=[5.0],
                           input_scale=[2.0], instance_norm_feature=0,
                           target_mean=[5.0, 5.0], target_scale=[2.0, 2.0])
    X = torch.randn(3, 8, 1) * 2 + 40.0
    with torch.no_grad():
        out = net(X)
        later = X.clone()
        later[:, 5:] += 100.0
        # A step's outputs never depend on the steps after it.
        assert torch.equal(net(later)[:, :5], out[:, :5])
        net.head[-1].weight.zero_()
        net.head[-1].bias.zero_()
        # A zero output: each step's own value (standardised), the naive
        # forecast for every step of the horizon.
        expected = ((X - 5.0) / 2.0).expand(-1, -1, 2)
        assert_allclose(net(X).numpy(), expected.numpy(), rtol=1e-6, atol=1e-5)


def test_the_gap_is_a_rule_of_the_plan():
    from sklearn_rnn._plan import (
        PerStepWindows,
        SeriesWindows,
        choose_validation_gap,
        count_training_rows,
    )

    windows = SeriesWindows(0, 10, 1.0, 0.0, series_starts=(0,), horizon=6)
    assert choose_validation_gap(windows, True, False) == 5
    assert choose_validation_gap(windows._replace(horizon=1), True, False) == 0
    assert choose_validation_gap(windows, False, False) == 0
    assert choose_validation_gap(windows, True, True) == 0  # X_val
    assert choose_validation_gap(None, True, False) == 0
    # Windows with one target per step: their overlap.
    per_step = PerStepWindows(series_starts=(0,), overlap=9, feature=0)
    assert choose_validation_gap(None, True, False, per_step) == 9
    assert choose_validation_gap(None, True, True, per_step) == 0
    assert count_training_rows(200, True, False, 0.1, 5, 2) == 170
    assert count_training_rows(200, True, True, 0.1, 5, 2) == 200

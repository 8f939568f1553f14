"""RNNRegressor's losses: squared, absolute, Huber and quantile (pinball)."""

import pickle

import numpy as np
import pytest
import torch
from _params import fast_params
from sklearn.base import clone
from sklearn.metrics import mean_pinball_loss, r2_score

from sklearn_rnn import RNNRegressor, load_model, make_windows, save_model
from sklearn_rnn._losses import HUBER_DELTA, PinballLoss

# One network: these tests are not about ensembles (test_ensemble.py is).
FAST = fast_params(hidden_size=8, max_iter=20, learning_rate_init=1e-2, device="cpu")
LOSSES = [
    ("squared_error", None, torch.nn.MSELoss),
    ("absolute_error", None, torch.nn.L1Loss),
    ("huber", None, torch.nn.HuberLoss),
    ("quantile", 0.9, PinballLoss),
]
LOSS_IDS = [loss for loss, _, _ in LOSSES]


@pytest.fixture
def skewed():
    """y = f(X) + exponential noise: the conditional median is f + log 2,
    the conditional mean f + 1."""
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(800, 5))
    f = X[:, -1] + 0.5 * X[:, -2]
    y = f + rng.exponential(1.0, size=len(X))
    return X, y, f


@pytest.fixture
def heteroscedastic():
    """Noise whose spread grows with the last step's magnitude."""
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(1200, 5))
    y = X[:, -1] + (0.1 + 0.5 * np.abs(X[:, -1])) * rng.normal(size=len(X))
    return X, y


def _params(loss, quantile, **changes):
    return {**FAST, "loss": loss, "quantile": quantile, **changes}


# ------------------------------------------------------------- the losses
def test_pinball_loss_matches_scikit_learn():
    rng = np.random.RandomState(0)
    y_true, y_pred = rng.normal(size=50), rng.normal(size=50)
    for q in (0.1, 0.5, 0.9):
        per_element = PinballLoss(q)(torch.tensor(y_pred), torch.tensor(y_true))
        assert per_element.shape == (50,)
        assert per_element.mean().item() == pytest.approx(
            mean_pinball_loss(y_true, y_pred, alpha=q)
        )
        mean = PinballLoss(q, reduction="mean")(torch.tensor(y_pred),
                                                torch.tensor(y_true))
        total = PinballLoss(q, reduction="sum")(torch.tensor(y_pred),
                                                torch.tensor(y_true))
        assert total.item() == pytest.approx(50 * mean.item())
    with pytest.raises(ValueError, match="reduction"):
        PinballLoss(0.5, reduction="max")


@pytest.mark.parametrize("loss, quantile, criterion", LOSSES, ids=LOSS_IDS)
def test_each_loss_trains_and_predicts(heteroscedastic, loss, quantile, criterion):
    X, y = heteroscedastic
    reg = RNNRegressor(**_params(loss, quantile)).fit(X[:400], y[:400])
    assert type(reg.net_.criterion_) is criterion
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]
    pred = reg.predict(X[400:])
    assert pred.shape == (800,) and np.isfinite(pred).all()
    # score stays R², whatever the training loss (as in scikit-learn).
    assert reg.score(X[400:], y[400:]) == pytest.approx(r2_score(y[400:], pred))


def test_huber_threshold_is_one_standard_deviation(heteroscedastic):
    X, y = heteroscedastic
    reg = RNNRegressor(**_params("huber", None, max_iter=1)).fit(X, y)
    assert reg.net_.criterion_.delta == HUBER_DELTA == 1.0


@pytest.mark.parametrize("loss, quantile, criterion", LOSSES, ids=LOSS_IDS)
def test_each_loss_with_one_output_per_step_and_padding(loss, quantile, criterion):
    rng = np.random.RandomState(0)
    X = [rng.normal(size=n) for n in rng.randint(3, 9, size=60)]
    y = [np.cumsum(x) for x in X]
    reg = RNNRegressor(**_params(loss, quantile, return_sequences=True,
                                   max_iter=3)).fit(X, y)
    pred = reg.predict(X)
    assert [p.shape for p in pred] == [x.shape for x in X]
    assert np.isfinite(np.concatenate(pred)).all()


# ------------------------------------------------------------ properties
def test_quantiles_hold_their_coverage_on_held_out_data(heteroscedastic):
    X, y = heteroscedastic
    X_train, y_train, X_test, y_test = X[:800], y[:800], X[800:], y[800:]
    low = RNNRegressor(**_params("quantile", 0.1)).fit(X_train, y_train)
    high = RNNRegressor(**_params("quantile", 0.9)).fit(X_train, y_train)
    lower, upper = low.predict(X_test), high.predict(X_test)
    assert 0.03 <= np.mean(y_test <= lower) <= 0.2
    assert 0.8 <= np.mean(y_test <= upper) <= 0.97
    # The band follows the noise: wider where the noise spread is larger
    # (about twice as wide, by construction).
    noisy = np.abs(X_test[:, -1]) > 0.5
    width = upper - lower
    assert width[noisy].mean() > 1.5 * width[~noisy].mean()


def test_quantiles_are_in_the_original_units(heteroscedastic):
    # Targets are standardised inside; a quantile survives the positive
    # affine map back, so a rescaled target gives the rescaled quantile.
    X, y = heteroscedastic
    X, y = X[:400], y[:400]
    params = {**_params("quantile", 0.9), "max_iter": 5}
    unit = RNNRegressor(**params).fit(X, y).predict(X)
    raw = RNNRegressor(**params).fit(X, 1000 * y + 50).predict(X)
    np.testing.assert_allclose(raw, 1000 * unit + 50, rtol=1e-3)


def test_absolute_error_fits_the_median_under_skewed_noise(skewed):
    X, y, f = skewed
    median, mean = f + np.log(2), f + 1.0
    predictions = {
        loss: RNNRegressor(**_params(loss, None)).fit(X[:600], y[:600])
        .predict(X[600:])
        for loss in ("squared_error", "absolute_error")
    }
    def distance(pred, target):
        return np.abs(pred - target[600:]).mean()
    # The two targets are 1 - log 2 = 0.31 apart; each loss lands much
    # closer to its own.
    assert (distance(predictions["absolute_error"], median)
            < 0.6 * distance(predictions["squared_error"], median))
    assert (distance(predictions["squared_error"], mean)
            < 0.6 * distance(predictions["absolute_error"], mean))
    assert 0.4 < np.mean(y[600:] <= predictions["absolute_error"]) < 0.6


def test_huber_is_pulled_less_by_outliers_than_squared_error(skewed):
    X, _, f = skewed
    rng = np.random.RandomState(1)
    y = f + 0.1 * rng.normal(size=len(f))
    y[rng.rand(len(f)) < 0.05] += 20.0
    error = {
        loss: np.abs(RNNRegressor(**_params(loss, None)).fit(X[:600], y[:600])
                     .predict(X[600:]) - f[600:]).mean()
        for loss in ("squared_error", "huber")
    }
    assert error["huber"] < 0.5 * error["squared_error"]


def test_direct_multi_step_quantiles_give_a_prediction_interval():
    rng = np.random.RandomState(0)
    t = np.arange(1500)
    series = np.sin(2 * np.pi * t / 20) + 0.3 * rng.normal(size=t.size)
    X, Y = make_windows(series, 20, horizon=3)
    n_train = 1000
    bounds = [
        RNNRegressor(**_params("quantile", q)).fit(X[:n_train], Y[:n_train])
        .predict(X[n_train:])
        for q in (0.1, 0.9)
    ]
    lower, upper = bounds
    assert lower.shape == upper.shape == (len(X) - n_train, 3)
    assert np.mean(lower < upper) > 0.99
    inside = (lower <= Y[n_train:]) & (Y[n_train:] <= upper)
    # An 80 % interval at every step of the horizon.
    assert np.all((inside.mean(axis=0) > 0.65) & (inside.mean(axis=0) < 0.93))


# ------------------------------------------------ fitted state, every loss
@pytest.mark.parametrize("loss, quantile, criterion", LOSSES, ids=LOSS_IDS)
def test_save_load_and_pickle_with_every_loss(heteroscedastic, tmp_path, loss,
                                              quantile, criterion):
    X, y = heteroscedastic
    reg = RNNRegressor(**_params(loss, quantile, max_iter=2)).fit(X[:200], y[:200])
    expected = reg.predict(X[200:300])
    save_model(reg, tmp_path / "model.skrnn")
    for restored in (load_model(tmp_path / "model.skrnn"),
                     pickle.loads(pickle.dumps(reg))):
        assert (restored.loss, restored.quantile) == (loss, quantile)
        np.testing.assert_array_equal(restored.predict(X[200:300]), expected)
        # Training resumes with the same loss.
        restored.set_params(warm_start=True, max_iter=1).fit(X[:200], y[:200])
        assert type(restored.net_.criterion_) is criterion


@pytest.mark.parametrize("loss, quantile, criterion", LOSSES, ids=LOSS_IDS)
def test_warm_start_continues_with_every_loss(heteroscedastic, loss, quantile,
                                              criterion):
    X, y = heteroscedastic
    reg = RNNRegressor(**_params(loss, quantile, max_iter=2, warm_start=True))
    reg.fit(X[:200], y[:200]).fit(X[:200], y[:200])
    assert reg.n_iter_ == 4 and len(reg.loss_curve_) == 4
    assert type(reg.net_.criterion_) is criterion


def test_warm_start_can_switch_to_a_quantile(heteroscedastic):
    X, y = heteroscedastic
    reg = RNNRegressor(**FAST, warm_start=True).fit(X[:800], y[:800])
    median_coverage = np.mean(y[800:] <= reg.predict(X[800:]))
    reg.set_params(loss="quantile", quantile=0.9).fit(X[:800], y[:800])
    assert type(reg.net_.criterion_) is PinballLoss
    assert np.mean(y[800:] <= reg.predict(X[800:])) > median_coverage + 0.25


def test_early_stopping_monitors_the_chosen_loss(heteroscedastic):
    X, y = heteroscedastic
    reg = RNNRegressor(**_params("quantile", 0.9, early_stopping=True,
                                   max_iter=3)).fit(X[:400], y[:400])
    # The validation loss is the pinball loss of the held-out tail (in
    # standardised units), the validation score R².
    X_val, y_val = X[360:400], y[360:400]
    best = reg.best_iteration_ - 1
    pred = reg.predict(X_val)
    scale = reg._target_scale[0]
    assert reg.validation_loss_curve_[best] == pytest.approx(
        mean_pinball_loss(y_val, pred, alpha=0.9) / scale, rel=1e-4
    )


# -------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "params, match",
    [
        ({"loss": "quantile"}, r"loss='quantile' needs .*quantile=0\.9"),
        ({"loss": "quantile", "quantile": None}, r"set quantile to a float"),
        ({"quantile": 0.5}, r"only with loss='quantile'.*loss='squared_error'"),
        ({"loss": "absolute_error", "quantile": 0.5},
         r"only with loss='quantile'.*loss='absolute_error'"),
        ({"loss": "quantile", "quantile": 1.0}, r"quantile.*range \(0.0, 1.0\)"),
        ({"loss": "quantile", "quantile": True}, r"quantile.*Got True"),
        ({"loss": "pinball"}, r"loss.*'quantile'"),
    ],
)
def test_bad_loss_parameters_are_clear_errors(heteroscedastic, params, match):
    X, y = heteroscedastic
    reg = RNNRegressor(**{**FAST, **params})
    with pytest.raises((ValueError, TypeError), match=match):
        reg.fit(X[:50], y[:50])
    # A clone with the same parameters fails the same way (nothing cached).
    with pytest.raises((ValueError, TypeError), match=match):
        clone(reg).fit(X[:50], y[:50])

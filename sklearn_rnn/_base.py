"""Shared estimator: parameters, validation, building and fitting the skorch net."""

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)
from skorch.callbacks import (
    EarlyStopping,
    GradientNormClipping,
    LRScheduler,
)

from ._callbacks import EpochProgressBar, StopOnNonFiniteLoss, ValidationScore
from ._module import CELLS, POOLINGS, RecurrentNetwork
from ._net import SequenceNet, TailSplit, as_dataset
from ._sequences import (
    Sequences,
    check_sequence_array,
    feature_mean_and_scale,
    is_ragged,
    pad_sequences,
)

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

# Rows per forward pass at predict time: large enough to amortise Python
# overhead, small enough to keep memory bounded for millions of sequences.
PREDICT_BATCH_SIZE = 4096


def _resolve_device(device):
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a valid torch device; use 'auto', "
            "'cpu', 'cuda', 'cuda:1', 'mps', ..."
        ) from exc
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this "
            "machine; use device='auto' or 'cpu'."
        )
    return device


class BaseRNN(BaseEstimator):
    """Parameters and training logic shared by the regressor and classifier.

    Subclasses define ``_output_size``, ``_encode_target``, ``_criterion``,
    ``_score_fn`` and how raw network outputs become predictions.
    """

    _parameter_constraints: dict = {
        "cell": [StrOptions(set(CELLS))],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "nonlinearity": [StrOptions({"tanh", "relu"})],
        "pooling": [StrOptions(set(POOLINGS))],
        "head_hidden_sizes": [tuple, list],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "optimizer": [StrOptions(set(OPTIMIZERS)), type],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "learning_rate": [StrOptions({"constant", "adaptive", "cosine"})],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "clip_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "shuffle": ["boolean"],
        "scale_inputs": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "device": [str],
        "callbacks": [list, None],
    }

    def __init__(
        self,
        *,
        cell="lstm",
        hidden_size=64,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        nonlinearity="tanh",
        pooling="last",
        head_hidden_sizes=(),
        max_iter=100,
        batch_size=32,
        optimizer="adam",
        learning_rate_init=1e-3,
        learning_rate="constant",
        momentum=0.9,
        alpha=0.0,
        clip_grad_norm=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        shuffle=True,
        scale_inputs=True,
        random_state=None,
        verbose=0,
        warm_start=False,
        device="auto",
        callbacks=None,
    ):
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.nonlinearity = nonlinearity
        self.pooling = pooling
        self.head_hidden_sizes = head_hidden_sizes
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.alpha = alpha
        self.clip_grad_norm = clip_grad_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.shuffle = shuffle
        self.scale_inputs = scale_inputs
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.device = device
        self.callbacks = callbacks

    # ------------------------------------------------------------------ input
    def _validate_X(self, X, *, reset):
        """Coerce ``X`` to :class:`Sequences`, checking it against the fit.

        2-D input is a batch of univariate sequences whose columns are time
        steps: as for any scikit-learn estimator, ``n_features_in_`` is then
        the number of columns and predict needs the same number. 3-D input
        and ragged lists have ``n_features_in_`` features per time step and
        any number of time steps.
        """
        if is_ragged(X):
            batch = pad_sequences(X)
            ndim = None
        else:
            if isinstance(X, list | tuple) and len(X) == 0:
                raise ValueError(
                    "X is empty: found 0 sequences while a minimum of 1 is "
                    "required."
                )
            ndim = _ndim_of(X)
            tabular = ndim == 2 and (reset or self._fitted_on_2d_)
            if tabular:
                # validate_data records n_features_in_ / feature_names_in_
                # (pandas) and checks them at predict, as any estimator does.
                values = validate_data(
                    self, X, reset=reset, dtype=np.float32, ensure_all_finite=True
                )
                batch = Sequences(values[:, :, None], None)
            else:
                batch = Sequences(check_sequence_array(X), None)
        n_features = batch.values.shape[2]
        if reset:
            self._fitted_on_2d_ = ndim == 2
            self.n_input_features_ = n_features
            if ndim != 2:
                self.n_features_in_ = n_features
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
        elif n_features != self.n_input_features_:
            raise ValueError(
                f"X has {n_features} features per time step, but "
                f"{type(self).__name__} is expecting {self.n_input_features_} "
                "features per time step as input."
            )
        return batch

    # -------------------------------------------------------------- building
    def _build_net(self, n_outputs, device, seed, has_validation, mean, scale):
        optimizer = self.optimizer
        optimizer_kwargs = {"weight_decay": self.alpha}
        if isinstance(optimizer, str):
            if optimizer == "sgd":
                optimizer_kwargs["momentum"] = self.momentum
            optimizer = OPTIMIZERS[optimizer]
        monitor = "valid_loss" if has_validation else "train_loss"
        criterion, criterion_kwargs = self._criterion()
        callbacks = [("non_finite_loss", StopOnNonFiniteLoss())]
        if has_validation:
            callbacks.append(("valid_score", ValidationScore(self._score_fn)))
        callbacks.append(
            (
                "early_stopping",
                EarlyStopping(
                    monitor=monitor,
                    patience=self.n_iter_no_change,
                    threshold=self.tol,
                    threshold_mode="abs",
                    load_best=has_validation,
                    sink=_silent,
                ),
            )
        )
        if self.clip_grad_norm is not None:
            callbacks.append(
                ("clip_grad_norm", GradientNormClipping(self.clip_grad_norm))
            )
        if self.learning_rate == "adaptive":
            # As MLP's 'adaptive': divide the rate by 5 when the monitored
            # loss stalls for two epochs.
            callbacks.append(
                (
                    "lr_schedule",
                    LRScheduler(
                        policy="ReduceLROnPlateau",
                        monitor=monitor,
                        factor=0.2,
                        patience=1,
                        threshold=self.tol,
                        threshold_mode="abs",
                    ),
                )
            )
        elif self.learning_rate == "cosine":
            callbacks.append(
                (
                    "lr_schedule",
                    LRScheduler(policy="CosineAnnealingLR", T_max=self.max_iter),
                )
            )
        if self.verbose == 1:
            callbacks.append(("progress_bar", EpochProgressBar()))
        for i, cb in enumerate(self.callbacks or []):
            callbacks.append(cb if isinstance(cb, tuple) else (f"user_{i}", cb))
        return SequenceNet(
            module=RecurrentNetwork,
            module__input_size=self.n_input_features_,
            module__output_size=n_outputs,
            module__cell=self.cell,
            module__hidden_size=self.hidden_size,
            module__num_layers=self.num_layers,
            module__bidirectional=self.bidirectional,
            module__dropout=self.dropout,
            module__nonlinearity=self.nonlinearity,
            module__pooling=self.pooling,
            module__head_hidden_sizes=tuple(self.head_hidden_sizes),
            module__return_sequences=getattr(self, "return_sequences", False),
            module__input_mean=[float(v) for v in mean],
            module__input_scale=[float(v) for v in scale],
            criterion=criterion,
            **{f"criterion__{k}": v for k, v in criterion_kwargs.items()},
            optimizer=optimizer,
            lr=self.learning_rate_init,
            **{f"optimizer__{k}": v for k, v in optimizer_kwargs.items()},
            max_epochs=self.max_iter,
            batch_size=self.batch_size,
            iterator_train__shuffle=self.shuffle,
            iterator_train__seed=seed,
            train_split=TailSplit(self.validation_fraction) if has_validation
            else None,
            callbacks=callbacks,
            device=device,
            verbose=1 if self.verbose >= 2 else 0,
        )

    # --------------------------------------------------------------- fitting
    def _fit(self, X, y, sample_weight=None, *, incremental=False, classes=None):
        self._validate_params()
        for size in self.head_hidden_sizes:
            if not isinstance(size, Integral) or size < 1:
                raise ValueError(
                    "head_hidden_sizes must contain positive integers, got "
                    f"{tuple(self.head_hidden_sizes)!r}."
                )
        continuing = (incremental or self.warm_start) and hasattr(self, "net_")
        batch = self._validate_X(X, reset=not continuing)
        n_samples = len(batch)
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed.")
        target = self._encode_target(
            y, n_samples, reset=not continuing, classes=classes, batch=batch
        )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, batch.values[:, 0, 0], dtype=np.float32
            )
        has_validation = self.early_stopping and not incremental
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        if not continuing:
            device = _resolve_device(self.device)
            if self.scale_inputs:
                mean, scale = feature_mean_and_scale(batch)
            else:
                mean = np.zeros(batch.values.shape[2])
                scale = np.ones(batch.values.shape[2])
            net = self._build_net(
                self._n_outputs, device, seed, has_validation, mean, scale
            )
        else:
            net = self.net_
            device = self.device_
            net.set_params(iterator_train__seed=seed)
        dataset = as_dataset(
            batch, target, sample_weight, device=device,
            sequence_targets=getattr(self, "return_sequences", False),
        )
        fork_devices = [torch.device(device)] if device.startswith("cuda") else []
        with torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(seed)
            if not continuing:
                net.initialize()
            net.partial_fit(dataset, None, epochs=1 if incremental else None)
        self.net_ = net
        self.device_ = device
        self._record_history()
        return self

    def _record_history(self):
        history = self.net_.history
        self.n_iter_ = len(history)
        self.loss_curve_ = [float(v) for v in history[:, "train_loss"]]
        self.best_loss_ = float(np.min(self.loss_curve_))
        rows_with_valid = [row for row in history if "valid_loss" in row]
        if rows_with_valid:
            self.validation_loss_curve_ = [
                float(row["valid_loss"]) for row in rows_with_valid
            ]
            self.validation_scores_ = [
                float(row.get("valid_score", np.nan)) for row in rows_with_valid
            ]
            best = int(np.argmin(self.validation_loss_curve_))
            self.best_validation_score_ = self.validation_scores_[best]
            self.best_iteration_ = best + 1
        else:
            self.validation_loss_curve_ = None
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_iteration_ = int(np.argmin(self.loss_curve_)) + 1

    # ------------------------------------------------------------ predicting
    def _forward(self, X, return_lengths=False):
        """Raw network outputs for ``X`` as a float32 numpy array.

        With ``return_lengths``, also the sequence lengths (``None`` when
        ``X`` was not variable-length).
        """
        check_is_fitted(self, "net_")
        batch = self._validate_X(X, reset=False)
        dataset = as_dataset(batch, device=self.device_)
        n = len(dataset)
        order = None
        if dataset.lengths is not None:
            # Sorting by length keeps each forward batch's padding minimal.
            order = torch.argsort(dataset.lengths, stable=True)
        module = self.net_.module_
        outputs = []
        was_training = module.training
        module.eval()
        try:
            with torch.inference_mode():
                for start in range(0, n, PREDICT_BATCH_SIZE):
                    if order is None:
                        index = slice(start, start + PREDICT_BATCH_SIZE)
                    else:
                        index = order[start : start + PREDICT_BATCH_SIZE]
                    Xi, _ = dataset.take(index)
                    out = module(Xi["X"], Xi.get("lengths")).float()
                    if out.dim() == 3 and out.shape[1] < dataset.X.shape[1]:
                        # Chunks are trimmed to their longest sequence;
                        # re-pad per-step outputs to the common length.
                        missing = dataset.X.shape[1] - out.shape[1]
                        out = torch.nn.functional.pad(out, (0, 0, 0, missing))
                    outputs.append(out.cpu())
        finally:
            module.train(was_training)
        out = torch.cat(outputs)
        if order is not None:
            out = out[torch.argsort(order)]
        if return_lengths:
            return out.numpy(), batch.lengths
        return out.numpy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        return tags


def _ndim_of(X):
    ndim = getattr(X, "ndim", None)
    if ndim is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ndim = np.asarray(X).ndim
            except (TypeError, ValueError):
                ndim = 0
    return ndim


def _silent(*args, **kwargs):
    """A sink that drops EarlyStopping's messages (verbosity is ours)."""

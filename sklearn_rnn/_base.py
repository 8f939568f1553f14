"""Shared estimator: parameters, validation, building and fitting the skorch net."""

import copy
import threading
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
    Callback,
    EarlyStopping,
    GradientNormClipping,
    LRScheduler,
)
from skorch.helper import predefined_split

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
from ._tokens import check_token_ids

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

# Rows per forward pass at predict time: large enough to amortise Python
# overhead, small enough to keep memory bounded for millions of sequences.
PREDICT_BATCH_SIZE = 4096


_GLOBAL_RNG_LOCK = threading.RLock()

_INT_PARAMS = ("hidden_size", "num_layers", "max_iter", "batch_size",
               "n_iter_no_change", "embedding_dim", "vocabulary_size")
_FLOAT_PARAMS = ("dropout", "learning_rate_init", "momentum", "alpha",
                 "clip_grad_norm", "validation_fraction", "tol")


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
        "embedding_dim": [Interval(Integral, 1, None, closed="left"), None],
        "vocabulary_size": [Interval(Integral, 2, None, closed="left"), None],
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
        embedding_dim=None,
        vocabulary_size=None,
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
        self.embedding_dim = embedding_dim
        self.vocabulary_size = vocabulary_size
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
        if self.embedding_dim is not None:
            batch, ndim = check_token_ids(self, X, reset=reset)
        elif is_ragged(X):
            batch = pad_sequences(X)
            ndim = None
        else:
            if isinstance(X, list | tuple) and len(X) == 0:
                raise ValueError(
                    "X is empty: found 0 sequences while a minimum of 1 is "
                    "required."
                )
            X = _as_array_like(X)
            ndim = getattr(X, "ndim", 0)
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

    def _check_extra_params(self):
        """What ``_parameter_constraints`` cannot express."""
        for name in _INT_PARAMS + _FLOAT_PARAMS:
            if isinstance(getattr(self, name), bool | np.bool_):
                raise TypeError(
                    f"{name} must be a number, got the boolean "
                    f"{getattr(self, name)!r}."
                )
        for size in self.head_hidden_sizes:
            if (isinstance(size, bool | np.bool_) or not isinstance(size, Integral)
                    or size < 1):
                raise ValueError(
                    "head_hidden_sizes must contain positive integers, got "
                    f"{tuple(self.head_hidden_sizes)!r}."
                )
        if isinstance(self.optimizer, type) and not issubclass(
            self.optimizer, torch.optim.Optimizer
        ):
            raise TypeError(
                "optimizer must be one of 'adam', 'adamw', 'sgd', 'rmsprop' or a "
                f"torch.optim.Optimizer subclass, got {self.optimizer!r}."
            )
        for item in self.callbacks or []:
            callback = item[1] if isinstance(item, tuple) and len(item) == 2 else item
            named_ok = not isinstance(item, tuple) or isinstance(item[0], str)
            if not isinstance(callback, Callback) or not named_ok:
                raise TypeError(
                    "callbacks must be a list of skorch callbacks or (name, "
                    f"callback) tuples, got {item!r}."
                )

    # -------------------------------------------------------------- building
    def _build_net(self, n_outputs, device, seed, has_validation, mean, scale):
        optimizer = self.optimizer
        # MLPRegressor's alpha: the L2 term is divided by the batch size, so
        # an alpha tuned for an MLP means the same here.
        optimizer_kwargs = {}
        if self.alpha > 0:
            # Only when asked: some optimizers (LBFGS) take no weight_decay.
            optimizer_kwargs["weight_decay"] = float(self.alpha) / int(self.batch_size)
        if isinstance(optimizer, str):
            if optimizer == "sgd":
                optimizer_kwargs["momentum"] = float(self.momentum)
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
                    patience=int(self.n_iter_no_change),
                    threshold=float(self.tol),
                    threshold_mode="abs",
                    load_best=has_validation,
                    sink=_silent,
                ),
            )
        )
        if self.clip_grad_norm is not None:
            callbacks.append(
                ("clip_grad_norm", GradientNormClipping(float(self.clip_grad_norm)))
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
                        threshold=float(self.tol),
                        threshold_mode="abs",
                    ),
                )
            )
        elif self.learning_rate == "cosine":
            callbacks.append(
                (
                    "lr_schedule",
                    LRScheduler(policy="CosineAnnealingLR", T_max=int(self.max_iter)),
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
            module__hidden_size=int(self.hidden_size),
            module__num_layers=int(self.num_layers),
            module__bidirectional=self.bidirectional,
            module__dropout=float(self.dropout),
            module__nonlinearity=self.nonlinearity,
            module__pooling=self.pooling,
            module__head_hidden_sizes=tuple(int(v) for v in self.head_hidden_sizes),
            module__return_sequences=getattr(self, "return_sequences", False),
            module__input_mean=[float(v) for v in mean],
            module__input_scale=[float(v) for v in scale],
            module__embedding_dim=(
                None if self.embedding_dim is None else int(self.embedding_dim)
            ),
            module__num_embeddings=(
                None if self.embedding_dim is None else int(self.vocabulary_size_)
            ),
            criterion=criterion,
            **{f"criterion__{k}": v for k, v in criterion_kwargs.items()},
            optimizer=optimizer,
            lr=float(self.learning_rate_init),
            **{f"optimizer__{k}": v for k, v in optimizer_kwargs.items()},
            max_epochs=int(self.max_iter),
            batch_size=int(self.batch_size),
            iterator_train__shuffle=self.shuffle,
            iterator_train__seed=seed,
            train_split=TailSplit(float(self.validation_fraction)) if has_validation
            else None,
            callbacks=callbacks,
            device=device,
            verbose=1 if self.verbose >= 2 else 0,
        )

    # --------------------------------------------------------------- fitting
    def _fit(self, X, y, sample_weight=None, *, incremental=False, classes=None,
             X_val=None, y_val=None, sample_weight_val=None):
        self._validate_params()
        self._check_extra_params()
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be passed together.")
        if X_val is not None and not self.early_stopping:
            raise ValueError(
                "X_val and y_val are passed to fit while early_stopping is "
                "False. When passing X_val and y_val to fit, set "
                "early_stopping=True."
            )
        continuing = (incremental or self.warm_start) and hasattr(self, "net_")
        batch = self._validate_X(X, reset=not continuing)
        n_samples = len(batch)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None."
            )
        target = self._encode_target(
            y, n_samples, reset=not continuing, classes=classes, batch=batch
        )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, batch.values[:, 0, 0], dtype=np.float32,
                ensure_non_negative=True,
            )
        validation = None
        if X_val is not None:
            validation = self._validation_set(X_val, y_val, sample_weight_val)
        has_validation = self.early_stopping and not incremental
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        if not continuing:
            device = _resolve_device(self.device)
            if self.scale_inputs and self.embedding_dim is None:
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
            # Plain attribute: skorch's set_params rejects iterator params
            # on an initialised net ("Something went wrong").
            net.iterator_train__seed = seed
            # A diverging continuation must not leave NaN weights in the
            # model the caller already had.
            backup = _training_state(net)
        sequence_targets = getattr(self, "return_sequences", False)
        if validation is not None:
            net.train_split = predefined_split(as_dataset(
                *validation, device=device, sequence_targets=sequence_targets
            ))
        elif has_validation:
            net.train_split = TailSplit(self.validation_fraction)
        dataset = as_dataset(
            batch, target, sample_weight, device=device,
            sequence_targets=sequence_targets,
        )
        fork_devices = [torch.device(device)] if device.startswith("cuda") else []

        def train():
            try:
                # max_iter is read on every fit, so warm_start honours a
                # changed value, as scikit-learn's MLP does.
                net.partial_fit(dataset, None,
                                epochs=1 if incremental else int(self.max_iter))
            except FloatingPointError:
                if continuing:
                    _restore_training_state(net, backup)
                raise
            finally:
                if validation is not None:
                    # Do not keep X_val alive (and pickled) inside net_.
                    net.train_split = TailSplit(self.validation_fraction)

        # torch's generator is process-wide: fits running at once in threads
        # (joblib's threading back end, Dask's threaded scheduler) would
        # interleave their seeds. Weight initialisation always happens under
        # the lock; training too when dropout draws from that generator
        # (shuffling has a generator of its own).
        uses_global_rng = self.dropout > 0
        with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(seed)
            if not continuing:
                try:
                    net.initialize()
                except (RuntimeError, MemoryError) as exc:
                    # torch's allocator error names no parameter.
                    raise ValueError(
                        "Could not build the network with hidden_size="
                        f"{self.hidden_size}, num_layers={self.num_layers}, "
                        f"head_hidden_sizes={tuple(self.head_hidden_sizes)}: "
                        f"{exc}. Use smaller sizes."
                    ) from exc
            if uses_global_rng:
                train()
        if not uses_global_rng:
            train()
        # Predict-ready: _forward never toggles the mode, so concurrent
        # predicts cannot switch dropout back on under one another (skorch
        # switches back to training mode on the next fit).
        net.module_.eval()
        self.net_ = net
        self.device_ = device
        self._record_history()
        return self

    def _validation_set(self, X_val, y_val, sample_weight_val):
        """Validate explicit validation data against the training fit."""
        batch = self._validate_X(X_val, reset=False)
        target = self._encode_target(
            y_val, len(batch), reset=False, classes=None, batch=batch
        )
        if sample_weight_val is not None:
            sample_weight_val = _check_sample_weight(
                sample_weight_val, batch.values[:, 0, 0], dtype=np.float32,
                ensure_non_negative=True,
            )
        return batch, target, sample_weight_val

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
            stopper = dict(self.net_.callbacks_).get("early_stopping")
            kept = getattr(stopper, "best_epoch_", 0)
            epochs = [row["epoch"] for row in rows_with_valid]
            if kept in epochs:
                # The epoch whose weights EarlyStopping restored: it ignores
                # improvements smaller than tol, so it can precede the argmin.
                best = epochs.index(kept)
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
        if module.training:
            module.eval()
        outputs = []
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


def _as_array_like(X):
    """``X`` itself when it has an ``ndim`` (arrays, DataFrames), else it as
    an array: converted once here, not again by ``check_array``.

    Input numpy cannot convert is returned as is, for ``check_array`` to
    reject with its message.
    """
    if hasattr(X, "ndim"):
        return X
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return np.asarray(X)
        except (TypeError, ValueError):
            return X


def _training_state(net):
    return (
        copy.deepcopy(net.module_.state_dict()),
        [copy.deepcopy(getattr(net, name + "_").state_dict())
         for name in net._optimizers],
        len(net.history),
    )


def _restore_training_state(net, state):
    module_state, optimizer_states, n_epochs = state
    net.module_.load_state_dict(module_state)
    for name, optimizer_state in zip(net._optimizers, optimizer_states,
                                     strict=True):
        getattr(net, name + "_").load_state_dict(optimizer_state)
    del net.history[n_epochs:]


def _silent(*args, **kwargs):
    """A sink that drops EarlyStopping's messages (verbosity is ours)."""

"""Shared estimator: parameters, validation, building and fitting the skorch net.

The fitted state of an estimator lives in one place: :meth:`BaseRNN.
_get_fitted_state` hands it out (fitted attributes as plain data, the
tensors of the network, the optimiser and the loss, the history) and
:meth:`BaseRNN._set_fitted_state` takes it back, building the skorch net from
the estimator's *current* parameters and loading the state into it. Warm
start, ``partial_fit``, pickling and :func:`~sklearn_rnn.save_model` all go
through that pair, so they cannot disagree.
"""

import contextlib
import copy
import threading
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    GradientNormClipping,
    LRScheduler,
)
from skorch.helper import predefined_split
from skorch.history import History

from ._callbacks import (
    EpochProgressBar,
    StopOnNonFiniteLoss,
    ValidationScore,
    WeightAveraging,
)
from ._compat import Interval, StrOptions, _check_sample_weight
from ._module import CELLS, POOLINGS, NetworkEnsemble, RecurrentNetwork
from ._net import SequenceNet, TailSplit, as_dataset
from ._sequences import (
    Sequences,
    check_sequence_array,
    feature_mean_and_scale,
    float32_window_view,
    is_ragged,
    pad_sequences,
    sequences_are_standardized,
)
from ._state_checks import BASE_ATTRIBUTES
from ._tokens import check_token_ids
from ._utils import as_array_like, device_is_usable, resolve_device

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

# Rows per forward pass at predict time. Every forward pass gets exactly
# this many rows (the last block is padded): a row's prediction then never
# depends on which other rows share its call, bit for bit (torch's CPU
# kernels round differently for different batch sizes and thread splits,
# ~1e-7, which fails scikit-learn's check_methods_subset_invariance).
# Large enough to amortise the per-call overhead, small enough that padding
# a single window stays cheap for recursive forecasts.
PREDICT_BATCH_SIZE = 256

_GLOBAL_RNG_LOCK = threading.RLock()

# The 'auto' convolutional front end halves long sequences until the
# recurrent layers read at most this many steps.
CONV_TARGET_STEPS = 64
# The 'auto' patience of the stopping rule, in optimiser steps.
PATIENCE_STEPS = 250
# The 'auto' ensemble: ENSEMBLE_MEMBERS networks when the training data hold
# at most ENSEMBLE_MAX_STEPS time steps in all (sequences x steps), one
# otherwise (and one with early stopping: see _choose_ensemble_size). Small
# data sets are where a single network's result depends most on its
# initialisation, and where a fit is cheap enough to make several (docs:
# "Getting a good model").
ENSEMBLE_MEMBERS = 3
ENSEMBLE_MAX_STEPS = 20_000
# The decay per optimiser step of the weight average (average_weights):
# about the last hundred steps.
AVERAGING_MOMENTUM = 0.99

_INT_PARAMS = ("hidden_size", "num_layers", "max_iter", "batch_size",
               "n_iter_no_change", "embedding_dim", "vocabulary_size",
               "conv_layers", "conv_kernel_size", "ensemble_size")
_FLOAT_PARAMS = ("dropout", "learning_rate_init", "momentum", "alpha",
                 "clip_grad_norm", "validation_fraction", "tol")


class BaseRNN(BaseEstimator, metaclass=ABCMeta):
    """Parameters and training logic shared by the regressor and classifier.

    The contract with a subclass is its abstract methods: how a target is
    encoded for the network (:meth:`_encode_y`), the loss
    (:meth:`_criterion`), how the network's raw outputs are scored against
    encoded targets (:meth:`_score_outputs`, used by ``score`` and by the
    validation score alike) and :meth:`predict`. Everything else - the
    defaults, ``fit``, the fitted state - is written here once.
    """

    # The skorch net class: a subclass may mix in skorch's own extensions
    # (AccelerateMixin, ...) here.
    _net_class = SequenceNet

    _parameter_constraints: dict = {
        "cell": [StrOptions(set(CELLS))],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "nonlinearity": [StrOptions({"tanh", "relu"})],
        "pooling": [StrOptions({"auto", *POOLINGS})],
        "head_hidden_sizes": [tuple, list],
        "conv_layers": [StrOptions({"auto"}), Interval(Integral, 0, None,
                                                       closed="left")],
        "conv_kernel_size": [Interval(Integral, 1, None, closed="left")],
        "conv_batch_norm": [StrOptions({"auto"}), "boolean"],
        "standardize_sequences": [StrOptions({"auto"}), "boolean"],
        "embedding_dim": [Interval(Integral, 1, None, closed="left"), None],
        "vocabulary_size": [Interval(Integral, 2, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [StrOptions({"auto"}),
                       Interval(Integral, 1, None, closed="left")],
        "optimizer": [StrOptions(set(OPTIMIZERS)), type],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "learning_rate": [StrOptions({"constant", "adaptive", "cosine"})],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "clip_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "average_weights": [StrOptions({"auto"}), "boolean"],
        "ensemble_size": [StrOptions({"auto"}), Interval(Integral, 1, None,
                                                         closed="left")],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [StrOptions({"auto"}),
                             Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "shuffle": ["boolean"],
        "scale_inputs": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "device": [str],
        "callbacks": [list, None],
    }

    # The subclasses repeat this signature (scikit-learn reads each class's
    # own __init__); tests/test_base.py checks that every copy has the same
    # defaults as this one and as the docstrings.
    def __init__(
        self,
        *,
        cell="gru",
        hidden_size=64,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        nonlinearity="tanh",
        pooling="auto",
        head_hidden_sizes=(),
        conv_layers="auto",
        conv_kernel_size=5,
        conv_batch_norm="auto",
        standardize_sequences="auto",
        embedding_dim=None,
        vocabulary_size=None,
        max_iter=200,
        batch_size="auto",
        optimizer="adam",
        learning_rate_init=1e-3,
        learning_rate="constant",
        momentum=0.9,
        alpha=0.0,
        clip_grad_norm=None,
        average_weights="auto",
        ensemble_size="auto",
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change="auto",
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
        self.conv_layers = conv_layers
        self.conv_kernel_size = conv_kernel_size
        self.conv_batch_norm = conv_batch_norm
        self.standardize_sequences = standardize_sequences
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
        self.average_weights = average_weights
        self.ensemble_size = ensemble_size
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

    # ------------------------------------------------------------- contract
    @abstractmethod
    def _encode_y(self, y, batch, *, reset, classes=None, scoring=False):
        """``y`` as the network's targets for the sequences ``batch``.

        With ``reset``, learn the encoding (and set ``_n_outputs``); else
        check ``y`` against it. With ``scoring``, values the encoding does
        not know (a label never seen in fit) are allowed and never match a
        prediction.
        """

    @abstractmethod
    def _criterion(self):
        """The loss as ``(class, kwargs)``; it must use ``reduction='none'``."""

    @abstractmethod
    def _score_outputs(self, y_encoded, outputs, sample_weight=None, lengths=None):
        """Score raw network ``outputs`` against encoded targets (numpy).

        The one scoring function: ``score`` and the validation score of
        each epoch both call it. ``lengths`` marks the valid steps of
        per-step outputs; padded steps never count.
        """

    @abstractmethod
    def predict(self, X):
        """Predictions for the sequences ``X``."""

    # ------------------------------------------------------------------ input
    def _validate_X(self, X, *, reset):
        """Coerce ``X`` to :class:`Sequences`, checking it against the fit.

        2-D input is a batch of univariate sequences whose columns are time
        steps: as for any scikit-learn estimator, ``n_features_in_`` is then
        the number of columns and predict needs the same number. 3-D input
        and ragged lists have ``n_features_in_`` features per time step and
        any number of time steps. ``n_input_features_`` is always the
        number of features per time step (what the network reads).
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
            # float32_window_view: the windows of a series stay a view of
            # the (converted) series instead of n * T values (issue 12).
            X = float32_window_view(as_array_like(X))
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

    def _check_sample_weight(self, sample_weight, batch):
        if sample_weight is None:
            return None
        return _check_sample_weight(
            sample_weight, batch.values[:, 0, 0], dtype=np.float32,
            ensure_non_negative=True,
        )

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
    def _architecture(self):
        """The module arguments that decide what the trained weights mean.

        A warm start or ``partial_fit`` cannot change them: the weights of
        one architecture are meaningless (or do not fit) in another.
        """
        return {
            "input_size": int(self.n_input_features_),
            "output_size": int(self._n_outputs),
            "cell": self.cell,
            "hidden_size": int(self.hidden_size),
            "num_layers": int(self.num_layers),
            "bidirectional": bool(self.bidirectional),
            "nonlinearity": self.nonlinearity if self.cell == "rnn" else None,
            "pooling": self._pooling(),
            "head_hidden_sizes": tuple(int(v) for v in self.head_hidden_sizes),
            "return_sequences": bool(getattr(self, "return_sequences", False)),
            "conv_layers": self._conv_layers(),
            "conv_kernel_size": int(self.conv_kernel_size),
            "ensemble_size": self._ensemble_size(),
            "conv_batch_norm": self._conv_batch_norm(),
            "standardize_sequences": self._standardize_sequences(),
            "embedding_dim": (None if self.embedding_dim is None
                              else int(self.embedding_dim)),
            "num_embeddings": (None if self.embedding_dim is None
                               else int(self.vocabulary_size_)),
        }

    def _conv_layers(self):
        """The number of convolutional blocks: the parameter, or the one
        ``'auto'`` chose at the fit that built the network."""
        if self.conv_layers == "auto":
            return int(getattr(self, "conv_layers_", 0))
        return int(self.conv_layers)

    def _ensemble_size(self):
        """Networks in the ensemble: the parameter, or the number ``'auto'``
        chose at the fit that built the network."""
        if self.ensemble_size == "auto":
            return int(getattr(self, "ensemble_size_", 1))
        return int(self.ensemble_size)

    def _choose_ensemble_size(self, batch, incremental):
        """``ensemble_size_``: with ``'auto'``, ``ENSEMBLE_MEMBERS`` networks
        when the training sequences hold at most ``ENSEMBLE_MAX_STEPS``
        valid time steps in all, else one; one for ``partial_fit``, whose
        first batch says nothing of the data's size, and with early stopping
        (windows of a series, ``X_val``), where three networks measured no
        better than one on the forecast benchmark (MASE 0.648 -> 0.665
        recursive, 0.729 -> 0.728 direct) for three times the fit."""
        if self.ensemble_size != "auto":
            return int(self.ensemble_size)
        if incremental or self.early_stopping_:
            return 1
        if batch.lengths is None:
            n_steps = batch.values.shape[0] * batch.values.shape[1]
        else:
            n_steps = int(np.asarray(batch.lengths).sum())
        return ENSEMBLE_MEMBERS if n_steps <= ENSEMBLE_MAX_STEPS else 1

    def _conv_batch_norm(self):
        """Batch normalisation in the front end: the parameter, or the
        choice ``'auto'`` made at the fit that built the network (off
        without a front end)."""
        if not self._conv_layers():
            return False
        if self.conv_batch_norm == "auto":
            return bool(getattr(self, "conv_batch_norm_", False))
        return bool(self.conv_batch_norm)

    def _standardize_sequences(self):
        """Per-sequence standardisation: the parameter, or the choice
        ``'auto'`` made at the fit that built the network."""
        if self.embedding_dim is not None:
            return False
        if self.standardize_sequences == "auto":
            return bool(getattr(self, "standardize_sequences_", False))
        return bool(self.standardize_sequences)

    def _choose_standardize_sequences(self, batch, series_windows):
        """``standardize_sequences_``: with ``'auto'``, on unless the
        training sequences are already standardised one by one (the UCR
        archive's convention: then it would only add two constant features)
        or are windows of a series whose feature the regressor normalises
        per window (``instance_norm``)."""
        if self.embedding_dim is not None:
            if self.standardize_sequences is True:
                raise ValueError(
                    "standardize_sequences=True cannot be combined with "
                    "embedding_dim: token ids are not measurements. Use "
                    "standardize_sequences=False."
                )
            return False
        if self.standardize_sequences != "auto":
            return bool(self.standardize_sequences)
        if getattr(self, "instance_norm_feature_", None) is not None:
            return False
        return not sequences_are_standardized(batch.values, batch.lengths)

    def _pooling(self):
        """The pooling: the parameter, or for 'auto' 'max' over the
        steps of a convolutional front end (long sequences: a shape that
        matters may occur anywhere) and the final state otherwise."""
        if self.pooling != "auto":
            return self.pooling
        return "max" if self._conv_layers() > 0 else "last"

    def _choose_conv_layers(self, batch):
        """``conv_layers_``: with ``'auto'``, enough halvings to bring the
        longest training sequence to ``CONV_TARGET_STEPS`` steps or fewer;
        none for one output per step (which needs every step)."""
        sequence_output = bool(getattr(self, "return_sequences", False))
        if self.conv_layers != "auto":
            if self.conv_layers and sequence_output:
                raise ValueError(
                    "conv_layers shortens the sequences and cannot be combined "
                    "with return_sequences=True (one output per step); use "
                    "conv_layers=0."
                )
            return int(self.conv_layers)
        n_steps = batch.values.shape[1]
        if sequence_output or n_steps <= CONV_TARGET_STEPS:
            return 0
        return int(np.ceil(np.log2(n_steps / CONV_TARGET_STEPS)))

    def _find_series_windows(self, batch, y):
        """``(feature, step)`` when the training rows are windows of a series
        whose targets continue that input feature, else None (see
        :func:`~sklearn_rnn._window.find_continued_feature`). Only a
        regressor's targets can continue a feature."""
        return None

    def _choose_series_rules(self, series_windows, batch):
        """Set the attributes an estimator derives from the series-window
        test at a fit that builds a new network (the regressor's instance
        normalisation)."""

    def _choose_early_stopping(self, series_windows, incremental, has_X_val):
        """``early_stopping_``: the parameter, or for 'auto' on with
        ``X_val`` or on windows of a series (never for ``partial_fit``,
        whose one epoch has no tail to stop on)."""
        if self.early_stopping != "auto":
            return bool(self.early_stopping)
        if incremental:
            return False
        return has_X_val or series_windows is not None

    def _choose_average_weights(self, incremental):
        """``average_weights_``: the parameter, or for 'auto' on unless
        early stopping keeps the best epoch's weights or the fit is one
        ``partial_fit`` epoch (whose average would replace the weights that
        the next call continues from)."""
        if self.average_weights == "auto":
            return not (incremental or self.early_stopping_)
        # (average_weights=True with partial_fit is refused at the top of
        # _fit, beside early_stopping=True.)
        if self.average_weights and self.early_stopping_:
            raise ValueError(
                "average_weights=True cannot be combined with early stopping, "
                "which keeps the weights of the best validation epoch; set "
                "early_stopping=False to average the weights (early_stopping="
                "'auto' turns it on for windows of a series and with X_val)."
            )
        return bool(self.average_weights)

    def _choose_training_sizes(self, n_samples):
        """``batch_size_`` and ``n_iter_no_change_`` for ``n_samples`` rows.

        'auto' adapts both to the data's size. Small data get small batches
        (n / 8, from 8 to 32 sequences), so that an epoch still makes
        several optimiser steps; the patience is at least 250 optimiser
        steps (and at least 10 epochs, scikit-learn's MLP default), so that
        a few noisy epochs of a small data set do not stop its training.
        """
        if self.batch_size == "auto":
            self.batch_size_ = int(min(32, max(8, n_samples // 8)))
        else:
            self.batch_size_ = int(self.batch_size)
        if self.n_iter_no_change == "auto":
            n_batches = -(-n_samples // self.batch_size_)
            self.n_iter_no_change_ = int(max(10, -(-PATIENCE_STEPS // n_batches)))
        else:
            self.n_iter_no_change_ = int(self.n_iter_no_change)

    # How an ensemble combines its members' outputs (NetworkEnsemble's
    # ``combine``): the classifier averages probabilities.
    _ensemble_combine = "mean"

    def _module_spec(self, mean=None, scale=None):
        """The module class and its keyword arguments: one
        :class:`RecurrentNetwork`, or a :class:`NetworkEnsemble` of them."""
        kwargs = self._module_kwargs(mean, scale)
        size = kwargs.pop("ensemble_size")
        if size > 1:
            return NetworkEnsemble, {"ensemble_size": size,
                                     "combine": self._ensemble_combine, **kwargs}
        return RecurrentNetwork, kwargs

    def _module_kwargs(self, mean=None, scale=None):
        """Keyword arguments of :class:`RecurrentNetwork` for this estimator,
        with the ``ensemble_size`` of :meth:`_module_spec`."""
        kwargs = dict(self._architecture())
        kwargs["nonlinearity"] = self.nonlinearity
        kwargs["dropout"] = float(self.dropout)
        n_features = kwargs["input_size"]
        kwargs["input_mean"] = [0.0] * n_features if mean is None else [
            float(v) for v in mean]
        kwargs["input_scale"] = [1.0] * n_features if scale is None else [
            float(v) for v in scale]
        return kwargs

    def _optimizer_settings(self):
        """The parameters the optimiser is built from, as plain data."""
        optimizer = self.optimizer
        return {
            "optimizer": optimizer if isinstance(optimizer, str) else
            f"{optimizer.__module__}.{optimizer.__qualname__}",
            "learning_rate_init": float(self.learning_rate_init),
            "alpha": float(self.alpha),
            "batch_size": int(self.batch_size_),
            "momentum": float(self.momentum),
        }

    def _optimizer_spec(self):
        """The optimiser class and its keyword arguments (but the rate)."""
        optimizer = self.optimizer
        # MLPRegressor's alpha: the L2 term is divided by the batch size, so
        # an alpha tuned for an MLP means the same here.
        optimizer_kwargs = {}
        if self.alpha > 0:
            # Only when asked: some optimizers (LBFGS) take no weight_decay.
            optimizer_kwargs["weight_decay"] = float(self.alpha) / int(self.batch_size_)
        if isinstance(optimizer, str):
            if optimizer == "sgd":
                optimizer_kwargs["momentum"] = float(self.momentum)
            optimizer = OPTIMIZERS[optimizer]
        return optimizer, optimizer_kwargs

    def _build_net(self, device, seed, has_validation, mean=None, scale=None):
        """A new, uninitialised skorch net from the current parameters."""
        optimizer, optimizer_kwargs = self._optimizer_spec()
        monitor = "valid_loss" if has_validation else "train_loss"
        criterion, criterion_kwargs = self._criterion()
        callbacks = [("non_finite_loss", StopOnNonFiniteLoss())]
        if has_validation:
            callbacks.append(("valid_score", ValidationScore(self._score_outputs)))
        callbacks.append(
            (
                "early_stopping",
                EarlyStopping(
                    monitor=monitor,
                    patience=int(self.n_iter_no_change_),
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
        if getattr(self, "average_weights_", False):
            callbacks.append(
                ("average_weights", WeightAveraging(AVERAGING_MOMENTUM)))
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
        module, module_kwargs = self._module_spec(mean, scale)
        return self._net_class(
            module=module,
            **{f"module__{k}": v for k, v in module_kwargs.items()},
            criterion=criterion,
            **{f"criterion__{k}": v for k, v in criterion_kwargs.items()},
            optimizer=optimizer,
            lr=float(self.learning_rate_init),
            **{f"optimizer__{k}": v for k, v in optimizer_kwargs.items()},
            max_epochs=int(self.max_iter),
            batch_size=int(self.batch_size_),
            iterator_train__shuffle=self.shuffle,
            iterator_train__seed=seed,
            train_split=TailSplit(float(self.validation_fraction)) if has_validation
            else None,
            callbacks=callbacks,
            device=device,
            verbose=1 if self.verbose >= 2 else 0,
        )

    def _initialize(self, net, seed, device):
        """Initialise ``net`` with weights drawn from ``seed``.

        The global torch generator is forked: the caller's random state does
        not move, and fits running at once in threads cannot interleave
        their draws.
        """
        with _seeded_global_rng(seed, device):
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
        return net

    # --------------------------------------------------------------- fitting
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None,
            sample_weight_val=None):
        """Fit the network to sequences ``X`` and targets ``y``.

        With ``warm_start=True`` and a fitted model, training continues from
        the current weights with the current parameters (a new optimiser, as
        scikit-learn's MLP does; parameters that change the architecture
        cannot change).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features), or list of arrays
            Training sequences (see the class docstring for the layouts).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets: class labels for the classifier; for the regressor
            values, or with ``return_sequences=True`` one per time step
            (``(n_samples, T)``, ``(n_samples, T, n_outputs)`` or a list).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sequence weights of the loss.
        X_val : array-like or list of arrays, default=None
            Validation sequences for early stopping, used instead of the
            ``validation_fraction`` tail (with ``early_stopping`` True or 'auto'). In
            a ``Pipeline``, ``Pipeline(..., transform_input=["X_val"])``
            transforms them as ``X``; the names are scikit-learn's own
            (``HistGradientBoosting*.fit``).
        y_val : array-like, default=None
            Targets of ``X_val``.
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation loss and score.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False, X_val=X_val,
                         y_val=y_val, sample_weight_val=sample_weight_val)

    def _fit(self, X, y, sample_weight=None, *, incremental, classes=None,
             X_val=None, y_val=None, sample_weight_val=None):
        self._validate_params()
        self._check_extra_params()
        if incremental and self.early_stopping is True:
            # As scikit-learn's MLP: one epoch on a batch has no validation
            # tail to stop on (it would silently train on part of the rows).
            raise ValueError(
                "partial_fit does not support early_stopping=True; set "
                "early_stopping=False to train incrementally."
            )
        if incremental and self.average_weights is True:
            raise ValueError(
                "partial_fit does not support average_weights=True (each call "
                "would replace the weights it continues from with their "
                "average); set average_weights=False to train incrementally."
            )
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be passed together.")
        if X_val is not None and self.early_stopping is False:
            raise ValueError(
                "X_val and y_val are passed to fit while early_stopping is "
                "False. When passing X_val and y_val to fit, set "
                "early_stopping=True."
            )
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None."
            )
        continuing = (incremental or self.warm_start) and hasattr(self, "net_")
        previous = self._get_fitted_state() if continuing else None
        if continuing:
            self._check_architecture(previous["attributes"])
        batch = self._validate_X(X, reset=not continuing)
        if not continuing:
            self.conv_layers_ = self._choose_conv_layers(batch)
            # Variable-length sequences train in batches of similar lengths:
            # their statistics are not the population's, which batch
            # normalisation would then use at predict (PLAID 0.49 -> 0.40).
            self.conv_batch_norm_ = bool(self.conv_layers_) and (
                batch.lengths is None if self.conv_batch_norm == "auto"
                else bool(self.conv_batch_norm))
        target = self._encode_y(y, batch, reset=not continuing, classes=classes)
        series_windows = self._find_series_windows(batch, y)
        if not continuing:
            self._choose_series_rules(series_windows, batch)
            self.standardize_sequences_ = self._choose_standardize_sequences(
                batch, series_windows)
        self.early_stopping_ = self._choose_early_stopping(
            series_windows, incremental, X_val is not None)
        self.average_weights_ = self._choose_average_weights(incremental)
        if not continuing:
            self.ensemble_size_ = self._choose_ensemble_size(batch, incremental)
        n_train = len(batch)
        if self.early_stopping_ and X_val is None:
            n_train -= max(1, int(round(n_train * self.validation_fraction)))
        self._choose_training_sizes(max(1, n_train))
        sample_weight = self._check_sample_weight(sample_weight, batch)
        validation = None
        if X_val is not None:
            val_batch = self._validate_X(X_val, reset=False)
            validation = (
                val_batch,
                self._encode_y(y_val, val_batch, reset=False),
                self._check_sample_weight(sample_weight_val, val_batch),
            )
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        device = resolve_device(self.device)
        mean = scale = None
        if not continuing and self.scale_inputs and self.embedding_dim is None:
            mean, scale = feature_mean_and_scale(batch)
        net = self._build_net(device, seed, self.early_stopping_, mean, scale)
        sequence_targets = bool(getattr(self, "return_sequences", False))
        if validation is not None:
            # Not kept in net_ after fit (that would pickle X_val with it).
            net.set_params(train_split=predefined_split(as_dataset(
                *validation, device=device, sequence_targets=sequence_targets
            )))
        dataset = as_dataset(batch, target, sample_weight, device=device,
                             sequence_targets=sequence_targets)
        self._initialize(net, seed, device)
        if continuing:
            self._load_state(net, previous, optimizer=incremental)

        # torch's generator is process-wide: with dropout, training draws from
        # it, so fits running at once in threads would interleave their draws
        # (shuffling has a generator of its own).
        try:
            if self.dropout > 0:
                with _seeded_global_rng(seed, device):
                    self._train(net, dataset, incremental)
            else:
                self._train(net, dataset, incremental)
        except FloatingPointError:
            if not continuing and hasattr(self, "net_"):
                # The attributes already describe the new data: no model
                # (and none that predicts NaN) is left behind. A continued
                # fit keeps the previous net_, which it never touched.
                del self.net_
            raise
        if validation is not None:
            net.train_split = TailSplit(float(self.validation_fraction))
        # Predict-ready: _forward never toggles the mode, so concurrent
        # predicts cannot switch dropout back on under one another.
        net.module_.eval()
        self.net_ = net
        self.device_ = device
        self._architecture_ = self._architecture()
        self._optimizer_settings_ = self._optimizer_settings()
        self._record_history()
        return self

    def _train(self, net, dataset, incremental):
        # skorch's partial_fit keeps the initialised net (and the history we
        # may have loaded into it); max_iter is read on every fit, so a warm
        # start honours a changed value, as scikit-learn's MLP does.
        net.partial_fit(dataset, None, epochs=1 if incremental else int(self.max_iter))

    def _partial_fit(self, X, y, sample_weight=None, classes=None):
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _check_architecture(self, attributes):
        before = attributes.get("_architecture_")
        if before is None:
            return
        now = self._architecture()
        changed = [k for k in now if before.get(k) != now[k]
                   and k not in ("input_size", "output_size")]
        if changed:
            detail = ", ".join(f"{k} {before.get(k)!r} -> {now[k]!r}" for k in changed)
            raise ValueError(
                f"Cannot continue training (warm_start or partial_fit): {detail} "
                "changed since the network was trained, and its weights do not "
                "fit the new architecture. Set them back, or set "
                "warm_start=False to train a new network."
            )

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

    # ---------------------------------------------------------- fitted state
    # Every fitted attribute, with the check of its value in a model file
    # (True: present after every fit). The fitted state is this list, not
    # vars(self): a file holding anything else is refused.
    _fitted_attributes = BASE_ATTRIBUTES

    def _get_fitted_state(self):
        """The whole fitted state, as plain data and CPU tensors.

        ``attributes``: every fitted attribute (plain data); ``module``,
        ``criterion``: the state dicts of the network and the loss;
        ``optimizers``: the optimisers' state dicts; ``history``: skorch's
        per-epoch rows. :meth:`_set_fitted_state` takes it back.
        """
        check_is_fitted(self, "net_")
        net = self.net_
        return {
            "attributes": {k: getattr(self, k) for k in self._fitted_attributes
                           if hasattr(self, k)},
            "module": _to_cpu(net.module_.state_dict()),
            "criterion": _to_cpu(net.criterion_.state_dict()),
            "optimizers": {name: _to_cpu(getattr(net, name + "_").state_dict())
                           for name in net._optimizers},
            "history": list(net.history),
        }

    def _set_fitted_state(self, state, device=None):
        """Make this estimator the fitted one that ``state`` describes.

        The net is built from the current parameters, checked against the
        stored tensors' shapes before anything is allocated, and the state
        is loaded into it (the optimiser's too, so training continues as it
        would have). ``device`` defaults to the saved one when it exists on
        this machine, else the CPU. Raises ``ValueError`` when the state
        does not fit the parameters.
        """
        attributes = state["attributes"]
        missing = [k for k, (required, _) in self._fitted_attributes.items()
                   if required and k not in attributes]
        if missing:
            raise ValueError(f"fitted attributes {missing} are missing")
        for key, value in attributes.items():
            setattr(self, key, value)
        if device is None:
            saved = self.device_
            device = saved if device_is_usable(saved) else "cpu"
        else:
            device = resolve_device(device)
        self._check_architecture(attributes)
        # The stored hyperparameters decide the module's size: compare them
        # with the stored tensors on the meta device (no memory) before
        # allocating anything, so a doctored state cannot ask for terabytes.
        found = {k: tuple(v.shape) for k, v in state["module"].items()}
        expected = self._module_shapes(max_tensors=len(found))
        if expected is None:
            raise ValueError(
                f"the parameters build an ensemble of {self._ensemble_size()} "
                f"networks, more than the {len(found)} stored tensors hold"
            )
        if expected != found:
            mismatched = sorted(set(expected) ^ set(found)) or sorted(
                k for k in expected if expected[k] != found[k]
            )
            raise ValueError(
                f"the module tensors {mismatched} differ from what the "
                "parameters build"
            )
        net = self._build_net(device, 0, bool(attributes.get(
            "early_stopping_", self.early_stopping is True)))
        self._initialize(net, 0, device)
        self._load_state(net, state, optimizer=True)
        net.module_.eval()
        self.net_ = net
        self.device_ = device
        self._architecture_ = self._architecture()
        self._optimizer_settings_ = attributes.get(
            "_optimizer_settings_", self._optimizer_settings())
        return self

    def _member_shapes(self):
        """``(ensemble_size, shapes)``: the networks the parameters build and
        the state shapes of one of them (built on the meta device)."""
        module_kwargs = self._module_kwargs()
        size = module_kwargs.pop("ensemble_size")
        with torch.device("meta"):
            skeleton = RecurrentNetwork(**module_kwargs)
        return size, {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}

    def _module_shapes(self, max_tensors=None):
        """Shapes of the module's state for the current parameters (no
        memory), or None when it would hold more than ``max_tensors``
        tensors: an ensemble is measured from one member, so that a doctored
        ``ensemble_size`` cannot make this build millions of them."""
        size, shapes = self._member_shapes()
        if size == 1:
            return shapes
        if max_tensors is not None and size * len(shapes) > max_tensors:
            return None
        return {f"members.{i}.{k}": shape for i in range(size)
                for k, shape in shapes.items()}

    def _load_state(self, net, state, *, optimizer):
        """Load a fitted state's tensors and history into an initialised net.

        With ``optimizer``, the optimiser's state too (partial_fit, load):
        exactly as stored while the parameters it is built from are
        unchanged; with the current learning rate, weight decay... when
        they changed. A warm start builds a new optimiser, as scikit-learn's
        MLP does.
        """
        net.module_.load_state_dict(state["module"], strict=True)
        net.criterion_.load_state_dict(state["criterion"], strict=True)
        if optimizer:
            before = state["attributes"].get("_optimizer_settings_")
            now = self._optimizer_settings()
            same = before is None or before == now
            for name, stored in state["optimizers"].items():
                opt = getattr(net, name + "_", None)
                if opt is None or (before is not None
                                   and before["optimizer"] != now["optimizer"]):
                    continue
                fresh = [{k: v for k, v in group.items() if k != "params"}
                         for group in opt.param_groups]
                # load_state_dict may keep the stored tensors: the previous
                # net must not see this one's updates.
                opt.load_state_dict(copy.deepcopy(stored))
                for group, settings in zip(opt.param_groups, fresh, strict=True):
                    # The implementation flags (fused, foreach, capturable,
                    # ...) are this optimiser's, never the stored ones: they
                    # depend on the device, and a doctored flag must not
                    # select a kernel the stored state does not fit.
                    group.update(settings if not same else {
                        k: v for k, v in settings.items()
                        if v is None or isinstance(v, bool | str)})
        net.history = History(list(state["history"]))

    def __getstate__(self):
        # The net itself is not pickled: its state is, and unpickling builds
        # the net anew (on the CPU when the saved device is absent), as
        # load_model does.
        state = super().__getstate__()
        if "net_" in state:
            fitted = self._get_fitted_state()
            state = {k: v for k, v in state.items() if k != "net_"}
            state["_net_state"] = {k: fitted[k] for k in
                                   ("module", "criterion", "optimizers", "history")}
        return state

    def __setstate__(self, state):
        net_state = state.pop("_net_state", None)
        super().__setstate__(state)
        if net_state is not None:
            params = self.get_params(deep=False)
            attributes = {k: v for k, v in vars(self).items() if k not in params}
            self._set_fitted_state({"attributes": attributes, **net_state})

    # ------------------------------------------------------------ predicting
    def _forward(self, batch):
        """Raw network outputs for the validated ``batch`` (numpy float32).

        Every forward pass gets exactly ``PREDICT_BATCH_SIZE`` rows (the
        last block zero-padded), so a row's output never depends on the
        other rows of ``X``.
        """
        check_is_fitted(self, "net_")
        dataset = as_dataset(batch, device=self.device_)
        n = len(dataset)
        order = None
        if dataset.lengths is not None:
            # Sorting by length keeps each forward batch's padding minimal.
            order = torch.argsort(dataset.lengths, stable=True)
        module = self.net_.module_
        if module.training:
            module.eval()
        full_steps = dataset.X.shape[1]
        # Each block's outputs are copied into one array: keeping thousands
        # of small block tensors alive until a final concatenation
        # fragmented the heap (predict on 2 M windows grew the resident
        # memory by 450 MiB for 8 MiB of outputs).
        result = None
        with torch.inference_mode():
            for start in range(0, n, PREDICT_BATCH_SIZE):
                if order is None:
                    index = slice(start, start + PREDICT_BATCH_SIZE)
                else:
                    index = order[start : start + PREDICT_BATCH_SIZE]
                Xi, _ = dataset.take(index)
                X_block, lengths = Xi["X"], Xi.get("lengths")
                rows = X_block.shape[0]
                if rows < PREDICT_BATCH_SIZE:
                    X_block = torch.nn.functional.pad(
                        X_block, (0, 0, 0, 0, 0, PREDICT_BATCH_SIZE - rows))
                    if lengths is not None:
                        lengths = torch.nn.functional.pad(
                            lengths, (0, PREDICT_BATCH_SIZE - rows), value=1)
                out = module(X_block, lengths)[:rows].float()
                if out.dim() == 3 and out.shape[1] < full_steps:
                    # Blocks are trimmed to their longest sequence; re-pad
                    # per-step outputs to the common length.
                    out = torch.nn.functional.pad(
                        out, (0, 0, 0, full_steps - out.shape[1]))
                out = out.cpu().numpy()
                if result is None:
                    result = np.empty((n, *out.shape[1:]), dtype=np.float32)
                # Rows sorted by length go back to their own places.
                result[index if order is None else index.numpy()] = out
        return result

    def _score(self, X, y, sample_weight=None):
        """``score``: encode ``y``, run the network, one scoring function."""
        check_is_fitted(self, "net_")
        batch = self._validate_X(X, reset=False)
        y_encoded = self._encode_y(y, batch, reset=False, scoring=True)
        sample_weight = self._check_sample_weight(sample_weight, batch)
        return self._score_outputs(y_encoded, self._forward(batch),
                                   sample_weight, batch.lengths)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        return tags


@contextlib.contextmanager
def _seeded_global_rng(seed, device):
    """torch's global generator, forked and seeded with ``seed``, under a lock.

    The caller's random state does not move, and fits running at once in
    threads (joblib's threading back end, Dask's threaded scheduler) cannot
    interleave their draws.
    """
    fork_devices = [torch.device(device)] if device.startswith("cuda") else []
    with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=fork_devices):
        torch.manual_seed(seed)
        yield


def _to_cpu(value):
    """``value`` with every tensor in it (nested dicts and lists) on the CPU."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_to_cpu(v) for v in value)
    return value


def _silent(*args, **kwargs):
    """A sink that drops EarlyStopping's messages (verbosity is ours)."""

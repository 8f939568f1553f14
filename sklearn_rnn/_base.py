"""The estimators' base: parameters, checks, input, and the fit that ties it together.

A fit flows in four steps, each in a module of its own:

1. **check and plan** (``_plan.py``): the parameters and their combinations
   are checked, then every 'auto' rule is resolved from the parameters, a
   summary of the data and the previous fitted state into a fit plan;
2. **build** (``_building.py``): the skorch net is built from the
   parameters and the plan;
3. **train** (``_net.py``): skorch's loop, with our batching and the
   ensemble's lanes;
4. **commit**: the new fitted state (``_fitted_state.py``) replaces the
   old one only when training has finished.

The whole fit runs on a working copy of the estimator: a fit that raises,
or is interrupted with Ctrl-C (``KeyboardInterrupt`` propagates), leaves
the estimator exactly as it was. Predicting and scoring live in
``_predicting.py``. ``docs/developers.rst`` walks through it.
"""

import functools
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, is_regressor
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data
from skorch.callbacks import Callback
from skorch.helper import predefined_split

from ._building import OPTIMIZERS, _seeded_global_rng  # noqa: F401 (re-exported)
from ._compat import Interval, StrOptions, _check_sample_weight
from ._fitted_state import FittedState, _to_cpu  # noqa: F401 (re-exported)
from ._module import CELLS, POOLINGS, zero_output_layers
from ._net import TailSplit, as_dataset
from ._plan import DataSummary, PerStepWindows, check_fit_request, plan_fit
from ._predictability import (
    latest_changes,
    step_changes,
    window_predictability,
    window_seasonality,
)
from ._predicting import PREDICT_BATCH_SIZE, Predicting  # noqa: F401 (re-exported)
from ._sequences import (
    Sequences,
    check_sequence_array,
    feature_mean_and_scale,
    float32_window_view,
    is_ragged,
    pad_sequences,
    sequences_are_standardized,
)
from ._tokens import check_token_ids
from ._utils import as_array_like, resolve_device
from ._window import find_per_step_feature, find_sliding_windows

_INT_PARAMS = ("hidden_size", "num_layers", "max_iter", "batch_size",
               "n_iter_no_change", "embedding_dim", "vocabulary_size",
               "conv_layers", "conv_kernel_size", "ensemble_size")
_FLOAT_PARAMS = ("dropout", "learning_rate_init", "momentum", "alpha",
                 "clip_grad_norm", "validation_fraction", "tol")


class BaseRNN(Predicting, FittedState, BaseEstimator, metaclass=ABCMeta):
    """Parameters and training logic shared by the regressor and classifier.

    The contract with a subclass is its abstract methods: how a target is
    encoded for the network (:meth:`_encode_y`), the loss
    (:meth:`_criterion`), how the network's raw outputs are scored against
    encoded targets (:meth:`_score_outputs`, used by ``score`` and by the
    validation score alike) and :meth:`predict`; and the hooks it may
    override: :meth:`_sequence_output`, :meth:`_find_series_windows`,
    :meth:`_set_architecture_plan`, :meth:`_extra_architecture`,
    ``_ensemble_combine`` and ``_fitted_attributes`` (the list of its
    fitted attributes). Nothing else of a subclass is read. Everything else
    - the defaults, ``fit``, the fitted state - is written here once.
    """

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
        "alpha": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
        "clip_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "average_weights": [StrOptions({"auto"}), "boolean"],
        "ensemble_size": [StrOptions({"auto"}), Interval(Integral, 1, None,
                                                         closed="left")],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "validation_fraction": [StrOptions({"auto"}),
                                Interval(Real, 0, 1, closed="neither")],
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
        alpha="auto",
        clip_grad_norm=None,
        average_weights="auto",
        ensemble_size="auto",
        early_stopping="auto",
        validation_fraction="auto",
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

    # Hooks with a default; a subclass overrides them where it differs.
    # How an ensemble combines its members' outputs (NetworkEnsemble's
    # ``combine``): the classifier averages probabilities.
    _ensemble_combine = "mean"

    def _sequence_output(self):
        """Whether the network emits one output per time step (the
        regressor's ``return_sequences``)."""
        return False

    def _find_series_windows(self, batch, y):
        """``(feature, step)`` when the training rows are windows of a series
        whose targets continue that input feature, else None (see
        :func:`~sklearn_rnn._window.find_continued_feature`). Only a
        regressor's targets can continue a feature."""
        return None

    def _set_architecture_plan(self, architecture):
        """Set a subclass's own fitted attributes of the architecture plan
        (the regressor's instance normalisation); none here."""

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

    # --------------------------------------------------------------- fitting
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None,
            sample_weight_val=None):
        """Fit the network to sequences ``X`` and targets ``y``.

        With ``warm_start=True`` and a fitted model, training continues from
        the current weights with the current parameters (a new optimiser, as
        scikit-learn's MLP does; parameters that change the architecture
        cannot change).

        A fit that raises, or is interrupted (Ctrl-C: ``KeyboardInterrupt``
        propagates), leaves the estimator exactly as it was: unfitted, or
        with its previous model.

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
        check_fit_request(
            self.get_params(deep=False), incremental=incremental,
            has_X_val=X_val is not None, has_y_val=y_val is not None,
            y_is_none=y is None, sequence_output=self._sequence_output(),
            estimator_name=type(self).__name__,
        )
        # The new fitted state is built on a working copy and committed only
        # once training has finished: a fit that raises, or is interrupted,
        # leaves this estimator exactly as it was.
        work = object.__new__(type(self))
        vars(work).update(vars(self))
        work._fit_working_copy(
            X, y, sample_weight, incremental=incremental, classes=classes,
            X_val=X_val, y_val=y_val, sample_weight_val=sample_weight_val)
        for key in set(vars(self)) - set(vars(work)):
            delattr(self, key)
        vars(self).update(vars(work))
        return self

    def _fit_working_copy(self, X, y, sample_weight, *, incremental, classes,
                          X_val, y_val, sample_weight_val):
        """The fit proper, on the working copy: input, plan, net, training."""
        continuing = (incremental or self.warm_start) and hasattr(self, "net_")
        previous = self._get_fitted_state() if continuing else None
        if continuing:
            self._check_architecture(previous["attributes"])
        batch = self._validate_X(X, reset=not continuing)
        target = self._encode_y(y, batch, reset=not continuing, classes=classes)
        summary = self._summarize(batch, y)
        plan = plan_fit(
            self.get_params(deep=False), summary,
            new_network=not continuing, incremental=incremental,
            has_X_val=X_val is not None, sequence_output=self._sequence_output(),
            regression=is_regressor(self))
        self._set_plan(plan)
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
        net = self._build_net(device, seed, self.early_stopping_, mean, scale,
                              continue_schedule=incremental)
        sequence_targets = self._sequence_output()
        starts = plan.training.validation_series_starts
        gap = plan.training.validation_gap
        # Stacked windows of several series validate on the tail of every
        # series; a direct forecast's windows, and windows with one target
        # per step, leave out the rows whose targets reach into the tail
        # (the plan's validation_gap).
        own_tail = (validation is None and self.early_stopping_
                    and starts is not None
                    and (len(starts) > 1 or gap > 0))
        if validation is not None:
            # Not kept in net_ after fit (that would pickle X_val with it).
            net.set_params(train_split=predefined_split(as_dataset(
                *validation, device=device, sequence_targets=sequence_targets
            )))
        elif own_tail:
            net.set_params(train_split=TailSplit(
                float(self.validation_fraction_), starts, gap))
        dataset = as_dataset(batch, target, sample_weight, device=device,
                             sequence_targets=sequence_targets)
        self._initialize(net, seed, device)
        if continuing:
            self._load_state(net, previous, optimizer=incremental)
        elif plan.architecture.zero_output_layer:
            zero_output_layers(net.module_)

        # torch's generator is process-wide: with dropout, training draws from
        # it, so fits running at once in threads would interleave their draws
        # (shuffling has a generator of its own).
        if self.dropout > 0:
            with _seeded_global_rng(seed, device):
                self._train(net, dataset, incremental)
        else:
            self._train(net, dataset, incremental)
        if validation is not None or own_tail:
            net.train_split = TailSplit(float(self.validation_fraction_))
        # Predict-ready: _forward never toggles the mode, so concurrent
        # predicts cannot switch dropout back on under one another.
        net.module_.eval()
        self.net_ = net
        self.device_ = device
        self._architecture_ = self._architecture()
        self._optimizer_settings_ = self._optimizer_settings()
        self._record_history()

    def _summarize(self, batch, y):
        """What the plan's rules need to know of the training data."""
        n_samples, n_steps, n_features = batch.values.shape
        lengths = batch.lengths
        series_windows = self._find_series_windows(batch, y)
        return DataSummary(
            n_samples=n_samples,
            n_steps=n_steps,
            n_valid_steps=(n_samples * n_steps if lengths is None
                           else int(np.asarray(lengths).sum())),
            ragged=lengths is not None,
            # A pass over the data: made only when a rule asks.
            is_standardized=lambda: bool(
                sequences_are_standardized(batch.values, lengths)),
            series_windows=series_windows,
            n_features=n_features,
            # A model fit: made only when the 'auto' weight decay asks.
            predictability=(None if series_windows is None else
                            lambda: window_predictability(batch.values, y,
                                                          series_windows)),
            # A pass over the windows: made only when the 'auto' centre or
            # scale asks, once.
            seasonality=(None if series_windows is None else
                         functools.cache(lambda: window_seasonality(
                             batch.values, series_windows))),
            per_step_windows=(self._find_per_step_windows(batch, y)
                              if self._sequence_output() else None),
            # A pass over a feature: made only when the 'auto' scale asks.
            step_changes=lambda feature, steps: step_changes(
                batch.values, lengths, feature, steps,
                latest=(latest_changes(batch.values, y, series_windows)
                        if series_windows is not None
                        and series_windows.feature == feature else None)),
        )

    def _find_per_step_windows(self, batch, y):
        """:class:`~sklearn_rnn._plan.PerStepWindows` when the training rows
        are windows a fixed number of steps apart with one target per step
        (a pass over the rows), else None."""
        found = find_sliding_windows(batch.values, batch.lengths, y)
        if found is None:
            return None
        starts, overlap = found
        # Token ids (an embedding) are no measurements to normalise; their
        # windows still share targets (the validation gap).
        feature = (None if self.embedding_dim is not None
                   else find_per_step_feature(batch.values, y))
        return PerStepWindows(starts, overlap, feature)

    def _set_plan(self, plan):
        """The fitted attributes of the plan, set in this one place."""
        if plan.architecture is not None:
            architecture = plan.architecture
            self.conv_layers_ = architecture.conv_layers
            self.conv_batch_norm_ = architecture.conv_batch_norm
            self.standardize_sequences_ = architecture.standardize_sequences
            self.ensemble_size_ = architecture.ensemble_size
            self._set_architecture_plan(architecture)
        training = plan.training
        self.early_stopping_ = training.early_stopping
        self.validation_fraction_ = training.validation_fraction
        self.average_weights_ = training.average_weights
        self.batch_size_ = training.batch_size
        self.n_iter_no_change_ = training.n_iter_no_change
        self.alpha_ = training.alpha

    def _train(self, net, dataset, incremental):
        # skorch's partial_fit keeps the initialised net (and the history we
        # may have loaded into it); max_iter is read on every fit, so a warm
        # start honours a changed value, as scikit-learn's MLP does.
        net.partial_fit(dataset, None, epochs=1 if incremental else int(self.max_iter))

    def _partial_fit(self, X, y, sample_weight=None, classes=None):
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        return tags

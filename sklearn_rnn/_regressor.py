"""RNNRegressor: target scaling, multi-output and one output per time step."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_array, check_is_fitted

from ._base import BaseRNN
from ._compat import Interval, StrOptions
from ._docs import ARCHITECTURE_PARAMETERS, FITTED_ATTRIBUTES, TRAINING_PARAMETERS
from ._losses import LOSSES, check_loss_params, criterion_for
from ._module import INSTANCE_NORM_CENTERS, INSTANCE_NORM_SCALES
from ._plan import SeriesWindows
from ._state_checks import REGRESSOR_ATTRIBUTES
from ._utils import safe_scale
from ._window import find_continued_feature, find_series_starts

__all__ = ["RNNRegressor"]


class RNNRegressor(RegressorMixin, BaseRNN):
    __doc__ = (
        """Recurrent neural network regressor (RNN, LSTM or GRU).

    Maps each sequence to one value (or ``k`` values: a multi-step horizon or
    several targets), or, with ``return_sequences=True``, to one value per
    time step. Targets are standardised inside and restored at predict, so
    raw-scale targets train as well as unit-scale ones.

    ``X`` can be 2-D ``(n_samples, n_timesteps)`` univariate sequences, 3-D
    ``(n_samples, n_timesteps, n_features)`` (batch first, as PyTorch and
    Keras; sktime/aeon's ``(n, channels, T)`` needs ``X.transpose(0, 2, 1)``),
    or a list of ``(T_i,)`` / ``(T_i, n_features)`` arrays of different
    lengths (padded and packed inside; padding never changes a prediction).
    With ``embedding_dim`` set, ``X`` holds integer token ids instead (see
    :class:`SequenceVectorizer` for text).

    Parameters
    ----------
    return_sequences : bool, default=False
        Predict one output per time step: ``y`` is ``(n, T)`` or
        ``(n, T, k)`` (or, for variable-length ``X``, a list of ``(T_i,)`` or
        ``(T_i, k)`` arrays) and ``predict`` returns the same layout.
    loss : str, default='squared_error'
        The training loss (and the validation loss of ``early_stopping``),
        one of 'squared_error', 'absolute_error', 'huber' or 'quantile', as
        in :class:`~sklearn.ensemble.HistGradientBoostingRegressor`:
        'squared_error' predicts the conditional mean, 'absolute_error' the
        conditional median, 'quantile' the conditional ``quantile`` (pinball
        loss) and 'huber' is the squared error up to one standard deviation
        of the target and the absolute error beyond (targets are
        standardised inside, so the threshold is 1.0 there), a mean that
        gross outliers pull less. Each output of a multi-output ``y`` (e.g.
        each step of a direct horizon) gets the same loss. ``score`` stays
        R² whatever the loss.
    quantile : float in (0, 1) or None, default=None
        The quantile to predict with ``loss='quantile'`` (e.g. 0.9); only
        with that loss. Two models at 0.1 and 0.9 give an 80 % prediction
        interval.
    instance_norm : 'auto', int or None, default='auto'
        Reversible instance normalisation (RevIN, Kim et al. 2022) for
        windows of a series: the input feature the targets continue is
        centred on each window's own level (``instance_norm_center``) and
        divided by its standard deviation, and the network's outputs, read
        in those units, are mapped back. The network learns the shape of
        what follows a window whatever its level: a trend carries on past
        the values seen in training, and series of different scales train
        together in one global model. 'auto' finds the feature when the
        training rows are windows of a series (the first target of each
        window is a value of the next window, as :func:`make_windows`
        builds them, also when a scaler rescaled the inputs and not the
        targets; shuffled rows, unrelated targets and targets already in
        their own window are left alone) and uses none otherwise; an int
        names the feature; None turns it off. The feature used is
        ``instance_norm_feature_``. Not with ``embedding_dim``.
        With ``return_sequences`` (one output per step) 'auto' finds the
        feature of windows whose per-step targets are its next values
        (``make_windows(..., return_sequences=True)``) and normalises
        causally, so that no step reads a later one: the feature relative
        to the window's first value, each step's outputs the change from
        that step's own value (the naive forecast at every step), in the
        feature's units over the training data; an int is refused there.
    instance_norm_center : {'auto', 'last', 'mean'}, default='auto'
        The level each window is centred on with ``instance_norm``: its last
        value (the network reads and predicts the change from the last
        observation, the naive forecast, in units of the window's standard
        deviation) or its mean (RevIN as published). 'last' measured better
        on the forecast benchmark's development list (geometric mean of
        MASE over seasonal naive's, three seeds: docs "Forecast
        benchmark"): a window's mean lags a trend by half a window, and a
        network that has learnt little still forecasts no change rather
        than a wrong level. Except for strongly seasonal windows, whose last
        value is a point somewhere in the season: 'auto' centres one-step
        windows of a single series on their mean when a change over some
        lag within the window is on average under 0.7 of a change over one
        step (a season the window spans), on their last value otherwise.
        With one output per step each step is centred on its own value
        ('last'; 'mean' is refused: a window's mean holds the later steps'
        targets). The centre used is ``instance_norm_center_``.
    instance_norm_scale : {'auto', 'window', 'series'}, default='auto'
        What each window is divided by with ``instance_norm``: its own
        standard deviation ('window', RevIN as published) or one scale for
        the whole series ('series'): the mean absolute one-step change of
        the feature, read from each training window's last change, the
        series' usual step, so that the network sees how far each window
        moves (a window's own spread makes a calm stretch look as turbulent
        as a wild one). 'auto' takes 'series' for windows of a single series
        centred on their last value that are not strongly seasonal within
        the window (the score of ``instance_norm_center``), unless the
        recent windows' usual step is more than 3 times the early ones' or,
        one step ahead, the series is a steady trend (its absolute mean step
        is 0.6 of its mean absolute step or more); 'window' otherwise
        (stacked windows of several series, whose scales differ; windows
        centred on their mean). Measured on the forecast benchmark's
        development list (docs "Forecast benchmark"). Unused with one output
        per step. The scale used is ``instance_norm_scale_``.
"""
        + ARCHITECTURE_PARAMETERS
        + TRAINING_PARAMETERS
        + """
    Attributes
    ----------"""
        + FITTED_ATTRIBUTES
        + """    instance_norm_feature_ : int or None
        The input feature standardised per window (instance normalisation),
        or None (what ``instance_norm='auto'`` found).
    instance_norm_center_ : {'last', 'mean'}
        The level the windows are centred on (what
        ``instance_norm_center='auto'`` chose; unused without a normalised
        feature).
    instance_norm_scale_ : {'window', 'series'}
        What the windows are divided by (what ``instance_norm_scale='auto'``
        chose; unused without a normalised feature).

    See Also
    --------
    RNNClassifier : The classifier counterpart.
    sklearn.neural_network.MLPRegressor : Feed-forward network with the same
        training parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import RNNRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 10))      # 200 sequences of 10 steps
    >>> y = X[:, -3:].sum(axis=1)           # sum of the last 3 steps
    >>> reg = RNNRegressor(hidden_size=16, max_iter=5, random_state=0)
    >>> reg.fit(X, y).predict(X[:3]).shape
    (3,)
    >>> len(reg.loss_curve_)
    5
    """
    )

    _parameter_constraints: dict = {
        **BaseRNN._parameter_constraints,
        "return_sequences": ["boolean"],
        "loss": [StrOptions(set(LOSSES))],
        "quantile": [Interval(Real, 0, 1, closed="neither"), None],
        "instance_norm": [StrOptions({"auto"}),
                          Interval(Integral, 0, None, closed="left"), None],
        "instance_norm_center": [StrOptions({"auto", *INSTANCE_NORM_CENTERS})],
        "instance_norm_scale": [StrOptions({"auto", *INSTANCE_NORM_SCALES})],
    }

    def __init__(
        self,
        *,
        return_sequences=False,
        loss="squared_error",
        quantile=None,
        instance_norm="auto",
        instance_norm_center="auto",
        instance_norm_scale="auto",
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
        super().__init__(
            cell=cell,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            nonlinearity=nonlinearity,
            pooling=pooling,
            head_hidden_sizes=head_hidden_sizes,
            conv_layers=conv_layers,
            conv_kernel_size=conv_kernel_size,
            conv_batch_norm=conv_batch_norm,
            standardize_sequences=standardize_sequences,
            embedding_dim=embedding_dim,
            vocabulary_size=vocabulary_size,
            max_iter=max_iter,
            batch_size=batch_size,
            optimizer=optimizer,
            learning_rate_init=learning_rate_init,
            learning_rate=learning_rate,
            momentum=momentum,
            alpha=alpha,
            clip_grad_norm=clip_grad_norm,
            average_weights=average_weights,
            ensemble_size=ensemble_size,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            shuffle=shuffle,
            scale_inputs=scale_inputs,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
            device=device,
            callbacks=callbacks,
        )
        self.return_sequences = return_sequences
        self.loss = loss
        self.quantile = quantile
        self.instance_norm = instance_norm
        self.instance_norm_center = instance_norm_center
        self.instance_norm_scale = instance_norm_scale

    # -------------------------------------------------------------- targets
    _fitted_attributes = REGRESSOR_ATTRIBUTES

    # ------------------------------------------------- instance normalisation
    def _find_series_windows(self, batch, y):
        if (self.return_sequences or self.embedding_dim is not None
                or self.instance_norm is None and self.early_stopping != "auto"):
            return None
        y = np.asarray(y, dtype=np.float64)
        found = find_continued_feature(batch.values, batch.lengths, y)
        if found is None:
            return None
        # The series' starts: where stacked series validate their tails.
        return SeriesWindows(
            *found, series_starts=find_series_starts(batch.values, y, found),
            horizon=y.shape[1] if y.ndim == 2 else 1)

    def _sequence_output(self):
        return bool(self.return_sequences)

    def _set_architecture_plan(self, architecture):
        self.instance_norm_feature_ = architecture.instance_norm_feature
        self.instance_norm_center_ = architecture.instance_norm_center
        self.instance_norm_scale_ = architecture.instance_norm_scale
        self._instance_norm_series_scale = architecture.instance_norm_series_scale
        self._instance_norm_steps = architecture.instance_norm_steps
        self._instance_norm_affine = architecture.instance_norm_affine

    def _extra_architecture(self):
        # An explicit parameter is what a continued fit would build; 'auto'
        # is what the first fit found.
        if self.instance_norm is None:
            feature, steps = None, None
        else:
            feature = self.instance_norm_feature_
            steps = self._instance_norm_steps
            if self.instance_norm != "auto":
                feature = int(self.instance_norm)
        # The centre matters only with a normalised feature: without one, a
        # changed centre must not count as another architecture.
        center = (self.instance_norm_center_ if self.instance_norm_center == "auto"
                  else self.instance_norm_center)
        center = center if feature is not None else "mean"
        # Likewise the series' scale: the value the first fit measured.
        kind = (self.instance_norm_scale_ if self.instance_norm_scale == "auto"
                else self.instance_norm_scale)
        series_scale = (getattr(self, "_instance_norm_series_scale", None)
                        if kind == "series" and feature is not None
                        and not self.return_sequences else None)
        return {"instance_norm_feature": feature, "instance_norm_steps": steps,
                "instance_norm_center": center,
                "instance_norm_series_scale": series_scale}

    def _module_kwargs(self, mean=None, scale=None):
        kwargs = super()._module_kwargs(mean, scale)
        if kwargs["instance_norm_feature"] is not None:
            # The module maps its outputs to the feature's units and
            # standardises them as targets: with targets that are
            # scale * feature + offset (inputs rescaled by a scaler, the
            # targets not), that standardisation, read in the feature's
            # units, is ((mean - offset) / scale, target_scale / scale).
            scale, offset = getattr(self, "_instance_norm_affine", None) or (1.0, 0.0)
            kwargs["target_mean"] = [(float(v) - offset) / scale
                                     for v in self._target_mean]
            kwargs["target_scale"] = [float(v) / scale for v in self._target_scale]
        return kwargs

    def _criterion(self):
        return criterion_for(self.loss, self.quantile)

    def _check_extra_params(self):
        super()._check_extra_params()
        check_loss_params(self.loss, self.quantile)

    def _encode_y(self, y, batch, *, reset, classes=None, scoring=False):
        n_samples = len(batch)
        if self.return_sequences:
            y = self._check_sequence_target(y, batch)
        else:
            y = check_array(
                y, ensure_2d=False, dtype=np.float64, ensure_all_finite=True,
                input_name="y",
            )
            if y.ndim not in (1, 2):
                raise ValueError(
                    f"y has {y.ndim} dimensions; expected (n_samples,) or "
                    "(n_samples, n_outputs). For one output per time step use "
                    "return_sequences=True."
                )
        if y.shape[0] != n_samples:
            raise ValueError(
                f"X and y have different numbers of samples: {n_samples} "
                f"sequences in X but {y.shape[0]} targets in y."
            )
        y_ndim = y.ndim
        y = y.reshape(y.shape[0], -1) if not self.return_sequences else y
        if self.return_sequences and y.ndim == 2:
            y = y[:, :, None]
        n_outputs = y.shape[-1]
        if reset:
            flat = y.reshape(-1, n_outputs)
            if batch.lengths is not None and self.return_sequences:
                steps = np.arange(y.shape[1])
                flat = y[steps[None, :] < batch.lengths[:, None]]
            with np.errstate(over="ignore", invalid="ignore"):
                mean = flat.mean(axis=0)
                scale = flat.std(axis=0)
            if not (np.isfinite(mean).all() and np.isfinite(scale).all()):
                raise ValueError(
                    "y is too large to standardise: its mean or standard "
                    "deviation overflows float64. Rescale y (e.g. divide by "
                    "a constant) before fitting."
                )
            self._target_mean, self._target_scale = mean, safe_scale(scale)
            self._target_ndim = y_ndim
            self._n_outputs = n_outputs
        elif n_outputs != self._n_outputs:
            raise ValueError(
                f"y has {n_outputs} outputs but the model was fitted with "
                f"{self._n_outputs}."
            )
        return (y - self._target_mean) / self._target_scale

    def _score_outputs(self, y_encoded, outputs, sample_weight=None, lengths=None):
        # R² is invariant to the affine target scaling, output by output, so
        # the standardised targets and outputs give the R² of the original
        # units: predictions are never decoded for scoring.
        y_true = np.asarray(y_encoded, dtype=np.float64)
        y_pred = np.asarray(outputs, dtype=np.float64)
        if y_pred.ndim == 3:
            # One output per step: every valid step is a sample of R²,
            # weighted by its sequence's weight; padding never counts.
            n, n_steps, k = y_pred.shape
            if lengths is None:
                lengths = np.full(n, n_steps)
            valid = np.arange(n_steps)[None, :] < np.asarray(lengths)[:, None]
            y_true = y_true.reshape(n, n_steps, k)[valid]
            y_pred = y_pred[valid]
            if sample_weight is not None:
                sample_weight = np.repeat(sample_weight, np.asarray(lengths))
        else:
            y_true = y_true.reshape(y_true.shape[0], -1)
            y_pred = y_pred.reshape(y_pred.shape[0], -1)
        return float(r2_score(y_true, y_pred, sample_weight=sample_weight))

    def _check_sequence_target(self, y, batch):
        n, max_len = batch.values.shape[:2]
        if batch.lengths is not None:
            if not isinstance(y, list | tuple) or len(y) != n:
                raise ValueError(
                    "With variable-length X and return_sequences=True, y must be "
                    "a list with one (T_i,) or (T_i, k) array per sequence."
                )
            arrays = [
                check_array(yi, ensure_2d=False, dtype=np.float64, input_name="y")
                for yi in y
            ]
            for i, (yi, length) in enumerate(zip(arrays, batch.lengths,
                                                 strict=True)):
                if yi.shape[0] != length:
                    raise ValueError(
                        f"y[{i}] has {yi.shape[0]} time steps but X[{i}] has "
                        f"{length}; return_sequences needs one target per step."
                    )
            ndims = {yi.ndim for yi in arrays}
            if len(ndims) != 1 or ndims.pop() not in (1, 2):
                raise ValueError(
                    "Each y[i] must be (T_i,) or (T_i, k), all alike."
                )
            width = arrays[0].shape[1] if arrays[0].ndim == 2 else None
            shape = (n, max_len) + (() if width is None else (width,))
            padded = np.zeros(shape)
            for i, yi in enumerate(arrays):
                padded[i, : yi.shape[0]] = yi
            return padded
        y = check_array(
            y, ensure_2d=False, allow_nd=True, dtype=np.float64,
            ensure_all_finite=True, input_name="y",
        )
        if y.ndim not in (2, 3) or y.shape[1] != max_len:
            raise ValueError(
                f"With return_sequences=True, y must have shape (n_samples, "
                f"{max_len}) or (n_samples, {max_len}, n_outputs) to match the "
                f"{max_len} time steps of X; got {y.shape}."
            )
        return y

    # ------------------------------------------------------------ fit/predict
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on ``(X, y)``, starting from the current weights.

        The first call initialises the network (and the input and target
        scaling, from this first batch); later calls continue with the
        optimiser's state. Not available with ``early_stopping=True`` (as in
        scikit-learn's MLP).

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, as in :meth:`fit`.
        y : array-like
            Targets, as in :meth:`fit`.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sequence weights of the loss.

        Returns
        -------
        self : RNNRegressor
            The updated estimator.
        """
        return self._partial_fit(X, y, sample_weight)

    def predict(self, X):
        """Predict targets for the sequences ``X``.

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, with the features per time step seen in :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            With ``return_sequences=True``: ``(n_samples, T)`` or
            ``(n_samples, T, n_outputs)``, or for variable-length ``X`` a list
            of ``(T_i,)`` / ``(T_i, n_outputs)`` arrays.
        """
        check_is_fitted(self, "net_")
        batch = self._validate_X(X, reset=False)
        out, lengths = self._forward(batch), batch.lengths
        out = out.astype(np.float64) * self._target_scale + self._target_mean
        if not self.return_sequences:
            return out.ravel() if self._target_ndim == 1 else out
        if self._target_ndim == 2:
            out = out[..., 0]
        if lengths is None:
            return out
        return [out[i, :length] for i, length in enumerate(lengths)]

    def score(self, X, y, sample_weight=None):
        """R² of the predictions (averaged over outputs and time steps).

        With one output per time step, every valid step of every sequence
        is one sample of R² (weighted by its sequence's ``sample_weight``);
        padding never counts. The validation score of ``early_stopping``
        (``validation_scores_``) is computed by the same function.

        Parameters
        ----------
        X : array-like or list of arrays
            Test sequences.
        y : array-like
            True targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Coefficient of determination of ``self.predict(X)`` w.r.t. ``y``.
        """
        return self._score(X, y, sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

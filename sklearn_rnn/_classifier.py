"""RNNClassifier: label encoding, class weights and probabilities."""

import numpy as np
import torch
from scipy.special import log_softmax, softmax
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d
from torch import nn

from ._base import BaseRNN
from ._compat import StrOptions
from ._docs import ARCHITECTURE_PARAMETERS, FITTED_ATTRIBUTES, TRAINING_PARAMETERS
from ._state_checks import CLASSIFIER_ATTRIBUTES

__all__ = ["RNNClassifier"]


class RNNClassifier(ClassifierMixin, BaseRNN):
    __doc__ = (
        """Recurrent neural network classifier (RNN, LSTM or GRU).

    Classifies whole sequences: binary or multiclass, with labels of any
    type (integers, strings, ...). ``predict`` returns the original labels
    and ``predict_proba`` the class probabilities (softmax).

    ``X`` can be 2-D ``(n_samples, n_timesteps)`` univariate sequences, 3-D
    ``(n_samples, n_timesteps, n_features)`` (batch first, as PyTorch and
    Keras; sktime/aeon's ``(n, channels, T)`` needs ``X.transpose(0, 2, 1)``),
    or a list of ``(T_i,)`` / ``(T_i, n_features)`` arrays of different
    lengths (padded and packed inside; padding never changes a prediction).
    With ``embedding_dim`` set, ``X`` holds integer token ids instead (see
    :class:`SequenceVectorizer` for text).

    Parameters
    ----------
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss: ``{label: weight}``, or
        'balanced' for ``n_samples / (n_classes * np.bincount(y))``.
"""
        + ARCHITECTURE_PARAMETERS
        + TRAINING_PARAMETERS
        + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted."""
        + FITTED_ATTRIBUTES
        + """
    See Also
    --------
    RNNRegressor : The regressor counterpart.
    sklearn.neural_network.MLPClassifier : Feed-forward network with the same
        training parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import RNNClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 12, 3))   # 200 sequences, 12 steps, 3 features
    >>> y = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    >>> clf = RNNClassifier(hidden_size=16, max_iter=20, random_state=0)
    >>> clf.fit(X, y).classes_.tolist()
    ['down', 'up']
    >>> clf.predict_proba(X[:3]).shape
    (3, 2)
    >>> clf.score(X, y) > 0.9
    True
    """
    )

    _parameter_constraints: dict = {
        **BaseRNN._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        *,
        class_weight=None,
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
        self.class_weight = class_weight

    # -------------------------------------------------------------- targets
    _fitted_attributes = CLASSIFIER_ATTRIBUTES

    # An ensemble's prediction is the mean of its members' probabilities.
    _ensemble_combine = "probabilities"

    def _criterion(self):
        kwargs = {"reduction": "none"}
        if self._class_weights is not None:
            kwargs["weight"] = torch.as_tensor(self._class_weights,
                                               dtype=torch.float32)
        return nn.CrossEntropyLoss, kwargs

    def _encode_y(self, y, batch, *, reset, classes=None, scoring=False):
        n_samples = len(batch)
        y = column_or_1d(y, warn=True)
        if y.shape[0] != n_samples:
            raise ValueError(
                f"X and y have different numbers of samples: {n_samples} "
                f"sequences in X but {y.shape[0]} labels in y."
            )
        check_classification_targets(y)
        if reset:
            labels = unique_labels(y if classes is None else classes)
            if classes is not None:
                self._check_known(labels, y, "the classes passed to partial_fit")
            if len(labels) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes "
                    f"in y; got only one class: {labels[0]!r}."
                )
            self.classes_ = labels
            self._n_outputs = len(labels)
            # From the labels of the fit that builds the network; later
            # (warm-start, partial_fit, X_val) labels do not change them.
            self._class_weights = (
                None if self.class_weight is None
                else compute_class_weight(self.class_weight, classes=self.classes_,
                                          y=y)
            )
        elif scoring:
            # Unknown labels score as errors, but labels of another type
            # (numbers against string classes) are a mistake: raise, as
            # scikit-learn's accuracy_score does.
            unique_labels(y, self.classes_)
        else:
            self._check_known(self.classes_, y, "the classes seen in the first fit")
        known = np.isin(y, self.classes_)
        index = np.full(n_samples, -1, dtype=np.int64)
        # A label never seen in fit (scoring only) is -1: no prediction
        # matches it, as scikit-learn's accuracy counts it.
        index[known] = np.searchsorted(self.classes_, y[known])
        return index

    @staticmethod
    def _check_known(classes, y, where):
        unknown = np.setdiff1d(np.unique(y), classes)
        if unknown.size:
            raise ValueError(
                f"y contains labels {unknown.tolist()} that are not among {where}: "
                f"{classes.tolist()}."
            )

    def _score_outputs(self, y_encoded, outputs, sample_weight=None, lengths=None):
        correct = np.argmax(outputs, axis=-1) == np.asarray(y_encoded)
        return float(np.average(correct, weights=sample_weight))

    # ------------------------------------------------------------ fit/predict
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on ``(X, y)``, starting from the current weights.

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, as in :meth:`fit`.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            All the classes that can appear in the calls. Required on the
            first call (as for scikit-learn's incremental classifiers),
            ignored afterwards. Not available with ``early_stopping=True``
            (as in scikit-learn's MLP).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sequence weights of the loss.

        Returns
        -------
        self : RNNClassifier
            The updated estimator.
        """
        if not hasattr(self, "net_") and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit."
            )
        return self._partial_fit(X, y, sample_weight, classes=classes)

    def predict_proba(self, X):
        """Class probabilities of the sequences ``X``.

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, with the features per time step seen in :meth:`fit`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; rows sum to 1.
        """
        return softmax(self._logits(X), axis=1)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_``.
        """
        return log_softmax(self._logits(X), axis=1)

    def predict(self, X):
        """Predict the class label of each sequence.

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, with the features per time step seen in :meth:`fit`.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        index = np.argmax(self._logits(X), axis=1)
        return self.classes_[index]

    def score(self, X, y, sample_weight=None):
        """Accuracy of :meth:`predict` on ``X`` against the labels ``y``.

        The validation score of ``early_stopping`` (``validation_scores_``)
        is computed by the same function, weighted by ``sample_weight_val``.

        Parameters
        ----------
        X : array-like or list of arrays
            Test sequences.
        y : array-like of shape (n_samples,)
            True labels (a label never seen in fit counts as an error).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Weighted share of correctly classified sequences.
        """
        return self._score(X, y, sample_weight)

    def _logits(self, X):
        check_is_fitted(self, "net_")
        return self._forward(self._validate_X(X, reset=False)).astype(np.float64)

"""RNNSeq2Seq: encoder-decoder for outputs of another length than the input.

The synchronous case (one output per input step) is ``RNNRegressor(
return_sequences=True)``; a fixed number of outputs is a direct head. This
estimator maps each input sequence to a sequence of labels of its own
length, with no step-by-step correspondence ("535+61" -> "596",
transliteration, dates in words -> ISO dates): an encoder over the input, a
recurrent decoder attending to the encoder's steps (``_seq2seq_module``),
trained with teacher forcing on padded batches of targets and predicting by
greedy decoding of all the rows of a batch at once.

The skorch net, the fitted state and the input checks are the other
estimators' (``FittedState`` of ``_fitted_state.py`` with ``NetBuilding``
of ``_building.py``; ``BaseRNN._validate_X``): ``_get_fitted_state`` hands
the state out and ``_set_fitted_state`` takes it back, and warm start,
pickling and persistence go through that pair. There is no fit plan: the
parameters are what a fit trains with (``_plan_value``). What differs is
here: the module and its loss, the targets, decoding, and a fit that works
on a copy of the estimator and commits its attributes only when training
finished: a fit that raises (bad input, divergence, Ctrl+C) leaves the
estimator as it was.
"""

import contextlib
import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback
from skorch.history import History
from torch import nn

from ._base import BaseRNN
from ._building import OPTIMIZERS, _seeded_global_rng
from ._compat import Interval, StrOptions, unpack_data
from ._fitted_state import FittedState
from ._net import SequenceNet, _raised_by_a_callback, as_dataset
from ._predicting import predict_blocks
from ._seq2seq_module import END_ID, IGNORE_ID, Seq2SeqNetwork
from ._sequences import feature_mean_and_scale
from ._state_checks import (
    BASE_ATTRIBUTES,
    integer,
    labels,
)
from ._utils import resolve_device

__all__ = ["RNNSeq2Seq"]

# A target label never seen in fit (scoring only): it matches no prediction.
_UNKNOWN_TARGET = -2

# The most labels a prediction may hold (and the cap of max_output_length in
# a model file): decoding allocates (rows, max_output_length_ + 1) ids.
MAX_OUTPUT_LENGTH = 2**16
# Rows per greedy decoding pass: a fixed block, so a row's prediction never
# depends on the rows decoded with it (as PREDICT_BATCH_SIZE for the other
# estimators). Kept at 64 when theirs went to 32 (round 19): a decoding pass
# is a Python loop over output steps, whose cost per block a larger block
# shares.
DECODE_BATCH_SIZE = 64

# Every fitted attribute, with the check a stored value must pass
# (``_state_checks``: the schema load_model validates a file against before
# building anything). The base estimators' attributes that have no meaning
# here (the 'auto' rules, the training sizes chosen from the data) are not
# part of it.
SEQ2SEQ_ATTRIBUTES = {
    **{k: BASE_ATTRIBUTES[k] for k in (
        "n_features_in_", "feature_names_in_", "_fitted_on_2d_",
        "n_input_features_", "vocabulary_size_", "_n_outputs", "device_",
        "_architecture_", "_optimizer_settings_", "n_iter_", "loss_curve_",
        "best_loss_", "validation_loss_curve_", "validation_scores_",
        "best_validation_score_", "best_iteration_")},
    "classes_": (True, labels),
    "max_output_length_": (True, integer(1, MAX_OUTPUT_LENGTH)),
}

_INT_PARAMS = ("hidden_size", "num_layers", "max_iter", "batch_size",
               "n_iter_no_change", "embedding_dim", "vocabulary_size",
               "conv_layers", "conv_kernel_size", "max_output_length")
_FLOAT_PARAMS = ("dropout", "learning_rate_init", "momentum", "alpha",
                 "clip_grad_norm", "validation_fraction", "tol")


class Seq2SeqNet(SequenceNet):
    """:class:`~sklearn_rnn._net.SequenceNet` whose module reads the targets.

    Teacher forcing feeds each target step the true previous token, so the
    training step passes the (trimmed) targets to the module; the validation
    step also decodes greedily, so that ``valid_score`` is the exact-match
    accuracy that ``score`` reports. The loss is the mean cross-entropy over
    the valid target steps (end token included), each row's steps weighted
    by its sample weight.
    """

    def train_step_single(self, batch, **fit_params):
        self._switch_mode(True)
        Xi, yi = unpack_data(batch)
        yi = _trim_targets(yi)
        logits = self.module_(Xi["X"], Xi.get("lengths"), yi)
        loss = self.get_loss(logits, yi, X=Xi, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": logits}

    def validation_step(self, batch, **fit_params):
        self._switch_mode(False)
        Xi, yi = unpack_data(batch)
        with torch.no_grad():
            trimmed = _trim_targets(yi)
            logits = self.module_(Xi["X"], Xi.get("lengths"), trimmed)
            loss = self.get_loss(logits, trimmed, X=Xi, training=False)
            decoded = self.module_.decode(Xi["X"], Xi.get("lengths"),
                                          self.module_.max_steps)
        return {"loss": loss, "y_pred": decoded}

    def get_loss(self, y_pred, y_true, X=None, training=False):
        # (B, L, C) logits against (B, L) ids; ignored steps give 0.
        loss = self.criterion_(y_pred.transpose(1, 2), y_true)
        valid = (y_true != IGNORE_ID).to(loss.dtype)
        weight = (X or {}).get("sample_weight")
        if weight is None:
            return loss.sum() / valid.sum().clamp_min(1.0)
        total = (valid.sum(dim=1) * weight).sum()
        return (loss.sum(dim=1) * weight).sum() / total.clamp_min(
            torch.finfo(loss.dtype).tiny)


def _trim_targets(targets):
    """``targets`` without the padding columns no row of the batch needs."""
    n_steps = int((targets != IGNORE_ID).sum(dim=1).max())
    return targets[:, :n_steps]


class RNNSeq2Seq(FittedState, BaseEstimator):
    """Encoder-decoder recurrent network: a sequence of labels per sequence.

    Learns to map each input sequence to an output sequence of labels of
    any length, unrelated to the input's ("535+61" -> "596", a word to its
    transliteration, "the third of May 2021" -> "2021-05-03"). An encoder
    reads the input (the other estimators' recurrent stack and input
    handling); a recurrent decoder, attending to every step of the encoder,
    emits one label at a time until it emits its end token, which it learns
    at the end of every training target. Training feeds the decoder the
    true previous labels (teacher forcing) on padded batches; ``predict``
    decodes greedily, all the rows of a batch at once.

    ``X`` is what :class:`RNNClassifier` takes: 2-D ``(n_samples,
    n_timesteps)`` or 3-D ``(n_samples, n_timesteps, n_features)`` numeric
    sequences, a list of ``(T_i,)`` / ``(T_i, n_features)`` arrays, or, with
    ``embedding_dim`` set, integer token ids (:class:`SequenceVectorizer`
    turns text into them). ``y`` holds one sequence of labels per row: a
    list of lists or 1-D arrays of strings or integers, of any lengths (a
    string is not a sequence here: pass ``[list(s) for s in y]`` to predict
    the characters of strings).

    Parameters
    ----------
    cell : {'rnn', 'lstm', 'gru'}, default='gru'
        Recurrent cell of the encoder and the decoder.
    hidden_size : int, default=96
        Units of every recurrent layer (per direction in the encoder), of
        the decoder's label embedding and of its attentional layer.
    num_layers : int, default=1
        Stacked recurrent layers, in the encoder and in the decoder.
    bidirectional : bool, default=True
        Add a backward encoder stack; the decoder attends to both, so each
        input step it reads carries what follows it (the lower digits of a
        sum, the end of a sentence). An epoch costs about 1.5 times the
        forward-only encoder's, but on the addition benchmark 8 epochs of it
        learnt more than 15 without it (user guide). Variable-length input
        runs without packing (each row reversed within its length).
    dropout : float, default=0.0
        Dropout between stacked layers, on the decoder's label embeddings
        and before its output layer.
    nonlinearity : {'tanh', 'relu'}, default='tanh'
        Activation of the plain RNN cell (ignored by LSTM and GRU).
    attention : {'bahdanau', 'luong'}, default='bahdanau'
        The attention over the encoder's steps. 'bahdanau': an additive score
        of the decoder's previous state, whose context is fed into the
        decoder's step (what it read enters its recurrence; training loops
        over the target steps). 'luong': a multiplicative score of the
        state after the step (training runs the decoder over all target
        steps in one call). On the addition benchmark 'bahdanau' learnt
        faster per second (user guide).
    max_output_length : 'auto' or int, default='auto'
        The most labels ``predict`` emits per row when no end token comes
        first. 'auto': the longest training target (``max_output_length_``).
        An int must be at least the longest training target.
    conv_layers : int, default=0
        Convolutional blocks before the encoder's recurrent layers, each
        halving the number of steps the attention reads (long numeric
        inputs).
    conv_kernel_size : int, default=5
        Width of those convolutions.
    standardize_sequences : bool, default=False
        Standardise each input feature per sequence and append its mean and
        log-deviation as features (numeric input only), as in
        :class:`RNNClassifier`.
    embedding_dim : int or None, default=None
        With an int, ``X`` holds integer token ids (0 padding, 1 unknown)
        read through an embedding of this size.
    vocabulary_size : int or None, default=None
        Number of token ids with ``embedding_dim``; None: the largest id in
        the training ``X`` plus one.
    max_iter : int, default=8
        Epochs (passes over the training data).
    batch_size : int, default=64
        Sequences per optimiser step.
    optimizer : {'adam', 'adamw', 'sgd', 'rmsprop'}, default='adam'
        The optimiser.
    learning_rate_init : float, default=3e-3
        The optimiser's learning rate.
    learning_rate : {'constant', 'adaptive', 'cosine'}, default='cosine'
        Its schedule over the epochs, as in :class:`RNNClassifier`: 'cosine'
        anneals it to zero over ``max_iter`` epochs, 'adaptive' divides it
        by 5 when the loss stalls for two epochs.
    momentum : float, default=0.9
        Momentum of 'sgd'.
    alpha : float, default=0.0
        L2 penalty, as in scikit-learn's MLP (divided by the batch size).
    clip_grad_norm : float or None, default=1.0
        Clip the gradients' global norm at this value.
    early_stopping : bool, default=False
        Hold out the last ``validation_fraction`` of the rows, keep the
        weights of the epoch with the lowest validation loss and stop when
        it has not improved by ``tol`` for ``n_iter_no_change`` epochs.
        ``validation_scores_`` then records the exact-match accuracy of
        each epoch.
    validation_fraction : float, default=0.1
        The held-out tail with ``early_stopping``.
    n_iter_no_change : int, default=10
        Epochs without an improvement by ``tol`` of the monitored loss
        (training loss, or validation loss with ``early_stopping``) before
        training stops.
    tol : float, default=1e-4
        The improvement that counts.
    shuffle : bool, default=True
        Shuffle the rows every epoch.
    scale_inputs : bool, default=True
        Standardise numeric input features with the training statistics.
    random_state : int, RandomState instance or None, default=None
        Seed of the weights, the shuffling and dropout.
    verbose : int, default=0
        1: a progress bar over epochs; 2: skorch's table per epoch.
    warm_start : bool, default=False
        Continue training the fitted network on the next ``fit`` (the
        architecture and ``classes_`` cannot change).
    device : str, default='auto'
        The torch device: 'auto' (CUDA if present), 'cpu', 'cuda', ...
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (or ``(name, callback)`` tuples).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The output labels (the vocabulary of the targets), sorted.
    max_output_length_ : int
        The most labels ``predict`` emits per row.
    n_features_in_ : int
        Features seen in fit (columns of a 2-D ``X``, else features per
        step).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of a 2-D DataFrame ``X``.
    n_input_features_ : int
        Features per time step the network reads.
    vocabulary_size_ : int
        Token ids of the embedding (with ``embedding_dim``).
    n_iter_ : int
        Epochs trained.
    loss_curve_ : list of float
        Training loss (cross-entropy per target label) of each epoch.
    best_loss_ : float
        The lowest training loss.
    validation_loss_curve_, validation_scores_ : list of float or None
        Validation loss and exact-match accuracy of each epoch with
        ``early_stopping``, else None.
    best_validation_score_ : float or None
        The validation score of the kept epoch.
    best_iteration_ : int
        The kept epoch with ``early_stopping`` (lowest validation loss),
        else the epoch of the lowest training loss (1-based).
    net_ : skorch.NeuralNet
        The trained skorch net (``net_.module_`` is the torch module).
    device_ : str
        The device the network lives on.

    See Also
    --------
    RNNClassifier : One label per sequence.
    RNNRegressor : ``return_sequences=True``: one output per input step.
    SequenceVectorizer : Text to token ids.

    Notes
    -----
    ``score`` is the exact-match accuracy: a row counts when its whole
    predicted sequence equals the target.

    The defaults (a bidirectional encoder, Bahdanau attention,
    ``hidden_size=96``, ``batch_size=64``, ``learning_rate_init=3e-3``
    annealed by a cosine schedule over ``max_iter=8`` epochs, gradients
    clipped at 1) were chosen on Keras' addition example
    (``benchmarks/seq2seq.py``); the user guide's "Sequence to sequence"
    page has the measurements. One fit's outcome depends on its seed there:
    compare settings over several seeds.

    Examples
    --------
    >>> from sklearn_rnn import RNNSeq2Seq
    >>> X = [[2, 3], [3, 2, 2], [4], [2, 4, 3]]            # token ids
    >>> y = [["a", "b"], ["b"], ["c", "c", "c"], ["a"]]   # any lengths
    >>> model = RNNSeq2Seq(embedding_dim=4, hidden_size=16, max_iter=60,
    ...                    batch_size=4, learning_rate_init=0.02,
    ...                    random_state=0).fit(X, y)
    >>> model.classes_.tolist(), model.max_output_length_
    (['a', 'b', 'c'], 3)
    >>> [y.tolist() for y in model.predict(X[:3])]
    [['a', 'b'], ['b'], ['c', 'c', 'c']]
    >>> model.score(X, y)
    1.0
    """

    _parameter_constraints: dict = {
        # The parameters that mean here what they mean in the other
        # estimators: their constraints.
        **{k: BaseRNN._parameter_constraints[k] for k in (
            "cell", "hidden_size", "num_layers", "bidirectional", "dropout",
            "nonlinearity", "conv_kernel_size", "embedding_dim",
            "vocabulary_size", "max_iter", "learning_rate_init",
            "learning_rate", "momentum", "alpha", "clip_grad_norm",
            "tol", "shuffle", "scale_inputs",
            "random_state", "verbose", "warm_start", "device", "callbacks")},
        # No 'auto' rules here (but max_output_length's), and the optimiser
        # is one of the names.
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "attention": [StrOptions({"luong", "bahdanau"})],
        "max_output_length": [StrOptions({"auto"}),
                              Interval(Integral, 1, MAX_OUTPUT_LENGTH,
                                       closed="both")],
        "conv_layers": [Interval(Integral, 0, None, closed="left")],
        "standardize_sequences": ["boolean"],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "early_stopping": ["boolean"],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        cell="gru",
        hidden_size=96,
        num_layers=1,
        bidirectional=True,
        dropout=0.0,
        nonlinearity="tanh",
        attention="bahdanau",
        max_output_length="auto",
        conv_layers=0,
        conv_kernel_size=5,
        standardize_sequences=False,
        embedding_dim=None,
        vocabulary_size=None,
        max_iter=8,
        batch_size=64,
        optimizer="adam",
        learning_rate_init=3e-3,
        learning_rate="cosine",
        momentum=0.9,
        alpha=0.0,
        clip_grad_norm=1.0,
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
        self.attention = attention
        self.max_output_length = max_output_length
        self.conv_layers = conv_layers
        self.conv_kernel_size = conv_kernel_size
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

    # ------------------------------------------------------------- checks
    def _check_extra_params(self):
        """What ``_parameter_constraints`` cannot express."""
        for name in _INT_PARAMS + _FLOAT_PARAMS:
            if isinstance(getattr(self, name), bool | np.bool_):
                raise TypeError(
                    f"{name} must be a number, got the boolean "
                    f"{getattr(self, name)!r}."
                )
        if self.embedding_dim is not None and self.standardize_sequences:
            raise ValueError(
                "standardize_sequences=True cannot be combined with "
                "embedding_dim: token ids are not measurements. Use "
                "standardize_sequences=False."
            )
        for item in self.callbacks or []:
            callback = item[1] if isinstance(item, tuple) and len(item) == 2 else item
            named_ok = not isinstance(item, tuple) or isinstance(item[0], str)
            if not isinstance(callback, Callback) or not named_ok:
                raise TypeError(
                    "callbacks must be a list of skorch callbacks or (name, "
                    f"callback) tuples, got {item!r}."
                )

    # The input is read as the other estimators read it (2-D numeric columns
    # are time steps and ``n_features_in_`` counts them; 3-D and ragged input
    # count features per step; token ids with ``embedding_dim``).
    _validate_X = BaseRNN._validate_X
    _check_sample_weight = BaseRNN._check_sample_weight

    def _encode_targets(self, y, n_samples, *, reset, scoring=False):
        """``y`` as an int64 ``(n_samples, longest + 1)`` array of output
        ids: each row's labels, its end token, then ``IGNORE_ID``.

        With ``reset``, learn ``classes_``; with ``scoring``, a label never
        seen in fit is allowed (it matches no prediction); otherwise it is
        an error.
        """
        rows = _target_rows(y, n_samples)
        lengths = np.fromiter((len(row) for row in rows), dtype=np.int64,
                              count=len(rows))
        labels = _concatenate_labels(rows)
        if reset:
            if labels.size == 0:
                raise ValueError(
                    "y holds no labels: every target sequence is empty, so "
                    "there is no output vocabulary to learn. y needs at least "
                    "one label in one of its sequences."
                )
            self.classes_ = np.unique(labels)
            self._n_outputs = len(self.classes_)
        elif labels.size and _label_kind(labels) != _label_kind(self.classes_):
            raise ValueError(
                f"y holds labels of type {labels.dtype} but the model was "
                f"fitted on labels of type {self.classes_.dtype} "
                f"({self.classes_[:5].tolist()}...); mixing strings and "
                "numbers is not supported."
            )
        known = np.isin(labels, self.classes_)
        if not scoring and not known.all():
            unknown = np.unique(labels[~known])
            raise ValueError(
                f"y contains labels {unknown[:10].tolist()} that are not among "
                f"the classes seen in the first fit: {self.classes_.tolist()}."
            )
        ids = np.full(labels.shape[0], _UNKNOWN_TARGET, dtype=np.int64)
        ids[known] = np.searchsorted(self.classes_, labels[known]) + 1
        targets = np.full((n_samples, int(lengths.max(initial=0)) + 1),
                          IGNORE_ID, dtype=np.int64)
        row_index = np.repeat(np.arange(n_samples), lengths)
        starts = np.cumsum(lengths) - lengths
        step_index = np.arange(labels.shape[0]) - np.repeat(starts, lengths)
        targets[row_index, step_index] = ids
        targets[np.arange(n_samples), lengths] = END_ID
        return targets, lengths

    # ------------------------------------------------------------ building
    def _architecture(self):
        """The module arguments that decide what trained weights mean."""
        return {
            "input_size": int(self.n_input_features_),
            "n_classes": int(len(self.classes_)),
            "cell": self.cell,
            "hidden_size": int(self.hidden_size),
            "num_layers": int(self.num_layers),
            "bidirectional": bool(self.bidirectional),
            "nonlinearity": self.nonlinearity if self.cell == "rnn" else None,
            "attention": self.attention,
            "conv_layers": int(self.conv_layers),
            "conv_kernel_size": int(self.conv_kernel_size),
            "standardize_sequences": (bool(self.standardize_sequences)
                                      and self.embedding_dim is None),
            "embedding_dim": (None if self.embedding_dim is None
                              else int(self.embedding_dim)),
            "num_embeddings": (None if self.embedding_dim is None
                               else int(self.vocabulary_size_)),
        }

    # The skorch net whose module reads the targets (teacher forcing).
    _net_class = Seq2SeqNet

    def _plan_value(self, name):
        """No fit plan here: a fit trains with the parameters as given, and
        never averages weights."""
        return False if name == "average_weights" else getattr(self, name)

    def _module_kwargs(self, mean=None, scale=None):
        """The shared keyword arguments (the architecture, dropout, the
        input standardisation) and the number of labels to decode."""
        kwargs = super()._module_kwargs(mean, scale)
        kwargs["max_output_length"] = int(self.max_output_length_)
        return kwargs

    def _module_spec(self, mean=None, scale=None):
        """The module class and its keyword arguments."""
        return _Seq2SeqModule, self._module_kwargs(mean, scale)

    def _member_shapes(self):
        """``(1, shapes)``: one network (no ensembles here) and its
        state-dict shapes, built on the meta device (no memory)."""
        module_cls, kwargs = self._module_spec()
        with torch.device("meta"):
            skeleton = module_cls(**kwargs)
        return 1, {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}

    def _criterion(self):
        """The loss as ``(class, kwargs)``: cross-entropy per target step,
        padded steps ignored (``Seq2SeqNet.get_loss`` averages it)."""
        return nn.CrossEntropyLoss, {"reduction": "none",
                                     "ignore_index": IGNORE_ID}

    def _initialize(self, net, seed, device):
        # NetBuilding's, but its message names head_hidden_sizes (no head here).
        with _seeded_global_rng(seed, device):
            try:
                net.initialize()
            except (RuntimeError, MemoryError) as exc:
                raise ValueError(
                    f"Could not build the network with hidden_size="
                    f"{self.hidden_size}, num_layers={self.num_layers}: {exc}. "
                    "Use smaller sizes."
                ) from exc
        return net

    # -------------------------------------------------------------- fitting
    def fit(self, X, y, sample_weight=None):
        """Fit the encoder-decoder to sequences ``X`` and label sequences ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
(n_samples, n_timesteps, n_features), or list of arrays
            Input sequences (see the class docstring), or token ids with
            ``embedding_dim``.
        y : sequence of n_samples sequences of labels
            One list or 1-D array of labels (strings or integers) per row,
            of any lengths (empty included).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sequence weights of the loss.

        Returns
        -------
        self : RNNSeq2Seq
            The fitted estimator.
        """
        self._validate_params()
        self._check_extra_params()
        if y is None:
            raise ValueError(
                "RNNSeq2Seq requires y to be passed, but the target y is None.")
        continuing = self.warm_start and hasattr(self, "net_")
        params = self.get_params(deep=False)
        # The new fitted state is built on a copy and committed at the end.
        # (Not copy.copy, which would pickle the net through __getstate__.)
        work = type(self).__new__(type(self))
        work.__dict__.update(vars(self))
        if not continuing:
            for key in _fitted_keys(work, params):
                delattr(work, key)
        work._fit(X, y, sample_weight, continuing)
        for key in _fitted_keys(self, params):
            delattr(self, key)
        for key in _fitted_keys(work, params):
            setattr(self, key, getattr(work, key))
        return self

    def _fit(self, X, y, sample_weight, continuing):
        previous = self._get_fitted_state() if continuing else None
        if continuing:
            self._check_architecture(previous["attributes"])
        batch = self._validate_X(X, reset=not continuing)
        targets, target_lengths = self._encode_targets(
            y, len(batch), reset=not continuing)
        longest = int(target_lengths.max())
        if self.max_output_length == "auto":
            self.max_output_length_ = longest
        elif longest > self.max_output_length:
            raise ValueError(
                f"y holds a target of {longest} labels but max_output_length="
                f"{self.max_output_length}; use max_output_length>={longest} "
                "or 'auto'."
            )
        else:
            self.max_output_length_ = int(self.max_output_length)
        sample_weight = self._check_sample_weight(sample_weight, batch)
        if self.early_stopping:
            n_valid = max(1, int(round(len(batch) * self.validation_fraction)))
            if len(batch) - n_valid < 1:
                raise ValueError(
                    f"validation_fraction={self.validation_fraction} leaves no "
                    f"training sample out of {len(batch)}; use more samples or "
                    "early_stopping=False."
                )
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        device = resolve_device(self.device)
        mean = scale = None
        if continuing:
            mean = previous["module"]["encoder.input_mean"].tolist()
            scale = previous["module"]["encoder.input_scale"].tolist()
        elif self.scale_inputs and self.embedding_dim is None:
            mean, scale = feature_mean_and_scale(batch)
        net = self._build_net(device, seed, self.early_stopping, mean, scale)
        dataset = as_dataset(batch, targets, sample_weight, device=device)
        self._initialize(net, seed, device)
        if continuing:
            self._load_state(net, previous, optimizer=False)
        # Dropout draws from torch's process-wide generator: forked and
        # seeded, so fits in threads cannot interleave their draws.
        rng_context = (_seeded_global_rng(seed, device) if self.dropout > 0
                       else contextlib.nullcontext())
        with rng_context:
            _train(net, dataset, int(self.max_iter))
        net.module_.eval()
        self.net_ = net
        self.device_ = device
        self._architecture_ = self._architecture()
        self._optimizer_settings_ = self._optimizer_settings()
        self._record_history()

    def _check_architecture(self, attributes):
        # Not FittedState's: that one lets input_size and output_size pass
        # (this architecture has n_classes) and names partial_fit.
        before = attributes.get("_architecture_")
        if before is None:
            return
        now = self._architecture()
        changed = [k for k in now if before.get(k) != now[k]]
        if changed:
            detail = ", ".join(f"{k} {before.get(k)!r} -> {now[k]!r}"
                               for k in changed)
            raise ValueError(
                f"Cannot continue training (warm_start): {detail} changed "
                "since the network was trained, and its weights do not fit "
                "the new architecture. Set them back, or set warm_start=False "
                "to train a new network."
            )

    # --------------------------------------------------------- fitted state
    _fitted_attributes = SEQ2SEQ_ATTRIBUTES

    def _set_fitted_state(self, state, device=None):
        """Make this estimator the fitted one that ``state`` describes
        (:class:`~sklearn_rnn._fitted_state.FittedState`'s), once the
        attributes are checked: none unknown, ``_n_outputs`` the number of
        ``classes_``, ``max_output_length_`` the parameter's unless 'auto'.
        Raises ``ValueError`` when the state does not fit the parameters.
        """
        attributes = state["attributes"]
        unknown = sorted(set(attributes) - set(self._fitted_attributes))
        missing = [k for k, (required, _) in self._fitted_attributes.items()
                   if required and k not in attributes]
        if unknown or missing:
            raise ValueError(f"fitted attributes {missing} are missing, "
                             f"{unknown} unknown")
        if attributes["_n_outputs"] != len(attributes["classes_"]):
            raise ValueError("_n_outputs differs from the number of classes_")
        if (self.max_output_length != "auto"
                and attributes["max_output_length_"] != self.max_output_length):
            raise ValueError("max_output_length_ differs from max_output_length")
        return super()._set_fitted_state(state, device)

    def _load_state(self, net, state, *, optimizer):
        """Load a fitted state's tensors (and, with ``optimizer``, the
        optimiser's state when the optimiser is the same kind) and history
        into an initialised net. Unlike FittedState's, the optimiser's
        settings are always the current parameters' (its keeps the stored
        learning rate, annealed by the schedule, when they did not change)."""
        net.module_.load_state_dict(state["module"], strict=True)
        net.criterion_.load_state_dict(state["criterion"], strict=True)
        if optimizer:
            before = state["attributes"].get("_optimizer_settings_")
            for name, stored in state["optimizers"].items():
                opt = getattr(net, name + "_", None)
                if opt is None or (before is not None and
                                   before["optimizer"] != self.optimizer):
                    continue
                fresh = [{k: v for k, v in group.items() if k != "params"}
                         for group in opt.param_groups]
                opt.load_state_dict(copy.deepcopy(stored))
                for group, settings in zip(opt.param_groups, fresh, strict=True):
                    group.update(settings)
        net.history = History(list(state["history"]))

    # ----------------------------------------------------------- predicting
    def _decode(self, batch):
        """Greedy decoding of the validated ``batch``: ``(n, max_output_length_
        + 1)`` output ids. Every decoding pass gets exactly
        ``DECODE_BATCH_SIZE`` rows (the last block zero-padded), so a row's
        prediction never depends on the other rows of ``X``."""
        dataset = as_dataset(batch, device=self.device_)
        module = self.net_.module_
        if module.training:
            module.eval()
        result = np.empty((len(dataset), int(self.max_output_length_) + 1),
                          dtype=np.int64)
        with torch.inference_mode():
            for positions, X_block, lengths, rows in predict_blocks(
                    dataset, DECODE_BATCH_SIZE):
                ids = module.decode(X_block, lengths, result.shape[1])[:rows]
                result[positions] = ids.cpu().numpy()
        return result

    def _predicted_lengths(self, decoded):
        """Labels before each row's end token, at most ``max_output_length_``."""
        ended = decoded == END_ID
        lengths = np.where(ended.any(axis=1), ended.argmax(axis=1),
                           decoded.shape[1])
        return np.minimum(lengths, int(self.max_output_length_))

    def predict(self, X):
        """Predict the label sequence of each input sequence.

        Parameters
        ----------
        X : array-like or list of arrays
            Sequences, as in :meth:`fit`.

        Returns
        -------
        Y_pred : ndarray of shape (n_samples,), dtype=object
            One 1-D array of labels from ``classes_`` per row, ending where
            the model emitted its end token (at most ``max_output_length_``
            labels).
        """
        check_is_fitted(self, "net_")
        decoded = self._decode(self._validate_X(X, reset=False))
        lengths = self._predicted_lengths(decoded)
        result = np.empty(len(decoded), dtype=object)
        for i, (ids, length) in enumerate(zip(decoded, lengths, strict=True)):
            result[i] = self.classes_[ids[:length] - 1]
        return result

    def _score_outputs(self, targets, decoded, sample_weight=None, lengths=None):
        """Exact-match accuracy of decoded ids against encoded targets: the
        one scoring function of ``score`` and of ``validation_scores_``."""
        targets = np.asarray(targets)
        decoded = np.asarray(decoded)
        target_lengths = (targets != IGNORE_ID).sum(axis=1) - 1
        predicted_lengths = self._predicted_lengths(decoded)
        width = max(targets.shape[1], decoded.shape[1])
        steps = np.arange(width)

        def valid(ids, counts):
            ids = np.pad(ids, ((0, 0), (0, width - ids.shape[1])),
                         constant_values=IGNORE_ID)
            return np.where(steps[None, :] < counts[:, None], ids, IGNORE_ID)

        correct = (target_lengths == predicted_lengths) & (
            valid(targets, target_lengths)
            == valid(decoded, predicted_lengths)).all(axis=1)
        return float(np.average(correct, weights=sample_weight))

    def score(self, X, y, sample_weight=None):
        """Exact-match accuracy: the share of rows whose predicted sequence
        equals the target sequence.

        Parameters
        ----------
        X : array-like or list of arrays
            Test sequences.
        y : sequence of sequences of labels
            True label sequences (a label never seen in fit counts as an
            error).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Weighted share of rows predicted exactly.
        """
        check_is_fitted(self, "net_")
        batch = self._validate_X(X, reset=False)
        targets, _ = self._encode_targets(y, len(batch), reset=False,
                                          scoring=True)
        sample_weight = self._check_sample_weight(sample_weight, batch)
        return self._score_outputs(targets, self._decode(batch), sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.required = True
        tags.non_deterministic = False
        return tags


class _Seq2SeqModule(Seq2SeqNetwork):
    """:class:`Seq2SeqNetwork` that knows how many steps to decode."""

    def __init__(self, *, max_output_length, **kwargs):
        super().__init__(**kwargs)
        # The end token after the longest output.
        self.max_steps = int(max_output_length) + 1


def _fitted_keys(estimator, params):
    """The fitted attributes of ``estimator``: names ending in ``_`` (what
    scikit-learn's ``check_is_fitted`` looks for) and the state's own."""
    return [k for k in vars(estimator) if k not in params
            and (k.endswith("_") or k in SEQ2SEQ_ATTRIBUTES)]


def _train(net, dataset, epochs):
    """skorch's ``partial_fit`` without its ``except KeyboardInterrupt:
    pass``: Ctrl+C stops the fit as an exception, and the estimator, whose
    new state is only committed after training, stays as it was. A
    ``KeyboardInterrupt`` raised by a callback (skorch's ``EarlyStopping``
    once its patience runs out) ends training normally, as in
    ``SequenceNet.partial_fit``."""
    net.notify("on_train_begin", X=dataset, y=None)
    try:
        net.fit_loop(dataset, None, epochs=epochs)
    except KeyboardInterrupt as exc:
        if not _raised_by_a_callback(exc):
            _end_quietly(net, dataset)
            raise
    except BaseException:
        _end_quietly(net, dataset)
        raise
    net.notify("on_train_end", X=dataset, y=None)


def _end_quietly(net, dataset):
    # Closes a progress bar; the interrupted net is discarded.
    with contextlib.suppress(Exception):
        net.notify("on_train_end", X=dataset, y=None)


def _target_rows(y, n_samples):
    """``y`` as a list of 1-D label arrays, checked: one per input row."""
    if not hasattr(y, "__len__") and hasattr(y, "__array__"):
        y = np.asarray(y)
    if isinstance(y, str | bytes) or not hasattr(y, "__len__"):
        raise ValueError(
            f"y must hold one sequence of labels per row of X, got {y!r}."
        )
    # A 2-D array is a batch of equally long target sequences.
    rows = list(y)
    if len(rows) != n_samples:
        raise ValueError(
            f"X and y have different numbers of samples: {n_samples} sequences "
            f"in X but {len(rows)} target sequences in y."
        )
    arrays = []
    for i, row in enumerate(rows):
        if isinstance(row, str | bytes):
            raise ValueError(
                f"y[{i}] is the string {row[:30]!r}: y holds one sequence of "
                "labels per row, and RNNSeq2Seq does not split strings for "
                "you. To predict the characters of strings pass "
                "[list(s) for s in y]; for one label per row use RNNClassifier."
            )
        arr = np.asarray(row)
        if arr.ndim != 1:
            what = ("a scalar" if arr.ndim == 0
                    else f"an array of shape {arr.shape}")
            raise ValueError(
                f"y[{i}] is {what} ({row!r:.40}); y must hold one 1-D sequence "
                "of labels per row of X (a list or 1-D array of strings or "
                "integers, of any length). For one label per row use "
                "RNNClassifier."
            )
        arrays.append(arr)
    return arrays


def _label_kind(labels):
    return "text" if labels.dtype.kind in "USO" else "number"


def _concatenate_labels(rows):
    """Every label of ``rows`` in one 1-D array, checked as classification
    labels of one kind (strings or numbers)."""
    filled = [row for row in rows if row.size]
    if not filled:
        return np.empty(0, dtype=np.int64)
    kinds = {"text" if row.dtype.kind in "SU" else
             "object" if row.dtype.kind == "O" else "number" for row in filled}
    if len(kinds - {"object"}) > 1:
        raise ValueError(
            "y mixes string and numeric labels; all labels must be of one "
            "type (all strings or all integers)."
        )
    labels = np.concatenate(filled)
    if labels.dtype.kind == "O":
        types = {type(v) for v in labels}
        if len({str in t.__mro__ for t in types}) > 1:
            raise ValueError(
                "y mixes string and numeric labels; all labels must be of one "
                "type (all strings or all integers)."
            )
        if all(issubclass(t, str) for t in types):
            labels = labels.astype(str)
    check_classification_targets(labels)
    return labels


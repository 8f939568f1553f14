"""Docstring sections shared by RNNRegressor and RNNClassifier."""

ARCHITECTURE_PARAMETERS = """
    cell : {'gru', 'lstm', 'rnn'}, default='gru'
        Recurrent cell. GRU learned more from small data sets on the
        development benchmarks (ArrowHead accuracy 0.69 -> 0.79, Covid3Month
        R² 0.10 -> 0.14, the others within their seed spread; docs:
        "Getting a good model"). On the CPU an LSTM trains faster: torch
        runs it as one fused kernel and a GRU op by op (about 3x the time per
        recurrent step at 64 units); 'rnn' is the plain Elman cell.
    hidden_size : int, default=64
        Units per recurrent layer (per direction).
    num_layers : int, default=1
        Stacked recurrent layers.
    bidirectional : bool, default=False
        Also read each sequence backwards and concatenate both directions.
    dropout : float in [0, 1), default=0.0
        Dropout between stacked recurrent layers, on the pooled features and
        between head layers (only while training).
    nonlinearity : {'tanh', 'relu'}, default='tanh'
        Activation of the plain RNN cell; ignored by LSTM and GRU.
    pooling : {'auto', 'last', 'mean', 'max', 'attention'}, default='auto'
        How the hidden states of a sequence become one vector: the final
        state (of each direction), the mean or the max over the valid steps,
        or an attention-weighted sum (a learned score per step, softmax over
        the valid steps). Padding never enters any of them. 'auto' is 'max'
        when a convolutional front end reads long sequences (a telling shape
        may occur anywhere in them) and 'last' otherwise, as measured on
        the development benchmarks (docs: "Getting a good model").
    head_hidden_sizes : tuple of int, default=()
        Hidden layers (ReLU) of the MLP between the pooled features and the
        output; ``()`` is a single linear layer, ``(64,)`` one hidden layer.
    conv_layers : int or 'auto', default='auto'
        Convolutional blocks before the recurrent layers, each a ``Conv1d``,
        a ReLU and max-pooling by 2, so each halves the number of steps the
        recurrent layers read (a convolutional front end, as in Conv1D +
        LSTM stacks and LSTM-FCN). The last two blocks have ``hidden_size``
        channels, the ones before them, which read the longest sequences,
        half as many.
        'auto' uses as many as bring the longest training sequence down to
        64 steps (none for sequences of up to 64 steps, and none with
        ``return_sequences=True``); the number chosen is ``conv_layers_``.
    conv_kernel_size : int, default=5
        Width (in time steps) of the convolutions.
    conv_batch_norm : bool or 'auto', default='auto'
        Batch normalisation after each convolution of the front end (as in
        FCN and LSTM-FCN), over the valid steps only. 'auto' uses it when
        the training sequences all have the same length; variable-length
        sequences train in batches of similar lengths, whose statistics
        are not those of the whole data. The choice is
        ``conv_batch_norm_``.
    standardize_sequences : bool or 'auto', default='auto'
        Standardise each feature of each sequence by that sequence's own
        mean and standard deviation (over its valid steps), and give the
        network that mean and the log of that deviation as two more
        features at every step: shapes are read at one scale, and each
        sequence's level and size are still known. 'auto' uses it unless
        the training sequences are already standardised one by one (as the
        UCR/UEA archive stores them: it would only add two constant
        features) or are windows of a series that the regressor normalises
        per window (``instance_norm``). Not with ``embedding_dim``. The
        choice is ``standardize_sequences_``.
    embedding_dim : int or None, default=None
        With an int, ``X`` holds integer token ids (a 2-D int array, or a
        list of 1-D int arrays of any lengths, e.g. the output of
        :class:`SequenceVectorizer`) and the network learns a vector of this
        size per id before the recurrent layers. Ids are kept as int64 (never
        cast to float) and not standardised (``scale_inputs`` is ignored).
        Id 0 is padding (a fixed zero vector) and id 1 the unknown token: an
        id ``>= vocabulary_size_`` is read as 1 at predict time instead of
        failing. ``None`` reads ``X`` as numeric features.
    vocabulary_size : int >= 2 or None, default=None
        Number of token ids the embedding holds (ids ``0 .. vocabulary_size -
        1``); ``None`` takes the largest id in the training data plus one.
        Give it (e.g. a fitted ``SequenceVectorizer``'s ``vocabulary_size_``)
        to keep vectors for ids the training data lacks. Only with
        ``embedding_dim``.
"""

TRAINING_PARAMETERS = """
    max_iter : int, default=200
        Maximum number of epochs (passes over the training data), as in
        ``MLPRegressor``.
    batch_size : int or 'auto', default='auto'
        Sequences per optimiser step. 'auto' is ``n_samples // 8`` clipped
        to [8, 32]: small data sets get small batches, so that an epoch
        still makes several optimiser steps. The value used is
        ``batch_size_``.
    optimizer : {'adam', 'adamw', 'sgd', 'rmsprop'} or torch optimizer class, \
default='adam'
        The optimiser; a class is called as
        ``cls(params, lr=learning_rate_init)``, plus
        ``weight_decay=alpha / batch_size`` when ``alpha > 0``.
    learning_rate_init : float, default=1e-3
        Initial learning rate.
    learning_rate : {'constant', 'adaptive', 'cosine'}, default='constant'
        Schedule. 'adaptive' divides the rate by 5 each time the monitored
        loss (validation loss with ``early_stopping``, else training loss)
        fails to improve by ``tol`` for two epochs, as ``MLPRegressor`` does;
        'cosine' anneals it to 0 over ``max_iter`` epochs.
    momentum : float in [0, 1], default=0.9
        Momentum of 'sgd'.
    alpha : float or 'auto', default='auto'
        Strength of the L2 penalty. As in ``MLPRegressor``, the penalty is
        divided by the batch size: it is applied as the optimiser's
        ``weight_decay = alpha / batch_size``, so an ``alpha`` tuned for an
        MLP means the same here. 'auto' is 0 (the standardised inputs and
        early stopping regularise enough for the small networks this
        package targets) except on a regressor's windows of a short series
        (fewer than 100 windows, so they train to the end) or the stacked
        one-step windows of several series (a global model), centred on
        their last value by ``instance_norm`` (or on their mean where
        ``instance_norm_center='auto'`` chose it), that a linear model of
        the windows
        predicts no better than 0.4 of the naive forecast's squared error
        on their most recent third: there it is 1.0 for one-step windows
        and 0.1 for a direct forecast's, which pulls the networks toward
        the naive forecast instead of the noise (on the forecast
        benchmark's prisonLF panel, MASE ratio to seasonal naive 1.15 ->
        0.92; docs: "Getting a good model"). The value used is
        ``alpha_``.
    clip_grad_norm : float or None, default=None
        Clip the global L2 norm of the gradients to this value each step.
        Useful with long sequences or plain RNN cells (exploding gradients).
    average_weights : bool or 'auto', default='auto'
        Predict with an exponential moving average of the weights over the
        optimiser steps (Polyak averaging, Keras' ``use_ema``; decay 0.99
        per step, about the last hundred steps, with a warm-up that forgets
        the first steps quickly) instead of the last step's weights, which
        wander with the noise of the last few batches. The batch
        normalisation's running statistics are averaged with them. The
        training history's losses are those of the weights being trained.
        'auto' averages unless early stopping keeps the best epoch's
        weights (the two are exclusive) and outside ``partial_fit``:
        measured on the development benchmarks, ACSF1 0.78 -> 0.88
        accuracy, Covid3Month R² up by 0.01, the others within their seed
        spread (docs: "Getting a good model"). The choice is
        ``average_weights_``.
    ensemble_size : int or 'auto', default='auto'
        Train this many networks side by side (each initialised from its
        own draw, all on the same batches, each with the gradient of its own
        loss) and predict with their combination: the mean of the
        regressor's outputs, the mean of the classifier's probabilities. A
        single network's result on a small data set depends on its
        initialisation; averaging a few removes much of that spread (deep
        ensembles). Training and prediction cost ``ensemble_size`` times
        one network's. 'auto' makes 3 when the training sequences hold at
        most 20,000 time steps in all (sequences x steps, e.g. 80 sequences
        of 250 steps), where a fit is cheap, and 1 otherwise, in
        ``partial_fit`` and with early stopping on windows of a series,
        on ``X_val``, in a classifier or for one output per step, and for
        the windows of a direct forecast (several steps per window) of any
        size and for windows that ``alpha='auto'`` penalises (on windows
        three networks forecast no better than one on the benchmark, docs:
        "Getting a good model"); a regressor's other rows
        keep the ensemble when they stop early (on the members' mean
        validation loss). The training history's losses are the members'
        mean (``clip_grad_norm`` clips the norm of all members' gradients
        together); in training steps, the ``y_pred``
        that skorch callbacks receive has a leading axis of members. The
        choice is ``ensemble_size_``.
    early_stopping : bool or 'auto', default='auto'
        Hold out the **last** ``validation_fraction`` of the training rows
        (time order is kept: never a shuffled or earliest slice, so windows
        of a series do not leak the future), stop when the validation loss
        has not improved by ``tol`` for ``n_iter_no_change`` epochs, and
        restore the weights of the best epoch.
        Without it, training stops when the training loss stalls the same
        way (as in scikit-learn's MLP), keeping the last weights.
        'auto' turns it on when ``fit`` is given ``X_val``, when the
        training rows are at least 100 windows of a series (a regressor's
        forecasting design, recognised as for ``instance_norm``, with one
        target per window or one per step): their
        last rows are the most recent period, what a forecast is judged
        on; and for a regressor's other rows (one target per sequence)
        from 100 rows on: trained to the end, its networks fitted the noise
        of noisy targets (R² -0.66 to -1.0 on held-out rows, where
        predicting the mean scores 0; docs "Getting a good model"). A
        regression on such rows that stops early starts each network's
        output layer at zero, the training mean, which early stopping can
        keep where there is little to learn, and holds out at least 30
        rows (``validation_fraction='auto'``). One-step windows of a series
        that stop early start the same way when they are centred on their
        last value (``instance_norm`` on, ``instance_norm_center`` 'last'
        or 'auto'; or on their mean where 'auto' chose it): a zero output
        is then the naive forecast, or the window's mean (forecast
        benchmark: recursive MASE ratio 0.767 -> 0.738); so do windows with
        one target per step anchored on each step's value.
        Elsewhere it stays off: a tenth of a small training set (fewer
        than 10 rows) is too few to stop on, on a short series it would
        withhold the latest period from training (forecast benchmark:
        docs "Forecast benchmark"), and the classifier's defaults scored
        better without it. The value used is ``early_stopping_``.
    validation_fraction : float in (0, 1) or 'auto', default='auto'
        Share of the rows (the last ones) held out with ``early_stopping``.
        'auto' holds out a tenth; for a regressor's rows that are not
        windows of a series (one target per sequence) at least 30 rows, up
        to 30 % (100 rows: 30; from 300 rows: a tenth): a tail of 10-20
        noisy rows picks the best epoch by chance. On the noisy regression
        sets of the docs' "Getting a good model" page it scored better on
        every set with 100-200 rows (the worst -0.112 -> -0.005 R^2).
        The windows of a direct forecast (``horizon`` targets each,
        recognised as for ``instance_norm``) also leave the ``horizon - 1``
        windows before the tail out of training, in every stacked series:
        their targets lie inside the tail (the ``gap`` of
        ``TimeSeriesSplit``). So do windows with one target per step
        (``make_windows(..., return_sequences=True)``, recognised from the
        inputs: each row is the one before moved on by the same number of
        steps ``s``): a window shares its targets with the
        ``window_size - 1`` windows after it (``window_size + horizon - 2``
        with a horizon per step; that over ``s``, rounded down, for windows
        ``s`` steps apart), so that many are left out.
        The value used is ``validation_fraction_``.
    n_iter_no_change : int or 'auto', default='auto'
        Epochs without improvement of at least ``tol`` before stopping.
        'auto' waits for at least 250 optimiser steps and 10 epochs (the
        ``MLPRegressor`` default): on a small data set an epoch is a few
        steps, and a patience of 10 of them would stop it while it still
        learns. The value used is ``n_iter_no_change_``.
    tol : float, default=1e-4
        Minimum decrease of the monitored loss that counts as improvement.
    shuffle : bool, default=True
        Shuffle the training rows every epoch (the validation tail is split
        off first and never shuffled into training).
    scale_inputs : bool, default=True
        Standardise each input feature with its mean and standard deviation
        over all valid time steps of the training data (padding excluded).
        Learned in ``fit`` and stored in the network, so ``predict`` applies
        it too. It lets raw-scale inputs train as well as unit-scale ones.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and dropout. Seeding happens
        inside ``fit`` on a forked torch generator: the global torch state is
        untouched, and the same integer gives identical models on the CPU.
    verbose : int, default=0
        0 is silent; 1 shows a progress bar over epochs with the latest
        losses; 2 prints a table row per epoch (loss, validation loss and
        score, time).
    warm_start : bool, default=False
        Continue training the fitted network on the next ``fit`` call instead
        of starting anew (input and target scaling are kept), with the
        current parameters and a new optimiser, as in ``MLPRegressor``.
        Parameters that change the architecture (``cell``, ``hidden_size``,
        ...) cannot change between warm-started fits.
    device : str, default='auto'
        Torch device: 'auto' picks 'cuda' when available, else 'cpu'; or any
        torch device string ('cpu', 'cuda', 'cuda:1', 'mps').
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra skorch callbacks for the underlying net (``LRScheduler``,
        ``Checkpoint``, your own...). Runs after the built-in ones.
"""

FITTED_ATTRIBUTES = """
    net_ : skorch.NeuralNet
        The fitted skorch net: ``net_.module_`` is the torch module,
        ``net_.history`` the per-epoch record, ``net_.save_params`` saves
        the weights.
    n_iter_ : int
        Epochs run (over all ``fit`` calls with ``warm_start``).
    loss_curve_ : list of float
        Training loss of each epoch.
    best_loss_ : float
        Lowest training loss reached.
    validation_loss_curve_ : list of float or None
        Validation loss of each epoch (``early_stopping`` only).
    validation_scores_ : list of float or None
        Validation score of each epoch (``early_stopping`` only).
    best_validation_score_ : float or None
        Validation score at the best epoch (``early_stopping`` only).
    best_iteration_ : int
        1-based epoch with the lowest validation loss (with
        ``early_stopping``, whose weights are kept) or training loss.
    n_features_in_ : int
        scikit-learn's count of input columns: for 2-D ``X`` the number of
        columns (the time steps of univariate sequences, which predict must
        match), for 3-D and variable-length ``X`` the features per time step.
    batch_size_ : int
        The batch size used (what ``batch_size='auto'`` chose).
    validation_fraction_ : float
        The share of the rows held out with ``early_stopping`` (what
        ``validation_fraction='auto'`` chose).
    n_iter_no_change_ : int
        The patience used (what ``n_iter_no_change='auto'`` chose).
    alpha_ : float
        The L2 penalty used (what ``alpha='auto'`` chose).
    conv_batch_norm_ : bool
        Whether the front end normalises each convolution's outputs (what
        ``conv_batch_norm='auto'`` chose; False without a front end).
    standardize_sequences_ : bool
        Whether each sequence is standardised on its own (what
        ``standardize_sequences='auto'`` chose).
    average_weights_ : bool
        Whether the weights are an average over the training steps (what
        ``average_weights='auto'`` chose).
    ensemble_size_ : int
        Networks trained and combined (what ``ensemble_size='auto'``
        chose); ``net_.module_.members`` holds them when there are several.
    early_stopping_ : bool
        Whether training held out a validation tail and kept its best epoch
        (what ``early_stopping='auto'`` chose).
    conv_layers_ : int
        Convolutional blocks in front of the recurrent layers (what
        ``conv_layers='auto'`` chose).
    n_input_features_ : int
        Features per time step that the network reads: 1 for 2-D ``X``,
        else the same as ``n_features_in_``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame with string column names.
    device_ : str
        The device the network lives on.
    vocabulary_size_ : int
        Rows of the embedding (only with ``embedding_dim``): the
        ``vocabulary_size`` parameter, or the largest training id plus one.
"""

"""The torch module behind the estimators: recurrent layers, pooling and head."""

import math
from numbers import Real

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ._fused_front_end import batch_norm_relu, max_pool_pairs
from ._fused_gru import run_recurrent
from ._tokens import PADDING_ID, UNKNOWN_ID

__all__ = ["RecurrentNetwork", "NetworkEnsemble", "networks", "CELLS", "POOLINGS"]

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
# The smallest per-sequence spread of instance normalisation, relative to the
# feature's standard deviation over the training data.
INSTANCE_NORM_FLOOR = 1e-3
POOLINGS = ("last", "mean", "max", "attention")
INSTANCE_NORM_CENTERS = ("mean", "last")
# What normalised windows are divided by: each window's spread, or one scale
# for the series (RecurrentNetwork's instance_norm_series_scale).
INSTANCE_NORM_SCALES = ("window", "series")


def conv_channels(block, n_blocks, hidden_size):
    """Output channels of front-end block ``block`` (0-based) of ``n_blocks``:
    ``hidden_size`` for the last two, half of it for the blocks before them.

    Channels grow with depth, as in most convolutional networks. The early
    blocks read the longest sequences (under the 'auto' rule, at least 256
    steps) and did most of the work: on ACSF1 (1,460 steps, five blocks) the
    half-width early blocks made the fit about 40 % cheaper and more
    accurate (0.88 -> 0.90, docs: "Getting a good model").
    """
    if block < n_blocks - 2:
        return max(1, hidden_size // 2)
    return hidden_size


class RecurrentNetwork(nn.Module):
    """Recurrent layers, a pooling step and a small MLP head.

    Parameters
    ----------
    input_size : int
        Features per time step.
    output_size : int
        Outputs per sequence (or per time step with ``return_sequences``).
    cell : {'rnn', 'lstm', 'gru'}
        The recurrent cell.
    hidden_size : int
        Units of each recurrent layer (per direction).
    num_layers : int
        Stacked recurrent layers.
    bidirectional : bool
        Run a second stack backwards in time and concatenate both.
    dropout : float
        Dropout between recurrent layers, before the head and between head
        layers.
    nonlinearity : {'tanh', 'relu'}
        Activation of the plain RNN cell (ignored by LSTM and GRU).
    pooling : {'last', 'mean', 'max', 'attention'}
        How the sequence of hidden states becomes one vector: the final
        state, the mean or max over valid steps, or an attention-weighted
        sum (one learned score per step, softmax over valid steps).
    head_hidden_sizes : tuple of int
        Hidden layers of the MLP head (ReLU); ``()`` is a single linear layer.
    return_sequences : bool
        Output one vector per time step instead of one per sequence.
    conv_layers : int
        Convolutional blocks before the recurrent layers (``Conv1d``, ReLU,
        max-pooling by 2): each halves the number of steps the recurrent
        layers read. The last two blocks have ``hidden_size`` channels, the
        ones before them half as many (``conv_channels``).
    conv_kernel_size : int
        Width of the convolutions (odd widths keep steps centred).
    conv_batch_norm : bool
        Batch normalisation after each convolution (statistics over the
        valid steps of the batch; the running ones at predict).
    input_mean, input_scale : sequence of float or None
        Per-feature standardisation applied to the input (stored as buffers,
        so it travels with the weights). Unused with an embedding.
    embedding_dim : int or None
        With an int, the input is one integer token id per step
        (``input_size`` is 1): an ``nn.Embedding`` of this size, whose id 0
        is padding (a fixed zero vector), feeds the recurrent layers.
    num_embeddings : int or None
        Rows of the embedding (the vocabulary size, ids 0 and 1 included).
        An id at or above it is read as the unknown id 1, so ids unseen in
        training never index out of range.
    standardize_sequences : bool
        Standardise each feature of each sequence by the sequence's own mean
        and standard deviation (over its valid steps, after the input
        standardisation) and append that mean and the log of that deviation
        as two more features at every step: shapes at one scale, with each
        sequence's level and size still known to the network.
    instance_norm_feature : int or None
        Reversible instance normalisation (RevIN) for windows of a series:
        the index of the input feature the targets continue. That feature
        is standardised by each sequence's own mean and standard deviation
        (over its valid steps) before the network reads it, and the outputs
        are read in those units and mapped back: a window's level and
        spread pass around the network, which learns the shape of what
        comes next (trends and series of any scale). With
        ``return_sequences`` (one output per step) it is causal instead: the
        feature is read relative to the window's first value, and each
        step's outputs are the change from that step's own value, in the
        feature's training-data units (``instance_norm_steps`` and
        ``instance_norm_center`` unused).
    instance_norm_steps : int or None
        The leading steps the mean and deviation are taken over (windows
        whose last steps carry known-future covariates, where the series'
        values are zeros); None: every valid step.
    instance_norm_center : {'mean', 'last'}
        The level each window is centred on: its mean, or its last valid
        value among those steps (the network then reads and predicts the
        change from the last observation, the naive forecast, in units of
        the window's spread).
    instance_norm_series_scale : float or None
        One scale that every window is divided by (in the feature's units:
        the series' mean absolute one-step change), instead of each window's
        own standard deviation (None).
    target_mean, target_scale : sequence of float or None
        The standardisation of the targets (required with
        ``instance_norm_feature``): the outputs, mapped back to the
        feature's units, are returned standardised as the loss expects.
    """

    def __init__(
        self,
        input_size,
        output_size,
        cell="lstm",
        hidden_size=64,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        nonlinearity="tanh",
        pooling="last",
        head_hidden_sizes=(),
        return_sequences=False,
        input_mean=None,
        input_scale=None,
        embedding_dim=None,
        num_embeddings=None,
        conv_layers=0,
        conv_kernel_size=5,
        conv_batch_norm=False,
        standardize_sequences=False,
        instance_norm_feature=None,
        instance_norm_steps=None,
        instance_norm_center="mean",
        instance_norm_series_scale=None,
        target_mean=None,
        target_scale=None,
    ):
        super().__init__()
        self.cell = cell
        self.pooling = pooling
        self.return_sequences = return_sequences
        rnn_kwargs = {}
        if cell == "rnn":
            rnn_kwargs["nonlinearity"] = nonlinearity
        self.embedding = None
        if embedding_dim is not None:
            self.embedding = nn.Embedding(num_embeddings, embedding_dim,
                                          padding_idx=PADDING_ID)
            # The same unknown id as the vectorizer's, as a buffer so that it
            # follows the module to its device.
            self.register_buffer(
                "unknown_id", torch.tensor(UNKNOWN_ID, dtype=torch.long),
                persistent=False,
            )
        step_features = input_size if embedding_dim is None else embedding_dim
        self.standardize_sequences = bool(standardize_sequences)
        if self.standardize_sequences:
            # Each feature standardised per sequence, plus its mean and
            # log-deviation as two constant features.
            step_features = 3 * input_size
        self.conv = None
        self.conv_norms = None
        if conv_layers:
            # Each block halves the number of steps: long sequences reach
            # the recurrent layers short enough to be learnt from (as in
            # Conv1D + LSTM stacks and LSTM-FCN).
            blocks = []
            for i in range(conv_layers):
                width = conv_channels(i, conv_layers, hidden_size)
                blocks.append(nn.Conv1d(step_features, width,
                                        conv_kernel_size,
                                        padding=conv_kernel_size // 2))
                step_features = width
            self.conv = nn.ModuleList(blocks)
            self.conv_norms = (
                nn.ModuleList(nn.BatchNorm1d(block.out_channels)
                              for block in blocks)
                if conv_batch_norm else None
            )
        self.rnn = CELLS[cell](
            input_size=step_features,
            hidden_size=hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            # torch applies this dropout only between layers (and warns
            # when there is a single one).
            dropout=dropout if num_layers > 1 else 0.0,
            **rnn_kwargs,
        )
        n_directions = 2 if bidirectional else 1
        features = hidden_size * n_directions
        self._register_standardisation("input", input_mean, input_scale,
                                       input_size)
        self.instance_norm_feature = instance_norm_feature
        self.instance_norm_steps = instance_norm_steps
        if instance_norm_center not in INSTANCE_NORM_CENTERS:
            raise ValueError(
                f"instance_norm_center must be one of {INSTANCE_NORM_CENTERS}, "
                f"got {instance_norm_center!r}")
        self.instance_norm_center = instance_norm_center
        if instance_norm_series_scale is not None and not (
                isinstance(instance_norm_series_scale, Real)
                and 0 < instance_norm_series_scale < math.inf):
            raise ValueError(
                "instance_norm_series_scale must be a positive finite number "
                f"or None, got {instance_norm_series_scale!r}")
        self.instance_norm_series_scale = (
            None if instance_norm_series_scale is None
            else float(instance_norm_series_scale))
        if instance_norm_feature is not None:
            self._register_standardisation("target", target_mean, target_scale,
                                           output_size)
        self.attention = (
            nn.Linear(features, 1) if pooling == "attention" and not
            return_sequences else None
        )
        layers = [nn.Dropout(dropout)] if dropout > 0 else []
        for size in head_hidden_sizes:
            layers += [nn.Linear(features, size), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            features = size
        layers.append(nn.Linear(features, output_size))
        self.head = nn.Sequential(*layers)

    def _register_standardisation(self, prefix, mean, scale, size):
        """Buffers ``{prefix}_mean`` and ``{prefix}_scale`` (float32, ``size``
        values; the identity when not given): they travel with the weights."""
        if mean is None:
            mean = [0.0] * size
        if scale is None:
            scale = [1.0] * size
        self.register_buffer(f"{prefix}_mean",
                             torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer(f"{prefix}_scale",
                             torch.as_tensor(scale, dtype=torch.float32))

    def forward(self, X, lengths=None):
        """Map a padded batch ``(B, T, F)`` to ``(B, out)`` or ``(B, T, out)``.

        ``lengths`` (a CPU int64 tensor) marks the valid steps of each
        sequence; padded steps never influence the output.
        """
        if self.embedding is not None:
            ids = X[..., 0].long()
            ids = torch.where(ids < self.embedding.num_embeddings, ids,
                              self.unknown_id)
            X = self.embedding(ids)
        elif self.instance_norm_feature is not None:
            return self._forward_instance_normalised(X, lengths)
        else:
            X = (X - self.input_mean) / self.input_scale
            if self.standardize_sequences:
                X = _standardize_sequences(X, lengths)
        return self._forward_scaled(X, lengths)

    def _forward_instance_normalised(self, X, lengths):
        """RevIN: the feature the targets continue, standardised per sequence;
        the outputs mapped back from those units to the standardised
        targets'."""
        if self.return_sequences:
            return self._forward_anchored_per_step(X, lengths)
        feature = self.instance_norm_feature
        past = X[:, :self.instance_norm_steps, feature]
        wide, level, spread = _sequence_statistics(past, lengths)
        if self.instance_norm_center == "last":
            level = _last_valid(wide, lengths)
        values = X[:, :, feature].to(level.dtype)
        if self.instance_norm_series_scale is not None:
            # One scale for the series: each window's moves read against its
            # usual step, and the outputs in that unit.
            spread = torch.full_like(level, self.instance_norm_series_scale)
            divisor = spread
        else:
            # A flat window (a run of zeros) has no spread: its inputs are
            # divided by a floor relative to the feature's scale over the
            # training data (they stay finite: 0), and its output, in units
            # of its own spread, is its level. A nearly flat window's
            # forecast moves as little as it does, so a recursive forecast
            # cannot amplify rounding noise.
            floor = INSTANCE_NORM_FLOOR * self.input_scale[feature]
            divisor = spread.clamp_min(floor)
        normalised = (values - level) / divisor
        out = self._forward_scaled(self._with_feature(X, normalised), lengths)
        level, spread = level.to(out.dtype), spread.to(out.dtype)
        return (level - self.target_mean + spread * out) / self.target_scale

    def _forward_anchored_per_step(self, X, lengths):
        """Instance normalisation with one output per step, causal: the
        feature is read relative to the window's first value (in its
        training-data units), and each step's outputs are the change from
        that step's own value, the naive forecast at every step. A window's
        mean, spread or last value would tell every step the values after
        it, which are the earlier steps' targets."""
        values = X[:, :, self.instance_norm_feature]
        scale = self.input_scale[self.instance_norm_feature]
        normalised = (values - values[:, :1]) / scale
        out = self._forward_scaled(self._with_feature(X, normalised), lengths)
        anchor = values.unsqueeze(-1).to(out.dtype)
        return (anchor - self.target_mean + scale * out) / self.target_scale

    def _with_feature(self, X, normalised):
        """The standardised steps of ``X`` with the instance-normalised
        feature's values ``normalised`` ``(B, T)`` in its place."""
        feature = self.instance_norm_feature
        scaled = (X - self.input_mean) / self.input_scale
        return torch.cat([scaled[:, :, :feature],
                          normalised.unsqueeze(-1).to(X.dtype),
                          scaled[:, :, feature + 1:]], dim=2)

    def _forward_scaled(self, X, lengths):
        """The network on standardised (or embedded) steps."""
        if self.conv is not None:
            X, lengths = self._convolve(X, lengths)
        max_len = X.shape[1]
        ragged = lengths is not None and bool((lengths < max_len).any())
        # A forward-only network reaches each sequence's end before the
        # padding after it: run the padded batch (torch's fused kernels; a
        # packed batch trains about 5x slower on the CPU) and read the state
        # at the last valid step. Only a backward direction, which must start
        # at the true end, needs packing.
        packed = ragged and self.rnn.bidirectional
        if packed:
            X = pack_padded_sequence(X, lengths, batch_first=True,
                                     enforce_sorted=False)
        # A small GRU on the CPU: its recurrence compiled whole, training and
        # predicting (the same equations; see _fused_gru).
        output, state = run_recurrent(self.rnn, X)
        if packed and (self.return_sequences or self.pooling != "last"):
            output, _ = pad_packed_sequence(output, batch_first=True,
                                            total_length=max_len)
        if self.return_sequences:
            return self.head(output)
        if self.pooling == "last":
            if ragged and not packed:
                last = (lengths - 1).to(output.device)
                pooled = output[torch.arange(len(last), device=output.device), last]
            else:
                hidden = state[0] if isinstance(state, tuple) else state
                if self.rnn.bidirectional:
                    # Last layer: forward final state (at each sequence's true
                    # end) and backward final state (at t=0).
                    pooled = torch.cat([hidden[-2], hidden[-1]], dim=1)
                else:
                    pooled = hidden[-1]
            return self.head(pooled)
        mask = None
        if ragged:
            mask = _step_mask(lengths, max_len, output.device)
            # Unpacked states past a sequence's end are computed from the
            # padding and can grow without bound (relu cells): zero them, so
            # no inf * 0 = NaN reaches the pooled vector.
            output = output.masked_fill(~mask.unsqueeze(-1), 0.0)
        return self.head(self._pool(output, mask, lengths))

    def _convolve(self, X, lengths):
        """The convolutional front end: conv, (batch norm,) ReLU, max-pool
        by 2, per block.

        Padded steps are zeroed before the first convolution, so a valid
        step sees exactly the zeros a sequence alone would be padded with,
        and after every ReLU, so the max-pooling (over outputs >= 0) cannot
        pick a padded step over a valid one. The pooled padded steps are
        then pairs of zeros, zeros again for the next convolution. Padding
        therefore never changes a prediction.
        """
        X = X.transpose(1, 2)
        for i, conv in enumerate(self.conv):
            mask = None
            if lengths is not None:
                mask = _step_mask(lengths, X.shape[2], X.device)
                if i == 0:
                    X = X.masked_fill(~mask.unsqueeze(1), 0.0)
            X = conv(X)
            if self.conv_norms is None:
                X = torch.relu(X)
            elif mask is None:
                # Batch norm and ReLU, compiled while training.
                X = batch_norm_relu(self.conv_norms[i], X)
            else:
                X = torch.relu(_batch_norm(self.conv_norms[i], X, mask))
            if mask is not None:
                # The convolution (its bias, the valid neighbours) and the
                # normalisation's shift made the padded steps non-zero: back
                # to 0, which never beats a valid (ReLU, >= 0) value in the
                # max-pooling, as the -inf padding of ceil_mode alone does not.
                X = X.masked_fill(~mask.unsqueeze(1), 0.0)
            # max_pool1d(X, 2, ceil_mode=True), compiled while training.
            X = max_pool_pairs(X, self.training)
            if lengths is not None:
                lengths = torch.div(lengths + 1, 2, rounding_mode="floor")
        return X.transpose(1, 2), lengths

    def _pool(self, output, mask, lengths):
        if self.pooling == "mean":
            if mask is None:
                return output.mean(dim=1)
            counts = lengths.to(output.device, output.dtype).unsqueeze(-1)
            return output.sum(dim=1) / counts
        if self.pooling == "max":
            if mask is None:
                return output.amax(dim=1)
            return output.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(1)
        scores = self.attention(output).squeeze(-1)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=1)
        return (weights.unsqueeze(-1) * output).sum(dim=1)


class NetworkEnsemble(nn.Module):
    """Independently initialised :class:`RecurrentNetwork` members trained
    side by side on the same batches, their predictions combined.

    In training mode the forward pass returns every member's outputs,
    stacked on a new first axis ``(ensemble_size, B, ...)``: each member
    gets the gradient of its own loss, exactly as if it trained alone (the
    estimators' training step, ``SequenceNet._train_members``, calls the
    members one by one to the same effect). In evaluation mode it returns the
    combined prediction: the mean of the members' outputs (``combine=
    'mean'``, regression), or the log of the mean of their class
    probabilities (``combine='probabilities'``, classification; a softmax
    of it is that mean, so it stands where one network's logits would).

    Parameters
    ----------
    ensemble_size : int
        Members (at least 2; one network is a plain ``RecurrentNetwork``).
    combine : {'mean', 'probabilities'}
        How the members' outputs are combined at evaluation.
    **member_kwargs
        The arguments of every member's :class:`RecurrentNetwork`.

    Examples
    --------
    >>> import torch
    >>> ensemble = NetworkEnsemble(3, "probabilities", input_size=1,
    ...                            output_size=2, hidden_size=4)
    >>> X = torch.zeros(5, 7, 1)
    >>> ensemble(X).shape   # training mode: one output per member
    torch.Size([3, 5, 2])
    >>> with torch.no_grad():   # evaluation: the log of the mean probabilities
    ...     probabilities = ensemble.eval()(X).exp()
    >>> probabilities.shape, bool(torch.allclose(probabilities.sum(dim=1),
    ...                                          torch.ones(5)))
    (torch.Size([5, 2]), True)
    """

    def __init__(self, ensemble_size, combine="mean", **member_kwargs):
        super().__init__()
        if combine not in ("mean", "probabilities"):
            raise ValueError(f"combine must be 'mean' or 'probabilities', got "
                             f"{combine!r}.")
        self.combine = combine
        self.members = nn.ModuleList(
            RecurrentNetwork(**member_kwargs) for _ in range(int(ensemble_size)))

    def forward(self, X, lengths=None):
        """Every member's outputs stacked (training) or their combination
        (evaluation); see the class docstring."""
        outputs = torch.stack([member(X, lengths) for member in self.members])
        if self.training:
            return outputs
        if self.combine == "probabilities":
            log_probabilities = torch.log_softmax(outputs, dim=-1)
            return (torch.logsumexp(log_probabilities, dim=0)
                    - math.log(len(self.members)))
        return outputs.mean(dim=0)


def networks(module):
    """The networks ``module`` holds: an ensemble's members, else itself."""
    if isinstance(module, NetworkEnsemble):
        return list(module.members)
    return [module]


def zero_output_layers(module):
    """Set the output layer (the head's last linear layer) of every network
    in ``module`` to zero, in place: each then predicts what a zero output
    means, the training mean of standardised targets (see
    ``_plan.choose_zero_output_layer``)."""
    with torch.no_grad():
        for network in networks(module):
            network.head[-1].weight.zero_()
            network.head[-1].bias.zero_()


# The smallest per-sequence deviation of standardize_sequences, in units of
# the feature's deviation over the training data (a flat sequence stays
# finite; its log-deviation feature is log(1e-3)).
SEQUENCE_STD_FLOOR = 1e-3


def _sequence_statistics(X, lengths):
    """Mean and standard deviation over the valid steps (dim 1) of each
    sequence, keeping dims, in float64 where the device has it: the squares
    of finite float32 inputs as large as 1e38 do not overflow."""
    if X.device.type != "mps":
        X = X.double()
    if lengths is None:
        level = X.mean(dim=1, keepdim=True)
        variance = (X - level).square().mean(dim=1, keepdim=True)
    else:
        valid = _step_mask(lengths, X.shape[1], X.device).to(X.dtype)
        if X.dim() == 3:
            valid = valid.unsqueeze(-1)
        counts = valid.sum(dim=1, keepdim=True)
        level = (X * valid).sum(dim=1, keepdim=True) / counts
        variance = ((X - level).square() * valid).sum(dim=1, keepdim=True) / counts
    return X, level, variance.sqrt()


def _last_valid(X, lengths):
    """``(B, T)`` -> ``(B, 1)``: each sequence's value at its last valid
    step (``lengths`` may exceed ``T`` when ``X`` holds the leading steps
    only: then the last of those)."""
    if lengths is None:
        return X[:, -1:]
    last = (lengths.clamp(max=X.shape[1]) - 1).to(X.device)
    return X.gather(1, last[:, None])


def _standardize_sequences(X, lengths):
    """``(B, T, F)`` -> ``(B, T, 3F)``: each feature standardised by its
    sequence's mean and deviation over the valid steps, then that mean and
    the log of that deviation, constant over the steps."""
    wide, level, spread = _sequence_statistics(X, lengths)
    spread = spread.clamp_min(SEQUENCE_STD_FLOOR)
    n_steps = X.shape[1]
    return torch.cat([(wide - level) / spread, level.expand(-1, n_steps, -1),
                      spread.log().expand(-1, n_steps, -1)], dim=2).to(X.dtype)


def _batch_norm(norm, X, mask):
    """``norm`` (a ``BatchNorm1d``) on ``(B, C, T)``, its training statistics
    taken over the valid steps only when ``mask`` ``(B, T)`` is given."""
    if mask is None:
        return norm(X)
    steps = X.transpose(1, 2)
    normalised = norm(steps[mask])
    return steps.masked_scatter(mask.unsqueeze(-1), normalised).transpose(1, 2)


def _step_mask(lengths, n_steps, device):
    """``(B, n_steps)`` booleans: which steps of each sequence are valid."""
    steps = torch.arange(n_steps, device=lengths.device)
    return (steps[None, :] < lengths[:, None]).to(device)

"""The torch module behind RNNSeq2Seq: an encoder, and a decoder with attention.

The encoder is the package's :class:`~sklearn_rnn._module.RecurrentNetwork`
(embedding or input standardisation, convolutional front end, recurrent
stack) read one output per step, without its head. The decoder is a
recurrent network over the previous output token that attends to every
valid step of the encoder; ``tanh(W [state; context])`` feeds its output
layer. Two attentions (``attention``):

* ``'luong'`` (Luong et al., 2015, multiplicative score ``state . W key``):
  the attention reads the decoder's *current* state, after its step.
  Teacher-forced training then runs the decoder over all the target steps
  in one fused recurrent call.
* ``'bahdanau'`` (Bahdanau et al., 2015, additive score ``v . tanh(W state +
  U key)``): the attention reads the *previous* state, and its context is
  part of the decoder's input, so what the decoder read goes into its
  recurrence (a carry in an addition). Training loops over the target steps
  (one small recurrent step each).

Token conventions of the decoder. Output ids: 0 is the end token, class
``k`` of ``classes_`` is ``k + 1``; padded target steps are ``IGNORE_ID``.
Input ids (the previous output): 0 is the start token, class ``k`` is
``k + 1``. So the decoder's input is the target shifted by one step with 0
in front, and the output layer never has a start or padding token to learn
away.
"""

import torch
from torch import nn
from torch.nn import functional as F

from ._module import CELLS, RecurrentNetwork, _step_mask

__all__ = ["Seq2SeqNetwork", "END_ID", "START_ID", "IGNORE_ID"]

END_ID = 0
START_ID = 0
# Padded target steps: ignored by the loss (torch's default ignore_index).
IGNORE_ID = -100


class Seq2SeqNetwork(nn.Module):
    """Encoder-decoder with attention.

    Parameters
    ----------
    input_size : int
        Features per input step (1 with an embedding).
    n_classes : int
        Output labels (the decoder predicts ``n_classes + 1`` ids: the end
        token and the labels).
    cell : {'rnn', 'lstm', 'gru'}
        Recurrent cell of the encoder and the decoder.
    hidden_size : int
        Units of every recurrent layer (per direction in the encoder), the
        decoder's token embedding and its attentional layer.
    num_layers : int
        Stacked layers of the encoder and of the decoder.
    bidirectional : bool
        A backward encoder stack beside the forward one.
    dropout : float
        Dropout between stacked layers, on the decoder's token embeddings
        and before its output layer.
    nonlinearity : {'tanh', 'relu'}
        Activation of the plain RNN cell.
    attention : {'luong', 'bahdanau'}
        The attention score (see the module docstring).
    conv_layers : int
        Convolutional blocks of the encoder's front end, each halving the
        steps the attention reads.
    **encoder_kwargs
        The encoder's input handling (``input_mean``, ``input_scale``,
        ``embedding_dim``, ``num_embeddings``, ``conv_kernel_size``,
        ``conv_batch_norm``, ``standardize_sequences``), as
        :class:`RecurrentNetwork`'s.

    Examples
    --------
    >>> import torch
    >>> net = Seq2SeqNetwork(input_size=2, n_classes=5, hidden_size=8)
    >>> X = torch.zeros(3, 7, 2)
    >>> targets = torch.tensor([[1, 2, 0], [3, 0, -100], [0, -100, -100]])
    >>> net(X, None, targets).shape          # teacher forcing: logits per step
    torch.Size([3, 3, 6])
    >>> net.decode(X, None, max_steps=4).shape   # greedy: output ids
    torch.Size([3, 4])
    """

    def __init__(
        self,
        input_size,
        n_classes,
        cell="gru",
        hidden_size=64,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        nonlinearity="tanh",
        attention="luong",
        conv_layers=0,
        **encoder_kwargs,
    ):
        super().__init__()
        if attention not in ("luong", "bahdanau"):
            raise ValueError(
                f"attention must be 'luong' or 'bahdanau', got {attention!r}.")
        self.attention = attention
        self.cell = cell
        self.num_layers = num_layers
        self.conv_layers = conv_layers
        self.encoder = _Encoder(
            input_size, 1, cell=cell, hidden_size=hidden_size,
            num_layers=num_layers, bidirectional=bidirectional,
            dropout=dropout, nonlinearity=nonlinearity, return_sequences=True,
            conv_layers=conv_layers, **encoder_kwargs,
        )
        # The encoder's per-step states are what the decoder attends to:
        # no head.
        self.encoder.head = nn.Identity()
        self.bidirectional = bool(bidirectional)
        key_size = hidden_size * (2 if bidirectional else 1)
        # The decoder's first state, from the encoder's final one.
        self.bridge = nn.Linear(key_size, hidden_size)
        self.embedding = nn.Embedding(n_classes + 1, hidden_size)
        rnn_kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
        # Bahdanau's decoder reads the context beside the previous label.
        step_size = hidden_size + (key_size if attention == "bahdanau" else 0)
        self.decoder = CELLS[cell](
            input_size=step_size, hidden_size=hidden_size,
            num_layers=num_layers, batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0, **rnn_kwargs)
        if attention == "luong":
            self.query = nn.Linear(hidden_size, key_size, bias=False)
            self.keys = None
            self.score = None
        else:
            self.query = nn.Linear(hidden_size, hidden_size, bias=False)
            self.keys = nn.Linear(key_size, hidden_size)
            self.score = nn.Linear(hidden_size, 1, bias=False)
        self.combine = nn.Linear(hidden_size + key_size, hidden_size)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.output = nn.Linear(hidden_size, n_classes + 1)

    # ---------------------------------------------------------------- encoder
    def encode(self, X, lengths=None):
        """``(memory, keys, mask, state)``: the encoder's states per step
        (zero past each sequence's end), what the attention scores them by,
        which steps are valid (or None) and the decoder's first state."""
        memory = self.encoder(X, lengths)
        n_steps = memory.shape[1]
        mask = None
        if lengths is not None:
            for _ in range(self.conv_layers):
                lengths = torch.div(lengths + 1, 2, rounding_mode="floor")
            if bool((lengths < n_steps).any()):
                mask = _step_mask(lengths, n_steps, memory.device)
                # States past the end are computed from the padding (and may
                # be anything): zeroed, they cannot reach the context.
                memory = memory.masked_fill(~mask.unsqueeze(-1), 0.0)
        hidden = self.encoder.rnn.hidden_size
        if lengths is None:
            forward = memory[:, -1, :hidden]
        else:
            last = (lengths - 1).to(memory.device)
            forward = memory[torch.arange(len(last), device=memory.device),
                             last, :hidden]
        if self.bidirectional:
            final = torch.cat([forward, memory[:, 0, hidden:]], dim=1)
        else:
            final = forward
        first = torch.tanh(self.bridge(final))
        first = first.unsqueeze(0).expand(self.num_layers, -1, -1).contiguous()
        state = (first, torch.zeros_like(first)) if self.cell == "lstm" else first
        keys = self.keys(memory) if self.keys is not None else memory
        return memory, keys, mask, state

    # ---------------------------------------------------------------- decoder
    def _context(self, queries, memory, keys, mask):
        """The attention's context ``(B, L, K)`` for the decoder states
        ``queries`` ``(B, L, H)`` over ``memory`` ``(B, T, K)``."""
        query = self.query(queries)
        if self.score is None:
            scores = torch.bmm(query, keys.transpose(1, 2))
        else:
            scores = self.score(torch.tanh(
                query.unsqueeze(2) + keys.unsqueeze(1))).squeeze(-1)
        if mask is not None:
            scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        return torch.bmm(torch.softmax(scores, dim=-1), memory)

    def _logits(self, outputs, context):
        attended = torch.tanh(self.combine(torch.cat([outputs, context], dim=-1)))
        return self.output(self.dropout(attended))

    def _step(self, inputs, state, memory, keys, mask):
        """One decoder step (or, for Luong's attention, any number of
        steps at once) from embedded previous labels ``inputs`` ``(B, L,
        H)``: ``(logits, state)``."""
        if self.attention == "luong":
            outputs, state = self.decoder(inputs, state)
            return self._logits(outputs, self._context(outputs, memory, keys,
                                                       mask)), state
        outputs, context, state = self._bahdanau_step(inputs, state, memory,
                                                      keys, mask)
        return self._logits(outputs, context), state

    def _bahdanau_step(self, inputs, state, memory, keys, mask):
        """One step of Bahdanau's decoder, before the output layer:
        ``(outputs, context, state)``."""
        hidden = state[0] if isinstance(state, tuple) else state
        context = self._context(hidden[-1].unsqueeze(1), memory, keys, mask)
        outputs, state = self.decoder(torch.cat([inputs, context], dim=-1), state)
        return outputs, context, state

    def forward(self, X, lengths=None, targets=None):
        """Teacher forcing: logits ``(B, L, n_classes + 1)`` of every target
        step, each from the true previous tokens of ``targets`` ``(B, L)``
        (output ids, ``IGNORE_ID`` on padded steps)."""
        memory, keys, mask, state = self.encode(X, lengths)
        previous = torch.cat(
            [torch.full_like(targets[:, :1], START_ID), targets[:, :-1]], dim=1)
        # A padded step's input is never read by a valid step's output.
        previous = previous.clamp_min(0)
        inputs = self.dropout(self.embedding(previous))
        if self.attention == "luong":
            return self._step(inputs, state, memory, keys, mask)[0]
        # The recurrence steps one at a time; the output layer then reads
        # all the steps at once (fewer, larger products, the same logits).
        outputs, contexts = [], []
        for step in range(inputs.shape[1]):
            out, context, state = self._bahdanau_step(
                inputs[:, step:step + 1], state, memory, keys, mask)
            outputs.append(out)
            contexts.append(context)
        return self._logits(torch.cat(outputs, dim=1), torch.cat(contexts, dim=1))

    def decode(self, X, lengths=None, max_steps=1):
        """Greedy decoding: ``(B, max_steps)`` output ids, each step's most
        likely token fed back. Steps after a row's end token are the end
        token; the loop stops when every row has ended."""
        memory, keys, mask, state = self.encode(X, lengths)
        batch = memory.shape[0]
        token = torch.full((batch, 1), START_ID, dtype=torch.long,
                           device=memory.device)
        ended = torch.zeros(batch, dtype=torch.bool, device=memory.device)
        result = torch.full((batch, max_steps), END_ID, dtype=torch.long,
                            device=memory.device)
        for step in range(max_steps):
            logits, state = self._step(self.embedding(token), state, memory,
                                       keys, mask)
            token = logits.argmax(dim=-1)
            result[:, step] = token[:, 0].masked_fill(ended, END_ID)
            ended |= token[:, 0] == END_ID
            # One sync per step; rows end within a few steps of each other.
            if bool(ended.all()):
                break
        return result


class _Encoder(RecurrentNetwork):
    """:class:`RecurrentNetwork` whose bidirectional stack runs padded
    batches without packing.

    The backward direction must start at each sequence's true end, which
    :class:`RecurrentNetwork` gets by packing the batch. Reversing each row
    within its valid length instead (one index gather), running the
    backward weights forward over it and reversing the outputs back
    computes the same states on the padded batch: padding never reaches a
    valid step, in either direction. On the addition benchmark (queries of
    up to 7 characters, one thread) an epoch took 6.8 s against 7.5 s
    packed (one run each, side by side); the forward-only encoder's took
    about 5 s. The weights and their names are ``nn.GRU``'s (or LSTM's,
    RNN's), so models fitted with packing load unchanged.
    """

    def _forward_scaled(self, X, lengths):
        if not self.rnn.bidirectional or lengths is None:
            return super()._forward_scaled(X, lengths)
        if self.conv is not None:
            X, lengths = self._convolve(X, lengths)
        return self.head(_bidirectional_by_reversal(self.rnn, X, lengths))


def _reverse_within(lengths, n_steps, device):
    """``(B, T)`` step indices that reverse each row's first ``lengths``
    steps and leave its padding in place (the map is its own inverse)."""
    steps = torch.arange(n_steps, device=device)
    lengths = lengths.to(device).unsqueeze(1)
    return torch.where(steps < lengths, lengths - 1 - steps, steps)


def _bidirectional_by_reversal(rnn, X, lengths):
    """The outputs ``(B, T, 2 H)`` of the bidirectional ``rnn`` (an
    ``nn.RNN``/``nn.GRU``/``nn.LSTM``, batch first, no projection) on the
    padded ``X``, each direction run forward with its own weights; past a
    row's end the outputs are computed from the padding (the caller masks
    them)."""
    index = _reverse_within(lengths, X.shape[1], X.device).unsqueeze(-1)

    def reverse(Z):
        return Z.gather(1, index.expand(-1, -1, Z.shape[2]))

    kind = rnn.mode  # 'RNN_TANH', 'RNN_RELU', 'GRU', 'LSTM'
    names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
    if rnn.bias:
        names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]

    def run(Z, layer, suffix):
        params = [getattr(rnn, name.format(layer, suffix)) for name in names]
        h0 = Z.new_zeros(1, Z.shape[0], rnn.hidden_size)
        args = (params, rnn.bias, 1, 0.0, rnn.training, False, True)
        if kind == "LSTM":
            return torch.lstm(Z, (h0, h0), *args)[0]
        if kind == "GRU":
            return torch.gru(Z, h0, *args)[0]
        step = torch.rnn_tanh if kind == "RNN_TANH" else torch.rnn_relu
        return step(Z, h0, *args)[0]

    for layer in range(rnn.num_layers):
        if layer and rnn.dropout > 0:
            # Where nn.RNNBase applies it: between layers, in training.
            X = F.dropout(X, rnn.dropout, rnn.training)
        X = torch.cat([run(X, layer, ""),
                       reverse(run(reverse(X), layer, "_reverse"))], dim=2)
    return X

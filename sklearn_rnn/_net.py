"""The skorch net the estimators build: fast batching and time-ordered splits.

skorch runs the training loop, the callbacks and the history. What we change,
through skorch's documented customisation hooks:

* ``get_dataset`` / ``get_iterator``: the data live in whole tensors (moved to
  the device once) and a batch is a slice of them. skorch's default
  ``DataLoader`` calls ``__getitem__`` per sample and collates, which costs
  more than the forward pass of a small RNN.
* ``train_step``: one plain ``optimizer.step()`` instead of the closure that
  only LBFGS-style optimizers need (LBFGS still gets skorch's closure).
* ``train_step_single`` / ``validation_step``: switch the train/eval mode
  only when it changes (``module.train()`` walks every submodule, every
  batch, in skorch's versions).
* ``get_params_for_optimizer``: torch's fused Adam/AdamW/SGD kernels.
* ``infer`` / ``get_loss``: batches carry the sequence lengths and optional
  sample weights beside the inputs.

One override that skorch's documentation advises against earns its keep:
``run_single_epoch`` (see its comment for the measurement). It is pinned to
the skorch versions it was checked with (``pyproject.toml``), and
``tests/test_fast_path.py`` checks that its training history equals skorch's
own loop on the same seed.
"""

import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.history import History

from ._compat import (
    TeeGenerator,
    fused_optimizer_devices,
    net_module_names,
    net_optimizer_names,
    unpack_data,
)
from ._module import NetworkEnsemble, _step_mask
from ._sequences import dense_span
from ._threads import check_cancelled, limit_threads, steps_hold_the_gil

__all__ = ["SequenceDataset", "BatchSlicer", "TailSplit", "SequenceNet"]


class SequenceDataset(torch.utils.data.Dataset):
    """Whole-tensor dataset: padded inputs, lengths, targets, sample weights.

    ``lengths`` stay on the CPU (``pack_padded_sequence`` needs them there,
    and reading a batch's longest length then costs no device sync).
    """

    def __init__(self, X, lengths=None, y=None, sample_weight=None,
                 sequence_targets=False):
        self.X = X
        self.lengths = lengths
        self.y = y
        self.sample_weight = sample_weight
        # y has a time axis (one target per step) that is trimmed with X.
        self.sequence_targets = sequence_targets

    def __len__(self):
        return self.X.shape[0]

    def take(self, index, device_index=None):
        """The rows ``index`` (a slice, or a CPU index tensor) as a batch.

        ``device_index`` is the same index already on the data's device
        (saves a host-to-device copy per batch); by default it is derived
        from ``index``.
        """
        lengths = None if self.lengths is None else self.lengths[index]
        if device_index is None:
            device_index = index
            if isinstance(index, torch.Tensor) and index.device != self.X.device:
                device_index = index.to(self.X.device, non_blocking=True)
        X = self.X[device_index]
        yi = None if self.y is None else self.y[device_index]
        if lengths is not None:
            # Trim the padding that no sequence of this batch needs.
            max_len = int(lengths.max())
            if max_len < X.shape[1]:
                X = X[:, :max_len]
                if self.sequence_targets and yi is not None:
                    yi = yi[:, :max_len]
        Xi = {"X": X}
        if lengths is not None:
            Xi["lengths"] = lengths
        if self.sample_weight is not None:
            Xi["sample_weight"] = self.sample_weight[device_index]
        return Xi, yi

    def subset(self, index):
        """A new dataset holding the rows ``index`` (views where possible)."""
        return SequenceDataset(
            self.X[index],
            None if self.lengths is None else self.lengths[index],
            None if self.y is None else self.y[index],
            None if self.sample_weight is None else self.sample_weight[index],
            self.sequence_targets,
        )

    def __getitem__(self, i):
        return self.take(slice(i, i + 1))


class BatchSlicer:
    """Iterate over a :class:`SequenceDataset` in batches of tensor slices.

    Parameters
    ----------
    dataset : SequenceDataset
    batch_size : int
    shuffle : bool
        Draw a new permutation each epoch.
    seed : int or None
        Seed of the permutations (set by the estimator for exact repeats).
        One generator lives as long as the iterator, i.e. one ``fit``.

    With variable-length sequences and ``shuffle``, each epoch's random
    order is cut into pools of ``BUCKET_BATCHES`` batches, each pool sorted
    by length before it is cut into batches, and the batches are shuffled:
    a batch then holds sequences of similar lengths, and its padding (which
    every step of the network computes through) shrinks. On the PLAID data
    (537 sequences of 100-1,344 steps, default network, one thread) an
    epoch took 0.77 s instead of 1.59 s.
    """

    def __init__(self, dataset, batch_size=32, shuffle=False, seed=None):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = torch.Generator()
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(seed)

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        n, size = len(self.dataset), self.batch_size
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator)
            if self.dataset.lengths is not None:
                order = self._bucketed(order, size)
            device = self.dataset.X.device
            # One host-to-device copy of the permutation per epoch, not one
            # per batch; the CPU copy indexes the (CPU) lengths.
            on_device = order.to(device) if device.type != "cpu" else order
            for start in range(0, n, size):
                stop = start + size
                yield self.dataset.take(order[start:stop], on_device[start:stop])
        else:
            for start in range(0, n, size):
                yield self.dataset.take(slice(start, start + size))


    def _bucketed(self, order, size):
        """``order`` with similar lengths grouped into batches."""
        lengths = self.dataset.lengths[order]
        pool = size * BUCKET_BATCHES
        batches = []
        for start in range(0, len(order), pool):
            chunk = order[start:start + pool]
            chunk = chunk[torch.argsort(lengths[start:start + pool], stable=True)]
            batches.extend(torch.split(chunk, size))
        permutation = torch.randperm(len(batches), generator=self.generator)
        return torch.cat([batches[i] for i in permutation.tolist()])


# Batches per length-sorted pool of a shuffled variable-length epoch: large
# enough to group similar lengths, small enough to keep batches random.
BUCKET_BATCHES = 16


class TailSplit:
    """Hold out the last ``fraction`` of the rows for validation.

    Rows are in time order for windowed series, so the tail is the most
    recent data: validating on it never lets the future leak into training
    (skorch's default ``ValidSplit`` validates on the first fold, and a
    float ``cv`` shuffles).

    ``series_starts``: the first row of each series when the rows are the
    stacked windows of several series; then the last ``fraction`` of every
    series is held out (the end of the last series alone would validate a
    global model on one series). A series too short to spare a row trains.

    ``gap``: rows left out between the training rows and each validation
    tail, as ``TimeSeriesSplit(gap=...)`` does. The windows of a direct
    forecast (``horizon`` targets each) just before the tail have targets
    inside it: trained on, they would make the validation loss a training
    loss. Each series keeps at least one training row.
    """

    # A class default too: a TailSplit pickled before the gap existed
    # unpickles with none.
    gap = 0

    def __init__(self, fraction, series_starts=None, gap=0):
        self.fraction = fraction
        self.series_starts = series_starts
        self.gap = gap

    def __call__(self, dataset, y=None, **fit_params):
        n = len(dataset)
        if self.series_starts is not None and len(self.series_starts) > 1:
            return self._split_each_series(dataset, n)
        n_valid = max(1, int(round(n * self.fraction)))
        if n - n_valid < 1:
            raise ValueError(
                f"validation_fraction={self.fraction} leaves no training "
                f"sample out of {n}; use more samples or early_stopping=False."
            )
        cut = n - n_valid
        train_end = max(1, cut - int(self.gap))
        return dataset.subset(slice(0, train_end)), dataset.subset(slice(cut, n))

    def _split_each_series(self, dataset, n):
        bounds = np.r_[np.asarray(self.series_starts, dtype=np.int64), n]
        valid = np.zeros(n, dtype=bool)
        left_out = np.zeros(n, dtype=bool)
        for start, end in zip(bounds[:-1], bounds[1:], strict=True):
            n_valid = max(1, int(round((end - start) * self.fraction)))
            if end - start - n_valid >= 1:
                cut = end - n_valid
                valid[cut:end] = True
                left_out[max(start + 1, cut - int(self.gap)):cut] = True
        if not valid.any() or valid.all():
            return TailSplit(self.fraction, gap=self.gap)(dataset)
        index = torch.as_tensor(np.flatnonzero(~valid & ~left_out))
        held = torch.as_tensor(np.flatnonzero(valid))
        return dataset.subset(index), dataset.subset(held)


class SequenceNet(NeuralNet):
    """skorch ``NeuralNet`` over :class:`SequenceDataset` batches.

    Used for both regression and classification: the estimators own the
    target encoding, scaling and output shaping, so skorch's task-specific
    subclasses would add nothing but scoring callbacks that expect skorch's
    own ``Dataset``.
    """

    def get_dataset(self, X, y=None):
        if isinstance(X, SequenceDataset):
            return X
        raise TypeError(
            "SequenceNet trains on a SequenceDataset built by the sklearn_rnn "
            "estimators; call the estimator's fit/predict instead."
        )

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """skorch's ``partial_fit``, but a Ctrl-C propagates.

        skorch catches every ``KeyboardInterrupt`` to end training early
        and keep the model: it is also how its callbacks stop training
        (``EarlyStopping`` raises one). Here only a callback's request ends
        training quietly; a ``KeyboardInterrupt`` raised anywhere else (the
        user's Ctrl-C) propagates, so that it stops the caller too (a grid
        search, a loop of fits), and the estimator keeps its previous state.
        The callbacks get ``on_train_end`` either way (a progress bar
        closes).
        """
        if not self.initialized_:
            self.initialize()
        routing_method = fit_params.pop("_routing_method", "partial_fit")
        self.notify("on_train_begin", X=X, y=y)
        try:
            self.fit_loop(X, y, _routing_method=routing_method, **fit_params)
        except KeyboardInterrupt as exc:
            if not _raised_by_a_callback(exc):
                self.notify("on_train_end", X=X, y=y)
                raise
        self.notify("on_train_end", X=X, y=y)
        return self

    def get_iterator(self, dataset, training=False):
        if training:
            kwargs = self.get_params_for("iterator_train")
            iterator = self.iterator_train
        else:
            kwargs = self.get_params_for("iterator_valid")
            iterator = self.iterator_valid
        kwargs.setdefault("batch_size", self.batch_size)
        if iterator is torch.utils.data.DataLoader:
            # Our default: slice whole tensors. A user-supplied iterator
            # class still gets the dataset as skorch would give it.
            iterator = BatchSlicer
            kwargs.pop("num_workers", None)
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = len(dataset)
        return iterator(dataset, **kwargs)

    def get_params_for_optimizer(self, prefix, named_parameters):
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        optimizer = getattr(self, prefix, None)
        if (
            optimizer in _FUSED_OPTIMIZERS
            and "fused" not in kwargs
            and "foreach" not in kwargs
            and not kwargs.get("differentiable", False)
            and torch.device(self.device).type in fused_optimizer_devices()
        ):
            # One kernel updates all parameters instead of a loop of small
            # ops per parameter tensor (about 10 % of the fit time of a small
            # RNN on the CPU). Same update rule; set ``optimizer__fused`` or
            # ``optimizer__foreach`` to choose otherwise.
            kwargs["fused"] = True
        return args, kwargs

    def _switch_mode(self, training):
        """skorch's ``_set_training``, but ``module.train()`` (which walks
        every submodule) only on a change of mode, not on every batch."""
        for name in net_module_names(self):
            module = getattr(self, name + "_")
            if isinstance(module, torch.nn.Module) and module.training != training:
                module.train(training)

    def infer(self, x, **fit_params):
        return self.module_(x["X"], x.get("lengths"))

    def _hooks(self, method_name):
        """Bound ``method_name`` of the callbacks that implement it.

        skorch's ``notify`` calls every callback for every hook; per batch,
        most of them are the base class's no-op.
        """
        hooks = []
        for _, cb in self.callbacks_:
            hook = getattr(cb, method_name)
            if getattr(hook, "__func__", None) is not getattr(Callback, method_name):
                hooks.append(hook)
        return hooks

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        # skorch's loop, with per-batch hooks resolved once per epoch (its
        # notify calls every callback's no-op hooks on every batch), without
        # the generic ``get_len`` of every batch (our batches always carry
        # the inputs under "X"), with the losses of an accelerator read once
        # per epoch, and inside the CPU thread policy. Measured on the sine
        # workload (990 windows of 10, RNN-64, batch 32, 10 epochs, one
        # thread, CPU time, 5 interleaved runs): 0.91 s against 1.09 s for
        # skorch 1.4's own run_single_epoch (min), identical loss curves.
        if iterator is None:
            return
        self._switch_mode(training)
        begin_hooks = [self.on_batch_begin, *self._hooks("on_batch_begin")]
        end_hooks = [self.on_batch_end, *self._hooks("on_batch_end")]
        history = self.history
        loss_key = prefix + "_loss"
        size_key = prefix + "_batch_size"
        # On an accelerator, reading a loss waits for the device to finish
        # the batch: keep the (detached) tensors and read them all at once
        # at the end of the epoch, so the host can queue the next batches.
        defer = type(history) is History
        batch_size = max(1, getattr(iterator, "batch_size", None)
                         or self.batch_size)
        batch_count = 0
        dataset = getattr(iterator, "dataset", None)
        values = getattr(dataset, "X", None)
        n_steps = values.shape[1] if getattr(values, "ndim", 0) == 3 else None
        with limit_threads(self.module_, batch_size, n_steps) as lanes:
            self._member_lanes = _member_lanes(self.module_, lanes, training,
                                               batch_size)
            for batch in iterator:
                # A fit run beside another (RNNForecaster) stops here when
                # the other fails or the caller is interrupted.
                check_cancelled()
                for hook in begin_hooks:
                    hook(self, batch=batch, training=training)
                step = step_fn(batch, **fit_params)
                loss = step["loss"].detach()
                history.record_batch(
                    loss_key,
                    loss if defer and loss.device.type != "cpu" else loss.item(),
                )
                history.record_batch(size_key, batch[0]["X"].shape[0])
                for hook in end_hooks:
                    hook(self, batch=batch, training=training, **step)
                batch_count += 1
        history.record(prefix + "_batch_count", batch_count)
        if defer and batch_count:
            _read_deferred_losses(history[-1]["batches"][-batch_count:], loss_key)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        # Criteria are built with reduction='none': per-sample losses are
        # needed for sample weights and for masking padded time steps.
        loss = self.criterion_(y_pred, y_true)
        if loss.dim() == 0:
            return loss
        X = X or {}
        lengths = X.get("lengths")
        weight = X.get("sample_weight")
        if loss.dim() == 3 and lengths is not None:
            # One loss per time step (return_sequences): padded steps are
            # not part of the sequence and must not count.
            lengths = lengths.to(loss.device, non_blocking=True)
            mask = _step_mask(lengths, loss.shape[1], loss.device)
            # where, not a product: a padded step's loss may be inf.
            per_step = torch.where(mask, loss.mean(dim=2), 0.0)
            loss = per_step.sum(dim=1) / mask.sum(dim=1)
        elif weight is None:
            # Every sample has as many loss terms: the mean of the
            # per-sample means is the plain mean (one op, not three).
            return loss.mean()
        else:
            loss = loss.reshape(loss.shape[0], -1).mean(dim=1)
        if weight is None:
            return loss.mean()
        # A batch whose weights are all zero contributes nothing (0, not
        # 0 / 0 = NaN, which would stop training as a divergence).
        total = weight.sum().clamp_min(torch.finfo(loss.dtype).tiny)
        return (loss * weight).sum() / total

    def train_step(self, batch, **fit_params):
        optimizers = [getattr(self, name + "_") for name in net_optimizer_names(self)]
        if any(isinstance(opt, torch.optim.LBFGS) for opt in optimizers):
            return super().train_step(batch, **fit_params)
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        step = self.train_step_single(batch, **fit_params)
        hooks = self._hooks("on_grad_computed")
        if type(self).on_grad_computed is not NeuralNet.on_grad_computed:
            hooks.insert(0, self.on_grad_computed)
        if hooks:
            # Lazy, as in skorch: only a hook that iterates pays for it.
            named_parameters = TeeGenerator(self.get_all_learnable_params())
            for hook in hooks:
                hook(self, named_parameters=named_parameters, batch=batch,
                     training=True)
        for opt in optimizers:
            opt.step()
        return step

    def train_step_single(self, batch, **fit_params):
        self._switch_mode(True)
        Xi, yi = unpack_data(batch)
        if isinstance(self.module_, NetworkEnsemble):
            return self._train_members(Xi, yi)
        y_pred = self.infer(Xi)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": y_pred}

    def _train_members(self, Xi, yi):
        """An ensemble's training step: each member's own loss, each
        backpropagated into its own weights only, so every member gets the
        gradient it would get alone (a mean over members would divide it by
        their number, which plain SGD would feel). The members are
        independent computations: with more than one lane of threads free
        (``limit_threads``) they run side by side in a thread pool, each on
        the policy's thread count, with the same results as one after the
        other. The recorded loss is the members' mean, comparable with one
        network's."""
        X, lengths = Xi["X"], Xi.get("lengths")
        threads = torch.get_num_threads()

        def step(member):
            if torch.get_num_threads() != threads:
                torch.set_num_threads(threads)
            out = member(X, lengths)
            loss = self.get_loss(out, yi, X=Xi, training=True)
            loss.backward()
            return out, loss.detach()

        members = list(self.module_.members)
        lanes = getattr(self, "_member_lanes", 1)
        if lanes > 1:
            # One task per lane, each running its share of the members.
            def run(group):
                return [step(members[i]) for i in group]

            groups = [range(lane, len(members), lanes) for lane in range(lanes)]
            by_member = {}
            for group, outputs in zip(groups, _member_pool().map(run, groups),
                                      strict=True):
                by_member.update(zip(group, outputs, strict=True))
            results = [by_member[i] for i in range(len(members))]
        else:
            results = [step(member) for member in members]
        y_pred = torch.stack([out for out, _ in results])
        loss = torch.stack([loss for _, loss in results]).mean()
        return {"loss": loss, "y_pred": y_pred}

    def validation_step(self, batch, **fit_params):
        self._switch_mode(False)
        Xi, yi = unpack_data(batch)
        with torch.no_grad():
            y_pred = self.infer(Xi)
            loss = self.get_loss(y_pred, yi, X=Xi, training=False)
        return {"loss": loss, "y_pred": y_pred}


_pool_lock = threading.Lock()
_pool = None
_pool_pid = None


def _member_pool():
    """The process's thread pool for ensemble members (created on first
    use; its threads wait idle between fits). A forked child (a process
    pool's worker) inherits the pool object but not its threads: it makes
    its own."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2),
                                       thread_name_prefix="sklearn-rnn-member")
            _pool_pid = os.getpid()
        return _pool


def _member_lanes(module, lanes, training, batch_size):
    """Members that may train side by side: the free lanes of threads, on
    the CPU, without dropout (whose draws from torch's process-wide
    generator would then interleave in an order that changes between runs),
    unless what their steps spend lies mostly in Python (see
    ``steps_hold_the_gil``)."""
    if not training or lanes < 2 or not isinstance(module, NetworkEnsemble):
        return 1
    if steps_hold_the_gil(module, batch_size):
        return 1
    if any((isinstance(layer, torch.nn.Dropout) and layer.p > 0)
           or (isinstance(layer, torch.nn.RNNBase) and layer.dropout > 0)
           for layer in module.modules()):
        return 1
    if any(p.device.type != "cpu" for p in module.parameters()):
        return 1
    return min(lanes, len(module.members))


def _raised_by_a_callback(exc):
    """Whether ``exc`` was raised in a skorch callback's own code: skorch's
    way for a callback to stop training, as opposed to a Ctrl-C, which
    arrives wherever the interpreter happens to be (almost always in torch
    or in the loop)."""
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return frame is not None and isinstance(frame.tb_frame.f_locals.get("self"),
                                            Callback)


# torch's optimizers that have a fused implementation (``fused=True``).
_FUSED_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)


def _read_deferred_losses(rows, key):
    """Replace the loss tensors left in ``rows`` by floats, in one read."""
    pending = [row for row in rows if isinstance(row.get(key), torch.Tensor)]
    if pending:
        values = torch.stack([row[key] for row in pending]).tolist()
        for row, value in zip(pending, values, strict=True):
            row[key] = value


def as_dataset(batch, y=None, sample_weight=None, device="cpu",
               sequence_targets=False):
    """Build a :class:`SequenceDataset` on ``device`` from a ``Sequences``.

    On the CPU the tensors share memory with the arrays (no copy); nothing
    writes to them.
    """
    with warnings.catch_warnings():
        # A read-only input array is fine: the tensor is only ever read.
        warnings.filterwarnings("ignore", message=".*not writable.*")
        X = _to_device(torch.as_tensor(batch.values), device)
    lengths = None if batch.lengths is None else torch.as_tensor(batch.lengths)
    if y is not None and np.issubdtype(np.asarray(y).dtype, np.floating):
        # Targets are encoded in float64 (exact scoring); the network and
        # its loss compute in float32.
        y = np.asarray(y, dtype=np.float32)
    yt = None if y is None else torch.as_tensor(y).to(device)
    wt = (
        None
        if sample_weight is None
        else torch.as_tensor(np.asarray(sample_weight, dtype=np.float32)).to(device)
    )
    return SequenceDataset(X, lengths, yt, wt, sequence_targets)


def _to_device(tensor, device):
    """``tensor.to(device)``, keeping an overlapping window view a view.

    ``Tensor.to`` makes a non-dense tensor contiguous: the windows of a
    series (a view of ``n + T`` values) would land on the device as ``n * T``
    values. The span of the series behind them is moved instead and the same
    strides are rebuilt there; ``SequenceDataset.take`` then gathers only
    each batch's windows. On the CPU nothing moves: the tensor is returned
    as is.
    """
    span = dense_span(tensor.shape, tensor.stride())
    if span is None or tensor.device == torch.device(device):
        return tensor.to(device)
    series = tensor.as_strided((span,), (1,)).to(device)
    return series.as_strided(tensor.shape, tensor.stride())

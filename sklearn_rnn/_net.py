"""The skorch net the estimators build: fast batching and time-ordered splits.

skorch runs the training loop, the callbacks and the history. What we change,
through skorch's own customisation hooks:

* ``get_dataset`` / ``get_iterator``: the data live in whole tensors (moved to
  the device once) and a batch is a slice of them. skorch's default
  ``DataLoader`` calls ``__getitem__`` per sample and collates, which costs
  more than the forward pass of a small RNN.
* ``train_step``: one plain ``optimizer.step()`` instead of the closure that
  only LBFGS-style optimizers need.
* ``_set_training``: skip the per-batch recursive ``module.train()`` call when
  the mode does not change.
* ``infer`` / ``get_loss``: batches carry the sequence lengths and optional
  sample weights beside the inputs.
"""

import warnings

import numpy as np
import torch
from skorch import NeuralNet
from skorch.dataset import unpack_data

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

    def take(self, index):
        """The rows ``index`` (a slice, or a CPU index tensor) as a batch."""
        lengths = None if self.lengths is None else self.lengths[index]
        if isinstance(index, torch.Tensor):
            index = index.to(self.X.device, non_blocking=True)
        X = self.X[index]
        yi = None if self.y is None else self.y[index]
        if lengths is not None:
            # Trim the padding that no sequence of this batch needs.
            max_len = int(lengths.max())
            X = X[:, :max_len]
            if self.sequence_targets and yi is not None:
                yi = yi[:, :max_len]
        Xi = {"X": X}
        if lengths is not None:
            Xi["lengths"] = lengths
        if self.sample_weight is not None:
            Xi["sample_weight"] = self.sample_weight[index]
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
            for start in range(0, n, size):
                yield self.dataset.take(order[start : start + size])
        else:
            for start in range(0, n, size):
                yield self.dataset.take(slice(start, start + size))


class TailSplit:
    """Hold out the last ``fraction`` of the rows for validation.

    Rows are in time order for windowed series, so the tail is the most
    recent data: validating on it never lets the future leak into training
    (skorch's default ``ValidSplit`` validates on the first fold, and a
    float ``cv`` shuffles).
    """

    def __init__(self, fraction):
        self.fraction = fraction

    def __call__(self, dataset, y=None, **fit_params):
        n = len(dataset)
        n_valid = max(1, int(round(n * self.fraction)))
        if n - n_valid < 1:
            raise ValueError(
                f"validation_fraction={self.fraction} leaves no training "
                f"sample out of {n}; use more samples or early_stopping=False."
            )
        cut = n - n_valid
        return dataset.subset(slice(0, cut)), dataset.subset(slice(cut, n))


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

    def _set_training(self, training=True):
        if self.module_.training != training:
            super()._set_training(training)

    def infer(self, x, **fit_params):
        return self.module_(x["X"], x.get("lengths"))

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        # skorch's loop, minus the generic ``get_len`` of every batch: our
        # batches always carry the inputs under "X".
        if iterator is None:
            return
        self._set_training(training)
        batch_count = 0
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            self.history.record_batch(prefix + "_loss", step["loss"].item())
            self.history.record_batch(prefix + "_batch_size",
                                      batch[0]["X"].shape[0])
            self.notify("on_batch_end", batch=batch, training=training, **step)
            batch_count += 1
        self.history.record(prefix + "_batch_count", batch_count)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        # Criteria are built with reduction='none': per-sample losses are
        # needed for sample weights and for masking padded time steps.
        loss = self.criterion_(y_pred, y_true)
        if loss.dim() == 0:
            return loss
        X = X or {}
        lengths = X.get("lengths")
        if loss.dim() == 3 and lengths is not None:
            # One loss per time step (return_sequences): padded steps are
            # not part of the sequence and must not count.
            steps = torch.arange(loss.shape[1])
            mask = (steps[None, :] < lengths[:, None]).to(loss.device, loss.dtype)
            loss = (loss.mean(dim=2) * mask).sum(dim=1) / mask.sum(dim=1)
        else:
            loss = loss.reshape(loss.shape[0], -1).mean(dim=1)
        weight = X.get("sample_weight")
        if weight is None:
            return loss.mean()
        return (loss * weight).sum() / weight.sum()

    def train_step(self, batch, **fit_params):
        optimizers = [getattr(self, name + "_") for name in self._optimizers]
        if any(isinstance(opt, torch.optim.LBFGS) for opt in optimizers):
            return super().train_step(batch, **fit_params)
        for opt in optimizers:
            opt.zero_grad(set_to_none=True)
        step = self.train_step_single(batch, **fit_params)
        self.notify(
            "on_grad_computed",
            named_parameters=list(self.get_all_learnable_params()),
            batch=batch,
            training=True,
        )
        for opt in optimizers:
            opt.step()
        return step

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": y_pred}

    def validation_step(self, batch, **fit_params):
        self._set_training(False)
        Xi, yi = unpack_data(batch)
        with torch.no_grad():
            y_pred = self.infer(Xi)
            loss = self.get_loss(y_pred, yi, X=Xi, training=False)
        return {"loss": loss, "y_pred": y_pred}


def as_dataset(batch, y=None, sample_weight=None, device="cpu",
               sequence_targets=False):
    """Build a :class:`SequenceDataset` on ``device`` from a ``Sequences``.

    On the CPU the tensors share memory with the arrays (no copy); nothing
    writes to them.
    """
    with warnings.catch_warnings():
        # A read-only input array is fine: the tensor is only ever read.
        warnings.filterwarnings("ignore", message=".*not writable.*")
        X = torch.as_tensor(batch.values).to(device)
    lengths = None if batch.lengths is None else torch.as_tensor(batch.lengths)
    yt = None if y is None else torch.as_tensor(y).to(device)
    wt = (
        None
        if sample_weight is None
        else torch.as_tensor(np.asarray(sample_weight, dtype=np.float32)).to(device)
    )
    return SequenceDataset(X, lengths, yt, wt, sequence_targets)

"""PROBE, not a library feature: a direct forecast's gap windows kept in
training with their targets inside the validation tail masked out of the
loss (issue 24, round 13).

Since round 13 the library leaves the ``horizon - 1`` windows before a
direct forecast's validation tail out of training (their targets lie in the
tail: ``TailSplit(gap=...)``). This probe keeps those windows and gives
their targets inside the tail a weight of zero in the loss instead (target
``k`` of window ``i`` is target 0 of window ``i + k``): every pair of
recent inputs and known targets trains, and the tail still holds no
training target. It patches ``TailSplit.__call__`` (per-target weights on
the training rows) and ``SequenceNet.get_loss`` (a weighted mean over the
targets when the weights are per target) for the run::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.masked_gap -- \\
        --only-ours --contenders ours_direct --config r13-masked-gap \\
        --seeds 0 1 2 --datasets ... --no-docs \\
        --results benchmarks/results/round13-masked-gap-a.json
"""

import sys

import numpy as np
import torch

from sklearn_rnn import _net

from .. import forecast


def masked_split(self, dataset, y=None, **fit_params):
    if not self.gap:
        return _original_call(self, dataset, y, **fit_params)
    n = len(dataset)
    starts = (self.series_starts if self.series_starts is not None
              and len(self.series_starts) > 1 else (0,))
    bounds = np.r_[np.asarray(starts, dtype=np.int64), n]
    valid = np.zeros(n, dtype=bool)
    horizon = int(self.gap) + 1
    weight = torch.ones(n, horizon, dtype=dataset.y.dtype, device=dataset.y.device)
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        n_valid = max(1, int(round((end - start) * self.fraction)))
        if end - start - n_valid < 1:
            continue
        cut = end - n_valid
        valid[cut:end] = True
        for i in range(max(start, cut - int(self.gap)), cut):
            weight[i, cut - i:] = 0.0  # targets k >= cut - i lie in the tail
    if dataset.sample_weight is not None:
        weight = weight * dataset.sample_weight.reshape(-1, 1)
    train_index = torch.as_tensor(np.flatnonzero(~valid))
    held = torch.as_tensor(np.flatnonzero(valid))
    train = dataset.subset(train_index)
    train.sample_weight = weight[train_index.to(weight.device)]
    return train, dataset.subset(held)


def masked_loss(self, y_pred, y_true, X=None, training=False):
    weight = (X or {}).get("sample_weight")
    if weight is not None and weight.dim() == 2:
        loss = self.criterion_(y_pred, y_true).reshape(weight.shape)
        return (loss * weight).sum() / weight.sum().clamp_min(
            torch.finfo(loss.dtype).tiny)
    return _original_loss(self, y_pred, y_true, X=X, training=training)


_original_call = _net.TailSplit.__call__
_original_loss = _net.SequenceNet.get_loss


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--":
        argv = argv[1:]
    _net.TailSplit.__call__ = masked_split
    _net.SequenceNet.get_loss = masked_loss
    return forecast.main(argv)


if __name__ == "__main__":
    sys.exit(main())

"""Predicting and scoring: the network's raw outputs for validated input."""

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from ._net import as_dataset

# Rows per forward pass at predict time. Every forward pass gets exactly
# this many rows (the last block is padded): a row's prediction then never
# depends on which other rows share its call, bit for bit (torch's CPU
# kernels round differently for different batch sizes and thread splits,
# ~1e-7, which fails scikit-learn's check_methods_subset_invariance).
# The size trades a single window's latency (a recursive forecast predicts
# one window per step) against big predicts, which pay a per-call cost per
# block. ``python -m benchmarks.predict_latency`` (GRU-64, windows of 24, one
# thread), blocks of 256 / 64 / 32: one window 5.7 / 1.8 / 1.2 ms, a 30-step
# recursive forecast 167 / 55 / 36 ms, 10,000 windows 196 / 225 / 280 ms
# with nn.GRU (round 13: 64). With the compiled forward loop (round 19),
# blocks of 64 / 32: one window 1.37 / 0.90 ms, the recursive forecast 43 /
# 27 ms, 10,000 windows 168 / 212 ms: 32 brings a single window to about a
# millisecond (issue 25) while big predicts stay faster than with nn.GRU's
# 64 (225 ms).
PREDICT_BATCH_SIZE = 32


def predict_blocks(dataset, block_size=PREDICT_BATCH_SIZE):
    """The rows of ``dataset`` in blocks of exactly ``block_size`` rows.

    Yields ``(positions, X_block, lengths, rows)``: the block's first
    ``rows`` rows belong at ``positions`` of the result, the rest is zero
    padding (length 1). Variable-length rows come sorted by length, which
    keeps each block's padding minimal.
    """
    order = None
    if dataset.lengths is not None:
        order = torch.argsort(dataset.lengths, stable=True)
    for start in range(0, len(dataset), block_size):
        if order is None:
            index = slice(start, start + block_size)
        else:
            index = order[start : start + block_size]
        Xi, _ = dataset.take(index)
        X_block, lengths = Xi["X"], Xi.get("lengths")
        rows = X_block.shape[0]
        if rows < block_size:
            X_block = torch.nn.functional.pad(
                X_block, (0, 0, 0, 0, 0, block_size - rows))
            if lengths is not None:
                lengths = torch.nn.functional.pad(
                    lengths, (0, block_size - rows), value=1)
        # Rows sorted by length go back to their own places.
        yield (index if order is None else index.numpy()), X_block, lengths, rows


class Predicting:
    """Forward passes in fixed-size blocks, and the one scoring path.

    Needs from the estimator: ``_validate_X``, ``_encode_y``,
    ``_check_sample_weight`` and ``_score_outputs`` (see ``BaseRNN``).
    """

    def _forward(self, batch):
        """Raw network outputs for the validated ``batch`` (numpy float32).

        Every forward pass gets exactly ``PREDICT_BATCH_SIZE`` rows (the
        last block zero-padded), so a row's output never depends on the
        other rows of ``X``.
        """
        check_is_fitted(self, "net_")
        dataset = as_dataset(batch, device=self.device_)
        n = len(dataset)
        module = self.net_.module_
        if module.training:
            module.eval()
        full_steps = dataset.X.shape[1]
        # Each block's outputs are copied into one array: keeping thousands
        # of small block tensors alive until a final concatenation
        # fragmented the heap (predict on 2 M windows grew the resident
        # memory by 450 MiB for 8 MiB of outputs).
        result = None
        with torch.inference_mode():
            for positions, X_block, lengths, rows in predict_blocks(dataset):
                out = module(X_block, lengths)[:rows].float()
                if out.dim() == 3 and out.shape[1] < full_steps:
                    # Blocks are trimmed to their longest sequence; re-pad
                    # per-step outputs to the common length.
                    out = torch.nn.functional.pad(
                        out, (0, 0, 0, full_steps - out.shape[1]))
                out = out.cpu().numpy()
                if result is None:
                    result = np.empty((n, *out.shape[1:]), dtype=np.float32)
                result[positions] = out
        return result

    def _score(self, X, y, sample_weight=None):
        """``score``: encode ``y``, run the network, one scoring function."""
        check_is_fitted(self, "net_")
        batch = self._validate_X(X, reset=False)
        y_encoded = self._encode_y(y, batch, reset=False, scoring=True)
        sample_weight = self._check_sample_weight(sample_weight, batch)
        return self._score_outputs(y_encoded, self._forward(batch),
                                   sample_weight, batch.lengths)

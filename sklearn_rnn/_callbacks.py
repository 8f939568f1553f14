"""skorch callbacks used by the estimators (progress, divergence, scores)."""

import math
import re
import sys

import torch
from skorch.callbacks import Callback, PrintLog
from tqdm.auto import tqdm

__all__ = ["EpochProgressBar", "EpochTable", "StopOnNonFiniteLoss",
           "ValidationScore", "WeightAveraging"]

_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")


class EpochTable(PrintLog):
    """skorch's table of each epoch (``verbose=2``), its best values coloured
    only on a terminal: written to a file or a notebook's captured output,
    colour codes are noise (``\\x1b[36m0.5\\x1b[0m``)."""

    def format_row(self, row, key, color):
        text = super().format_row(row, key, color)
        if isinstance(text, str) and not _is_terminal(sys.stdout):
            return _ANSI_CODE.sub("", text)
        return text


def _is_terminal(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class EpochProgressBar(Callback):
    """A tqdm bar over epochs showing the latest losses (``verbose=1``)."""

    def __init__(self, total=None):
        self.total = total

    def on_train_begin(self, net, **kwargs):
        self.bar_ = tqdm(total=self.total or net.max_epochs, unit="epoch",
                         leave=True, dynamic_ncols=True)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        postfix = {}
        for key in ("train_loss", "valid_loss", "valid_score"):
            if key in row:
                postfix[key] = f"{row[key]:.4g}"
        self.bar_.set_postfix(postfix, refresh=False)
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        bar = getattr(self, "bar_", None)
        if bar is not None:
            bar.close()
            self.bar_ = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("bar_", None)
        return state


class StopOnNonFiniteLoss(Callback):
    """Stop with a clear error as soon as the epoch's training loss is NaN/inf.

    Without it a diverged model is silently kept and predicts NaN.
    """

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1, "train_loss"]
        if not math.isfinite(loss):
            epoch = net.history[-1, "epoch"]
            raise FloatingPointError(
                f"Training diverged: the training loss is {loss} at epoch "
                f"{epoch}. Lower learning_rate_init (it is {net.lr}), clip the "
                "gradients (clip_grad_norm=1.0), or check the scale of X and y."
            )


class ValidationScore(Callback):
    """Record the validation score of each epoch as ``valid_score``.

    It reuses the outputs of the validation batches (no extra forward pass)
    and scores them with the estimator's own scoring function,
    ``score_outputs(y_encoded, outputs, sample_weight, lengths)`` - the one
    ``score`` uses - so the validation score is R² for the regressor and
    accuracy for the classifier, as in scikit-learn's
    ``MLP*.validation_scores_``, weighted by the validation sample weights
    and masked to the valid steps of variable-length sequences.
    """

    def __init__(self, score_outputs):
        self.score_outputs = score_outputs

    def on_epoch_begin(self, net, **kwargs):
        self.outputs_ = []

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kw):
        if not training:
            self.outputs_.append(y_pred.detach())

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        outputs, self.outputs_ = self.outputs_, []
        if not outputs or dataset_valid is None:
            return
        # Validation batches are consecutive slices of the validation set,
        # each trimmed to its longest sequence: re-pad per-step outputs to
        # the set's length before joining them.
        n_steps = dataset_valid.X.shape[1]
        outputs = torch.cat([
            torch.nn.functional.pad(out, (0, 0, 0, n_steps - out.shape[1]))
            if out.dim() == 3 else out
            for out in outputs
        ])

        def numpy(tensor):
            return None if tensor is None else tensor.detach().cpu().numpy()

        score = self.score_outputs(
            numpy(dataset_valid.y), numpy(outputs.float()),
            numpy(dataset_valid.sample_weight), numpy(dataset_valid.lengths),
        )
        net.history.record("valid_score", score)


class WeightAveraging(Callback):
    """Keep an exponential moving average of the module's weights over the
    optimiser steps and leave the average in the module when training ends
    (Polyak averaging, as Keras' ``use_ema``).

    Every floating-point tensor of the module's state is averaged: the
    parameters and the batch normalisation's running statistics, so that
    the statistics match the averaged weights. The decay of step ``n`` is
    ``min(momentum, (1 + n) / (10 + n))``: the first steps' weights, far
    from anything useful, are forgotten quickly also in short fits.

    Parameters
    ----------
    momentum : float in (0, 1)
        The decay of the average per optimiser step; 0.99 averages over the
        last hundred steps or so.
    """

    def __init__(self, momentum=0.99):
        self.momentum = momentum

    def on_train_begin(self, net, **kwargs):
        # Views of the module's tensors: the optimiser and batch
        # normalisation update them in place, so they stay current.
        self.live_ = [t for t in net.module_.state_dict().values()
                      if t.dtype.is_floating_point]
        self.average_ = [t.detach().clone() for t in self.live_]
        self.n_steps_ = 0

    def on_batch_end(self, net, training=False, **kwargs):
        if not training:
            return
        self.n_steps_ += 1
        weight = 1.0 - min(self.momentum,
                           (1 + self.n_steps_) / (10 + self.n_steps_))
        with torch.no_grad():
            for averaged, live in zip(self.average_, self.live_, strict=True):
                averaged.lerp_(live, weight)

    def on_train_end(self, net, **kwargs):
        average = getattr(self, "average_", None)
        if average is None:
            return
        with torch.no_grad():
            for live, averaged in zip(self.live_, average, strict=True):
                live.copy_(averaged)
        # Not kept with the net (pickles, copies): copies of the weights.
        self.live_ = self.average_ = None

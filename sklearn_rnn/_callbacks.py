"""skorch callbacks used by the estimators (progress, divergence, scores)."""

import math

import torch
from skorch.callbacks import Callback
from tqdm.auto import tqdm

__all__ = ["EpochProgressBar", "StopOnNonFiniteLoss", "ValidationScore"]


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


def r2_score_torch(y_true, y_pred):
    """R² averaged over outputs (``y`` of shape ``(n, ...)``), as a float."""
    y_true = y_true.reshape(y_true.shape[0], -1).double()
    y_pred = y_pred.reshape(y_pred.shape[0], -1).double()
    ss_res = ((y_true - y_pred) ** 2).sum(dim=0)
    ss_tot = ((y_true - y_true.mean(dim=0)) ** 2).sum(dim=0)
    valid = ss_tot > 0
    if not bool(valid.any()):
        return float("nan")
    return float((1 - ss_res[valid] / ss_tot[valid]).mean())


def accuracy_torch(y_true, y_pred):
    """Accuracy of logits ``y_pred`` against class indices ``y_true``."""
    return float((y_pred.argmax(dim=-1) == y_true).double().mean())


class ValidationScore(Callback):
    """Record the validation score of each epoch as ``valid_score``.

    It reuses the predictions of the validation batches (no extra forward
    pass). ``score_fn(y_true, y_pred)`` works on tensors: R² for the
    regressor, accuracy for the classifier, as in scikit-learn's
    ``MLP*.validation_scores_``.
    """

    def __init__(self, score_fn):
        self.score_fn = score_fn

    def on_epoch_begin(self, net, **kwargs):
        self.y_true_, self.y_pred_ = [], []

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kw):
        if not training:
            self.y_true_.append(batch[1])
            self.y_pred_.append(y_pred.detach())

    def on_epoch_end(self, net, **kwargs):
        if self.y_pred_:
            score = self.score_fn(torch.cat(self.y_true_), torch.cat(self.y_pred_))
            net.history.record("valid_score", score)
        self.y_true_, self.y_pred_ = [], []

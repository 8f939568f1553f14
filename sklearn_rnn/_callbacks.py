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

"""The regressor's training losses, named as in scikit-learn.

All of them work on the standardised targets the regressor trains on
(``(y - mean) / std`` per output). A positive affine map keeps every
quantile, the median included, so a model trained with the absolute or the
pinball loss in those units predicts the median or the quantile in the
original units.
"""

import torch
from torch import nn

__all__ = ["LOSSES", "PinballLoss", "check_loss_params", "criterion_for"]

LOSSES = ("squared_error", "absolute_error", "huber", "quantile")

# Huber's threshold, in standard deviations of the target (the regressor
# trains on standardised targets): residuals beyond one standard deviation
# count linearly, so a few gross outliers pull the fit far less than under
# the squared error, while the ordinary residuals of a useful model (well
# under one standard deviation of y) keep the squared error's behaviour.
HUBER_DELTA = 1.0


class PinballLoss(nn.Module):
    """Pinball (quantile) loss, as torch's losses with a ``reduction``.

    ``q * (y - f)`` where ``y >= f`` and ``(q - 1) * (y - f)`` elsewhere:
    its minimiser over a distribution is that distribution's ``q``-quantile
    (``q = 0.5`` gives half the absolute error).

    Parameters
    ----------
    quantile : float in (0, 1)
        The quantile ``q`` to estimate.
    reduction : {'none', 'mean', 'sum'}, default='none'
        As in :class:`torch.nn.L1Loss`.

    Examples
    --------
    >>> import torch
    >>> from sklearn_rnn._losses import PinballLoss
    >>> loss = PinballLoss(0.9)
    >>> loss(torch.tensor([0.0, 0.0]), torch.tensor([1.0, -1.0]))
    tensor([0.9000, 0.1000])
    """

    def __init__(self, quantile, reduction="none"):
        super().__init__()
        if reduction not in ("none", "mean", "sum"):
            raise ValueError(
                f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}."
            )
        # A plain float, not a buffer: the loss has no state to save, and
        # the quantile is restored from the estimator's parameters.
        self.quantile = float(quantile)
        self.reduction = reduction

    def forward(self, input, target):
        diff = target - input
        loss = torch.maximum(self.quantile * diff, (self.quantile - 1.0) * diff)
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss

    def extra_repr(self):
        return f"quantile={self.quantile}"


def check_loss_params(loss, quantile):
    """Check the pairing of ``loss`` and ``quantile`` (ValueError).

    The type and range of each are checked by ``_parameter_constraints``;
    this checks what they cannot express.
    """
    if loss == "quantile":
        if quantile is None:
            raise ValueError(
                "loss='quantile' needs the quantile to estimate: set "
                "quantile to a float in (0, 1), e.g. quantile=0.9."
            )
    elif quantile is not None:
        raise ValueError(
            f"quantile={quantile!r} is used only with loss='quantile', but "
            f"loss={loss!r}. Set loss='quantile' or quantile=None."
        )


def criterion_for(loss, quantile):
    """The torch criterion of ``loss`` as ``(class, kwargs)``, per element."""
    if loss == "squared_error":
        return nn.MSELoss, {"reduction": "none"}
    if loss == "absolute_error":
        return nn.L1Loss, {"reduction": "none"}
    if loss == "huber":
        return nn.HuberLoss, {"reduction": "none", "delta": HUBER_DELTA}
    if loss == "quantile":
        return PinballLoss, {"reduction": "none", "quantile": float(quantile)}
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}.")

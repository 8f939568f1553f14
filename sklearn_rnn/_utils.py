"""Small helpers shared by several modules (each exists once, here)."""

import warnings

import numpy as np
import torch

__all__ = ["resolve_device", "device_is_usable", "safe_scale", "as_array_like",
           "final_estimator", "spread_indices"]


def resolve_device(device):
    """The torch device string to build on: ``'auto'`` picks CUDA if present.

    Raises a ``ValueError`` naming the accepted values for an unknown device,
    and for a CUDA device on a machine without CUDA.
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a valid torch device; use 'auto', "
            "'cpu', 'cuda', 'cuda:1', 'mps', ..."
        ) from exc
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this "
            "machine; use device='auto' or 'cpu'."
        )
    return device


def device_is_usable(device):
    """Whether tensors can be placed on ``device`` on this machine."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):
        return False
    if parsed.type == "cpu":
        return True
    if parsed.type == "cuda":
        return torch.cuda.is_available() and (
            parsed.index is None or parsed.index < torch.cuda.device_count()
        )
    if parsed.type == "mps":
        return torch.backends.mps.is_available()
    return False


def safe_scale(scale):
    """``scale`` with zero (or non-positive, NaN) entries replaced by 1.

    A constant feature or target is then centred but not blown up.
    """
    scale = np.array(scale, dtype=np.float64)
    scale[~(scale > 1e-12)] = 1.0
    return scale


def as_array_like(X):
    """``X`` itself when it has an ``ndim`` (arrays, DataFrames), else it as
    an array: converted once here, not again by ``check_array``.

    Input numpy cannot convert is returned as is, for ``check_array`` to
    reject with its message.
    """
    if hasattr(X, "ndim"):
        return X
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return np.asarray(X)
        except (TypeError, ValueError):
            return X


def final_estimator(estimator):
    """The estimator that makes the predictions: ``estimator`` itself, the
    last step of a (nested) ``Pipeline``, or a fitted search's
    ``best_estimator_``."""
    while True:
        if hasattr(estimator, "best_estimator_"):
            estimator = estimator.best_estimator_
            continue
        steps = getattr(estimator, "steps", None)
        if isinstance(steps, list) and steps:
            estimator = steps[-1][1]
            continue
        return estimator


def spread_indices(n, count):
    """At most ``count`` indices of ``range(n)``, spread evenly from the
    first to the last (sorted, distinct): the rows a check reads when
    reading them all would cost too much.

    >>> spread_indices(10, 4).tolist()
    [0, 3, 6, 9]
    >>> spread_indices(3, 5).tolist()
    [0, 1, 2]
    """
    return np.unique(np.linspace(0, n - 1, min(n, count)).astype(np.intp))

"""Training curves of a fitted estimator (matplotlib is an optional dependency)."""

from sklearn.utils.validation import check_is_fitted

from ._utils import final_estimator

__all__ = ["plot_loss_curve"]


def plot_loss_curve(estimator, ax=None, *, log_scale=False):
    """Plot the training (and validation) loss of each epoch.

    Draws ``loss_curve_`` and, when the estimator was fitted with
    ``early_stopping=True``, ``validation_loss_curve_``, and marks the best
    epoch (``best_iteration_``: with early stopping, the epoch whose weights
    the model kept).

    Parameters
    ----------
    estimator : fitted RNNRegressor, RNNClassifier, Pipeline or search
        The fitted estimator; for a ``Pipeline`` its last step and for a
        ``GridSearchCV``-like search its ``best_estimator_`` is plotted.
        Any estimator with ``loss_curve_`` works (e.g. ``MLPRegressor``).
    ax : matplotlib Axes, default=None
        Where to draw; a new figure is created when ``None``.
    log_scale : bool, default=False
        Use a logarithmic loss axis (useful when the loss spans decades).

    Returns
    -------
    ax : matplotlib Axes
        The Axes drawn on.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_rnn import RNNRegressor, plot_loss_curve
    >>> X = np.random.RandomState(0).normal(size=(60, 8))
    >>> reg = RNNRegressor(hidden_size=4, max_iter=5, early_stopping=True,
    ...                    random_state=0).fit(X, X[:, -1])
    >>> ax = plot_loss_curve(reg)
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['training loss', 'validation loss']
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "plot_loss_curve needs matplotlib, an optional dependency: "
            "pip install matplotlib (or pip install 'sklearn-rnn[plot]')."
        ) from exc
    estimator = final_estimator(estimator)
    check_is_fitted(estimator)
    loss = getattr(estimator, "loss_curve_", None)
    if loss is None:
        raise ValueError(
            f"{type(estimator).__name__} has no loss_curve_ to plot."
        )
    if ax is None:
        _, ax = plt.subplots()
    epochs = range(1, len(loss) + 1)
    ax.plot(epochs, loss, marker="o", markersize=3, label="training loss")
    valid = getattr(estimator, "validation_loss_curve_", None)
    if valid is not None:
        # With warm_start the validation curve may cover only the last fits:
        # align it to the final epochs.
        start = len(loss) - len(valid) + 1
        ax.plot(range(start, len(loss) + 1), valid, marker="o", markersize=3,
                label="validation loss")
    best = getattr(estimator, "best_iteration_", None)
    if best is not None and 1 <= best <= len(loss):
        curve, offset = (valid, start) if valid is not None else (loss, 1)
        ax.axvline(best, color="grey", linestyle="--", linewidth=1,
                   label=f"best epoch ({best})")
        if 0 <= best - offset < len(curve):
            ax.plot([best], [curve[best - offset]], marker="*", markersize=12,
                    color="black", linestyle="none")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if log_scale:
        ax.set_yscale("log")
    ax.set_title(f"{type(estimator).__name__} training curve")
    ax.legend()
    return ax

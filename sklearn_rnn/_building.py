"""Building the skorch net: the module, the loss, the optimiser, the callbacks.

Everything here reads the estimator's parameters and the fitted attributes
of the plan (``conv_layers_``, ``batch_size_``, ...: see ``_plan.py``) and
builds; nothing here decides a rule or changes an attribute.
"""

import contextlib
import threading

import torch
from skorch.callbacks import (
    EarlyStopping,
    GradientNormClipping,
    LRScheduler,
)

from ._callbacks import (
    EpochProgressBar,
    EpochTable,
    StopOnNonFiniteLoss,
    ValidationScore,
    WeightAveraging,
)
from ._module import NetworkEnsemble, RecurrentNetwork
from ._net import SequenceNet, TailSplit
from ._plan import choose_pooling

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

_GLOBAL_RNG_LOCK = threading.RLock()

# The decay per optimiser step of the weight average (average_weights):
# about the last hundred steps.
AVERAGING_MOMENTUM = 0.99


class NetBuilding:
    """Builds the skorch net of an estimator from its parameters and plan.

    Needs from the estimator: the fitted attributes of the plan (read
    through ``_plan_value``), and the hooks ``_criterion``,
    ``_score_outputs``, ``_sequence_output`` and ``_ensemble_combine`` (see
    ``BaseRNN``).
    """

    # The skorch net class: a subclass may mix in skorch's own extensions
    # (AccelerateMixin, ...) here.
    _net_class = SequenceNet

    def _architecture(self):
        """The module arguments that decide what the trained weights mean.

        A warm start or ``partial_fit`` cannot change them: the weights of
        one architecture are meaningless (or do not fit) in another. An
        'auto' rule contributes the value it resolved at the fit that built
        the network (its fitted attribute), an explicit parameter itself:
        that is what a continued fit with these parameters would build.
        """
        conv_layers = int(_resolved(self.conv_layers, self.conv_layers_))
        embedded = self.embedding_dim is not None
        architecture = {
            "input_size": int(self.n_input_features_),
            "output_size": int(self._n_outputs),
            "cell": self.cell,
            "hidden_size": int(self.hidden_size),
            "num_layers": int(self.num_layers),
            "bidirectional": bool(self.bidirectional),
            "nonlinearity": self.nonlinearity if self.cell == "rnn" else None,
            "pooling": choose_pooling(self.pooling, conv_layers),
            "head_hidden_sizes": tuple(int(v) for v in self.head_hidden_sizes),
            "return_sequences": self._sequence_output(),
            "conv_layers": conv_layers,
            "conv_kernel_size": int(self.conv_kernel_size),
            "ensemble_size": int(_resolved(self.ensemble_size,
                                           self.ensemble_size_)),
            "conv_batch_norm": bool(conv_layers) and bool(
                _resolved(self.conv_batch_norm, self.conv_batch_norm_)),
            "standardize_sequences": not embedded and bool(
                _resolved(self.standardize_sequences,
                          self.standardize_sequences_)),
            "embedding_dim": None if not embedded else int(self.embedding_dim),
            "num_embeddings": (None if not embedded
                               else int(self.vocabulary_size_)),
        }
        architecture.update(self._extra_architecture())
        return architecture

    def _plan_value(self, name):
        """The value a fit trains with for the parameter ``name``: the
        fitted attribute of the plan that resolved it (``batch_size_`` for
        ``batch_size``). An estimator without a plan answers from its
        parameters."""
        return getattr(self, f"{name}_")

    def _extra_architecture(self):
        """Architecture keys of a subclass (the regressor's instance
        normalisation); none here."""
        return {}

    def _module_spec(self, mean=None, scale=None):
        """The module class and its keyword arguments: one
        :class:`RecurrentNetwork`, or a :class:`NetworkEnsemble` of them."""
        kwargs = self._module_kwargs(mean, scale)
        size = kwargs.pop("ensemble_size")
        if size > 1:
            return NetworkEnsemble, {"ensemble_size": size,
                                     "combine": self._ensemble_combine, **kwargs}
        return RecurrentNetwork, kwargs

    def _module_kwargs(self, mean=None, scale=None):
        """Keyword arguments of :class:`RecurrentNetwork` for this estimator,
        with the ``ensemble_size`` of :meth:`_module_spec`."""
        kwargs = dict(self._architecture())
        kwargs["nonlinearity"] = self.nonlinearity
        kwargs["dropout"] = float(self.dropout)
        n_features = kwargs["input_size"]
        kwargs["input_mean"] = [0.0] * n_features if mean is None else [
            float(v) for v in mean]
        kwargs["input_scale"] = [1.0] * n_features if scale is None else [
            float(v) for v in scale]
        return kwargs

    def _optimizer_settings(self):
        """The parameters the optimiser is built from, as plain data."""
        optimizer = self.optimizer
        return {
            "optimizer": optimizer if isinstance(optimizer, str) else
            f"{optimizer.__module__}.{optimizer.__qualname__}",
            "learning_rate_init": float(self.learning_rate_init),
            "alpha": float(self._plan_value("alpha")),
            "batch_size": int(self._plan_value("batch_size")),
            "momentum": float(self.momentum),
        }

    def _optimizer_spec(self):
        """The optimiser class and its keyword arguments (but the rate)."""
        optimizer = self.optimizer
        # MLPRegressor's alpha: the L2 term is divided by the batch size, so
        # an alpha tuned for an MLP means the same here.
        optimizer_kwargs = {}
        alpha = float(self._plan_value("alpha"))
        if alpha > 0:
            # Only when asked: some optimizers (LBFGS) take no weight_decay.
            optimizer_kwargs["weight_decay"] = alpha / int(
                self._plan_value("batch_size"))
        if isinstance(optimizer, str):
            if optimizer == "sgd":
                optimizer_kwargs["momentum"] = float(self.momentum)
            optimizer = OPTIMIZERS[optimizer]
        return optimizer, optimizer_kwargs

    def _build_net(self, device, seed, has_validation, mean=None, scale=None,
                   continue_schedule=False):
        """A new, uninitialised skorch net from the current parameters.

        ``continue_schedule``: the learning-rate schedule goes on from the
        epochs in the history (``partial_fit``, which keeps the optimiser);
        otherwise it starts anew, as the optimiser of a warm start does.
        """
        optimizer, optimizer_kwargs = self._optimizer_spec()
        monitor = "valid_loss" if has_validation else "train_loss"
        criterion, criterion_kwargs = self._criterion()
        callbacks = [("non_finite_loss", StopOnNonFiniteLoss())]
        if has_validation:
            callbacks.append(("valid_score", ValidationScore(self._score_outputs)))
        callbacks.append(
            (
                "early_stopping",
                EarlyStopping(
                    monitor=monitor,
                    patience=int(self._plan_value("n_iter_no_change")),
                    threshold=float(self.tol),
                    threshold_mode="abs",
                    load_best=has_validation,
                    sink=_silent,
                ),
            )
        )
        if self.clip_grad_norm is not None:
            callbacks.append(
                ("clip_grad_norm", GradientNormClipping(float(self.clip_grad_norm)))
            )
        if self._plan_value("average_weights"):
            callbacks.append(
                ("average_weights", WeightAveraging(AVERAGING_MOMENTUM)))
        if self.learning_rate == "adaptive":
            # As MLP's 'adaptive': divide the rate by 5 when the monitored
            # loss stalls for two epochs.
            callbacks.append(
                (
                    "lr_schedule",
                    LRScheduler(
                        policy="ReduceLROnPlateau",
                        monitor=monitor,
                        factor=0.2,
                        patience=1,
                        threshold=float(self.tol),
                        threshold_mode="abs",
                    ),
                )
            )
        elif self.learning_rate == "cosine":
            callbacks.append(
                (
                    "lr_schedule",
                    LRScheduler(policy="CosineAnnealingLR", T_max=int(self.max_iter),
                                **({} if continue_schedule else {"last_epoch": -1})),
                )
            )
        if self.verbose == 1:
            callbacks.append(("progress_bar", EpochProgressBar()))
        for i, cb in enumerate(self.callbacks or []):
            callbacks.append(cb if isinstance(cb, tuple) else (f"user_{i}", cb))
        module, module_kwargs = self._module_spec(mean, scale)
        return self._net_class(
            module=module,
            **{f"module__{k}": v for k, v in module_kwargs.items()},
            criterion=criterion,
            **{f"criterion__{k}": v for k, v in criterion_kwargs.items()},
            optimizer=optimizer,
            lr=float(self.learning_rate_init),
            **{f"optimizer__{k}": v for k, v in optimizer_kwargs.items()},
            max_epochs=int(self.max_iter),
            batch_size=int(self._plan_value("batch_size")),
            iterator_train__shuffle=self.shuffle,
            iterator_train__seed=seed,
            train_split=(TailSplit(float(self._plan_value("validation_fraction")))
                         if has_validation else None),
            callbacks=callbacks,
            # skorch's default epoch table, replaced by name.
            callbacks__print_log=EpochTable(),
            device=device,
            verbose=1 if self.verbose >= 2 else 0,
        )

    def _initialize(self, net, seed, device):
        """Initialise ``net`` with weights drawn from ``seed``.

        The global torch generator is forked: the caller's random state does
        not move, and fits running at once in threads cannot interleave
        their draws.
        """
        with _seeded_global_rng(seed, device):
            try:
                net.initialize()
            except (RuntimeError, MemoryError) as exc:
                # torch's allocator error names no parameter.
                raise ValueError(
                    "Could not build the network with hidden_size="
                    f"{self.hidden_size}, num_layers={self.num_layers}, "
                    f"head_hidden_sizes={tuple(self.head_hidden_sizes)}: "
                    f"{exc}. Use smaller sizes."
                ) from exc
        return net


def _resolved(parameter, fitted):
    """An 'auto' parameter's resolved value, else the parameter."""
    return fitted if parameter == "auto" else parameter


@contextlib.contextmanager
def _seeded_global_rng(seed, device):
    """torch's global generator, forked and seeded with ``seed``, under a lock.

    The caller's random state does not move, and fits running at once in
    threads (joblib's threading back end, Dask's threaded scheduler) cannot
    interleave their draws.
    """
    fork_devices = [torch.device(device)] if device.startswith("cuda") else []
    with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=fork_devices):
        torch.manual_seed(seed)
        yield


def _silent(*args, **kwargs):
    """A sink that drops EarlyStopping's messages (verbosity is ours)."""

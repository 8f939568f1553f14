"""The fitted state: handing it out, taking it back, pickling.

:meth:`FittedState._get_fitted_state` hands out the whole fitted state
(the fitted attributes of the estimator's explicit list, as plain data; the
tensors of the network, the optimiser and the loss; the history) and
:meth:`FittedState._set_fitted_state` takes it back, building the skorch
net from the estimator's *current* parameters and loading the state into
it. Warm start, ``partial_fit``, pickling and
:func:`~sklearn_rnn.save_model` all go through that pair, so they cannot
disagree.
"""

import copy

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from ._building import NetBuilding
from ._compat import net_optimizer_names
from ._module import RecurrentNetwork
from ._state_checks import BASE_ATTRIBUTES
from ._utils import device_is_usable, resolve_device


class NetStatePickling:
    """Pickling through the fitted-state pair: the skorch net itself is not
    pickled, its state is, and unpickling builds the net anew (on the CPU
    when the saved device is absent), as ``load_model`` does. Needs
    ``_get_fitted_state``, ``_set_fitted_state`` and ``_fitted_attributes``.
    """

    def __getstate__(self):
        state = super().__getstate__()
        if "net_" in state:
            fitted = self._get_fitted_state()
            state = {k: v for k, v in state.items() if k != "net_"}
            state["_net_state"] = {k: fitted[k] for k in
                                   ("module", "criterion", "optimizers", "history")}
        return state

    def __setstate__(self, state):
        net_state = state.pop("_net_state", None)
        super().__setstate__(state)
        if net_state is not None:
            attributes = {k: getattr(self, k) for k in self._fitted_attributes
                          if hasattr(self, k)}
            self._set_fitted_state({"attributes": attributes, **net_state})


class FittedState(NetStatePickling, NetBuilding):
    """The fitted state of an estimator; see the module docstring."""

    # Every fitted attribute, with the check of its value in a model file
    # (True: present after every fit). The fitted state is this list, not
    # vars(self): a file holding anything else is refused.
    _fitted_attributes = BASE_ATTRIBUTES

    def _get_fitted_state(self):
        """The whole fitted state, as plain data and CPU tensors.

        ``attributes``: every fitted attribute (plain data); ``module``,
        ``criterion``: the state dicts of the network and the loss;
        ``optimizers``: the optimisers' state dicts; ``history``: skorch's
        per-epoch rows. :meth:`_set_fitted_state` takes it back.
        """
        check_is_fitted(self, "net_")
        net = self.net_
        return {
            "attributes": {k: getattr(self, k) for k in self._fitted_attributes
                           if hasattr(self, k)},
            "module": _to_cpu(net.module_.state_dict()),
            "criterion": _to_cpu(net.criterion_.state_dict()),
            "optimizers": {name: _to_cpu(getattr(net, name + "_").state_dict())
                           for name in net_optimizer_names(net)},
            "history": list(net.history),
        }

    def _set_fitted_state(self, state, device=None):
        """Make this estimator the fitted one that ``state`` describes.

        The net is built from the current parameters, checked against the
        stored tensors' shapes before anything is allocated, and the state
        is loaded into it (the optimiser's too, so training continues as it
        would have). ``device`` defaults to the saved one when it exists on
        this machine, else the CPU. Raises ``ValueError`` when the state
        does not fit the parameters.
        """
        attributes = state["attributes"]
        missing = [k for k, (required, _) in self._fitted_attributes.items()
                   if required and k not in attributes]
        if missing:
            raise ValueError(f"fitted attributes {missing} are missing")
        for key, value in attributes.items():
            setattr(self, key, value)
        if device is None:
            saved = self.device_
            device = saved if device_is_usable(saved) else "cpu"
        else:
            device = resolve_device(device)
        self._check_architecture(attributes)
        # The stored hyperparameters decide the module's size: compare them
        # with the stored tensors on the meta device (no memory) before
        # allocating anything, so a doctored state cannot ask for terabytes.
        found = {k: tuple(v.shape) for k, v in state["module"].items()}
        expected = self._module_shapes(max_tensors=len(found))
        if expected is None:
            raise ValueError(
                "the parameters build an ensemble of "
                f"{self._architecture()['ensemble_size']} networks, more than "
                f"the {len(found)} stored tensors hold"
            )
        if expected != found:
            mismatched = sorted(set(expected) ^ set(found)) or sorted(
                k for k in expected if expected[k] != found[k]
            )
            raise ValueError(
                f"the module tensors {mismatched} differ from what the "
                "parameters build"
            )
        net = self._build_net(device, 0, bool(self._plan_value("early_stopping")))
        self._initialize(net, 0, device)
        self._load_state(net, state, optimizer=True)
        net.module_.eval()
        self.net_ = net
        self.device_ = device
        self._architecture_ = self._architecture()
        self._optimizer_settings_ = attributes["_optimizer_settings_"]
        return self

    def _member_shapes(self):
        """``(ensemble_size, shapes)``: the networks the parameters build and
        the state shapes of one of them (built on the meta device)."""
        module_kwargs = self._module_kwargs()
        size = module_kwargs.pop("ensemble_size")
        with torch.device("meta"):
            skeleton = RecurrentNetwork(**module_kwargs)
        return size, {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}

    def _module_shapes(self, max_tensors=None):
        """Shapes of the module's state for the current parameters (no
        memory), or None when it would hold more than ``max_tensors``
        tensors: an ensemble is measured from one member, so that a doctored
        ``ensemble_size`` cannot make this build millions of them."""
        size, shapes = self._member_shapes()
        if size == 1:
            return shapes
        if max_tensors is not None and size * len(shapes) > max_tensors:
            return None
        return {f"members.{i}.{k}": shape for i in range(size)
                for k, shape in shapes.items()}

    def _load_state(self, net, state, *, optimizer):
        """Load a fitted state's tensors and history into an initialised net.

        With ``optimizer``, the optimiser's state too (partial_fit, load):
        exactly as stored while the parameters it is built from are
        unchanged; with the current learning rate, weight decay... when
        they changed. A warm start builds a new optimiser, as scikit-learn's
        MLP does.
        """
        net.module_.load_state_dict(state["module"], strict=True)
        net.criterion_.load_state_dict(state["criterion"], strict=True)
        if optimizer:
            before = state["attributes"]["_optimizer_settings_"]
            now = self._optimizer_settings()
            same = before == now
            for name, stored in state["optimizers"].items():
                opt = getattr(net, name + "_", None)
                if opt is None or before["optimizer"] != now["optimizer"]:
                    continue
                fresh = [{k: v for k, v in group.items() if k != "params"}
                         for group in opt.param_groups]
                # load_state_dict may keep the stored tensors: the previous
                # net must not see this one's updates.
                opt.load_state_dict(copy.deepcopy(stored))
                for group, settings in zip(opt.param_groups, fresh, strict=True):
                    # The implementation flags (fused, foreach, capturable,
                    # ...) are this optimiser's, never the stored ones: they
                    # depend on the device, and a doctored flag must not
                    # select a kernel the stored state does not fit.
                    group.update(settings if not same else {
                        k: v for k, v in settings.items()
                        if v is None or isinstance(v, bool | str)})
        net.history = History(list(state["history"]))

    def _check_architecture(self, attributes):
        before = attributes["_architecture_"]
        now = self._architecture()
        changed = [k for k in now if before.get(k) != now[k]
                   and k not in ("input_size", "output_size")]
        if changed:
            detail = ", ".join(f"{k} {before.get(k)!r} -> {now[k]!r}" for k in changed)
            raise ValueError(
                f"Cannot continue training (warm_start or partial_fit): {detail} "
                "changed since the network was trained, and its weights do not "
                "fit the new architecture. Set them back, or set "
                "warm_start=False to train a new network."
            )

    def _record_history(self):
        history = self.net_.history
        self.n_iter_ = len(history)
        self.loss_curve_ = [float(v) for v in history[:, "train_loss"]]
        self.best_loss_ = float(np.min(self.loss_curve_))
        rows_with_valid = [row for row in history if "valid_loss" in row]
        if rows_with_valid:
            self.validation_loss_curve_ = [
                float(row["valid_loss"]) for row in rows_with_valid
            ]
            self.validation_scores_ = [
                float(row.get("valid_score", np.nan)) for row in rows_with_valid
            ]
            best = int(np.argmin(self.validation_loss_curve_))
            stopper = dict(self.net_.callbacks_).get("early_stopping")
            kept = getattr(stopper, "best_epoch_", 0)
            epochs = [row["epoch"] for row in rows_with_valid]
            if kept in epochs:
                # The epoch whose weights EarlyStopping restored: it ignores
                # improvements smaller than tol, so it can precede the argmin.
                best = epochs.index(kept)
            self.best_validation_score_ = self.validation_scores_[best]
            self.best_iteration_ = best + 1
        else:
            self.validation_loss_curve_ = None
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_iteration_ = int(np.argmin(self.loss_curve_)) + 1

def _to_cpu(value):
    """``value`` with every tensor in it (nested dicts and lists) on the CPU."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_to_cpu(v) for v in value)
    return value

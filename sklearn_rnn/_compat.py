"""The private APIs of scikit-learn, skorch and torch that the package uses.

Every import of a name that its library does not document as public goes
through this module (imbalanced-learn's ``utils/_sklearn_compat.py`` is the
model), so an upgrade that moves one of them breaks in one place, with a
fallback where a public replacement exists.
"""

# scikit-learn: parameter validation and set_output configuration have no
# public home; _check_sample_weight is what every scikit-learn estimator uses.
from sklearn.utils._param_validation import (  # noqa: F401
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils._set_output import _get_output_config  # noqa: F401
from sklearn.utils.validation import _check_sample_weight  # noqa: F401

# skorch: documented helpers of its training loop (skorch.dataset.unpack_data
# is public; TeeGenerator lives in skorch.utils without being documented).
from skorch.dataset import unpack_data  # noqa: F401
from skorch.utils import TeeGenerator  # noqa: F401

__all__ = [
    "HasMethods",
    "Interval",
    "StrOptions",
    "validate_params",
    "_get_output_config",
    "_check_sample_weight",
    "unpack_data",
    "TeeGenerator",
    "fused_optimizer_devices",
    "net_module_names",
    "net_optimizer_names",
]


# skorch: a net registers the names of its modules, criteria and optimisers
# in private lists as it initialises them (``initialize_*``); there is no
# public accessor.
def net_module_names(net):
    """The names of a skorch net's modules and criteria (``module``, ...)."""
    return [*net._modules, *net._criteria]


def net_optimizer_names(net):
    """The names of a skorch net's optimisers (``optimizer``, ...)."""
    return list(net._optimizers)


def fused_optimizer_devices():
    """Device types with fused optimizer kernels in this torch (CPU: 2.4+).

    torch has no public way to ask; its private helper is used when present,
    otherwise only CUDA (which has had fused Adam since torch 2.0).
    """
    try:
        from torch.utils._foreach_utils import (
            _get_fused_kernels_supported_devices,
        )
    except ImportError:
        return ("cuda",)
    return tuple(_get_fused_kernels_supported_devices())

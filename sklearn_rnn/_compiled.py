"""The numba-compiled training loops (``_kernels``), loaded on first use.

numba is a dependency wherever it has wheels, but it is imported only when a
training pass first needs a compiled loop (its start-up costs about a
second), and a numba that fails to load (e.g. against a NumPy it does not
support) must not break a fit: then training runs torch's own operations,
with one warning per process.
"""

import importlib
import importlib.util
import threading
import warnings

import torch

__all__ = ["numba_available", "compiled_kernels", "compiled_batch"]

_kernels = None  # the _kernels module once loaded; False if numba failed
_kernels_lock = threading.Lock()


def numba_available():
    """Whether the compiled loops can be used: numba is installed and did
    not fail to load in this process."""
    if _kernels is False:
        return False
    return _kernels is not None or importlib.util.find_spec("numba") is not None


def compiled_kernels():
    """The ``_kernels`` module (numba imported and its loops compiled, or
    read from numba's cache), or None when numba cannot be used here: the
    caller then runs torch's own operations."""
    global _kernels
    if _kernels is not None:  # every training pass: no lock once loaded
        return _kernels or None
    with _kernels_lock:
        if _kernels is None:
            try:
                _kernels = importlib.import_module("._kernels", __package__)
            except Exception as exc:  # numba's own import errors vary
                _kernels = False
                warnings.warn(
                    f"numba cannot be used ({type(exc).__name__}: {exc}); "
                    "training runs torch's own operations (slower on the "
                    "CPU, the same results).", RuntimeWarning, stacklevel=3)
        return _kernels or None


def compiled_batch(X):
    """Whether ``X`` is a batch the compiled loops take: a 3-D float32
    tensor on the CPU (not a packed sequence), outside tracing."""
    return (isinstance(X, torch.Tensor) and X.dim() == 3
            and X.device.type == "cpu" and X.dtype == torch.float32
            and not torch.jit.is_tracing())

"""Recurrent neural networks as scikit-learn estimators, on skorch and PyTorch.

>>> from sklearn_rnn import RNNRegressor, RNNClassifier
"""

from ._classifier import RNNClassifier
from ._forecast import recursive_forecast
from ._forecaster import RNNForecaster
from ._onnx import register_onnx_converters, to_onnx
from ._persistence import load_model, save_model
from ._plotting import plot_loss_curve
from ._regressor import RNNRegressor
from ._seq2seq import RNNSeq2Seq
from ._text import SequenceVectorizer
from ._window import SlidingWindowTransformer, make_windows

__version__ = "0.1.0"

__all__ = [
    "RNNRegressor",
    "RNNClassifier",
    "RNNSeq2Seq",
    "RNNForecaster",
    "save_model",
    "load_model",
    "plot_loss_curve",
    "SlidingWindowTransformer",
    "SequenceVectorizer",
    "make_windows",
    "recursive_forecast",
    "to_onnx",
    "register_onnx_converters",
    "__version__",
]

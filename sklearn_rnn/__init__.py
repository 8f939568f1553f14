"""Recurrent neural networks as scikit-learn estimators, on skorch and PyTorch.

>>> from sklearn_rnn import RNNRegressor, RNNClassifier
"""

from ._classifier import RNNClassifier
from ._regressor import RNNRegressor

__version__ = "0.1.0"

__all__ = ["RNNRegressor", "RNNClassifier", "__version__"]

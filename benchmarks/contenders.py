"""The contenders: our estimators, a hand-written torch loop, plain skorch, Keras.

Each ``fit_*`` function trains a fresh model on a workload's data and returns
it; each ``predict_*`` function predicts with such a model. Timers wrap the
calls, so whatever a user would pay (turning arrays into tensors, building
the model and optimizer, tracing a Keras graph) is timed. Data generation is
not.
"""

import os

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from sklearn_rnn import RNNClassifier, RNNRegressor
from sklearn_rnn._predicting import PREDICT_BATCH_SIZE

__all__ = [
    "TorchRNN",
    "fit_ours",
    "fit_hand",
    "fit_skorch",
    "fit_keras",
    "predict_ours",
    "predict_bare",
    "predict_skorch",
    "predict_keras",
    "keras_available",
    "synchronize",
    "warm_up_torch",
]

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM}


class TorchRNN(nn.Module):
    """The tutorials' model: a recurrent layer and a linear layer on its last state."""

    def __init__(self, cell, input_size, hidden_size, output_size):
        super().__init__()
        self.rnn = CELLS[cell](input_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, X, lengths=None):
        if lengths is not None:
            X = pack_padded_sequence(X, lengths.cpu(), batch_first=True,
                                     enforce_sorted=False)
        _, state = self.rnn(X)
        hidden = state[0] if isinstance(state, tuple) else state
        return self.fc(hidden[-1])


def synchronize(device):
    """Wait for queued device work, so that a timer measures all of it."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def _n_outputs(workload, data):
    return data.n_classes if workload.classification else 1


# --------------------------------------------------------------------- ours
def fit_ours(workload, data, device="cpu"):
    Estimator = RNNClassifier if workload.classification else RNNRegressor
    # The tutorials' model, as the other contenders build it: no front end
    # (the 'auto' one would add convolutions to the variable-length
    # workload), the last state, no per-sequence or per-window
    # normalisation, no validation tail (the 'auto' early stopping holds
    # one out on windows), the last step's weights (no average) and one
    # network (the 'auto' ensemble trains three on small data).
    architecture = dict(conv_layers=0, pooling="last", early_stopping=False,
                        standardize_sequences=False, average_weights=False,
                        ensemble_size=1)
    if not workload.classification:
        architecture["instance_norm"] = None
    est = Estimator(
        cell=workload.cell,
        hidden_size=workload.hidden_size,
        batch_size=workload.batch_size,
        max_iter=workload.epochs,
        # Never stop early: every contender trains exactly `epochs` epochs.
        n_iter_no_change=workload.epochs,
        optimizer="adam",
        learning_rate_init=1e-3,
        random_state=0,
        device=device,
        **architecture,
    )
    est.fit(data.X_ours, data.y)
    if est.n_iter_ != workload.epochs:
        raise RuntimeError(f"trained {est.n_iter_} epochs, not {workload.epochs}")
    return est


def predict_ours(model, data, device="cpu"):
    return model.predict(data.X_ours)


def predict_bare(model, data, device="cpu"):
    """A bare ``inference_mode`` forward of our fitted module, same batches."""
    module = model.net_.module_
    X = torch.from_numpy(data.X).to(device)
    lengths = None if data.lengths is None else torch.as_tensor(data.lengths)
    module.eval()
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(X), PREDICT_BATCH_SIZE):
            stop = start + PREDICT_BATCH_SIZE
            batch_lengths = None if lengths is None else lengths[start:stop]
            outputs.append(module(X[start:stop], batch_lengths))
    return torch.cat(outputs).cpu().numpy()


# --------------------------------------------------------- hand-written loop
def fit_hand(workload, data, device="cpu"):
    """The loop the tutorials write, done well.

    Whole tensors on the device, batches sliced by a permutation, no
    DataLoader, and the epoch loss summed on the device and read once per
    epoch (no ``.item()`` per batch).
    """
    torch.manual_seed(0)
    model = TorchRNN(workload.cell, data.X.shape[2], workload.hidden_size,
                     _n_outputs(workload, data)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss() if workload.classification else nn.MSELoss()
    X = torch.from_numpy(data.X).to(device)
    y = torch.from_numpy(data.y).to(device)
    if not workload.classification:
        y = y[:, None]
    lengths = None if data.lengths is None else torch.from_numpy(data.lengths)
    n, size = len(X), workload.batch_size
    model.train()
    losses = []
    for _ in range(workload.epochs):
        order = torch.randperm(n)
        order_device = order.to(device)
        total = torch.zeros((), device=device)
        for start in range(0, n, size):
            index = order_device[start : start + size]
            batch_lengths = (
                None if lengths is None else lengths[order[start : start + size]]
            )
            optimizer.zero_grad()
            loss = criterion(model(X[index], batch_lengths), y[index])
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(index)
        losses.append(float(total) / n)
    model.losses_ = losses
    return model


# ------------------------------------------------------------- plain skorch
def fit_skorch(workload, data, device="cpu"):
    """A plain skorch net, as a user would write it: default DataLoader."""
    from skorch import NeuralNetClassifier, NeuralNetRegressor

    torch.manual_seed(0)
    common = dict(
        module=TorchRNN,
        module__cell=workload.cell,
        module__input_size=data.X.shape[2],
        module__hidden_size=workload.hidden_size,
        module__output_size=_n_outputs(workload, data),
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=workload.batch_size,
        max_epochs=workload.epochs,
        train_split=None,
        iterator_train__shuffle=True,
        device=device,
        verbose=0,
    )
    if workload.classification:
        net = NeuralNetClassifier(criterion=nn.CrossEntropyLoss, **common)
        y = data.y
    else:
        net = NeuralNetRegressor(criterion=nn.MSELoss, **common)
        y = data.y[:, None]
    X = data.X if data.lengths is None else {"X": data.X, "lengths": data.lengths}
    return net.fit(X, y)


def predict_skorch(model, data, device="cpu"):
    X = data.X if data.lengths is None else {"X": data.X, "lengths": data.lengths}
    return model.predict(X)


# -------------------------------------------------------------------- Keras
def keras_available():
    """The Keras version with the TensorFlow back end, or None."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    try:
        import keras
        import tensorflow  # noqa: F401
    except ImportError:
        return None
    if keras.backend.backend() != "tensorflow":
        return None
    return keras.__version__


def fit_keras(workload, data, device="cpu"):
    import keras

    layers = [keras.Input(shape=data.X.shape[1:])]
    if data.lengths is not None:
        # Keras' way to variable lengths: mask the zero padding.
        layers.append(keras.layers.Masking(mask_value=0.0))
    layers.append(
        keras.layers.SimpleRNN(workload.hidden_size) if workload.cell == "rnn"
        else keras.layers.LSTM(workload.hidden_size)
    )
    layers.append(keras.layers.Dense(_n_outputs(workload, data)))
    model = keras.Sequential(layers)
    loss = (
        keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        if workload.classification
        else "mse"
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    model.fit(data.X, data.y, batch_size=workload.batch_size,
              epochs=workload.epochs, shuffle=True, verbose=0)
    return model


def predict_keras(model, data, device="cpu"):
    return model.predict(data.X, verbose=0)


def warm_up_torch():
    """Pay the one-off costs every torch user pays once per process.

    The first optimizer of a process imports ``torch._dynamo`` (over a
    second); timing it inside one contender's first fit would be unfair.
    """
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])

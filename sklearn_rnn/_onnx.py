"""Export fitted estimators and pipelines to ONNX, through skl2onnx converters.

The recurrent network is written as ONNX's own ``LSTM`` / ``GRU`` / ``RNN``
operators plus a few tensor operators, straight from the torch module's
weights, rather than traced with ``torch.onnx.export``: torch's default
(dynamo) exporter unrolls the recurrent layers and fixes the time axis to
the sample's length, and its TorchScript exporter, which keeps it dynamic,
is deprecated. The native operators keep the batch and time axes dynamic
and run in ONNX Runtime's fused kernels, and writing the graph directly lets
skl2onnx place it inside any pipeline it converts.

onnx and skl2onnx are imported only when an export is asked for: the
package imports without them (they come with the ``sklearn-rnn[onnx]``
extra).
"""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ._classifier import RNNClassifier
from ._module import networks
from ._regressor import RNNRegressor
from ._sequences import is_ragged
from ._window import SlidingWindowTransformer

__all__ = ["to_onnx", "register_onnx_converters"]

_MIN_OPSET = 13
# ONNX gate order of each cell, as indices into torch's gate blocks:
# torch LSTM is (i, f, g, o), ONNX (i, o, f, c); torch GRU (r, z, n), ONNX
# (z, r, h).
_GATES = {nn.LSTM: ("LSTM", (0, 3, 1, 2)), nn.GRU: ("GRU", (1, 0, 2)),
          nn.RNN: ("RNN", (0,))}
_ALIASES = {
    RNNRegressor: "SklearnRNNRegressor",
    RNNClassifier: "SklearnRNNClassifier",
    SlidingWindowTransformer: "SklearnRNNSlidingWindowTransformer",
}


def _import_skl2onnx():
    try:
        import onnx  # noqa: F401
        import skl2onnx
    except ImportError as exc:
        raise ImportError(
            "Exporting to ONNX needs the onnx and skl2onnx packages (and "
            "onnxruntime to run the model): install the `sklearn-rnn[onnx]` "
            "extra, e.g. pip install 'sklearn-rnn[onnx]'."
        ) from exc
    return skl2onnx


def register_onnx_converters():
    """Register the converters of this package with skl2onnx.

    Afterwards skl2onnx's own :func:`skl2onnx.to_onnx` and
    :func:`skl2onnx.convert_sklearn` convert :class:`RNNRegressor`,
    :class:`RNNClassifier` and :class:`SlidingWindowTransformer`, alone or
    inside any pipeline whose other steps skl2onnx converts.
    :func:`to_onnx` calls it; calling it again is harmless.

    Raises
    ------
    ImportError
        When onnx or skl2onnx is not installed (the ``sklearn-rnn[onnx]``
        extra).

    See Also
    --------
    to_onnx : Export a fitted estimator or pipeline.

    Examples
    --------
    >>> import numpy as np
    >>> import skl2onnx
    >>> from sklearn_rnn import RNNRegressor, register_onnx_converters
    >>> register_onnx_converters()
    >>> X = np.random.default_rng(0).normal(size=(20, 5)).astype(np.float32)
    >>> est = RNNRegressor(hidden_size=4, max_iter=1).fit(X, X.sum(axis=1))
    >>> model = skl2onnx.to_onnx(est, X)
    >>> [output.name for output in model.graph.output]
    ['variable']
    """
    skl2onnx = _import_skl2onnx()
    skl2onnx.update_registered_converter(
        RNNRegressor, _ALIASES[RNNRegressor], _regressor_shape, _convert_regressor
    )
    skl2onnx.update_registered_converter(
        RNNClassifier, _ALIASES[RNNClassifier], _classifier_shape,
        _convert_classifier,
        # Declaring the zipmap option makes skl2onnx parse the model as a
        # classifier (label + probabilities), with ZipMap as it chooses.
        options={"zipmap": [True, False, "columns"]},
    )
    skl2onnx.update_registered_converter(
        SlidingWindowTransformer, _ALIASES[SlidingWindowTransformer],
        _windows_shape, _convert_windows,
    )


def to_onnx(estimator, X_sample, *, target_opset=None):
    """Export a fitted estimator, or a pipeline ending in one, to ONNX.

    The graph reproduces ``predict`` (regressor) or ``predict`` and
    ``predict_proba`` (classifier) in ONNX Runtime, with dynamic batch and
    time axes: any number of sequences of any (common) length per call.
    Every architecture option exports (all cells, stacked and bidirectional
    layers, each pooling, the MLP head, ``return_sequences``); the input
    standardisation and the regressor's target scaling are in the graph.

    Parameters
    ----------
    estimator : RNNRegressor, RNNClassifier or Pipeline
        Fitted. A pipeline must end in one of the estimators; its other
        steps need skl2onnx converters (scikit-learn's scalers and most of
        its transformers, and :class:`SlidingWindowTransformer`).
    X_sample : array-like of shape (n, n_timesteps) or \
(n, n_timesteps, n_features)
        A few input rows, in the layout the model will receive. It fixes
        the input's rank, its features per step and its type: float64 gives
        a ``double`` input, anything else ``float``; feed ONNX Runtime arrays
        of that dtype. 2-D input to an estimator is a batch of univariate
        sequences, to a pipeline whatever its first step takes (a series
        ``(n_rows, n_features)`` for :class:`SlidingWindowTransformer`).
        Sequences of different lengths are refused (see Notes).
    target_opset : int, default=None
        ONNX opset of the graph (at least 13); by default the newest one
        skl2onnx supports.

    Returns
    -------
    model : onnx.ModelProto
        One input ``X``. A regressor's output ``variable`` has the shape of
        ``predict``'s; a classifier's outputs are ``label`` (int64 or
        string, as ``classes_``) and ``probabilities`` (float, in the order
        of ``classes_``), skl2onnx's names.

    Raises
    ------
    ImportError
        When onnx or skl2onnx is missing (install ``sklearn-rnn[onnx]``).
    sklearn.exceptions.NotFittedError
        When the estimator is not fitted.
    TypeError
        When ``estimator`` is neither of the estimators nor a pipeline
        ending in one, or a pipeline step has no ONNX converter.
    ValueError
        When ``X_sample`` holds sequences of different lengths, or does not
        match the fitted estimator.

    See Also
    --------
    register_onnx_converters : Let skl2onnx convert the estimators itself.

    Notes
    -----
    The exported model takes one batch per call, without lengths: all its sequences
    share their length. Variable-length data is served by calling the model
    once per sequence (or per group of equal lengths), which reproduces
    ``predict`` exactly, whereas padding to a common length would feed the
    padding through the network. The graph keeps one input on purpose, so
    that it composes with skl2onnx pipelines; a second ``lengths`` input
    would need masked pooling and packed backward directions in ONNX.

    Dropout is not in the graph: it is inactive at prediction.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklearn_rnn import RNNClassifier, to_onnx
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 8, 2)).astype(np.float32)
    >>> y = np.where(X[:, :, 0].sum(axis=1) > 0, "up", "down")
    >>> clf = RNNClassifier(hidden_size=8, max_iter=5, random_state=0).fit(X, y)
    >>> model = to_onnx(clf, X[:1])
    >>> session = ort.InferenceSession(model.SerializeToString(),
    ...                                providers=["CPUExecutionProvider"])
    >>> labels, proba = session.run(None, {"X": X})
    >>> bool((labels == clf.predict(X)).all())
    True
    >>> bool(np.allclose(proba, clf.predict_proba(X), atol=1e-4))
    True
    """
    skl2onnx = _import_skl2onnx()
    register_onnx_converters()
    final = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
    if type(final).__name__ == "RNNSeq2Seq":
        raise TypeError(
            "to_onnx cannot export an RNNSeq2Seq: its greedy decoding is a loop "
            "over the output steps that feeds each prediction back, which this "
            "exporter does not write. Keep it in Python (save_model/load_model "
            "or pickle).")
    if not isinstance(final, RNNRegressor | RNNClassifier):
        raise TypeError(
            "to_onnx exports an RNNRegressor, an RNNClassifier or a Pipeline "
            f"ending in one; got {type(estimator).__name__}"
            + ("" if final is estimator else
               f" ending in {type(final).__name__}")
            + ". Other models convert with skl2onnx.to_onnx."
        )
    check_is_fitted(final, "net_")
    if final is not estimator:
        _check_steps(estimator)
    X = _check_sample(X_sample)
    if final is estimator:
        _check_input_rank(final, X.ndim, X.shape[-1])
        # The time axis stays dynamic; the features per step are fixed.
        shape = [None, None] if X.ndim == 2 else [None, None, X.shape[2]]
    else:
        shape = [None, *X.shape[1:2]] if X.ndim == 2 else [None, None, X.shape[2]]
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
    )

    if getattr(final, "embedding_dim", None) is not None:
        tensor_type = Int64TensorType  # token ids
    elif X.dtype == np.float64:
        tensor_type = DoubleTensorType
    else:
        tensor_type = FloatTensorType
    options = None
    if isinstance(final, RNNClassifier):
        # A plain probability tensor, not ZipMap's list of dicts.
        options = {id(final): {"zipmap": False}}
    return skl2onnx.convert_sklearn(
        estimator,
        initial_types=[("X", tensor_type(shape))],
        options=options,
        target_opset=target_opset,
    )


# ------------------------------------------------------------ checking input
def _check_sample(X_sample):
    if is_ragged(X_sample):
        raise ValueError(
            "X_sample holds sequences of different lengths. The ONNX model "
            "takes a batch of equal-length sequences (any length, the time "
            "axis is dynamic): pass X_sample as one (n, T) or (n, T, "
            "n_features) array, e.g. X_sample=X[0][None], and serve "
            "variable-length data one sequence (or one group of equal "
            "lengths) per call. Padding would change the predictions."
        )
    try:
        X = np.asarray(X_sample)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "X_sample must be an array-like of shape (n, T) or (n, T, "
            f"n_features); it could not be converted to an array: {exc}"
        ) from exc
    if X.ndim not in (2, 3) or X.size == 0:
        raise ValueError(
            "X_sample must be a non-empty array of shape (n, T) or (n, T, "
            f"n_features); got shape {X.shape}. A univariate series for a "
            "SlidingWindowTransformer pipeline is series.reshape(-1, 1)."
        )
    if X.dtype.kind not in "biuf":
        raise ValueError(
            f"X_sample must be numeric; got dtype {X.dtype}."
        )
    return X


def _check_input_rank(est, rank, last_dim):
    if rank == 2 and est.n_input_features_ != 1:
        raise ValueError(
            f"2-D input is a batch of univariate sequences, but "
            f"{type(est).__name__} was fitted on {est.n_input_features_} "
            "features per time step: pass X_sample as (n, T, "
            f"{est.n_input_features_})."
        )
    if rank == 3 and last_dim is not None and last_dim != est.n_input_features_:
        raise ValueError(
            f"X_sample has {last_dim} features per time step, but "
            f"{type(est).__name__} was fitted on {est.n_input_features_}."
        )
    if rank not in (2, 3):
        raise ValueError(
            f"{type(est).__name__} takes 2-D or 3-D input; the step before it "
            f"gives {rank}-D data."
        )


def _check_steps(pipeline):
    from skl2onnx._supported_operators import sklearn_operator_name_map

    for name, step in pipeline.steps:
        if step is None or step == "passthrough" or isinstance(step, Pipeline):
            continue
        if type(step) not in sklearn_operator_name_map:
            raise TypeError(
                f"Pipeline step {name!r} ({type(step).__name__}) has no ONNX "
                "converter in skl2onnx. Replace it with a convertible step, "
                "move it out of the pipeline, or register a converter with "
                "skl2onnx.update_registered_converter."
            )


# ------------------------------------------------------------- graph writing
class _Graph:
    """Adds uniquely named nodes and constants to skl2onnx's container."""

    def __init__(self, scope, operator, container):
        if container.target_opset < _MIN_OPSET:
            raise ValueError(
                f"The recurrent network needs ONNX opset {_MIN_OPSET} or "
                f"newer; target_opset is {container.target_opset}."
            )
        self.scope = scope
        self.container = container
        self.opset = container.target_opset
        self.prefix = operator.full_name
        # (level, spread) of the instance normalisation, when there is one.
        self.instance_norm = None

    def const(self, values, seed="c"):
        from onnx import TensorProto, numpy_helper

        name = self.scope.get_unique_variable_name(f"{self.prefix}_{seed}")
        values = np.asarray(values)
        if values.dtype.kind in "OUS":
            self.container.add_initializer(
                name, TensorProto.STRING, list(values.shape),
                [str(v).encode("utf-8") for v in values.ravel()],
            )
        else:
            tensor = numpy_helper.from_array(np.ascontiguousarray(values), name)
            self.container.add_initializer(name, tensor.data_type,
                                           list(values.shape), tensor)
        return name

    def node(self, op_type, inputs, seed=None, n_outputs=1, outputs=None, **attrs):
        seed = f"{self.prefix}_{seed or op_type.lower()}"
        if outputs is None:
            outputs = [self.scope.get_unique_variable_name(seed)
                       for _ in range(n_outputs)]
        self.container.add_node(
            op_type, list(inputs), list(outputs),
            name=self.scope.get_unique_operator_name(seed), **attrs,
        )
        return outputs[0] if len(outputs) == 1 else outputs

    def reduce(self, op_type, x, axis, keepdims=0):
        # Reduce* took axes as an attribute until opset 18 (ReduceSum: 13).
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.node(op_type, [x, self.const(np.array([axis]), "axes")],
                             keepdims=keepdims)
        return self.node(op_type, [x], axes=[axis], keepdims=keepdims)

    def linear(self, layer, x):
        weight = layer.weight.detach().cpu().numpy().astype(np.float32).T
        x = self.node("MatMul", [x, self.const(weight, "weight")])
        if layer.bias is None:
            return x
        bias = layer.bias.detach().cpu().numpy().astype(np.float32)
        return self.node("Add", [x, self.const(bias, "bias")])


def _array(tensor):
    return tensor.detach().cpu().numpy().astype(np.float32)


def _recurrent(g, rnn, x):
    """ONNX recurrent layers over time-major ``x`` ``(T, N, F)``.

    Returns the last layer's outputs ``(T, N, D * H)`` and its final states
    ``(D, N, H)``.
    """
    op_type, gates = _GATES[type(rnn)]
    hidden = rnn.hidden_size
    suffixes = ["", "_reverse"] if rnn.bidirectional else [""]
    for layer in range(rnn.num_layers):
        W, R, B = [], [], []
        for suffix in suffixes:
            def blocks(array):
                return np.concatenate(
                    [array[g * hidden:(g + 1) * hidden] for g in gates]
                )
            W.append(blocks(_array(getattr(rnn, f"weight_ih_l{layer}{suffix}"))))
            R.append(blocks(_array(getattr(rnn, f"weight_hh_l{layer}{suffix}"))))
            if rnn.bias:
                B.append(np.concatenate([
                    blocks(_array(getattr(rnn, f"bias_ih_l{layer}{suffix}"))),
                    blocks(_array(getattr(rnn, f"bias_hh_l{layer}{suffix}"))),
                ]))
            else:
                B.append(np.zeros(2 * len(gates) * hidden, dtype=np.float32))
        attrs = {"hidden_size": hidden,
                 "direction": "bidirectional" if rnn.bidirectional else "forward"}
        if op_type == "GRU":
            # torch applies the reset gate after the recurrent matmul.
            attrs["linear_before_reset"] = 1
        if op_type == "RNN":
            attrs["activations"] = [rnn.nonlinearity.capitalize()] * len(suffixes)
        outputs, last = g.node(
            op_type,
            [x, g.const(np.stack(W), "W"), g.const(np.stack(R), "R"),
             g.const(np.stack(B), "B")],
            n_outputs=2, **attrs,
        )
        # (T, D, N, H) -> (T, N, D * H): both directions side by side, as torch.
        x = g.node("Transpose", [outputs], perm=[0, 2, 1, 3])
        x = g.node("Reshape", [x, g.const(np.array([0, 0, -1]), "shape")])
    return x, last


def _network(scope, operator, container):
    """The torch module as ONNX nodes: returns the graph and the raw outputs
    ``(N, k)`` or ``(N, T, k)`` (an ensemble's: its members' combined, as
    ``NetworkEnsemble`` does at predict)."""
    from onnx import TensorProto

    est = operator.raw_operator
    module = est.net_.module_
    members = networks(module)
    g = _Graph(scope, operator, container)
    source = operator.inputs[0]
    x = source.full_name
    # The members share their input side (the same standardisation buffers,
    # no weights) but for an embedding, which each learns.
    first = members[0]
    if first.embedding is None:
        if source.type.to_onnx_type().tensor_type.elem_type != TensorProto.FLOAT:
            x = g.node("Cast", [x], to=TensorProto.FLOAT)
        if len(source.type.shape) == 2:
            x = g.node("Unsqueeze", [x, g.const(np.array([2]), "axes")])
        raw = x
        x = g.node("Sub", [x, g.const(_array(first.input_mean), "input_mean")])
        x = g.node("Div", [x, g.const(_array(first.input_scale), "input_scale")])
        if first.instance_norm_feature is not None:
            x = _instance_normalise(g, first, raw, x)
        if first.standardize_sequences:
            x = _standardize_sequences(g, x)
    outputs = []
    for member in members:
        steps = x
        if member.embedding is not None:
            steps = _embed(g, member, source.full_name, source)
        outputs.append(_member_network(g, member, steps))
    if len(outputs) == 1:
        return g, outputs[0]
    size = g.const(np.array(len(outputs), dtype=np.float32), "ensemble_size")
    if module.combine == "probabilities":
        # The log of the mean probabilities stands for one network's logits.
        probabilities = [g.node("Softmax", [out], axis=-1) for out in outputs]
        return g, g.node("Log", [g.node("Div", [g.node("Sum", probabilities),
                                                 size])])
    return g, g.node("Div", [g.node("Sum", outputs), size])


def _member_network(g, module, x):
    """One :class:`RecurrentNetwork` from its (standardised or embedded)
    steps ``(N, T, F)`` to its raw outputs."""
    if module.conv is not None:
        x = _convolve(g, module, x)
    else:
        x = g.node("Transpose", [x], perm=[1, 0, 2])
    states, last = _recurrent(g, module.rnn, x)
    if not module.return_sequences and module.pooling == "last":
        # Final states (D, N, H) -> (N, D * H): forward, then backward.
        x = g.node("Transpose", [last], perm=[1, 0, 2])
        x = g.node("Reshape", [x, g.const(np.array([0, -1]), "shape")])
    else:
        x = g.node("Transpose", [states], perm=[1, 0, 2])
        if not module.return_sequences:
            x = _pool(g, module, x)
    for layer in module.head:
        if isinstance(layer, nn.Linear):
            x = g.linear(layer, x)
        elif isinstance(layer, nn.ReLU):
            x = g.node("Relu", [x])
        elif not isinstance(layer, nn.Dropout):
            raise TypeError(f"No ONNX translation for the head layer {layer!r}.")
    return x


def _instance_normalise(g, module, raw, scaled):
    """RevIN's input side: the feature the targets continue, centred on each
    sequence's mean or last value and divided by its deviation;
    ``g.instance_norm`` keeps both ``(N, 1)`` for the regressor's output,
    ``level + spread * outputs``. With one output per step: the values
    relative to the window's first one, and ``g.instance_norm`` keeps each
    step's value ``(N, T, 1)`` and the feature's scale (the module's
    ``_forward_anchored_per_step``)."""
    from ._module import INSTANCE_NORM_FLOOR

    feature = module.instance_norm_feature
    # (N, T, 1): the feature's values; the statistics keep that rank.
    values = g.node("Gather", [raw, g.const(np.array([feature]), "feature")],
                    axis=2)
    onehot = np.zeros(len(module.input_mean), dtype=np.float32)
    onehot[feature] = 1.0
    kept = g.node("Mul", [scaled, g.const(1.0 - onehot, "keep")])
    if module.return_sequences:
        # One output per step, causal: relative to the window's first value
        # in the feature's training-data units; each step's outputs are the
        # change from its own value (``values``, (N, T, 1)).
        scale = g.const(np.array(float(module.input_scale[feature]),
                                 dtype=np.float32), "anchor_scale")
        first = g.node("Slice", [values, g.const(np.array([0]), "first_start"),
                                 g.const(np.array([1]), "first_end"),
                                 g.const(np.array([1]), "first_axes")])
        normalised = g.node("Div", [g.node("Sub", [values, first]), scale])
        g.instance_norm = (values, scale)
        return g.node("Add", [kept, g.node("Mul", [normalised,
                                                   g.const(onehot, "onehot")])])
    past = values
    if module.instance_norm_steps is not None:
        past = g.node("Slice", [values, g.const(np.array([0]), "start"),
                                g.const(np.array([module.instance_norm_steps]),
                                        "end"),
                                g.const(np.array([1]), "axes")])
    mean = g.reduce("ReduceMean", past, 1, keepdims=1)
    centred = g.node("Sub", [past, mean])
    spread = g.node("Sqrt", [g.reduce("ReduceMean", g.node("Mul", [centred, centred]),
                                      1, keepdims=1)])
    level = mean
    if module.instance_norm_center == "last":
        # The sequences share their length here: the last of the past steps.
        level = g.node("Slice", [past, g.const(np.array([-1]), "last_start"),
                                 g.const(np.array([np.iinfo(np.int64).max]),
                                         "last_end"),
                                 g.const(np.array([1]), "last_axes")])
    if module.instance_norm_series_scale is not None:
        # One scale for the series: (N, 1, 1) like the window's spread.
        spread = g.node("Add", [g.node("Mul", [level, g.const(
            np.array(0.0, dtype=np.float32), "no_level")]), g.const(
            np.array(module.instance_norm_series_scale, dtype=np.float32),
            "series_scale")])
        divisor = spread
    else:
        floor = INSTANCE_NORM_FLOOR * float(module.input_scale[feature])
        divisor = g.node("Max", [spread, g.const(np.array(floor, dtype=np.float32),
                                                 "floor")])
    normalised = g.node("Div", [g.node("Sub", [values, level]), divisor])
    # One-hot over the features (above): the normalised values replace the
    # feature's standardised ones, the others pass unchanged.
    # (N, 1, 1) -> (N, 1), to broadcast over the outputs (N, k).
    shape = g.const(np.array([-1, 1]), "shape")
    g.instance_norm = (g.node("Reshape", [level, shape]),
                       g.node("Reshape", [spread, shape]))
    return g.node("Add", [kept, g.node("Mul", [normalised,
                                               g.const(onehot, "onehot")])])


def _standardize_sequences(g, x):
    """``(N, T, F)`` -> ``(N, T, 3F)``: each sequence's features standardised
    by its own mean and deviation, then that mean and log-deviation repeated
    over the steps (as ``_module._standardize_sequences``)."""
    from ._module import SEQUENCE_STD_FLOOR

    level = g.reduce("ReduceMean", x, 1, keepdims=1)
    centred = g.node("Sub", [x, level])
    variance = g.reduce("ReduceMean", g.node("Mul", [centred, centred]), 1,
                        keepdims=1)
    spread = g.node("Max", [g.node("Sqrt", [variance]),
                            g.const(np.array(SEQUENCE_STD_FLOOR, dtype=np.float32),
                                    "floor")])
    # x * 0 + statistic: the (N, 1, F) statistic repeated over the T steps.
    zeros = g.node("Mul", [x, g.const(np.array(0.0, dtype=np.float32), "zero")])
    return g.node("Concat", [g.node("Div", [centred, spread]),
                             g.node("Add", [zeros, level]),
                             g.node("Add", [zeros, g.node("Log", [spread])])],
                  axis=2)


def _embed(g, module, x, source):
    """Token ids ``(N, T)`` (or ``(N, T, 1)``) -> embedded ``(N, T, E)``;
    ids the vocabulary does not hold read as the unknown id, as in torch."""
    from onnx import TensorProto

    from ._tokens import UNKNOWN_ID

    if len(source.type.shape) == 3:
        x = g.node("Squeeze", [x, g.const(np.array([2]), "axes")])
    if source.type.to_onnx_type().tensor_type.elem_type != TensorProto.INT64:
        x = g.node("Cast", [x], to=TensorProto.INT64)
    size = module.embedding.num_embeddings
    known = g.node("Less", [x, g.const(np.array(size, dtype=np.int64), "size")])
    x = g.node("Where", [known, x,
                         g.const(np.array(UNKNOWN_ID, dtype=np.int64), "unk")])
    return g.node("Gather", [g.const(_array(module.embedding.weight), "embedding"),
                             x], axis=0)


def _convolve(g, module, x):
    """The convolutional front end on ``(N, T, F)``: returns time-major
    ``(T', N, C)`` for the recurrent layers."""
    x = g.node("Transpose", [x], perm=[0, 2, 1])
    for i, conv in enumerate(module.conv):
        (width,) = conv.kernel_size
        weight, bias = _array(conv.weight), _array(conv.bias)
        if module.conv_norms is not None:
            # Batch normalisation at predict is a per-channel affine map:
            # folded into the convolution's weights and bias.
            norm = module.conv_norms[i]
            factor = _array(norm.weight) / np.sqrt(_array(norm.running_var) + norm.eps)
            weight = weight * factor[:, None, None]
            bias = (bias - _array(norm.running_mean)) * factor + _array(norm.bias)
        x = g.node("Conv", [x, g.const(weight.astype(np.float32), "conv_weight"),
                            g.const(bias.astype(np.float32), "conv_bias")],
                   kernel_shape=[width], pads=[width // 2, width // 2])
        x = g.node("Relu", [x])
        x = g.node("MaxPool", [x], kernel_shape=[2], strides=[2], ceil_mode=1)
    return g.node("Transpose", [x], perm=[2, 0, 1])


def _pool(g, module, x):
    if module.pooling == "mean":
        return g.reduce("ReduceMean", x, 1)
    if module.pooling == "max":
        return g.reduce("ReduceMax", x, 1)
    scores = g.linear(module.attention, x)
    weights = g.node("Softmax", [scores], axis=1)
    return g.reduce("ReduceSum", g.node("Mul", [weights, x]), 1)


# ----------------------------------------------------------------- estimators
def _input_dims(operator):
    est = operator.raw_operator
    shape = operator.inputs[0].type.shape
    last = shape[2] if len(shape) == 3 else None
    _check_input_rank(est, len(shape), last if isinstance(last, int) else None)
    return shape[0], shape[1]


def _regressor_shape(operator):
    from skl2onnx.common.data_types import FloatTensorType

    est = operator.raw_operator
    n, steps = _input_dims(operator)
    k = len(est._target_mean)
    if est.return_sequences:
        shape = [n, steps] if est._target_ndim == 2 else [n, steps, k]
    else:
        shape = [n] if est._target_ndim == 1 else [n, k]
    operator.outputs[0].type = FloatTensorType(shape)


def _convert_regressor(scope, operator, container):
    est = operator.raw_operator
    g, x = _network(scope, operator, container)
    if g.instance_norm is not None:
        # The module's outputs are in units of each window's spread around
        # its level: level + spread * outputs, the target scaling undone.
        level, spread = g.instance_norm
        x = g.node("Add", [level, g.node("Mul", [spread, x])])
        # In the targets' units when a scaler rescaled the inputs only.
        scale, offset = getattr(est, "_instance_norm_affine", None) or (1.0, 0.0)
        if (scale, offset) != (1.0, 0.0):
            x = g.node("Mul", [x, g.const(np.float32(scale), "affine_scale")])
            x = g.node("Add", [x, g.const(np.float32(offset), "affine_offset")])
    else:
        x = g.node("Mul", [x, g.const(est._target_scale.astype(np.float32), "scale")])
        x = g.node("Add", [x, g.const(est._target_mean.astype(np.float32), "mean")])
    if est.return_sequences and est._target_ndim == 2:
        x = g.node("Squeeze", [x, g.const(np.array([2]), "axes")])
    elif not est.return_sequences and est._target_ndim == 1:
        x = g.node("Reshape", [x, g.const(np.array([-1]), "shape")])
    g.node("Identity", [x], outputs=[operator.outputs[0].full_name])


def _label_classes(est):
    """``classes_`` as an int64 or a string array (ONNX's label types).

    Classifiers only take discrete labels: float ones hold integers.
    """
    classes = est.classes_
    if classes.dtype.kind in "biuf" or all(
        isinstance(c, int | np.integer) for c in classes
    ):
        return classes.astype(np.int64)
    return np.asarray([str(c) for c in classes], dtype=object)


def _classifier_shape(operator):
    from skl2onnx.common.data_types import (
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )

    est = operator.raw_operator
    n, _ = _input_dims(operator)
    labels = _label_classes(est)
    label_type = StringTensorType if labels.dtype == object else Int64TensorType
    operator.outputs[0].type = label_type([n])
    operator.outputs[1].type = FloatTensorType([n, len(labels)])


def _convert_classifier(scope, operator, container):
    est = operator.raw_operator
    g, logits = _network(scope, operator, container)
    index = g.node("ArgMax", [logits], axis=1, keepdims=0)
    g.node("Gather", [g.const(_label_classes(est), "classes"), index], axis=0,
           outputs=[operator.outputs[0].full_name])
    g.node("Softmax", [logits], axis=1, outputs=[operator.outputs[1].full_name])


# -------------------------------------------------------------------- windows
def _windows_shape(operator):
    est = operator.raw_operator
    source = operator.inputs[0].type
    if len(source.shape) != 2:
        raise ValueError(
            "SlidingWindowTransformer's ONNX input is a series of shape "
            f"(n_rows, n_features); got {len(source.shape)}-D input. A "
            "univariate series is series.reshape(-1, 1)."
        )
    n = source.shape[0]
    W, F = est.window_size, est.n_features_in_
    shape = [n, W * F] if est.flatten else [n, W, F]
    operator.outputs[0].type = type(source)(shape)


def _convert_windows(scope, operator, container):
    from onnx import TensorProto

    est = operator.raw_operator
    g = _Graph(scope, operator, container)
    x = operator.inputs[0].full_name
    W, F = est.window_size, est.n_features_in_
    is_double = (operator.inputs[0].type.to_onnx_type().tensor_type.elem_type
                 == TensorProto.DOUBLE)
    dtype = np.float64 if is_double else np.float32
    if W > 1:
        if est.padding == "edge":
            first = g.node("Slice", [x, g.const(np.array([0]), "starts"),
                                     g.const(np.array([1]), "ends")])
            pad = g.node("Expand", [first, g.const(np.array([W - 1, F]), "shape")])
        else:
            pad = g.const(np.full((W - 1, F), est.fill_value, dtype=dtype), "pad")
        x = g.node("Concat", [pad, x], axis=0)
    # Window i holds padded rows i .. i + W - 1: one Gather of an (n, W)
    # index grid.
    n_rows = g.node("Gather", [g.node("Shape", [operator.inputs[0].full_name]),
                               g.const(np.array(0), "zero")], axis=0)
    starts = g.node("Range", [g.const(np.array(0), "zero"), n_rows,
                              g.const(np.array(1), "one")])
    starts = g.node("Unsqueeze", [starts, g.const(np.array([1]), "axes")])
    index = g.node("Add", [starts, g.const(np.arange(W)[None, :], "offsets")])
    out = operator.outputs[0].full_name
    if not est.flatten:
        g.node("Gather", [x, index], axis=0, outputs=[out])
        return
    windows = g.node("Gather", [x, index], axis=0)
    g.node("Reshape", [windows, g.const(np.array([-1, W * F]), "shape")],
           outputs=[out])

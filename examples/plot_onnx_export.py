"""
==========================================
Export a model to ONNX and serve it
==========================================

A fitted :class:`~sklearn_rnn.RNNClassifier` (or regressor, or a pipeline
ending in one) exports to ONNX with :func:`~sklearn_rnn.to_onnx`, and ONNX
Runtime then serves it without PyTorch or scikit-learn. Here: classify noisy
sensor sequences into three string labels, export, check that ONNX Runtime
gives the same labels and probabilities as the estimator, and compare the
cost of serving one sequence per request.

Needs the ``onnx`` extra: ``pip install "sklearn-rnn[onnx]"``.
"""

# %%
# Train a small classifier
# ------------------------
import time

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
from sklearn.model_selection import train_test_split

from sklearn_rnn import RNNClassifier, to_onnx

rng = np.random.default_rng(0)
n, steps = 600, 40
t = np.linspace(0, 1, steps)
kind = rng.integers(0, 3, size=n)
frequency = np.choose(kind, [2.0, 4.0, 6.0])[:, None]
signal = np.sin(2 * np.pi * frequency * t + rng.uniform(0, 6, size=(n, 1)))
# Two channels on a raw scale: the input standardisation is in the graph.
X = np.stack([20 + 5 * signal, 0.1 * rng.normal(size=(n, steps))], axis=-1)
X = (X + rng.normal(scale=1.0, size=X.shape)).astype(np.float32)
y = np.array(["slow", "medium", "fast"])[kind]
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

clf = RNNClassifier(cell="gru", hidden_size=16, bidirectional=True,
                    pooling="attention", max_iter=15, random_state=0)
clf.fit(X_train, y_train)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# Export and verify
# -----------------
# ``X_sample`` fixes the input's rank, features per step and dtype; the batch
# and time axes stay dynamic. ``onnx_model.SerializeToString()`` is what you
# would write to ``model.onnx``.
onnx_model = to_onnx(clf, X_train[:1])
session = ort.InferenceSession(onnx_model.SerializeToString(),
                               providers=["CPUExecutionProvider"])
print("inputs:", [(i.name, i.shape, i.type) for i in session.get_inputs()])
print("outputs:", [(o.name, o.shape, o.type) for o in session.get_outputs()])

labels, proba = session.run(None, {"X": X_test})
print("same labels:", bool((labels == clf.predict(X_test)).all()))
print(f"largest probability difference: "
      f"{np.abs(proba - clf.predict_proba(X_test)).max():.1e}")

# %%
# The time axis is dynamic: a longer recording runs as it is.
longer = np.concatenate([X_test[:3], X_test[:3]], axis=1)
print(session.run(["label"], {"X": longer})[0], clf.predict(longer))

# %%
# Serving one sequence per request
# --------------------------------
# Per call, ``predict`` validates its input and dispatches through skorch
# and torch; ONNX Runtime runs the fused graph. (Timings depend on the
# machine; ``python -m benchmarks.onnx_speed`` measures more carefully.)
requests = X_test[:100]


def per_request(fn):
    start = time.perf_counter()
    for x in requests:
        fn(x[None])
    return (time.perf_counter() - start) / len(requests) * 1e3


ms_predict = per_request(clf.predict_proba)
ms_onnx = per_request(lambda x: session.run(["probabilities"], {"X": x}))
print(f"predict_proba: {ms_predict:.2f} ms per request, "
      f"ONNX Runtime: {ms_onnx:.2f} ms")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
axes[0].scatter(clf.predict_proba(X_test).ravel(), proba.ravel(), s=6)
axes[0].set(xlabel="predict_proba", ylabel="ONNX Runtime",
            title="Same probabilities")
axes[1].bar(["predict_proba", "ONNX Runtime"], [ms_predict, ms_onnx])
axes[1].set(ylabel="ms per single-sequence request", title="Serving latency")
fig.tight_layout()
plt.show()

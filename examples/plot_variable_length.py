"""
=================================================
Variable-length sequences without manual padding
=================================================

Real sequences rarely share a length: gestures, spoken words and sessions
last as long as they last. Pass them as a plain Python list of arrays of shape
``(T_i, n_features)``; the estimator pads them inside, and the padding never
reaches a prediction: a sequence gets the same prediction whatever it is
batched with.

Here: pen trajectories of 2-D points (x, y), between 15 and 60 steps long,
drawing one of three shapes. The labels are strings.
"""

# %%
# Synthetic gestures
# ------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score
from sklearn.model_selection import train_test_split

from sklearn_rnn import RNNClassifier

rng = np.random.default_rng(0)
SHAPES = ("circle", "line", "zigzag")


def draw(shape, length):
    """A noisy, randomly rotated and scaled trajectory of ``length`` points."""
    t = np.linspace(0.0, 1.0, length)
    if shape == "circle":
        points = np.column_stack([np.cos(2 * np.pi * t), np.sin(2 * np.pi * t)])
    elif shape == "line":
        points = np.column_stack([2 * t - 1, np.zeros(length)])
    else:
        points = np.column_stack([2 * t - 1, 0.5 * np.abs((6 * t) % 2 - 1)])
    angle = rng.uniform(0, 2 * np.pi)
    rotation = np.array([[np.cos(angle), -np.sin(angle)],
                         [np.sin(angle), np.cos(angle)]])
    points = rng.uniform(0.5, 2.0) * points @ rotation.T
    return points + rng.normal(scale=0.15, size=points.shape)


labels = rng.choice(SHAPES, size=900)
X = [draw(shape, rng.integers(15, 61)) for shape in labels]
print(f"{len(X)} sequences; lengths from {min(map(len, X))} to {max(map(len, X))};"
      f" each of shape (T_i, {X[0].shape[1]})")

fig, axes = plt.subplots(1, 6, figsize=(11, 2))
for ax, seq, label in zip(axes, X[:6], labels[:6], strict=True):
    ax.plot(seq[:, 0], seq[:, 1], marker=".", ms=3)
    ax.set_title(f"{label}, T={len(seq)}", fontsize=9)
    ax.set_aspect("equal")
    ax.axis("off")
plt.show()

# %%
# Fit on the list
# ---------------
# ``train_test_split`` splits lists as well as arrays. ``pooling='mean'``
# averages the hidden states over each sequence's *valid* steps; the default
# ``'last'`` takes the state at each sequence's true end. Either way padding
# never enters.
X_train, X_test, y_train, y_test = train_test_split(
    X, labels, test_size=0.3, stratify=labels, random_state=0
)
clf = RNNClassifier(
    cell="gru", hidden_size=32, pooling="mean", learning_rate_init=3e-3,
    max_iter=20, random_state=0,
)
clf.fit(X_train, y_train)
y_pred = clf.predict(X_test)
print("classes:", clf.classes_)
print(f"test accuracy: {accuracy_score(y_test, y_pred):.3f}")

ConfusionMatrixDisplay.from_predictions(y_test, y_pred, colorbar=False)
plt.title("Gestures of 15 to 60 steps")
plt.show()

# %%
# Padding does not change predictions
# -----------------------------------
# A sequence alone, or in a batch padded to 60 steps, gets the same
# probabilities (up to float32 rounding).
shortest = int(np.argmin([len(seq) for seq in X_test]))
alone = clf.predict_proba([X_test[shortest]])
in_batch = clf.predict_proba(X_test)[shortest]
print(f"length {len(X_test[shortest])}: alone {alone.round(4)}, "
      f"in the batch {in_batch.round(4)}")
np.testing.assert_allclose(alone[0], in_batch, atol=1e-5)

# %%
# The mistakes
# ------------
# The few mistakes (if any) are worth a look: here, lines and zigzags mixed
# up, as a zigzag drawn small is hard to tell from a noisy line.
wrong = np.flatnonzero(y_pred != y_test)[:6]
fig, axes = plt.subplots(1, 6, figsize=(11, 2), squeeze=False)
for ax in axes.ravel():
    ax.axis("off")
for ax, i in zip(axes.ravel(), wrong, strict=False):
    ax.plot(X_test[i][:, 0], X_test[i][:, 1], marker=".", ms=3, color="C3")
    ax.set_title(f"{y_pred[i]}? ({y_test[i]}, T={len(X_test[i])})", fontsize=8)
    ax.set_aspect("equal")
plt.show()

"""
==================================================
Binary classification of multi-feature sequences
==================================================

Sensor-style data: every sample is a sequence of 10 time steps with 5
features each, and a binary label. The label depends on *when* things happen,
not on which values occur: an event (a spike) shows up once in feature 0 and
once in feature 1, and the sample is positive when the two events are at most
2 steps apart. Features 2 to 4 are noise.

A linear model on the flattened window sees the same numbers but not the
order; a small recurrent network reads the sequence step by step.
"""

# %%
# Synthetic sequences, ``(n_samples, 10, 5)``
# -------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import RocCurveDisplay, accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split

from sklearn_rnn import RNNClassifier

rng = np.random.default_rng(0)
n_samples, n_steps, n_features = 2000, 10, 5
X = rng.normal(scale=0.5, size=(n_samples, n_steps, n_features))
t_event_0 = rng.integers(0, n_steps, n_samples)
t_event_1 = rng.integers(0, n_steps, n_samples)
rows = np.arange(n_samples)
X[rows, t_event_0, 0] += 3.0
X[rows, t_event_1, 1] += 3.0
y = (np.abs(t_event_0 - t_event_1) <= 2).astype(int)
print(f"X: {X.shape}, positive rate: {y.mean():.2f}")

X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, random_state=0
)

# %%
# Two of the sequences
# --------------------
fig, axes = plt.subplots(1, 2, figsize=(9, 2.8), sharey=True)
for ax, label in zip(axes, (1, 0), strict=True):
    i = np.flatnonzero(y_train == label)[0]
    for f in range(n_features):
        ax.plot(X_train[i, :, f], marker="o", label=f"feature {f}", alpha=0.8)
    ax.set_title(f"label {label}")
    ax.set_xlabel("time step")
axes[0].legend(fontsize=8, ncols=2)
plt.tight_layout()
plt.show()

# %%
# A linear baseline on flattened windows
# --------------------------------------
# ``(n, 10, 5)`` flattened to ``(n, 50)``: the tabular framing.
linear = LogisticRegression(max_iter=1000)
linear.fit(X_train.reshape(len(X_train), -1), y_train)
proba_linear = linear.predict_proba(X_test.reshape(len(X_test), -1))[:, 1]

# %%
# A GRU on the sequences
# ----------------------
# The 3-D array goes in as it is. ``predict`` returns the original labels and
# ``predict_proba`` one column per class, in the order of ``classes_``.
rnn = RNNClassifier(cell="gru", hidden_size=32, max_iter=30, random_state=0)
rnn.fit(X_train, y_train)
proba_rnn = rnn.predict_proba(X_test)[:, 1]

for name, proba in (("logistic regression", proba_linear), ("GRU", proba_rnn)):
    print(
        f"{name:>20}: accuracy {accuracy_score(y_test, proba > 0.5):.3f}, "
        f"ROC AUC {roc_auc_score(y_test, proba):.3f}"
    )

# %%
# ROC curves
# ----------
fig, ax = plt.subplots(figsize=(5, 5))
RocCurveDisplay.from_predictions(
    y_test, proba_linear, name="LogisticRegression (flattened)", ax=ax
)
RocCurveDisplay.from_predictions(y_test, proba_rnn, name="RNNClassifier (GRU)", ax=ax)
ax.plot([0, 1], [0, 1], "k:", lw=1)
ax.set_title("Events at most 2 steps apart?")
plt.show()

"""
======================================
Image rows as a sequence: digits
======================================

A classic way to show that a recurrent network reads *any* ordered data:
treat each row of an image as one time step. scikit-learn's handwritten
digits are 8x8 images, so every image becomes a sequence of 8 steps with 8
features (the pixels of a row), the same framing as the MNIST tutorials'
28 steps x 28 features.
"""

# %%
# The data: ``(n_samples, n_timesteps, n_features)``
# -----------------------------------------------------
# ``load_digits().images`` already has the 3-D, batch-first shape the
# estimators expect: row ``t`` of an image is time step ``t``.
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score
from sklearn.model_selection import train_test_split

from sklearn_rnn import RNNClassifier

digits = load_digits()
X, y = digits.images, digits.target
print(X.shape)  # (1797 images, 8 rows = time steps, 8 pixels = features)

X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# Fit an LSTM
# -----------
# Pixel values range from 0 to 16; the estimator standardises each input
# feature inside ``fit``, so no scaler is needed. ``early_stopping`` holds out
# the last 10 % of the training rows and keeps the weights of the best epoch.
clf = RNNClassifier(
    cell="lstm", hidden_size=64, max_iter=15, early_stopping=True, random_state=0
)
clf.fit(X_train, y_train)
print(f"epochs run: {clf.n_iter_}, best epoch: {clf.best_iteration_}")

# %%
# Accuracy and confusion matrix
# -----------------------------
y_pred = clf.predict(X_test)
print(f"test accuracy: {accuracy_score(y_test, y_pred):.3f}")

fig, ax = plt.subplots(figsize=(5.5, 5))
ConfusionMatrixDisplay.from_predictions(y_test, y_pred, ax=ax, colorbar=False)
ax.set_title("RNNClassifier on digit rows")
plt.show()

# %%
# What the network got wrong
# --------------------------
# The misclassified test images, with the predicted and the true label.
wrong = (y_pred != y_test).nonzero()[0][:8]
fig, axes = plt.subplots(1, 8, figsize=(10, 1.8), squeeze=False)
for ax in axes.ravel():
    ax.axis("off")
for ax, i in zip(axes.ravel(), wrong, strict=False):
    ax.imshow(X_test[i], cmap="gray_r")
    ax.set_title(f"{y_pred[i]} (true {y_test[i]})", fontsize=9)
plt.show()

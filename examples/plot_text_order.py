"""
==========================================
Word order: where bag-of-words cannot win
==========================================

A bag-of-words model (``TfidfVectorizer`` + ``LogisticRegression``) sees
which words a text contains, not in which order. Here the order *is* the
label: every review contains exactly one of "good" / "bad" and exactly one
"not", and "not" flips the sentiment only when it comes *before* the
sentiment word, possibly several words before ("not really very good").
Both orders hold the same words, so unigram counts carry no signal, and
bigrams only catch the cases where "not" sits right next to the word.

:class:`~sklearn_rnn.SequenceVectorizer` keeps the order: it turns each
text into its sequence of token ids, and
``RNNClassifier(embedding_dim=16)`` learns a vector per word and reads the
sequence. The same pipeline then predicts on sentences it has never seen,
including words outside its vocabulary and the empty string.
"""

# %%
# Synthetic reviews
# -----------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_rnn import RNNClassifier, SequenceVectorizer

rng = np.random.default_rng(0)
FILLER = ["the", "food", "service", "was", "really", "very", "quite", "and",
          "staff", "place", "it", "is", "so", "our", "table"]


def review():
    """A shuffled bag of filler words with "not" and "good"/"bad" inserted."""
    words = list(rng.choice(FILLER, size=rng.integers(3, 9)))
    sentiment = "good" if rng.random() < 0.5 else "bad"
    positions = sorted(rng.choice(len(words) + 2, size=2, replace=False))
    negated = rng.random() < 0.5
    first, second = ("not", sentiment) if negated else (sentiment, "not")
    words.insert(positions[0], first)
    words.insert(positions[1], second)
    positive = (sentiment == "good") != negated
    return " ".join(words), "positive" if positive else "negative"


texts, labels = zip(*(review() for _ in range(1500)), strict=True)
texts, labels = list(texts), np.array(labels)
for text, label in zip(texts[:5], labels[:5], strict=True):
    print(f"{label:>8}: {text}")

X_train, X_test, y_train, y_test = train_test_split(
    texts, labels, test_size=0.3, random_state=0
)

# %%
# Bag of words
# ------------
# Unigrams and bigrams, the usual strong baseline for short texts.
bow = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)),
                    LogisticRegression(max_iter=1000))
bow.fit(X_train, y_train)
print(f"TF-IDF (1, 2)-grams + LogisticRegression: {bow.score(X_test, y_test):.3f}")

# %%
# A recurrent network on token ids
# --------------------------------
# The vectorizer reserves id 0 for padding and id 1 for unknown words; the
# classifier learns a 16-dimensional vector per id before its GRU layer.
rnn = make_pipeline(
    SequenceVectorizer(),
    RNNClassifier(embedding_dim=16, cell="gru", hidden_size=32, max_iter=25,
                  learning_rate_init=5e-3, random_state=0),
)
rnn.fit(X_train, y_train)
print(f"SequenceVectorizer + RNNClassifier:       {rnn.score(X_test, y_test):.3f}")

# %%
# Where bag-of-words fails
# ------------------------
# Accuracy by how far "not" is from the sentiment word: bigrams see the
# adjacent case (distance 1) only; the recurrent network reads any distance.
def distance(text):
    words = text.split()
    sentiment = "good" if "good" in words else "bad"
    return abs(words.index("not") - words.index(sentiment))


gaps = np.minimum([distance(t) for t in X_test], 4)
correct = {"TF-IDF + LogisticRegression": bow.predict(X_test) == y_test,
           "SequenceVectorizer + RNNClassifier": rnn.predict(X_test) == y_test}
fig, ax = plt.subplots(figsize=(6, 3))
for k, (name, hits) in enumerate(correct.items()):
    accuracy = [hits[gaps == g].mean() for g in range(1, 5)]
    ax.bar(np.arange(1, 5) + 0.4 * k - 0.2, accuracy, width=0.4, label=name)
ax.set_xticks(range(1, 5), ["1", "2", "3", "4+"])
ax.set_xlabel('words between "not" and the sentiment word, + 1')
ax.set_ylabel("test accuracy")
ax.set_ylim(0, 1.05)
ax.legend(loc="lower right", fontsize=8)
fig.tight_layout()
plt.show()

# %%
# New sentences
# -------------
# Unknown words ("pizza", "terribly") become the unknown id; an empty text
# is the single unknown token, so it gets a prediction too.
new = ["not really good", "the pizza was good and not terribly slow",
       "it is not so bad", ""]
for text, label in zip(new, rnn.predict(new), strict=True):
    print(f"{label:>8}: {text!r}")
print(rnn[0].inverse_transform(rnn[0].transform(new[1:2]))[0])

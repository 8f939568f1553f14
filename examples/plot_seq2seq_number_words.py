"""
=============================================================
Sequence to sequence of another length: numbers to words
=============================================================

``"3042" -> ["three", "thousand", "and", "forty-two"]``: the input is a
sequence of digits, the output a sequence of words, and neither the lengths
nor the positions correspond (a zero says nothing, ``"3000"`` is two words,
``"3042"`` four, and where "forty-two" lands depends on the other digits).
This is the asynchronous, encoder-decoder setting:
:class:`~sklearn_rnn.RNNSeq2Seq` reads the digits, then writes the words one
by one until it writes its end token.

Beside it, a *direct* model, which is what a fixed-size output head does:
the output is padded to a fixed number of word slots, and one random forest
predicts the word of every slot from the (right-aligned) digits. The data
are generated here (no download).
"""

# %%
# Numbers and their words
# -----------------------
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline

from sklearn_rnn import RNNSeq2Seq, SequenceVectorizer, plot_loss_curve

ONES = ("zero one two three four five six seven eight nine ten eleven twelve "
        "thirteen fourteen fifteen sixteen seventeen eighteen nineteen").split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def below_hundred(n):
    if n < 20:
        return ONES[n]
    return TENS[n // 10] + ("" if n % 10 == 0 else "-" + ONES[n % 10])


def in_words(n):
    """English words of 0 <= n < 10,000 (British 'and')."""
    if n == 0:
        return "zero"
    parts = []
    if n >= 1000:
        parts.append(ONES[n // 1000] + " thousand")
    if n % 1000 >= 100:
        parts.append(ONES[n % 1000 // 100] + " hundred")
    if n % 100:
        if parts:
            parts.append("and")
        parts.append(below_hundred(n % 100))
    return " ".join(parts)


rng = np.random.RandomState(0)
numbers = rng.permutation(10_000)
X = [str(n) for n in numbers]
Y = [in_words(n).split() for n in numbers]
for digits, words in list(zip(X, Y, strict=True))[:4]:
    print(f"{digits!r:7} -> {words}")
print("output lengths:", sorted({len(words) for words in Y}))

# Fewer examples than a real application would use, so that the example runs
# in well under a minute: 3,000 numbers to learn from, 1,000 to test on.
X_train, Y_train = X[:3000], Y[:3000]
X_test, Y_test = X[3000:4000], Y[3000:4000]

# %%
# The encoder-decoder
# -------------------
# :class:`~sklearn_rnn.SequenceVectorizer` with ``tokenizer=list`` turns each
# string of digits into character ids; the targets are lists of words.
seq2seq = make_pipeline(
    SequenceVectorizer(tokenizer=list, lowercase=False, token_pattern=None),
    RNNSeq2Seq(embedding_dim=16, hidden_size=64, max_iter=25, random_state=0),
)
start = time.perf_counter()
seq2seq.fit(X_train, Y_train)
seq2seq_time = time.perf_counter() - start
seq2seq_accuracy = seq2seq.score(X_test, Y_test)
print(f"RNNSeq2Seq: exact match {seq2seq_accuracy:.3f} ({seq2seq_time:.1f} s)")
for digits in ["2024", "900", "7", "1010"]:
    print(f"  {digits!r} -> {seq2seq.predict([digits])[0].tolist()}")

# %%
# The direct baseline: one word per slot
# --------------------------------------
# Six slots (the longest output), filled from the left and padded with an
# end marker; each slot's word is a classification of the four digits.
N_SLOTS = max(len(words) for words in Y)


def digit_features(texts):
    return np.array([[int(c) if c != " " else -1 for c in text.rjust(4)]
                     for text in texts])


def slots(targets):
    return np.array([words + ["<end>"] * (N_SLOTS - len(words))
                     for words in targets])


direct = RandomForestClassifier(n_estimators=50, random_state=0)
start = time.perf_counter()
direct.fit(digit_features(X_train), slots(Y_train))
direct_time = time.perf_counter() - start
predicted = direct.predict(digit_features(X_test))
direct_accuracy = np.mean([
    [w for w in row if w != "<end>"] == words
    for row, words in zip(predicted, Y_test, strict=True)])
print(f"direct head: exact match {direct_accuracy:.3f} ({direct_time:.1f} s)")

# %%
# Results
# -------
# The direct model must learn, slot by slot, which word a slot holds for
# every pattern of zeros before it; a number needs all of its slots right.
# The encoder-decoder learns which digits make which words, and when to
# stop.
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9, 3.5))
ax0.bar(["direct head\n(random forest per slot)", "RNNSeq2Seq"],
        [direct_accuracy, seq2seq_accuracy], color=["tab:gray", "tab:blue"])
ax0.set_ylim(0, 1)
ax0.set_ylabel("exact-match accuracy (1,000 test numbers)")
plot_loss_curve(seq2seq[-1], ax=ax1)
ax1.set_title("RNNSeq2Seq training loss")
fig.tight_layout()
plt.show()

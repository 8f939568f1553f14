"""
=======================================
Tagging every token of a text
=======================================

With ``return_sequences=True`` the network outputs one value per time step:
with token ids as input, one value per word. Here each word is tagged with
its nesting depth in a small bracket language: "open" starts a group,
"close" ends one, and the filler words in between are at the depth of the
group they sit in.

No single word knows its depth: the same "the" is at depth 0 in one place
and depth 3 in another. A model that looks at one token at a time can only
learn the average depth of each word; the recurrent network counts the
groups opened so far.
"""

# %%
# Nested texts
# ------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

from sklearn_rnn import RNNRegressor, SequenceVectorizer

rng = np.random.default_rng(0)
FILLER = ["the", "cat", "saw", "dog", "and", "then", "it", "ran"]


def text():
    """Words with nested open/close groups and the depth after each word."""
    words, depths, depth = [], [], 0
    for _ in range(rng.integers(4, 20)):
        move = rng.random()
        if move < 0.25 and depth < 4:
            word, depth = "open", depth + 1
        elif move < 0.5 and depth > 0:
            word, depth = "close", depth - 1
        else:
            word = rng.choice(FILLER)
        words.append(str(word))
        depths.append(depth)
    return " ".join(words), np.array(depths, dtype=float)


docs, tags = zip(*(text() for _ in range(1200)), strict=True)
docs_train, docs_test, tags_train, tags_test = train_test_split(
    list(docs), list(tags), test_size=0.25, random_state=0
)
example = next(i for i, t in enumerate(tags_train) if t.max() >= 2)
for word, depth in zip(docs_train[example].split(), tags_train[example],
                       strict=True):
    print(f"{word:>6} {depth:.0f}")

# %%
# One tag per token
# -----------------
# The vectorizer keeps one id per word, so ``y`` is a list of arrays with
# the lengths of the documents' sequences.
vectorizer = SequenceVectorizer().fit(docs_train)
ids_train = vectorizer.transform(docs_train)
ids_test = vectorizer.transform(docs_test)
assert [len(s) for s in ids_train] == [len(t) for t in tags_train]

tagger = RNNRegressor(embedding_dim=8, cell="gru", hidden_size=32,
                      return_sequences=True, max_iter=30,
                      learning_rate_init=5e-3, random_state=0)
tagger.fit(ids_train, tags_train)
predicted = tagger.predict(ids_test)


def token_accuracy(true, pred):
    true, pred = np.concatenate(true), np.concatenate(pred)
    return np.mean(np.round(pred) == true)


# %%
# Against one-token-at-a-time
# ---------------------------
# The best a model without context can do: the mean depth of each word.
all_ids, all_tags = np.concatenate(ids_train), np.concatenate(tags_train)
mean_depth = {i: all_tags[all_ids == i].mean() for i in np.unique(all_ids)}
no_context = [np.array([mean_depth.get(i, all_tags.mean()) for i in seq])
              for seq in ids_test]
print(f"per-word mean depth:            token accuracy "
      f"{token_accuracy(tags_test, no_context):.3f}")
print(f"RNNRegressor(return_sequences): token accuracy "
      f"{token_accuracy(tags_test, predicted):.3f}")

# %%
# One test text
# -------------
k = int(np.argmax([len(t) for t in tags_test[:50]]))
words = vectorizer.inverse_transform(ids_test[k : k + 1])[0]
fig, ax = plt.subplots(figsize=(8, 3))
steps = np.arange(len(words))
ax.step(steps, tags_test[k], where="mid", label="true depth")
ax.plot(steps, predicted[k], "o", label="RNN")
ax.plot(steps, no_context[k], "x", label="per-word mean")
ax.set_xticks(steps, words, rotation=60, fontsize=8)
ax.set_ylabel("depth")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

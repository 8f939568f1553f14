"""Quality benchmark: sklearn-rnn's scores beside what users would pick instead.

Usage (from the repository root)::

    make quality                          # defaults, 3 seeds, writes the docs
    python -m benchmarks.quality --datasets ItalyPowerDemand ArrowHead --seeds 0
    python -m benchmarks.quality --config gru128 --set cell=gru \\
        --set hidden_size=128 --only-ours --no-docs   # try a configuration
    python -m benchmarks.quality --merge benchmarks/results/quality-default.json \\
        benchmarks/results/quality-gru128.json --datasets  # tables of both, no fit

Classification (UCR/UEA archive, as bundled with sktime: loads offline):
ItalyPowerDemand, ArrowHead, ACSF1, PLAID (variable length); regression:
Covid3Month (TSER archive); and the project's tutorial workloads: digits
(8 image rows of 8 pixels as a sequence) and the README's noisy sine
(one-step forecast from windows of 10). Train/test splits are the archive's.
"""

import sys
from dataclasses import dataclass, field

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.linear_model import RidgeCV
from sklearn.metrics import accuracy_score, mean_squared_error, r2_score
from sklearn.neighbors import KNeighborsClassifier
from torch import nn

from sklearn_rnn import RNNClassifier, RNNRegressor

from . import _suite as S
from .contenders import TorchRNN, warm_up_torch

DOCS = S.ROOT / "docs" / "quality_benchmark.md"
DATASETS = ("ItalyPowerDemand", "ArrowHead", "ACSF1", "PLAID", "Covid3Month",
            "digits", "sine")
CONTENDERS = ("ours", "hand", "1nn", "minirocket", "ridgecv")
LABELS = {
    "ours": "sklearn-rnn",
    "hand": "hand-written LSTM",
    "1nn": "1-NN Euclidean",
    "minirocket": "MiniRocket",
    "ridgecv": "RidgeCV",
}
SEEDED = {"ours", "hand"}
# The hand-written loop trains as many epochs as our default max_iter.
HAND_EPOCHS = RNNClassifier().max_iter
HAND_HIDDEN = 64
HAND_BATCH = 32
HAND_LR = 1e-3


@dataclass
class Dataset:
    name: str
    task: str  # "classification" or "regression"
    X_train: object  # (n, T, c) array, or a list of (T_i, c) arrays
    y_train: np.ndarray
    X_test: object
    y_test: np.ndarray
    notes: list = field(default_factory=list)

    @property
    def variable_length(self):
        return isinstance(self.X_train, list)


# ------------------------------------------------------------------ datasets
def _ucr(name):
    from sktime.datasets import load_UCR_UEA_dataset

    def load(split):
        X, y = load_UCR_UEA_dataset(name, split=split, return_type="numpy3D")
        # sktime stores (n, channels, T): ours reads (n, T, channels).
        return np.ascontiguousarray(X.transpose(0, 2, 1)), y
    return Dataset(name, "classification", *load("train"), *load("test"))


def _nested_to_list(X):
    """A nested sktime DataFrame -> a list of (T_i, channels) float arrays."""
    return [np.stack([np.asarray(X.iloc[i, j], dtype=np.float64)
                      for j in range(X.shape[1])], axis=1)
            for i in range(len(X))]


def _plaid():
    from sktime.datasets import load_UCR_UEA_dataset

    X_train, y_train = load_UCR_UEA_dataset("PLAID", split="train",
                                            return_type="nested_univ")
    X_test, y_test = load_UCR_UEA_dataset("PLAID", split="test",
                                          return_type="nested_univ")
    return Dataset("PLAID", "classification", _nested_to_list(X_train),
                   np.asarray(y_train), _nested_to_list(X_test),
                   np.asarray(y_test))


def _covid():
    from sktime.datasets import load_covid_3month

    def load(split):
        X, y = load_covid_3month(split=split)
        return np.stack(_nested_to_list(X)), np.asarray(y, dtype=np.float64)
    return Dataset("Covid3Month", "regression", *load("train"), *load("test"))


def _digits():
    from sklearn.datasets import load_digits

    digits = load_digits()
    X, y = digits.images, digits.target  # (1797, 8, 8): 8 rows of 8 pixels
    return Dataset("digits", "classification", X[:1400], y[:1400], X[1400:],
                   y[1400:])


def _sine():
    # The README quickstart: windows of the last 10 values -> the next one.
    series = np.sin(np.arange(1000) * 0.1) + 0.1 * np.random.RandomState(0).normal(
        size=1000)
    X = sliding_window_view(series[:-1], 10)[:, :, None]
    y = series[10:]
    return Dataset("sine", "regression", X[:800], y[:800], X[800:], y[800:])


LOADERS = {
    "ItalyPowerDemand": lambda: _ucr("ItalyPowerDemand"),
    "ArrowHead": lambda: _ucr("ArrowHead"),
    "ACSF1": lambda: _ucr("ACSF1"),
    "PLAID": _plaid,
    "Covid3Month": _covid,
    "digits": _digits,
    "sine": _sine,
}


# ---------------------------------------------------------------- helpers
def pad(sequences, length):
    """Zero-pad at the end or truncate to ``length`` steps: (n, length, c)."""
    out = np.zeros((len(sequences), length, sequences[0].shape[1]))
    lengths = np.empty(len(sequences), dtype=np.int64)
    for i, s in enumerate(sequences):
        lengths[i] = min(len(s), length)
        out[i, : lengths[i]] = s[: lengths[i]]
    return out, lengths


def flat(data):
    """Flattened train/test matrices; variable lengths padded/truncated to
    the longest training sequence (zeros at the end)."""
    if data.variable_length:
        length = max(len(s) for s in data.X_train)
        X_train, X_test = pad(data.X_train, length)[0], pad(data.X_test, length)[0]
    else:
        X_train, X_test = data.X_train, data.X_test
    return X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)


def score(data, y_pred):
    if data.task == "classification":
        return {"accuracy": accuracy_score(data.y_test, y_pred)}
    return {"rmse": float(np.sqrt(mean_squared_error(data.y_test, y_pred))),
            "r2": r2_score(data.y_test, y_pred)}


# -------------------------------------------------------------- contenders
def run_ours(data, seed, overrides):
    Estimator = RNNClassifier if data.task == "classification" else RNNRegressor
    est = Estimator(**S.estimator_params(Estimator, overrides, seed))
    seconds, _ = S.timed(est.fit, data.X_train, data.y_train)
    return seconds, est.predict(data.X_test), {"epochs": est.n_iter_}


def _tensors(X, mean=None, std=None):
    if isinstance(X, list):
        values, lengths = pad(X, max(len(s) for s in X))
    else:
        values, lengths = X, None
    if mean is None:
        # Per-feature standardisation pooled over the real (unpadded) steps,
        # as our estimators do it.
        real = (np.concatenate(X) if isinstance(X, list)
                else values.reshape(-1, values.shape[2]))
        mean, std = real.mean(axis=0), real.std(axis=0)
        std = np.where(std > 0, std, 1.0)
    values = ((values - mean) / std).astype(np.float32)
    if lengths is not None:  # padding stays zero after scaling
        values[np.arange(values.shape[1])[None, :] >= lengths[:, None]] = 0
        lengths = torch.from_numpy(lengths)
    return torch.from_numpy(values), lengths, mean, std


def run_hand(data, seed, overrides):
    """The tutorials' loop: LSTM-64 + linear head, Adam 1e-3, fixed epochs."""
    def fit():
        torch.manual_seed(seed)
        X, lengths, mean, std = _tensors(data.X_train)
        classification = data.task == "classification"
        if classification:
            classes, y = np.unique(data.y_train, return_inverse=True)
            y = torch.from_numpy(y)
            n_out, criterion = len(classes), nn.CrossEntropyLoss()
            y_mean = y_std = None
        else:
            y_mean, y_std = data.y_train.mean(), data.y_train.std()
            y = torch.from_numpy(((data.y_train - y_mean) / y_std)[:, None]
                                 .astype(np.float32))
            n_out, criterion, classes = 1, nn.MSELoss(), None
        model = TorchRNN("lstm", X.shape[2], HAND_HIDDEN, n_out)
        optimizer = torch.optim.Adam(model.parameters(), lr=HAND_LR)
        model.train()
        for _ in range(HAND_EPOCHS):
            order = torch.randperm(len(X))
            for start in range(0, len(X), HAND_BATCH):
                index = order[start: start + HAND_BATCH]
                batch_lengths = None if lengths is None else lengths[index]
                optimizer.zero_grad()
                loss = criterion(model(X[index], batch_lengths), y[index])
                loss.backward()
                optimizer.step()
        model.eval()
        return model, (mean, std, classes, y_mean, y_std)

    seconds, (model, (mean, std, classes, y_mean, y_std)) = S.timed(fit)
    X, lengths, _, _ = _tensors(data.X_test, mean, std)
    with torch.inference_mode():
        out = torch.cat([
            model(X[i: i + 1024], None if lengths is None else lengths[i: i + 1024])
            for i in range(0, len(X), 1024)]).numpy()
    if classes is not None:
        return seconds, classes[out.argmax(axis=1)], {"epochs": HAND_EPOCHS}
    return seconds, out[:, 0] * y_std + y_mean, {"epochs": HAND_EPOCHS}


def run_1nn(data, seed, overrides):
    X_train, X_test = flat(data)
    est = KNeighborsClassifier(n_neighbors=1)
    seconds, _ = S.timed(est.fit, X_train, data.y_train)
    return seconds, est.predict(X_test), {}


def minirocket_available():
    try:
        import numba  # noqa: F401
        from sktime.classification.kernel_based import RocketClassifier  # noqa: F401
    except ImportError as exc:
        return str(exc)
    return None


def run_minirocket(data, seed, overrides):
    from sktime.classification.kernel_based import RocketClassifier

    est = RocketClassifier(rocket_transform="minirocket", random_state=seed)
    # sktime reads (n, channels, T).
    seconds, _ = S.timed(est.fit, data.X_train.transpose(0, 2, 1), data.y_train)
    return seconds, est.predict(data.X_test.transpose(0, 2, 1)), {}


def run_ridgecv(data, seed, overrides):
    X_train, X_test = flat(data)
    est = RidgeCV(alphas=np.logspace(-3, 6, 19))
    seconds, _ = S.timed(est.fit, X_train, data.y_train)
    return seconds, est.predict(X_test), {"alpha": float(est.alpha_)}


RUNNERS = {"ours": run_ours, "hand": run_hand, "1nn": run_1nn,
           "minirocket": run_minirocket, "ridgecv": run_ridgecv}


def skip_reason(name, data):
    """Why a contender does not run on a dataset, or None."""
    if name == "1nn" and data.task != "classification":
        return "classification only"
    if name == "ridgecv" and data.task != "regression":
        return "regression only"
    if name == "minirocket":
        if data.task != "classification":
            return "classification only (here)"
        if data.variable_length:
            return "sktime's MiniRocket needs equal lengths"
        if data.X_train.shape[1] < 9:
            return "MiniRocket needs at least 9 time steps"
        missing = minirocket_available()
        if missing:
            return f"not installed ({missing})"
    return None


def warm_up(names):
    """One-off costs of the process (torch._dynamo import, numba compilation)
    paid before any timer."""
    warm_up_torch()
    rng = np.random.RandomState(0)
    tiny = Dataset("tiny", "classification", rng.normal(size=(8, 12, 1)),
                   np.array([0, 1] * 4), rng.normal(size=(4, 12, 1)),
                   np.array([0, 1] * 2))
    if "minirocket" in names and minirocket_available() is None:
        import numba

        threads = torch.get_num_threads()
        # numba and torch share the OpenMP runtime: numba's first parallel
        # call resets torch's thread count (and the next torch fit pays
        # seconds for it). Every contender gets the same threads.
        numba.set_num_threads(threads)
        run_minirocket(tiny, 0, {})
        torch.set_num_threads(threads)


# ------------------------------------------------------------------ running
def run(args, meta):
    """Fit every contender; the result files are rewritten after each fit,
    so that an interrupted run keeps what it measured."""
    rows = []
    warm_up(args.contenders)
    for name in args.datasets:
        data = LOADERS[name]()
        S.log(f"{name}: {data.task}, train {len(data.X_train)}, "
              f"test {len(data.X_test)}")
        for contender in args.contenders:
            reason = skip_reason(contender, data)
            if (contender, name) in args.skip:
                S.log(f"  {contender}: skipped (--skip)")
                continue
            if reason:
                if contender in ("minirocket",) and data.task == "classification":
                    S.log(f"  {contender}: skipped ({reason})")
                continue
            seeds = args.seeds if contender in SEEDED else [0]
            for seed in seeds:
                seconds, y_pred, extra = RUNNERS[contender](data, seed,
                                                            args.overrides)
                row = {
                    "suite": "quality", "dataset": name, "task": data.task,
                    "contender": contender,
                    "config": args.config if contender == "ours" else None,
                    "params": (S.estimator_params(RNNRegressor, args.overrides,
                                                  seed)
                               if contender == "ours" else None),
                    "seed": seed if contender in SEEDED else None,
                    **score(data, y_pred), "fit_s": seconds, **extra,
                }
                row["params"] = None if row["params"] is None else str(row["params"])
                rows.append(row)
                S.write_results(args.results, meta, rows)
                metric = ", ".join(f"{k} {row[k]:.3f}" for k in
                                   ("accuracy", "rmse", "r2") if k in row)
                S.log(f"  {contender:<10} seed {seed}: {metric}, fit "
                      f"{seconds:.2f} s" + (f", {extra['epochs']} epochs"
                                            if "epochs" in extra else ""))
    return rows


def tables(rows):
    """Markdown tables: accuracy (classification), RMSE and R2 (regression)."""
    out = []
    order = [d for d in DATASETS if any(r["dataset"] == d for r in rows)]
    for task, metrics in (("classification", ("accuracy",)),
                          ("regression", ("rmse", "r2"))):
        task_rows = [r for r in rows if r["task"] == task]
        if not task_rows:
            continue
        keys, labels = S.columns(task_rows, CONTENDERS, LABELS)
        for metric in metrics:
            body = []
            for dataset in order:
                here = [r for r in task_rows if r["dataset"] == dataset]
                if not here:
                    continue
                body.append([dataset] + [
                    S.cell(S.aggregate([r for r in here if r["contender"] == n
                                        and r["config"] == c], metric),
                           digits=4 if metric == "rmse" else 3,
                           time=metric != "r2")
                    for n, c in keys])
            title = {"accuracy": "Accuracy (higher is better)",
                     "rmse": "RMSE (lower is better)",
                     "r2": "R² (higher is better)"}[metric]
            out.append(f"## {task.capitalize()}: {title}\n\n"
                       + S.markdown_table(["dataset", *labels], body))
    out.append(S.epochs_table(rows, SEEDED, LABELS, DATASETS))
    return "\n\n".join(out)


PAGE = """---
orphan: true
---

# Quality benchmark

Generated by `make quality` (`python -m benchmarks.quality`); the runs behind
these tables:

{runs}

Scores on the archives' test splits beside the models users would pick
instead; `mean ± standard deviation over seeds (mean fit time per fit)`.
{setup}

{tables}

## Time to accuracy

Each contender's accuracy beside its mean fit time, sklearn-rnn in the
newest configuration run on that data set, and its fit time as a multiple
of MiniRocket's (the rows of the runs above: read the times as orders of
magnitude unless a run lists both contenders side by side).

{time_table}

![Accuracy against fit time](_static/quality_time_to_accuracy.png)

The configurations, oldest first: `0.1 defaults` (the first release),
`new-defaults` (the convolutional front end for long sequences, max pooling
behind it, the 'auto' batch size and patience, 200 epochs), `bn-only` (those
plus batch normalisation in the front end, before per-sequence
standardisation: measured on the three data sets that the next change
touches), `round-2-defaults` (front-end batch normalisation for equal
lengths, per-sequence standardisation unless the sequences already are, and
on windows of a series instance normalisation and early stopping),
`round-3-full-width` (those with a GRU cell instead of the LSTM and the
weights averaged over the training steps, `average_weights='auto'`;
measured on ACSF1 and PLAID only, the data sets the next change touches),
`round-3-defaults` (those with the front end's blocks before the last two
at half width; on the other data sets the front end has at most two blocks,
so their rows are also round-3-full-width's), `round-4-defaults` (those
with `ensemble_size='auto'`, three networks whose predictions are averaged
when the training data hold at most 20,000 time steps and early stopping is
off; ACSF1 and PLAID hold more and train one network, as the sine's windows
do (early stopping): their rows equal round-3-defaults'; still the current
defaults on the classification sets), `round-6-defaults` (the forecasting
round: each window centred on its last value; the sine only),
`round-7-defaults` (early stopping on the last tenth of a regression's rows
from 100 rows, the ensemble of three kept: Covid3Month R² 0.199 -> 0.187 in
half the fit time; it kept held-out R² near 0 instead of -0.7 on noisy
generated sets, benchmarks/results/round7-noisy-regression.md) and
`round-8-defaults` (those with each network's output layer starting at
zero, the training mean, on such rows: Covid3Month 0.187 -> 0.217;
benchmarks/results/round8-zero-head.jsonl; Covid3Month only) and
`round-9-defaults` (the current regressor: those with a validation tail of
at least 30 rows on such rows, `validation_fraction='auto'`: 30 of
Covid3Month's 140 where a tenth was 14; 0.217 -> 0.236;
benchmarks/results/round9-validation-rows.md; Covid3Month only),
`round-10-defaults` (the sine only: its one-step windows start from the
naive forecast, the forecasting round's zero output layer) and
`round-13-defaults` (the same defaults on ItalyPowerDemand, ArrowHead and
ACSF1, rerun in one run beside MiniRocket and 1-NN so that the fit times
compare side by side; one thread each, as every run here: with two
threads, ArrowHead 29.6 s against MiniRocket's 2.0 s,
benchmarks/results/round13-classifier-speed.md) and `round-18-fused-gru`
(the same defaults, the GRU's training recurrence now one compiled loop:
the same equations, results equal to float rounding, so each seed's
trajectory differs a little; rerun in one run beside MiniRocket and 1-NN,
ArrowHead also on seeds 3-5 and digits, Covid3Month and the sine beside:
ItalyPowerDemand 10.5 -> 3.9 s, ArrowHead 44.7 -> 22 s, ACSF1 48.6 -> 44 s,
benchmarks/results/round18-fused-gru.md) and `round-19-compiled-front-end`
(the same defaults, the GRU's gates in float32 with a vectorised exp and the
front end's batch norm, ReLU and pooling compiled: results equal to float
rounding; rerun in one run beside MiniRocket and 1-NN, beside the same run
of round 18's main, `round-19-baseline-7775129`: ItalyPowerDemand 3.5 ->
3.3 s, ArrowHead 25 -> 19 s, ACSF1 49 -> 31 s; ArrowHead also on seeds
3-5, PLAID, Covid3Month, digits and the sine beside,
benchmarks/results/round19-compiled-front-end.md). The user guide's page
"Getting a good model" reads these tables.

## What runs

- **sklearn-rnn**: `RNNClassifier` / `RNNRegressor` with their defaults (or
  the configuration's overrides) and `random_state` = each seed, fitted on
  `(n, T, channels)` arrays (sktime's `(n, channels, T)` transposed) or, for
  PLAID, a list of `(T_i, 1)` arrays.
- **hand-written LSTM**: the tutorials' loop in plain PyTorch: LSTM-{hidden}
  and a linear layer on the last state, Adam (learning rate {lr}), batch
  {batch}, {hand_epochs} epochs, shuffled batches, inputs standardised per
  feature (pooled over time steps), regression targets standardised; PLAID
  packed (`pack_padded_sequence`).
- **1-NN Euclidean**: `KNeighborsClassifier(n_neighbors=1)` on the flattened
  series. PLAID's series are zero-padded at the end to the longest training
  series, and test series longer than that truncated.
- **MiniRocket**: sktime `RocketClassifier(rocket_transform="minirocket")`
  (10,000 kernels, ridge classifier); not run on PLAID (sktime's MiniRocket
  needs equal lengths) nor on digits (8 steps; MiniRocket needs 9).
- **RidgeCV**: `RidgeCV(alphas=np.logspace(-3, 6, 19))` on the flattened
  series (regression only; Covid3Month's raw counts reach 20,000 and need the
  strong end of that grid: with alphas up to 1e3, R² is -35).
- Datasets: the UCR/UEA and TSER files bundled with sktime (offline), the
  archives' train/test splits; digits: `load_digits` images as 8 steps of 8
  features, first 1400 train; sine: the README's `sin(0.1 t) + 0.1 noise`,
  windows of 10 -> next value, first 800 windows train.
- A `-` marks a contender that does not apply there (above) or was left
  out of the runs listed at the top (`--contenders`, `--skip`): the
  hand-written loop packs PLAID's sequences and trains it many times slower
  than sklearn-rnn, which reads variable-length batches without packing, so
  `make quality` skips it there.
- Fit time covers `fit` alone. One-off costs of the process (the first
  optimizer's `torch._dynamo` import, numba's compilation of MiniRocket) are
  paid before any timer. Baselines without randomness run once.

Every row (also the per-seed ones) is in {results}; rerun with
`python -m benchmarks.quality --help` for the options (`--set`, `--config`,
`--seeds`, `--datasets`, `--merge`).
"""


PLOT = S.ROOT / "docs" / "_static" / "quality_time_to_accuracy.png"


def configs_newest_first(metas):
    """The sklearn-rnn configurations behind the rows, the most recent run's
    first (a configuration run several times counts at its latest run)."""
    latest = {}
    for meta in metas:
        config = meta.get("config")
        if config:
            latest[config] = max(latest.get(config, ""), meta["date"])
    return sorted(latest, key=latest.get, reverse=True)


def time_to_accuracy(rows, configs):
    """Per classification data set: each contender's accuracy beside its
    mean fit time, sklearn-rnn in the newest of ``configs`` that was run on
    that data set (a later configuration measured on other data sets only
    does not blank the row), and its time as a multiple of MiniRocket's (the
    issue-25 view). Returns the table and, per (data set, contender), the
    aggregate and the configuration shown."""
    order = [d for d in DATASETS if any(r["dataset"] == d and r["task"] ==
                                        "classification" for r in rows)]
    points = {}
    shown = {}
    body = []
    for dataset in order:
        ran = {r["config"] for r in rows
               if r["dataset"] == dataset and r["contender"] == "ours"}
        config = next((c for c in configs if c in ran), None)
        line = [dataset]
        for name in CONTENDERS:
            if name == "ridgecv":
                continue
            here = [r for r in rows if r["dataset"] == dataset
                    and r["contender"] == name
                    and (name != "ours" or r["config"] == config)]
            agg = S.aggregate(here, "accuracy")
            if agg is not None:
                points[dataset, name] = agg
            line.append(S.cell(agg, time=True))
        line.insert(2, config or "-")
        shown[dataset] = config
        ours, rocket = points.get((dataset, "ours")), points.get(
            (dataset, "minirocket"))
        line.append(f"{ours['fit_s'] / rocket['fit_s']:.1f}x"
                    if ours and rocket else "-")
        body.append(line)
    labels = [LABELS[n] for n in CONTENDERS if n != "ridgecv"]
    labels.insert(1, "sklearn-rnn configuration")
    table = S.markdown_table(["dataset", *labels, "sklearn-rnn time / MiniRocket's"],
                             body)
    return table, points, shown


def plot_time_to_accuracy(points, shown, path):
    """Accuracy against fit time (log scale), one panel per data set, titled
    with the sklearn-rnn configuration shown there."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = sorted({d for d, _ in points}, key=DATASETS.index)
    fig, axes = plt.subplots(1, len(datasets), figsize=(3.2 * len(datasets), 3),
                             squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        for name in CONTENDERS:
            agg = points.get((dataset, name))
            if agg is None:
                continue
            ax.errorbar(agg["fit_s"], agg["mean"], yerr=agg["std"] or 0,
                        fmt="o", capsize=3, label=LABELS[name],
                        # One colour per contender on every panel.
                        color=f"C{CONTENDERS.index(name)}")
        ax.set_xscale("log")
        ax.set_title(f"{dataset}\n[{shown.get(dataset) or '-'}]", fontsize=9)
        ax.set_xlabel("fit time (s, log)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("test accuracy")
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(names),
               frameon=False)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def render(rows, metas, args):
    table, points, shown = time_to_accuracy(rows, configs_newest_first(metas))
    if not args.no_docs and points:
        plot_time_to_accuracy(points, shown, PLOT)
    return PAGE.format(
        **S.page_fields(rows, metas, args),
        tables=tables(rows), hidden=HAND_HIDDEN, lr=HAND_LR, batch=HAND_BATCH,
        hand_epochs=HAND_EPOCHS, time_table=table,
    )


def main(argv=None):
    global HAND_EPOCHS
    parser = S.make_parser("python -m benchmarks.quality",
                           __doc__.split("\n\n")[0], DATASETS, CONTENDERS, DOCS)
    parser.add_argument("--hand-epochs", type=int, default=HAND_EPOCHS,
                        help="epochs of the hand-written LSTM (default "
                        f"{HAND_EPOCHS}, our default max_iter)")
    parser.add_argument("--skip", action="append", default=[],
                        metavar="CONTENDER:DATASET",
                        help="leave one contender out on one dataset, "
                        "repeatable (make quality: --skip hand:PLAID, about "
                        "half an hour per fit on 2 cores)")
    args = S.finish_args(parser.parse_args(argv))
    args.skip = {tuple(item.split(":", 1)) for item in args.skip}
    if any(len(pair) != 2 for pair in args.skip):
        parser.error("--skip expects CONTENDER:DATASET")
    unknown = {c for c, _ in args.skip} - set(CONTENDERS)
    if unknown or any(d not in DATASETS for _, d in args.skip):
        parser.error(f"--skip {sorted(args.skip)}: contenders are "
                     f"{CONTENDERS}, datasets {DATASETS}")
    HAND_EPOCHS = args.hand_epochs
    meta = S.environment()
    S.record_versions(meta, ("sktime",))
    S.skip_without_sktime(
        args, meta, {"ItalyPowerDemand", "ArrowHead", "ACSF1", "PLAID", "Covid3Month"},
        "make quality")
    return S.run_and_render(parser, args, meta, run, render)


if __name__ == "__main__":
    sys.exit(main())

"""Inference speed of an exported model in ONNX Runtime against ``predict``.

Usage (from the repository root; needs the ``onnx`` extra)::

    python -m benchmarks.onnx_speed               # 5 interleaved rounds
    python -m benchmarks.onnx_speed --threads 1 --rounds 7

Each workload fits a model for one epoch (the weights do not change the
speed), exports it with :func:`sklearn_rnn.to_onnx` and times, interleaved
round by round, ``predict`` / ``predict_proba`` against
``InferenceSession.run`` on the same input, with as many threads for ONNX
Runtime as torch uses. Prints the medians and their ratio; writes nothing.
"""

import argparse
import statistics
import time

import numpy as np
import onnxruntime as ort
import torch

from sklearn_rnn import RNNClassifier, RNNRegressor, to_onnx

from .contenders import warm_up_torch

# (name, estimator, X shape, calls per timing): the bulk workloads are the
# suite's predict workloads; the single-sequence ones measure serving latency.
WORKLOADS = [
    ("rows: 10k x 28 x 28, RNN-64, proba", "cls", (10_000, 28, 28), 1, "rnn"),
    ("lstm: 10k windows of 50, LSTM-64", "reg", (10_000, 50, 1), 1, "lstm"),
    ("one window of 50, LSTM-64 (x200 calls)", "reg", (1, 50, 1), 200, "lstm"),
    ("one sequence 28 x 28, GRU-64 (x200 calls)", "cls", (1, 28, 28), 200, "gru"),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.onnx_speed",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for torch and ONNX Runtime (default: "
                        "torch's)")
    return parser.parse_args(argv)


def build(kind, shape, cell, rng):
    X = rng.normal(size=(max(shape[0], 256), *shape[1:])).astype(np.float32)
    if kind == "cls":
        est = RNNClassifier(cell=cell, hidden_size=64, max_iter=1, random_state=0)
        est.fit(X[:256], rng.integers(0, 10, size=256))
        run = est.predict_proba
    else:
        est = RNNRegressor(cell=cell, hidden_size=64, max_iter=1, random_state=0)
        est.fit(X[:256], X[:256, -1, 0])
        run = est.predict
    return est, run, X[: shape[0]]


def timed(fn, calls):
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return time.perf_counter() - start


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    warm_up_torch()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    rng = np.random.default_rng(0)
    print(f"torch {torch.__version__}, onnxruntime {ort.__version__}, "
          f"{threads} thread(s), median of {args.rounds} rounds")
    print("| workload | predict (s) | ONNX Runtime (s) | ONNX / predict |")
    print("|---|---|---|---|")
    for name, kind, shape, calls, cell in WORKLOADS:
        est, run, X = build(kind, shape, cell, rng)
        session = ort.InferenceSession(to_onnx(est, X[:1]).SerializeToString(),
                                       options, providers=["CPUExecutionProvider"])
        output = session.get_outputs()[-1].name
        contenders = {
            "ours": lambda run=run, X=X: run(X),
            "onnx": lambda s=session, X=X, o=output: s.run([o], {"X": X}),
        }
        expected = run(X)
        got = contenders["onnx"]()[0]
        # Same numbers, or the timing compares different work.
        assert np.allclose(got, expected, atol=1e-4), name
        for fn in contenders.values():
            fn()  # warm-up
        times = {key: [] for key in contenders}
        for round_ in range(args.rounds):
            order = list(contenders)[round_ % 2:] + list(contenders)[: round_ % 2]
            for key in order:
                times[key].append(timed(contenders[key], calls))
        ours = statistics.median(times["ours"])
        onnx = statistics.median(times["onnx"])
        print(f"| {name} | {ours:.3f} | {onnx:.3f} | {onnx / ours:.2f} |",
              flush=True)


if __name__ == "__main__":
    main()

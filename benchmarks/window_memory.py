"""Peak memory of fitting and predicting on the windows of one long series.

``make_windows`` returns read-only strided views: ``n`` windows of ``T``
values cost the memory of the series, not ``n * T`` values. This script
checks that ``RNNRegressor.fit`` and ``predict`` keep it so, for a float64
series (the default dtype of numpy, so the one that needs converting to the
networks' float32). Every measurement runs in a fresh subprocess, so one
peak does not hide the next.

    python -m benchmarks.window_memory                     # 10M points, window 256
    python -m benchmarks.window_memory --n-points 200000   # smaller, quicker

Not part of ``make test``; nothing here is asserted.
"""

import argparse
import json
import subprocess
import sys

_CHILD = r"""
import json, os, resource, sys, time
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np
import torch
torch.set_num_threads(1)
from sklearn_rnn import RNNRegressor, make_windows

n_points, window, dtype = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

def rss_mib():
    # Peak resident set size of this process so far (Linux: KiB).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

rng = np.random.default_rng(0)
series = np.sin(np.arange(n_points) * 0.01).astype(dtype)
series += 0.1 * rng.standard_normal(n_points).astype(dtype)
X, y = make_windows(series, window)
est = RNNRegressor(cell="rnn", hidden_size=4, batch_size=4096, max_iter=1,
                   n_iter_no_change=1, random_state=0, device="cpu")
# A first small fit and predict load torch's lazy modules (tens of MiB) so
# that the figures below are what the size of the data adds.
warm = RNNRegressor(cell="rnn", hidden_size=4, max_iter=1, n_iter_no_change=1)
warm.fit(X[:64], y[:64]).predict(X[:64])
before = rss_mib()
start = time.perf_counter()
est.fit(X, y)
fit_s = time.perf_counter() - start
after_fit = rss_mib()
start = time.perf_counter()
pred = est.predict(X)
predict_s = time.perf_counter() - start
after_predict = rss_mib()
print(json.dumps({
    "n_windows": X.shape[0], "window": window, "dtype": dtype,
    "series_mib": series.nbytes / 2**20,
    "windows_f32_mib": X.size * 4 / 2**20,
    "baseline_mib": before,
    "fit_added_mib": after_fit - before,
    "predict_added_mib": after_predict - after_fit,
    "fit_s": fit_s, "predict_s": predict_s,
}))
"""


def measure(n_points, window, dtype):
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(n_points), str(window), dtype],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-points", type=int, default=10_000_000)
    parser.add_argument("--window", type=int, default=256)
    parser.add_argument("--dtypes", default="float64,float32")
    args = parser.parse_args(argv)
    print("| series dtype | windows | series | windows as float32 | peak RSS "
          "added by fit | added by predict | fit (1 epoch) | predict |")
    print("|---|---|---|---|---|---|---|---|")
    for dtype in args.dtypes.split(","):
        r = measure(args.n_points, args.window, dtype)
        print(f"| {dtype} | {r['n_windows']:,} x {r['window']} | "
              f"{r['series_mib']:,.0f} MiB | {r['windows_f32_mib']:,.0f} MiB | "
              f"{r['fit_added_mib']:,.0f} MiB | {r['predict_added_mib']:,.0f} MiB | "
              f"{r['fit_s']:.0f} s | {r['predict_s']:.0f} s |", flush=True)


if __name__ == "__main__":
    main()

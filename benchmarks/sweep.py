"""Sweep candidate defaults over the quality benchmark's development list.

A development tool for choosing defaults (issue 11): every configuration is
a set of estimator parameters; each runs on each dataset and seed, one fit at
a time, and the table prints accuracy (classification) or R² (regression),
fit time and epochs, with the 1-NN / RidgeCV baseline beside it.

    python -m benchmarks.sweep --datasets ArrowHead ACSF1 --seeds 0 \\
        --config base conv_layers=0 --config conv conv_layers=auto

Rows are appended to ``--results`` (JSON lines) as they finish.
"""

import argparse
import ast
import json
import time

import numpy as np
import torch

from . import quality as Q


def _parse_config(items):
    name, *pairs = items
    params = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            params[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[key] = value
    return name, params


def _baseline(data):
    if data.task == "classification":
        return Q.run_1nn(data, 0, {})[1]
    return Q.run_ridgecv(data, 0, {})[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(Q.DATASETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--config", nargs="+", action="append", required=True,
                        metavar="NAME KEY=VALUE")
    parser.add_argument("--results", default="benchmarks/results/sweep.jsonl")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads per fit (default 1, as the quality "
                        "suite's documented runs: two sweeps at once then share "
                        "2 cores without contention)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    configs = [_parse_config(items) for items in args.config]
    Q.warm_up(["ours"])
    for dataset in args.datasets:
        data = Q.LOADERS[dataset]()
        base = Q.score(data, _baseline(data))
        metric = "accuracy" if data.task == "classification" else "r2"
        print(f"{dataset}: baseline {metric} {base[metric]:.3f}", flush=True)
        for name, params in configs:
            scores, times, epochs = [], [], []
            for seed in args.seeds:
                start = time.perf_counter()
                seconds, y_pred, extra = Q.run_ours(data, seed, params)
                result = Q.score(data, y_pred)
                scores.append(result[metric])
                times.append(seconds)
                epochs.append(extra["epochs"])
                with open(args.results, "a") as file:
                    file.write(json.dumps({
                        "dataset": dataset, "config": name, "params": params,
                        "seed": seed, metric: result[metric], "fit_time": seconds,
                        "epochs": extra["epochs"],
                        "wall": time.perf_counter() - start}) + "\n")
            print(f"  {name:<14} {metric} {np.mean(scores):.3f} ± "
                  f"{np.std(scores):.3f}  fit {np.mean(times):6.1f} s  "
                  f"epochs {np.mean(epochs):.0f}", flush=True)


if __name__ == "__main__":
    main()

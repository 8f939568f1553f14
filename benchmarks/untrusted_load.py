"""What a crafted model file costs the process that refuses it.

Usage (from the repository root)::

    python -m benchmarks.untrusted_load            # prints a Markdown table

Each file of issue 22's table is built from a good model file in a
temporary folder (padding is streamed into the zip, compressed, so the
files stay small on disk) and loaded in a fresh Python process, after a
good file has been loaded once (imports and torch's first allocations are
the baseline). For each: the error, the time to refuse, and how much the
process's peak resident memory grew.
"""

import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from sklearn_rnn import RNNRegressor, save_model

_CHILD = r"""
import resource, sys, time, tracemalloc
from sklearn_rnn import load_model
load_model(sys.argv[1])  # the baseline: imports, one good load
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def refuse():
    try:
        load_model(sys.argv[2])
        return "LOADED"
    except ValueError as exc:
        return str(exc).split("model file: ", 1)[-1][:90]


start = time.perf_counter()
outcome = refuse()
seconds = time.perf_counter() - start
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
# Once more under tracemalloc (which slows allocation: not timed).
tracemalloc.start()
refuse()
traced = tracemalloc.get_traced_memory()[1]
print(f"{seconds:.3f}\t{grown / 1024:.1f}\t{traced / 2**20:.1f}\t{outcome}")
"""

_PADDING = 1536 * 2**20  # 1.5 GiB, as in the issue


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write(path, members, *, pad=None):
    """Write ``members``; ``pad=(name, n)`` streams n spaces (or zeros for
    the weights) into that member after its own bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            if pad is None or pad[0] != name:
                archive.writestr(name, data)
                continue
            with archive.open(name, "w", force_zip64=True) as member:
                filler = b"\0" if name.endswith("safetensors") else b" "
                if name.endswith(".json"):
                    member.write(data[:1])
                    data = data[1:]
                else:
                    member.write(data)
                    data = b""
                chunk = filler * 2**24
                for _ in range(pad[1] // len(chunk)):
                    member.write(chunk)
                member.write(data)


def _edited(members, edit):
    meta = json.loads(members["metadata.json"])
    edit(meta)
    return {**members, "metadata.json": json.dumps(meta).encode()}


def _cases(good):
    def set_(section, key, value):
        def edit(meta):
            meta[section][key] = value
        return edit

    strings = {"__ndarray__": {"dtype": "<U64", "shape": [200_000],
                               "values": [str(i) for i in range(200_000)]}}
    return [
        ("n_iter_ = 10**6, history padded to 1.5 GiB",
         _edited(good, set_("fitted", "n_iter_", 10**6)), ("history.json", _PADDING)),
        ("history padded to 1.5 GiB", good, ("history.json", _PADDING)),
        ("hidden_size = 10**5, weights padded to 1.5 GiB",
         _edited(good, set_("params", "hidden_size", 10**5)),
         ("weights.safetensors", _PADDING)),
        ("ensemble_size = 10**6, weights padded to 1.5 GiB",
         _edited(good, set_("params", "ensemble_size", 10**6)),
         ("weights.safetensors", _PADDING)),
        ("hidden_size = 8192 (the cap), weights padded to 1.5 GiB",
         _edited(good, set_("params", "hidden_size", 8192)),
         ("weights.safetensors", _PADDING)),
        ("n_input_features_ = 3 * 10**8",
         _edited(good, set_("fitted", "n_input_features_", 3 * 10**8)), None),
        ("num_layers = 10**5", _edited(good, set_("params", "num_layers", 10**5)),
         None),
        ("conv_layers = 10**6", _edited(good, set_("params", "conv_layers", 10**6)),
         None),
        ("head_hidden_sizes with 10**6 entries",
         _edited(good, set_("params", "head_hidden_sizes",
                            {"__tuple__": [1] * 10**6})), None),
        ("200,000 strings in a fitted attribute",
         _edited(good, set_("fitted", "feature_names_in_", strings)), None),
        ("loss_curve_ of 10**6 floats (metadata near its cap)",
         _edited(good, set_("fitted", "loss_curve_", [0.123456] * 700_000)), None),
        ("callbacks = ['os.system']",
         _edited(good, set_("params", "callbacks", ["os.system"])), None),
    ]


def main():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(64, 8, 2))
    model = RNNRegressor(ensemble_size=1, hidden_size=16, max_iter=3,
                         random_state=0).fit(X, X[:, :, 0].sum(axis=1))
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        good_path = Path(folder) / "good.skrnn"
        save_model(model, good_path)
        good = _members(good_path)
        for n, (label, members, pad) in enumerate(_cases(good)):
            path = Path(folder) / f"case{n}.skrnn"
            _write(path, members, pad=pad)
            result = subprocess.run(
                [sys.executable, "-c", _CHILD, str(good_path), str(path)],
                capture_output=True, text=True, check=True)
            seconds, grown, traced, outcome = result.stdout.strip().split("\t")
            size = path.stat().st_size / 2**20
            rows.append(f"| {label} | {size:.1f} MB | {seconds} s | {grown} MB "
                        f"| {traced} MB | {outcome} |")
            path.unlink()
    print("| crafted file | on disk | time to refuse | peak RSS growth | "
          "peak Python allocations | error |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

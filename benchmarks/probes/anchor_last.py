"""PROBE, not a library feature: reversible instance normalisation anchored
on the window's LAST value instead of its mean.

The library's ``RecurrentNetwork._forward_instance_normalised`` centres the
instance-normalised feature on the window's mean; this probe monkeypatches it
so that the level is the last valid past value of the window (the spread is
still the window's standard deviation). The network then predicts the change
from the naive forecast in units of the window's spread. Nothing in
``sklearn_rnn`` is changed on disk; the patch lives for this process only.

Used for issue 24's round 5 (``benchmarks/results/round5-levers.md``).

Usage (from the repository root)::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.anchor_last last \\
        --only-ours --config anchor-last --seeds 0 --no-docs \\
        --results benchmarks/results/round5-anchor-last-seed0.json

CONFIG: 'last' (level = last valid past value, spread = window std); any
other value runs the benchmark unpatched. The remaining arguments go to
``python -m benchmarks.forecast``.
"""
import sys

import torch

import sklearn_rnn._module as M


def _forward_last(self, X, lengths):
    feature = self.instance_norm_feature
    past = X[:, :self.instance_norm_steps, feature]
    _, level, spread = M._sequence_statistics(past, lengths)
    wide = past.double()
    if lengths is None:
        last = wide[:, -1:]
    else:
        idx = (torch.clamp(lengths, max=past.shape[1]) - 1).to(past.device)
        last = wide.gather(1, idx[:, None])
    level = last
    values = X[:, :, feature].to(level.dtype)
    floor = M.INSTANCE_NORM_FLOOR * self.input_scale[feature]
    scaled = (X - self.input_mean) / self.input_scale
    normalised = ((values - level) / spread.clamp_min(floor)).unsqueeze(-1)
    X = torch.cat([scaled[:, :, :feature], normalised.to(X.dtype),
                   scaled[:, :, feature + 1:]], dim=2)
    out = self._forward_scaled(X, lengths)
    level, spread = level.to(out.dtype), spread.to(out.dtype)
    return (level - self.target_mean + spread * out) / self.target_scale


def main(argv):
    if argv and argv[0] == "last":
        M.RecurrentNetwork._forward_instance_normalised = _forward_last
    from benchmarks.forecast import main as forecast_main
    return forecast_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

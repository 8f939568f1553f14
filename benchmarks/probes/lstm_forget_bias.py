"""PROBE, not a library feature: ``cell='lstm'`` with its forget gates
opened at the start (issue 24 fit time; issue 25 time to accuracy).

torch's fused CPU LSTM trains a forecast's windows 1.8x faster than the
default GRU (round 12: mean fit 2.39 -> 1.30 s over the forecast benchmark,
seeds 0-2) and forecasts the single series as well (0.703 -> 0.704), but it
loses on the long trending and seasonal series (macrodata, departures).
torch initialises every LSTM bias uniformly around 0, so each forget gate
starts near 0.5 and the cell state forgets within a few steps: a window's
slope, or the value a season back, is out of reach at the start, where the
early stopping of the long series looks for progress. The usual remedy
(Gers et al. 2000; Jozefowicz et al. 2015) starts the forget gates' biases
at ``FORGET_BIAS``. This probe sets them so in every LSTM the library builds
(torch's two bias vectors: ``bias_ih`` gets ``FORGET_BIAS``, ``bias_hh``
0) and runs the forecast benchmark with the same arguments::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.lstm_forget_bias \\
        --forget-bias 1.0 -- --only-ours --contenders ours --set cell=lstm \\
        --seeds 0 --datasets macrodata --no-docs --results F
"""

import argparse
import sys

from torch import nn

from sklearn_rnn import _module

from .. import forecast


class ForgetBiasLSTM(nn.LSTM):
    """``nn.LSTM`` whose forget gates' biases start at ``forget_bias``."""

    forget_bias = 1.0

    def reset_parameters(self):
        super().reset_parameters()
        h = self.hidden_size
        for name, bias in self.named_parameters():
            if name.startswith("bias_"):
                bias.data[h:2 * h] = (self.forget_bias if name.startswith("bias_ih")
                                      else 0.0)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    ours, _, rest = (argv[:argv.index("--")], None, argv[argv.index("--") + 1:]) \
        if "--" in argv else (argv, None, [])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--forget-bias", type=float, default=1.0)
    args = parser.parse_args(ours)
    ForgetBiasLSTM.forget_bias = args.forget_bias
    _module.CELLS["lstm"] = ForgetBiasLSTM
    return forecast.main(rest)


if __name__ == "__main__":
    sys.exit(main())

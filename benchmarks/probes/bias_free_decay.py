"""Probe (issue 24): weight decay that leaves the biases alone.

With ``alpha > 0`` the optimiser decays every parameter, biases included, so
a strongly penalised network on windows centred on their last value tends
to a zero output: the naive forecast "no change". With the biases exempt
(the usual practice for weight decay), it tends to a constant output
instead: the mean change over a window's spread, a drift in the window's
own units, which keeps a trend. On the benchmark's short series the
penalty took the noisy panels ahead of AutoETS and cost the trending single
series (austa, euretail, livestock: ``round11-alpha-gate.md``).

Run exactly as ``python -m benchmarks.forecast`` (same arguments; every
RNN fit with ``alpha > 0`` builds its optimiser with the biases in a
parameter group of their own without weight decay)::

    OMP_NUM_THREADS=1 python -m benchmarks.probes.bias_free_decay \\
        --only-ours --contenders ours --config round11-alpha1.0-nobias \\
        --set alpha=1.0 --seeds 0 --datasets ... --no-docs --results FILE
"""

import sys

from benchmarks import forecast as F
from sklearn_rnn._building import NetBuilding

_build_net = NetBuilding._build_net


def _build_net_bias_free(self, *args, **kwargs):
    net = _build_net(self, *args, **kwargs)
    if float(self._plan_value("alpha")) > 0:
        # skorch's parameter groups: fnmatch patterns on the module's
        # parameter names (GRU biases are bias_ih_l0 and bias_hh_l0).
        net.set_params(optimizer__param_groups=[("*bias*", {"weight_decay": 0.0})])
    return net


def main(argv=None):
    NetBuilding._build_net = _build_net_bias_free
    return F.main(argv)


if __name__ == "__main__":
    sys.exit(main())

"""The fast estimator parameters that every test module starts from.

Tests about a feature pin one network (``ensemble_size=1``; the ensemble's
own tests are in test_ensemble.py) and a seed, and name only what they
change: each module's ``FAST`` is ``fast_params(...)`` with its overrides.
"""

BASE = {"ensemble_size": 1, "random_state": 0}


def fast_params(*, omit=(), **overrides):
    """``BASE`` updated with ``overrides``, without the keys in ``omit``."""
    params = {**BASE, **overrides}
    for key in omit:
        params.pop(key)
    return params

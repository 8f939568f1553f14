"""scikit-learn's own estimator test suite, run on every public estimator.

Three times. The whole suite with fast parameters, once with one network and
once with the 'auto' ensemble (three networks on these small data): they
take every code path the defaults take on scikit-learn's tabular data (no
front end: at most 64 steps), and the fast sizes still pass the checks that
demand a learned model (``check_regressors_train`` wants R² > 0.5,
``check_classifiers_train`` accuracy > 0.83). And with the defaults, which
is what users run, the checks that train and score a model (what the
defaults change): the *_train checks, ``check_classifiers_classes`` and
``check_regressors_int``. Every other check is about the API, which the
fast instances cover; running all of them on the defaults' 200 epochs and
three networks took more than half of the whole test suite's time.
"""

import functools

import pytest
from sklearn.utils.estimator_checks import (
    _get_check_estimator_ids,
    estimator_checks_generator,
)

from sklearn_rnn import RNNClassifier, RNNRegressor

# One network: these tests are not about ensembles (test_ensemble.py is).
FAST = dict(ensemble_size=1,
            hidden_size=16, max_iter=30, batch_size=16, learning_rate_init=1e-2,
            random_state=0)

# Checks that cannot pass for a mini-batch SGD-trained network, and why.
EXPECTED_FAILED_CHECKS = {
    # A weight of 2 is not a repeated row for mini-batch training: the
    # repeated row lands in another batch and changes the number of
    # optimiser steps (scikit-learn's MLP* and SGD* fail this check too).
    "check_sample_weight_equivalence_on_dense_data": "mini-batch training: "
    "a weight of 2 is not the same as a repeated row",
}


# The checks the defaults run (see the module docstring).
LEARNING_CHECKS = {"check_classifiers_train", "check_regressors_train",
                   "check_classifiers_classes", "check_regressors_int"}


def _check_name(check):
    return (check.func if isinstance(check, functools.partial) else check).__name__


def _cases():
    fast_ensemble = {**FAST, "ensemble_size": "auto"}
    for estimator in [RNNRegressor(**FAST), RNNClassifier(**FAST),
                      RNNRegressor(**fast_ensemble),
                      RNNClassifier(**fast_ensemble)]:
        yield from estimator_checks_generator(
            estimator, expected_failed_checks=EXPECTED_FAILED_CHECKS, mark="xfail")
    for estimator in [RNNRegressor(random_state=0), RNNClassifier(random_state=0)]:
        for case in estimator_checks_generator(
                estimator, expected_failed_checks=EXPECTED_FAILED_CHECKS,
                mark="xfail"):
            # An expected failure comes as a pytest.param.
            _, check = getattr(case, "values", case)
            if _check_name(check) in LEARNING_CHECKS:
                yield case


CASES = list(_cases())


def test_the_defaults_run_every_learning_check():
    names = {_check_name(check) for estimator, check in
             (getattr(case, "values", case) for case in CASES)
             if estimator.get_params()["hidden_size"] == 64}
    assert names == LEARNING_CHECKS


@pytest.mark.parametrize("estimator, check", CASES, ids=_get_check_estimator_ids)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)

"""The fit plan: every 'auto' rule, resolved in one visible order.

A fit turns (the parameters, a summary of the training data, the previous
fitted state) into a :class:`FitPlan` with :func:`plan_fit`. Each rule is a
pure function of its inputs, its dependencies passed as arguments: nothing
here reads or writes an estimator. The plan has two parts, as the code
that uses it:

* the **architecture** (``conv_layers_``, ``conv_batch_norm_``, the
  regressor's instance normalisation, ``standardize_sequences_``,
  ``ensemble_size_``): resolved when a fit builds a new network; a warm
  start or ``partial_fit`` keeps the network's;
* the **training recipe** (``early_stopping_``, ``validation_fraction_``,
  ``average_weights_``, ``batch_size_``, ``n_iter_no_change_``,
  ``alpha_``): resolved at every fit.

The estimator checks the parameters before it plans, sets the fitted
attributes from the plan in one place (``BaseRNN._fit``) and commits them
only when training has finished. The docs' contributor page
(``docs/developers.rst``) says how to add a rule.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

# The 'auto' convolutional front end halves long sequences until the
# recurrent layers read at most this many steps.
CONV_TARGET_STEPS = 64
# The 'auto' patience of the stopping rule, in optimiser steps.
PATIENCE_STEPS = 250
# The 'auto' ensemble: ENSEMBLE_MEMBERS networks when the training data hold
# at most ENSEMBLE_MAX_STEPS time steps in all (sequences x steps), one
# otherwise (and one with early stopping and for a direct forecast's windows:
# see choose_ensemble_size). Small
# data sets are where a single network's result depends most on its
# initialisation, and where a fit is cheap enough to make several (docs:
# "Getting a good model").
ENSEMBLE_MEMBERS = 3
ENSEMBLE_MAX_STEPS = 20_000
# The 'auto' early stopping on windows of a series needs at least this many
# windows: below it the validation tail (a tenth) holds fewer than ten
# windows, too few to stop on, and it withholds the most recent period from
# training. The forecast benchmark's development list (issue 24, seed 0 to
# choose, seeds 1-2 to confirm: benchmarks/results/round6-defaults.md) puts
# the gain of training the short series to the end on 20-60 windows.
EARLY_STOPPING_MIN_WINDOWS = 100
# The 'auto' early stopping of a regressor on rows that are not windows of a
# series (one target per sequence), from this many rows (a validation tail of
# 30: VALIDATION_MIN_ROWS): without it, networks trained to the end on a few
# hundred noisy rows fit the noise, R^2 -0.66 to -1.0 on held-out rows where
# predicting the mean scores 0 (benchmarks/results/round7-noisy-regression.md).
# Its members are still an ensemble (see choose_ensemble_size).
REGRESSION_EARLY_STOPPING_MIN_ROWS = 100
# The 'auto' validation tail: a tenth of the rows, and for a regression on
# rows (see is_regression_on_rows) at least VALIDATION_MIN_ROWS of them (at
# most VALIDATION_MAX_FRACTION): a tail of 10-20 noisy rows picks the epoch
# by chance and keeps a model that fits noise. On the generated noisy sets
# of benchmarks/probes/noisy_regression.py and Covid3Month (seeds 0-2,
# benchmarks/results/round9-validation-rows.md), at least 30 rows beat 20
# and 40 and the tenth on every set it changes (100-200 rows): the worst
# set -0.112 -> -0.005, pure noise on 100 rows -0.041 -> -0.006,
# Covid3Month 0.217 -> 0.236; 400 rows and more keep their tenth.
VALIDATION_FRACTION = 0.1
VALIDATION_MIN_ROWS = 30
VALIDATION_MAX_FRACTION = 0.3
# The 'auto' weight decay: windows of a series that train to the end (fewer
# than EARLY_STOPPING_MIN_WINDOWS), and the stacked one-step windows of a
# global model, get alpha=SHORT_SERIES_ALPHA (one step
# ahead; DIRECT_SHORT_SERIES_ALPHA for a direct forecast) when a linear
# model of the windows predicts their most recent values no better than
# PREDICTABILITY_THRESHOLD of the naive forecast's squared error
# (sklearn_rnn._predictability). On the forecast benchmark's series that
# train to the end (seeds 0-2, benchmarks/results/round11-alpha-gate.md) the
# penalty everywhere took the short panels level with AutoETS and cost the
# strongly seasonal single series as much; the gate scores those below 0.33
# and every other series from 0.50: every threshold from 0.33 to 0.50 gives
# the same split.
SHORT_SERIES_ALPHA = 1.0
# The 'auto' centre of the instance normalisation: one-step windows of a
# single series are centred on their mean, not their last value, when some
# lag within the window repeats the series far more closely than one step
# does: the smallest mean absolute change over 2 or more steps is below
# SEASONAL_CENTRE_THRESHOLD of the mean absolute change over one step
# (sklearn_rnn._predictability.window_seasonality). On the forecast
# benchmark (seeds 0-2, benchmarks/results/round12-mean-centre.md) the
# series below it are the strongly seasonal ones (departures' five,
# souvenirs, austourists: 0.30-0.59); the next score up is 0.79 (shampoo),
# and every threshold between gives the same split: 0.7 is its middle.
SEASONAL_CENTRE_THRESHOLD = 0.7
# A direct forecast's windows: 1.0 flattened their trends (short series
# 0.735 -> 0.826); 0.1 gained (0.735 -> 0.699; round11-alpha-gate.md).
DIRECT_SHORT_SERIES_ALPHA = 0.1
PREDICTABILITY_THRESHOLD = 0.4
# The 'auto' scale of the instance normalisation: windows of a single series
# centred on their last value are divided by one scale for the series (its
# mean absolute one-step change) unless they are strongly seasonal within
# the window (SEASONAL_CENTRE_THRESHOLD, the centre's score) or, one step
# ahead, the series is a steady trend: the absolute mean change over the
# mean absolute change (sklearn_rnn._predictability.step_changes) at
# STEADY_TREND_THRESHOLD or more. On the forecast benchmark (seeds 0-2,
# benchmarks/results/round15-level-only.md, the probe's rows) every
# threshold from 0.4 to 0.7 scored 0.690-0.700 against the window's spread's
# 0.713 (recursive; the library itself at 0.6: 0.670); 0.6
# lies between the highest share of the series that gained (livestock,
# 0.54) and the lowest of those that lost (ausair, 0.73: 0.17 -> 0.86).
STEADY_TREND_THRESHOLD = 0.6
# ... and unless the usual step of the most recent third of the windows is
# more than STEP_GROWTH_MAX times that of the first third: the windows a
# forecast starts from would move further than nearly every window the
# network was trained on, in units of the series' mean step. Found on
# generated series (a season on an exponential trend, benchmarks/probes/
# level_only_synthetic.py: ratio to seasonal naive 0.035 -> 0.250 with one
# scale, growth 3.4; a direct forecast's windows end a horizon before the
# series, so the growth also reads the steps after the last window, its
# targets). On the benchmark's list it changes three series: two that one
# scale had barely moved (macrodata/m1 direct, growth 5.4;
# prisonLF/NT/Female/Sentenced, 6.0) and ausair's direct forecast (3.5),
# which it had helped (ratio 0.27 -> 0.37, round 13's). Steps that shrink
# are left to the series' scale: the recent windows are calm, inside the
# trained range (prices/nails direct 2.22 -> 0.97 with one scale, growth
# 0.17).
STEP_GROWTH_MAX = 3.0


class SeriesWindows(NamedTuple):
    """Training rows recognised as windows of a series (regressor only)."""

    feature: int  # the input feature the targets continue
    step: int  # the step of the next window that holds a window's target
    scale: float  # targets = scale * feature + offset
    offset: float
    # The first row of each series: stacked windows of several series have
    # more than one (a row whose target the next row does not hold ends a
    # series).
    series_starts: tuple
    # Targets per window: 1 for one step ahead, a direct forecast's horizon.
    horizon: int

    @property
    def n_series(self):
        return len(self.series_starts)


class PerStepWindows(NamedTuple):
    """Training rows recognised as windows a fixed number of steps apart
    with one target (or a horizon of targets) per step: ``make_windows(...,
    return_sequences=True)``
    (:func:`~sklearn_rnn._window.find_sliding_windows`)."""

    # The first row of each series (a row that does not continue the one
    # before starts another).
    series_starts: tuple
    # How many later rows share some of a row's targets: T - 1 (+ the
    # horizon - 1 of several outputs per step), over the rows' shift in
    # steps, rounded down.
    overlap: int
    # The input feature whose next value is each step's first target, or
    # None (targets of their own: the rows still share them).
    feature: int | None


@dataclass(frozen=True)
class DataSummary:
    """What the rules need to know of the training data."""

    n_samples: int
    n_steps: int  # the longest sequence (the padded length)
    n_valid_steps: int  # valid time steps in all: sum of lengths, or n x T
    ragged: bool  # sequences of different lengths
    # Whether each sequence is already standardised on its own: a function
    # of no arguments, as it is a pass over the data, made only when the
    # rule needs it.
    is_standardized: object
    series_windows: SeriesWindows | None
    n_features: int
    # The squared error of a linear model of the windows over the naive
    # forecast's (sklearn_rnn._predictability), or None: a function of no
    # arguments (a model fit), called only by the rule that needs it.
    predictability: object = None
    # The smallest change over a lag within the windows over the change over
    # one step (sklearn_rnn._predictability.window_seasonality), or None: a
    # function of no arguments, called only by the rule that needs it.
    seasonality: object = None
    # Rows that are windows a fixed number of steps apart with one target
    # per step (PerStepWindows), or None; looked for only for one output per
    # step.
    per_step_windows: PerStepWindows | None = None
    # The mean absolute one-step change of a feature and its trend share
    # (sklearn_rnn._predictability.step_changes), or None: a function of
    # (feature, steps), called only by the rule that needs it.
    step_changes: object = None


@dataclass(frozen=True)
class ArchitecturePlan:
    conv_layers: int
    conv_batch_norm: bool
    instance_norm_feature: int | None
    instance_norm_steps: int | None
    # (scale, offset): the targets' units from the feature's.
    instance_norm_affine: tuple | None
    # What the normalised windows are centred on: 'last' or 'mean'.
    instance_norm_center: str
    # What they are divided by: 'window' (each window's spread) or 'series'
    # (instance_norm_series_scale, one scale for the training data).
    instance_norm_scale: str
    instance_norm_series_scale: float | None
    standardize_sequences: bool
    ensemble_size: int
    # Whether each network's output layer starts at zero (the training mean).
    zero_output_layer: bool


@dataclass(frozen=True)
class TrainingPlan:
    early_stopping: bool
    validation_fraction: float
    # Rows left out of training before each validation tail (the windows of
    # a direct forecast whose targets reach into it): see
    # choose_validation_gap. A fact of the windows, not a parameter.
    validation_gap: int
    # The first row of each series that gets its own validation tail (and
    # gap), or None: one tail at the end of the rows.
    validation_series_starts: tuple | None
    average_weights: bool
    batch_size: int
    n_iter_no_change: int
    alpha: float


@dataclass(frozen=True)
class FitPlan:
    architecture: ArchitecturePlan | None  # None: the network is kept
    training: TrainingPlan


# ----------------------------------------------------------- the rules
def choose_conv_layers(conv_layers, n_steps, sequence_output):
    """``conv_layers_``: with 'auto', enough halvings to bring the longest
    training sequence to ``CONV_TARGET_STEPS`` steps or fewer; none for one
    output per step (which needs every step)."""
    if conv_layers != "auto":
        return int(conv_layers)
    if sequence_output or n_steps <= CONV_TARGET_STEPS:
        return 0
    return int(np.ceil(np.log2(n_steps / CONV_TARGET_STEPS)))


def choose_conv_batch_norm(conv_batch_norm, conv_layers, ragged):
    """``conv_batch_norm_``: with 'auto', on for a front end over sequences
    of one length. Variable-length sequences train in batches of similar
    lengths: their statistics are not the population's, which batch
    normalisation would then use at predict (PLAID 0.49 -> 0.40)."""
    if not conv_layers:
        return False
    if conv_batch_norm == "auto":
        return not ragged
    return bool(conv_batch_norm)


def choose_instance_norm(instance_norm, series_windows, n_steps,
                         per_step_windows=None):
    """``(instance_norm_feature_, _instance_norm_steps,
    _instance_norm_affine)`` (regressor): with 'auto', the feature that the
    windows of a series continue, its statistics read from the steps up to
    the one that holds the next target (later steps are known-future
    covariates: zeros for the series), and the map from its units to the
    targets' (a scaler that rescaled the inputs and not the targets); None
    when the rows are not such windows. An explicit feature takes the steps
    and map found for it, if any.

    Not skipped for a series whose level stays put: on the forecast
    benchmark, leaving such series (KPSS below its 5 % critical value) to
    the network's levels cost far more than it gained (seed 0: recursive
    0.706 -> 0.873, direct 0.761 -> 0.887; oil's ratio 0.78 -> 7.10,
    heartrate's 0.58 -> 6.03), though it fixed the README's noisy sine with
    windows of a sixth of its period (whose cure is a window of a period).

    Windows with one target per step (``per_step_windows``) whose targets
    continue a feature get that feature with 'auto' (the network then
    anchors each step on its own value: ``RecurrentNetwork``).
    """
    if instance_norm is None:
        return None, None, None
    if per_step_windows is not None:
        if instance_norm == "auto" and per_step_windows.feature is not None:
            return int(per_step_windows.feature), None, (1.0, 0.0)
        return None, None, None
    if series_windows is not None:
        w = series_windows
        if instance_norm == "auto" or int(instance_norm) == w.feature:
            return (int(w.feature), (w.step + 1 if w.step + 1 < n_steps else None),
                    (float(w.scale), float(w.offset)))
    if instance_norm == "auto":
        return None, None, None
    return int(instance_norm), None, None


def choose_instance_norm_center(instance_norm_center, feature, series_windows,
                                seasonality):
    """``instance_norm_center_`` (regressor): with 'auto', 'mean' for
    one-step windows of a single series (``series_windows``) that are
    strongly seasonal within the window (``seasonality()`` below
    ``SEASONAL_CENTRE_THRESHOLD``, called only then), 'last' otherwise
    (and wherever no feature is normalised, where the centre is unused).

    A network that has learnt little forecasts its windows' centre. The
    last value of a strongly seasonal window is a point somewhere in the
    season; the window's mean, over a season or more, is the series' level.
    On the forecast benchmark (seeds 0-2, recursive,
    ``benchmarks/results/round12-mean-centre.md``) centring the seven
    series below the threshold on their mean took departures 1.180 ->
    0.919 (AutoETS 0.920) and souvenirs 0.96 -> 0.48 (ratios to the
    seasonal naive forecast), the whole list 0.737 -> 0.713 (AutoETS
    0.729); centring every series on its mean lost (0.790), and so did a
    direct forecast's windows (departures 1.073 -> 1.165) and, for a
    global model, stacked windows of several series: they keep 'last'. A
    smooth cycle longer than the window (the noisy-sine tutorials) scores
    above 1."""
    if instance_norm_center != "auto":
        return instance_norm_center
    if (feature is None or series_windows is None or series_windows.horizon != 1
            or series_windows.n_series != 1 or seasonality is None):
        return "last"
    ratio = seasonality()
    if ratio is not None and ratio < SEASONAL_CENTRE_THRESHOLD:
        return "mean"
    return "last"


def choose_instance_norm_scale(instance_norm_scale, feature, steps, center,
                               series_windows, sequence_output, step_changes,
                               seasonality=None):
    """``(instance_norm_scale_, _instance_norm_series_scale)`` (regressor):
    what the normalised windows are divided by. With 'auto', 'series' for
    windows of a single series (``series_windows``) centred on their last
    value (``center``) that are not strongly seasonal within the window
    (``seasonality()`` at ``SEASONAL_CENTRE_THRESHOLD`` or more) and, for
    one-step windows, whose series is not a steady trend (trend share below
    ``STEADY_TREND_THRESHOLD``), and whose recent windows' usual step is at
    most ``STEP_GROWTH_MAX`` times the early ones': one scale for the whole
    series, its mean
    absolute one-step change (``step_changes(feature, steps)``, called only
    then); 'window' otherwise, each window's own standard deviation
    (RevIN). An explicit 'series' takes the feature's mean absolute change
    however the rows were made ('window' when no value changes). Unused
    without a normalised feature and with one output per step (whose
    forward reads the feature in its training-data units).

    A window's own spread inflates a calm window's small moves to unit size
    and shrinks a wild one's: the network cannot tell a quiet stretch from
    a turbulent one. Divided by the series' usual step, it sees how far
    each window moves. On the forecast benchmark (seeds 0-2,
    ``benchmarks/results/round15-level-only.md``; geometric mean ratio to
    the seasonal naive forecast, AutoETS 0.729) the recursive forecast went
    0.713 -> 0.670 (panels 0.862 -> 0.814: uschange 0.718 -> 0.588,
    macrodata 0.779 -> 0.692, prisonLF 0.917 -> 0.879; prices 1.011 ->
    1.090 lost) and the direct forecast 0.742 -> 0.639 (single series 0.703
    -> 0.605, panels 0.942 -> 0.814, series above 1.5x 15 -> 8), better in
    each seed. One scale on every series (the probe's rows) lost on the
    strongly seasonal ones (recursive souvenirs 0.48 -> 1.03, departures 0.919 -> 1.090;
    direct departures 0.962 -> 1.330) and, one step ahead, on steady trends
    whose steps grow with them (ausair 0.17 -> 0.86, macrodata/pop 0.07 ->
    0.18: a recursive forecast feeds back windows that move more than the
    series' average step), which the direct forecast's trends did not
    (austa 0.69 -> 0.33, macrodata/realdpi 2.09 -> 1.32). Stacked series,
    whose scales differ, keep each window's own."""
    if feature is None or sequence_output or instance_norm_scale == "window":
        return "window", None
    if instance_norm_scale == "auto":
        if (series_windows is None or series_windows.feature != feature
                or series_windows.n_series != 1 or center != "last"):
            return "window", None
        score = seasonality() if seasonality is not None else None
        if score is not None and score < SEASONAL_CENTRE_THRESHOLD:
            return "window", None
    found = step_changes(feature, steps) if step_changes is not None else None
    if found is None:
        return "window", None
    scale, trend, growth = found
    if instance_norm_scale == "auto" and (
            not growth <= STEP_GROWTH_MAX
            or series_windows.horizon == 1 and not trend < STEADY_TREND_THRESHOLD):
        return "window", None
    return "series", float(scale)


def choose_standardize_sequences(standardize_sequences, embedded,
                                 instance_norm_feature, is_standardized):
    """``standardize_sequences_``: with 'auto', on unless the training
    sequences are already standardised one by one (the UCR archive's
    convention: then it would only add two constant features), are token
    ids, or are windows of a series that the regressor normalises per
    window (instance normalisation)."""
    if embedded:
        return False
    if standardize_sequences != "auto":
        return bool(standardize_sequences)
    if instance_norm_feature is not None:
        return False
    return not is_standardized()


def is_regression_on_rows(regression, sequence_output, series_windows,
                          has_X_val):
    """Whether a fit is a regression on rows that are not windows of a
    series: one target (or one vector of targets) per sequence, validated on
    its own tail when it stops early (no ``X_val``)."""
    return (regression and not sequence_output and series_windows is None
            and not has_X_val)


def choose_early_stopping(early_stopping, series_windows, incremental,
                          has_X_val, n_samples, regression_on_rows,
                          per_step_windows=None):
    """``early_stopping_``: with 'auto', on with ``X_val``, on at least
    ``EARLY_STOPPING_MIN_WINDOWS`` windows of a series (one target per
    window, or one per step of windows that continue a feature:
    ``per_step_windows``) and on a regression's rows from
    ``REGRESSION_EARLY_STOPPING_MIN_ROWS`` rows (see
    :func:`is_regression_on_rows`); never for ``partial_fit``, whose one
    epoch has no tail to stop on."""
    if early_stopping != "auto":
        return bool(early_stopping)
    if incremental:
        return False
    if regression_on_rows:
        return n_samples >= REGRESSION_EARLY_STOPPING_MIN_ROWS
    forecast_windows = series_windows is not None or (
        per_step_windows is not None and per_step_windows.feature is not None)
    return has_X_val or (forecast_windows
                         and n_samples >= EARLY_STOPPING_MIN_WINDOWS)


def choose_average_weights(average_weights, incremental, early_stopping):
    """``average_weights_``: with 'auto', on unless early stopping keeps the
    best epoch's weights or the fit is one ``partial_fit`` epoch (whose
    average would replace the weights that the next call continues from).
    ``True`` with early stopping is refused by :func:`check_plan`."""
    if average_weights == "auto":
        return not (incremental or early_stopping)
    return bool(average_weights)


def choose_ensemble_size(ensemble_size, incremental, early_stopping,
                         n_valid_steps, regression_on_rows, direct_windows,
                         penalised_windows=False):
    """``ensemble_size_``: with 'auto', ``ENSEMBLE_MEMBERS`` networks when
    the training sequences hold at most ``ENSEMBLE_MAX_STEPS`` valid time
    steps in all, else one; one for ``partial_fit``, whose first batch says
    nothing of the data's size, and with early stopping (windows of a
    series, ``X_val``, a classifier, one output per step), where three
    networks measured no better than one on the forecast benchmark (MASE
    0.648 -> 0.665 recursive, 0.729 -> 0.728 direct) for three times the
    fit. A regression on rows (:func:`is_regression_on_rows`) that stops
    early keeps the ensemble (stopped on the members' mean validation
    loss): the average of three scored R^2 0.188 against one's 0.128 on
    Covid3Month (seeds 0-1) and fitted less noise on the noisy sets of
    benchmarks/results/round7-noisy-regression.md. Windows of a series whose
    targets are several future steps (``direct_windows``: a direct
    forecast) are one network too: on the forecast benchmark's series below
    100 windows, trained to the end, one network forecast as well as three
    (MASE ratio to seasonal naive 0.778 -> 0.774 on 15 single series, 1.110
    -> 1.109 on prisonLF's 32; seeds 0-2) in under a third of the time (7.8
    -> 2.2 s per fit, one thread), while the recursive forecast, whose
    one-step errors compound, lost with one (0.725 -> 0.758):
    benchmarks/results/round8-forecast-levers.md. Windows that the 'auto'
    weight decay penalises (``penalised_windows``, see :func:`choose_alpha`)
    are one network too: the penalty already smooths what three networks
    average, and on the forecast benchmark's 43 such series one network
    forecast as well as three (recursive, seeds 0-2: 0.723 either way on
    the short datasets, prisonLF 0.917 against 0.912, single series 0.689
    against 0.690) in half the time (mean fit over those datasets 3.2 ->
    1.5 s): benchmarks/results/round11-alpha-gate.md."""
    if ensemble_size != "auto":
        return int(ensemble_size)
    if incremental or direct_windows or penalised_windows or (
            early_stopping and not regression_on_rows):
        return 1
    return ENSEMBLE_MEMBERS if n_valid_steps <= ENSEMBLE_MAX_STEPS else 1


def choose_zero_output_layer(regression_on_rows, early_stopping,
                             one_step_windows=False):
    """Whether each network's output layer starts at zero: for a fit that
    stops early on a regression's rows (:func:`is_regression_on_rows`) or
    on one-step windows of a series (``one_step_windows``: the targets
    continue the series one step ahead, what ``recursive_forecast`` rolls
    forward) centred on their last value by instance normalisation (or on
    their mean where ``instance_norm_center='auto'`` chose it: a zero
    output then forecasts the window's mean).

    On rows, the targets are standardised, so a zero output layer predicts
    the training mean, and early stopping can keep a model close to it when
    the rows hold little to learn, instead of one that starts from a random
    function of the inputs. On the generated noisy sets of
    ``benchmarks/probes/noisy_regression.py`` and Covid3Month (seeds 0-2,
    ``benchmarks/results/round8-zero-head.jsonl``), mean held-out R^2:
    pure noise, 100 rows -0.088 -> -0.041, 200 rows -0.059 -> -0.042;
    the worst set (nonlin:1:100) -0.192 -> -0.112; signal (linear:3:400)
    0.669 -> 0.689; Covid3Month 0.187 -> 0.217; better on seven of ten
    sets, worse on two (linear:0.1:200 0.037 -> 0.008, freq:1:200 0.192
    -> 0.143).

    On windows centred on their last value (``instance_norm='auto'``), a
    zero output is the naive forecast "no change". On the forecast
    benchmark's development list (seeds 0-2,
    ``benchmarks/results/round10-forecast-levers.md``), the recursive
    forecast's geometric mean ratio to the seasonal naive forecast went
    0.767 -> 0.738 (single series 0.730 -> 0.694; msft, a random walk,
    1.31 -> 0.76; macrodata 0.948 -> 0.779; departures 0.888 -> 1.180).
    A direct forecast's windows lost (0.772 -> 0.780), and windows that
    train to the end (below 100) lost badly (austourists 0.35 -> 1.14,
    seed 0): both keep torch's initialisation, as do classifiers and one
    output per step."""
    return bool(early_stopping and (regression_on_rows or one_step_windows))


def choose_validation_fraction(validation_fraction, regression_on_rows,
                               n_samples):
    """``validation_fraction_``: with 'auto', ``VALIDATION_FRACTION`` of
    the rows; for a regression on rows (:func:`is_regression_on_rows`) at
    least ``VALIDATION_MIN_ROWS`` rows, up to ``VALIDATION_MAX_FRACTION``
    (100 rows: 30 % held out; 300 rows and more: a tenth). Windows of a
    series and classifiers keep the tenth, which is what their defaults
    were chosen with."""
    if validation_fraction != "auto":
        return float(validation_fraction)
    if not regression_on_rows:
        return VALIDATION_FRACTION
    return float(min(VALIDATION_MAX_FRACTION,
                     max(VALIDATION_FRACTION,
                         VALIDATION_MIN_ROWS / max(1, n_samples))))


def choose_alpha(alpha, centred_windows, early_stopping, incremental,
                 n_samples, n_series, predictability):
    """``alpha_``: with 'auto', a penalty for windows of a series centred on
    their last value (``centred_windows``: their horizon, 0 for other
    rows) that train to the end on fewer than
    ``EARLY_STOPPING_MIN_WINDOWS`` windows, or that stack one-step windows
    of several series (``n_series``: a global model), when a linear model
    of the windows predicts their most recent values no better than
    ``PREDICTABILITY_THRESHOLD`` of the naive forecast's squared error
    (``predictability()``, called only then): ``SHORT_SERIES_ALPHA`` for
    one-step windows, ``DIRECT_SHORT_SERIES_ALPHA`` for a direct forecast's
    (several steps per window); 0 otherwise.

    Such series are short and noisy: networks trained to the end on them
    fit the noise, and the penalty (as weight decay ``alpha / batch_size``)
    pulls them toward the naive forecast that a zero output is there. On
    the forecast benchmark's 46 series that train to the end (seeds 0-2,
    ``benchmarks/results/round11-alpha-gate.md``), the recursive forecast's
    geometric mean ratio to the seasonal naive forecast went 0.725 -> 0.723
    (prisonLF 1.152 -> 0.912, prices 1.117 -> 1.010, AutoETS 0.891 and
    0.990; series above 1.5x 9 -> 5; single series 0.673 -> 0.690: the
    short trends of austa, livestock and euretail lost) and a fit from 6.1
    to 3.2 s; over the whole list 0.738 -> 0.737, panels 0.967 -> 0.905.
    The penalty on every such series instead cost the strongly seasonal
    ones (austourists 0.38 -> 1.55, souvenirs 0.96 -> 1.53): the gate
    scores them 0.02-0.32. A direct forecast's windows lost with 1.0 (short
    series 0.735 -> 0.826: it flattens their trends) and gained with 0.1
    (0.735 -> 0.699, worst single series 2.43 -> 1.50; whole list 0.772 ->
    0.752). The benchmark's global models (five panels and all single
    series stacked; each stacked series scored on its own last third)
    score 0.76-1.01, departures 0.07: penalised, the global forecast went
    1.043 -> 1.025, its panels 0.938 -> 0.865, series above 1.5x 12 -> 7.
    A single series that stops early keeps 0: gated too, it scored better
    on the benchmark (0.725) but broke the noisy-sine tutorial (30-step
    RMSE 0.49 -> 0.79: a smooth signal under noise is hard to predict one
    step ahead, easy 30 steps ahead), and early stopping already
    regularises there; so does every other fit."""
    if alpha != "auto":
        return float(alpha)
    if not centred_windows or incremental:
        return 0.0
    short = not early_stopping and n_samples < EARLY_STOPPING_MIN_WINDOWS
    stacked = centred_windows == 1 and n_series > 1
    if not (short or stacked):
        return 0.0
    share = predictability() if predictability is not None else None
    if share is None or share <= PREDICTABILITY_THRESHOLD:
        return 0.0
    return SHORT_SERIES_ALPHA if centred_windows == 1 else DIRECT_SHORT_SERIES_ALPHA


def choose_validation_gap(series_windows, early_stopping, has_X_val,
                          per_step_windows=None):
    """Rows left out of training before the validation tail: ``horizon - 1``
    for the windows of a direct forecast that stop early on their own tail,
    the overlap of windows with one target per step
    (``per_step_windows``, found by
    :func:`~sklearn_rnn._window.find_sliding_windows`), 0 otherwise.

    Window ``i`` of a direct forecast holds the ``horizon`` values after it
    as targets, so the ``horizon - 1`` windows before the tail have targets
    inside the tail; trained on, they would let the validation loss read
    values the network was fitted to, and keep training past the best
    epoch. Left out, the tail is judged on values no training row holds,
    as ``TimeSeriesSplit(gap=...)`` does for cross-validation. One-step
    windows (recursive forecasts), other rows and ``X_val`` need no gap.
    Windows made ``step`` values apart (``make_windows(..., step=s)``) need
    only ``floor((horizon - 1) / s)`` rows; the rows do not say ``s`` when
    they carry future covariates, so the gap stays ``horizon - 1`` (more
    than needed, never less).

    Windows with one target per step (``make_windows(...,
    return_sequences=True)``, a regressor with ``return_sequences=True``)
    share each value's target with the ``T - 1`` windows after it (``T +
    horizon - 2`` with a horizon per step; ``floor`` of that over ``s`` for
    windows ``s`` steps apart, which the rows do say): that many rows are
    left out.
    """
    if not early_stopping or has_X_val:
        return 0
    if series_windows is not None:
        return max(0, int(series_windows.horizon) - 1)
    if per_step_windows is not None:
        return max(0, int(per_step_windows.overlap))
    return 0


def count_training_rows(n_samples, early_stopping, has_X_val,
                        validation_fraction, validation_gap=0, n_series=1):
    """The rows left for training once the validation tail (and the gap
    before it, in every series) is set aside."""
    n_train = n_samples
    if early_stopping and not has_X_val:
        n_train -= max(1, int(round(n_samples * validation_fraction)))
        n_train -= validation_gap * n_series
    return max(1, n_train)


def choose_batch_size(batch_size, n_train):
    """``batch_size_``: with 'auto', small batches for small data (n / 8,
    from 8 to 32 sequences), so that an epoch still makes several optimiser
    steps."""
    if batch_size == "auto":
        return int(min(32, max(8, n_train // 8)))
    return int(batch_size)


def choose_patience(n_iter_no_change, n_train, batch_size):
    """``n_iter_no_change_``: with 'auto', at least ``PATIENCE_STEPS``
    optimiser steps (and at least 10 epochs, scikit-learn's MLP default),
    so that a few noisy epochs of a small data set do not stop training."""
    if n_iter_no_change == "auto":
        n_batches = -(-n_train // batch_size)
        return int(max(10, -(-PATIENCE_STEPS // n_batches)))
    return int(n_iter_no_change)


def choose_pooling(pooling, conv_layers):
    """The pooling: the parameter, or for 'auto' 'max' over the steps of a
    convolutional front end (long sequences: a shape that matters may occur
    anywhere) and the final state otherwise."""
    if pooling != "auto":
        return pooling
    return "max" if conv_layers > 0 else "last"


# ------------------------------------------------------------ the checks
def check_fit_request(params, *, incremental, has_X_val, has_y_val, y_is_none,
                      sequence_output, estimator_name):
    """The checks of parameters and their combinations that need no data;
    they run before anything is computed or changed."""
    if incremental and params["early_stopping"] is True:
        # As scikit-learn's MLP: one epoch on a batch has no validation
        # tail to stop on (it would silently train on part of the rows).
        raise ValueError(
            "partial_fit does not support early_stopping=True; set "
            "early_stopping=False to train incrementally."
        )
    if incremental and params["average_weights"] is True:
        raise ValueError(
            "partial_fit does not support average_weights=True (each call "
            "would replace the weights it continues from with their "
            "average); set average_weights=False to train incrementally."
        )
    if has_X_val != has_y_val:
        raise ValueError("X_val and y_val must be passed together.")
    if has_X_val and params["early_stopping"] is False:
        raise ValueError(
            "X_val and y_val are passed to fit while early_stopping is "
            "False. When passing X_val and y_val to fit, set "
            "early_stopping=True."
        )
    if y_is_none:
        raise ValueError(
            f"{estimator_name} requires y to be passed, but the target y is "
            "None."
        )
    conv_layers = params["conv_layers"]
    if conv_layers != "auto" and conv_layers and sequence_output:
        raise ValueError(
            "conv_layers shortens the sequences and cannot be combined "
            "with return_sequences=True (one output per step); use "
            "conv_layers=0."
        )
    if params["embedding_dim"] is not None and (
            params["standardize_sequences"] is True):
        raise ValueError(
            "standardize_sequences=True cannot be combined with "
            "embedding_dim: token ids are not measurements. Use "
            "standardize_sequences=False."
        )
    instance_norm = params.get("instance_norm")
    if instance_norm not in (None, "auto") and (
            sequence_output or params["embedding_dim"] is not None):
        raise ValueError(
            "instance_norm names the feature of windows of a series for one "
            "prediction per window; with return_sequences=True 'auto' finds "
            "it (windows from make_windows(..., return_sequences=True)), and "
            "token ids (embedding_dim) have none. Use instance_norm='auto' or "
            "None."
        )


def check_plan(params, plan, summary):
    """The checks that need the data or the resolved rules."""
    if params["average_weights"] is True and plan.training.early_stopping:
        raise ValueError(
            "average_weights=True cannot be combined with early stopping, "
            "which keeps the weights of the best validation epoch; set "
            "early_stopping=False to average the weights (early_stopping="
            "'auto' turns it on with X_val, on 100 or more windows of a series "
            "and on a regressor's 100 or more other rows)."
        )
    architecture = plan.architecture
    if (architecture is not None and architecture.instance_norm_feature
            is not None and summary.per_step_windows is not None
            and params.get("instance_norm_center") == "mean"):
        raise ValueError(
            "instance_norm_center='mean' cannot centre windows with one "
            "target per step: a window's mean holds the values after each "
            "step, the targets. Each step is read as the change from its own "
            "value ('last'); use instance_norm_center='auto' or 'last', or "
            "instance_norm=None."
        )
    instance_norm = params.get("instance_norm")
    if (plan.architecture is not None and instance_norm not in (None, "auto")
            and instance_norm >= summary.n_features):
        raise ValueError(
            f"instance_norm={instance_norm} names an input feature, but X "
            f"has {summary.n_features} feature(s) per time step."
        )


# -------------------------------------------------------------- the plan
def plan_fit(params, summary, *, new_network, incremental, has_X_val,
             sequence_output, regression):
    """The fit plan for ``params`` (``get_params()``) on data ``summary``.

    The order is the rules' dependencies: early stopping first (the
    ensemble, the weight average and the training sizes depend on it),
    then the weight decay (the ensemble depends on it); the architecture
    only when the fit builds a new network.
    """
    regression_on_rows = is_regression_on_rows(
        regression, sequence_output, summary.series_windows, has_X_val)
    per_step = summary.per_step_windows if sequence_output else None
    early_stopping = choose_early_stopping(
        params["early_stopping"], summary.series_windows, incremental, has_X_val,
        summary.n_samples, regression_on_rows, per_step)
    feature, steps, affine = choose_instance_norm(
        params.get("instance_norm"), summary.series_windows, summary.n_steps,
        per_step)
    center = (choose_instance_norm_center(
        params.get("instance_norm_center"), feature, summary.series_windows,
        summary.seasonality) if regression else "last")
    # Windows of a series centred on their last value, or on their mean where
    # 'auto' chose it (their horizon; 0 for other rows), where a zero output
    # is the centre's forecast: the zero start (one-step windows) and the
    # 'auto' weight decay were measured there. A user's own 'mean' keeps
    # what it trained with before either rule.
    centred_windows = (summary.series_windows.horizon
                       if (regression and not sequence_output
                           and summary.series_windows is not None
                           and feature is not None
                           and (center == "last"
                                or params.get("instance_norm_center") == "auto"))
                       else 0)
    # One-step windows, or windows with one target per step anchored on
    # each step's own value: a zero output is the naive forecast.
    one_step_windows = centred_windows == 1 or (sequence_output
                                                and feature is not None)
    alpha = choose_alpha(
        params["alpha"], centred_windows, early_stopping, incremental,
        summary.n_samples,
        0 if summary.series_windows is None else summary.series_windows.n_series,
        summary.predictability)
    architecture = None
    if new_network:
        norm_scale, series_scale = (choose_instance_norm_scale(
            params.get("instance_norm_scale"), feature, steps, center,
            summary.series_windows, sequence_output, summary.step_changes,
            summary.seasonality)
            if regression else ("window", None))
        conv_layers = choose_conv_layers(params["conv_layers"], summary.n_steps,
                                         sequence_output)
        architecture = ArchitecturePlan(
            conv_layers=conv_layers,
            conv_batch_norm=choose_conv_batch_norm(
                params["conv_batch_norm"], conv_layers, summary.ragged),
            instance_norm_feature=feature,
            instance_norm_steps=steps,
            instance_norm_affine=affine,
            instance_norm_center=center,
            instance_norm_scale=norm_scale,
            instance_norm_series_scale=series_scale,
            standardize_sequences=choose_standardize_sequences(
                params["standardize_sequences"],
                params["embedding_dim"] is not None, feature,
                summary.is_standardized),
            ensemble_size=choose_ensemble_size(
                params["ensemble_size"], incremental, early_stopping,
                summary.n_valid_steps, regression_on_rows,
                direct_windows=(summary.series_windows is not None
                                and summary.series_windows.horizon > 1),
                # Measured with the 'auto' penalty, not a user's alpha.
                penalised_windows=params["alpha"] == "auto" and alpha > 0),
            zero_output_layer=choose_zero_output_layer(
                regression_on_rows, early_stopping, one_step_windows),
        )
    validation_fraction = choose_validation_fraction(
        params["validation_fraction"], regression_on_rows, summary.n_samples)
    validation_gap = choose_validation_gap(summary.series_windows,
                                           early_stopping, has_X_val, per_step)
    validation_starts = (summary.series_windows.series_starts
                         if summary.series_windows is not None
                         else None if per_step is None
                         else per_step.series_starts)
    n_train = count_training_rows(
        summary.n_samples, early_stopping, has_X_val, validation_fraction,
        validation_gap,
        1 if validation_starts is None else len(validation_starts))
    batch_size = choose_batch_size(params["batch_size"], n_train)
    training = TrainingPlan(
        early_stopping=early_stopping,
        validation_fraction=validation_fraction,
        validation_gap=validation_gap,
        validation_series_starts=validation_starts,
        average_weights=choose_average_weights(
            params["average_weights"], incremental, early_stopping),
        batch_size=batch_size,
        n_iter_no_change=choose_patience(params["n_iter_no_change"], n_train,
                                         batch_size),
        alpha=alpha,
    )
    plan = FitPlan(architecture, training)
    check_plan(params, plan, summary)
    return plan

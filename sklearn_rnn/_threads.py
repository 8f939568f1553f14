"""How many CPU threads torch may use while a network trains.

torch runs each op on all cores by default. A small recurrent network is
a long chain of small matrix products (one per time step), where waking the
other threads costs more than the product itself: on 2 cores, RNN-64 with a
batch of 64 trains about 15 % faster on one thread than on two (LSTM-64 with
a batch of 256, 1.5x slower), and on a busy machine
(other processes, or several fits in the threads of one process) a thread
pool that waits for a core it does not get makes training many times slower.

The policy, applied for the duration of a training or validation epoch:

* from the work of one recurrent step (batch x gates x hidden x hidden
  multiply-adds), one thread per ``STEP_WORK_PER_THREAD`` of it, at least
  one;
* all of them when a convolutional front end does more work per batch than
  ``CONV_WORK_FOR_ALL_THREADS``: its convolutions over long sequences are
  large, well parallelised operations that dominate the epoch;
* never more than the caller's own setting (``torch.set_num_threads``, or
  ``OMP_NUM_THREADS``, which joblib's process workers set to their share of
  the cores);
* fits running at once in several threads of one process (joblib's threading
  back end, Dask's threaded scheduler) share that setting instead of each
  taking all of it.

Set the environment variable ``SKLEARN_RNN_THREADS=off`` to leave torch's
setting alone.

Two independent fits of one call (``RNNForecaster``'s recursive and direct
models) may run side by side in two threads of the caller's setting
(:func:`run_side_by_side`); each is cancelled at its next batch when the
other fails or the caller is interrupted (:func:`cancel_when`). Neither
they nor an ensemble's members (in lanes) run side by side when their steps
hold Python's lock most of the time (:func:`steps_hold_the_gil`).
"""

import os
import threading
from contextlib import contextmanager

import torch
from torch import nn

__all__ = ["STEP_WORK_PER_THREAD", "CONV_WORK_FOR_ALL_THREADS",
           "recurrent_step_work", "convolution_work", "training_threads",
           "limit_threads", "steps_hold_the_gil", "FitCancelled",
           "cancel_when", "check_cancelled", "run_side_by_side"]

# Multiply-adds of one recurrent step per thread, measured on 2 idle cores
# (torch 2.13, OpenMP): RNN-64 x batch 32 or 64 (0.13 M, 0.26 M) trains up
# to 15 % faster on one thread than on two, LSTM-64 x batch 32 (0.52 M) as
# fast, LSTM-64 x batch 64 (1.05 M, packed sequences) 1.6x faster on two,
# LSTM-64 x batch 256 (4.2 M) 1.5x faster on two.
STEP_WORK_PER_THREAD = 500_000

# Multiply-adds of a batch's convolutional front end (forward) above which a
# training takes all the threads it may. Measured on 2 idle cores, 8 epochs
# of the default classifier: ACSF1 (batch 12 x 1,460 steps, 330 M) 4.9 s on
# one thread, 3.2 s on two; PLAID (batch 32 x 1,344 steps, ~1 G) 6.2 s and
# 4.5 s; ArrowHead (batch 8 x 251 steps, 21 M) 0.31 s on one thread, 0.49 s
# on two - hence a threshold between them.
CONV_WORK_FOR_ALL_THREADS = 100_000_000

_GATES = {nn.RNN: 1, nn.GRU: 3, nn.LSTM: 4}

_lock = threading.Lock()
_active = 0  # trainings running now in this process (any thread)
_cancel = threading.local()  # the event that cancels this thread's trainings


def recurrent_step_work(module, batch_size):
    """Multiply-adds of the largest hidden-to-hidden product of one step.

    Parameters
    ----------
    module : torch.nn.Module
        A network holding ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` layers.
    batch_size : int
        Rows per batch.

    Returns
    -------
    int
        0 when the module has no recurrent layer.

    Examples
    --------
    >>> from torch import nn
    >>> recurrent_step_work(nn.LSTM(8, 64), batch_size=32)
    524288
    """
    work = 0
    for layer in module.modules():
        gates = next((g for cls, g in _GATES.items() if isinstance(layer, cls)), 0)
        if gates:
            hidden = layer.hidden_size
            work = max(work, batch_size * gates * hidden * hidden)
    return work


def convolution_work(module, batch_size, n_steps):
    """Multiply-adds of the forward pass of a batch's ``nn.Conv1d`` layers,
    each block of the front end reading half the steps of the one before.

    Examples
    --------
    >>> from torch import nn
    >>> front = nn.ModuleList([nn.Conv1d(1, 8, 5), nn.Conv1d(8, 8, 5)])
    >>> convolution_work(front, batch_size=2, n_steps=100)
    40000
    """
    # Imported here: _module imports this module (through _fused_gru).
    from ._module import NetworkEnsemble

    if isinstance(module, NetworkEnsemble):
        # Each member's front end reads the whole batch.
        return sum(convolution_work(member, batch_size, n_steps)
                   for member in module.members)
    work = 0
    for layer in module.modules():
        if isinstance(layer, nn.Conv1d):
            (width,) = layer.kernel_size
            work += (batch_size * n_steps * layer.in_channels
                     * layer.out_channels * width)
            n_steps = -(-n_steps // 2)
    return work


def training_threads(module, batch_size, available=None, concurrent=1,
                     n_steps=None):
    """The number of threads the policy gives one training.

    Parameters
    ----------
    module : torch.nn.Module
    batch_size : int
    available : int, default=None
        The caller's thread setting (default: ``torch.get_num_threads()``).
    concurrent : int, default=1
        Trainings sharing ``available`` at this moment.
    n_steps : int, default=None
        Time steps of a padded batch (for the work of a convolutional front
        end; None: not counted).

    Returns
    -------
    int

    Examples
    --------
    >>> from torch import nn
    >>> training_threads(nn.RNN(1, 64), batch_size=32, available=8)
    1
    >>> training_threads(nn.LSTM(1, 64), batch_size=256, available=4)
    4
    >>> training_threads(nn.LSTM(1, 64), batch_size=256, available=8, concurrent=8)
    1
    """
    if available is None:
        available = torch.get_num_threads()
    share = _share(available, concurrent)
    work = recurrent_step_work(module, batch_size)
    if work == 0:
        return share
    if (n_steps is not None and convolution_work(module, batch_size, n_steps)
            >= CONV_WORK_FOR_ALL_THREADS):
        return share
    return max(1, min(share, work // STEP_WORK_PER_THREAD))


def _share(available, concurrent):
    """One training's share of ``available`` threads when ``concurrent``
    trainings run at once (at least one)."""
    return max(1, available // max(1, concurrent))


def policy_enabled():
    """False when ``SKLEARN_RNN_THREADS`` is set to ``off`` (or 0, false, no)."""
    value = os.environ.get("SKLEARN_RNN_THREADS", "").strip().lower()
    return value not in {"off", "0", "false", "no"}


@contextmanager
def limit_threads(module, batch_size, n_steps=None):
    """Run the body with the policy's thread count, then restore the caller's.

    Yields the number of lanes: how many computations that each take the
    policy's thread count the caller's share of threads holds side by side
    (1 with the policy off).

    torch's setting is per thread (a thread starts from the process-wide
    default), so concurrent trainings in different threads each set and
    restore their own.

    Parameters
    ----------
    module : torch.nn.Module
    batch_size : int
    n_steps : int, default=None
        Time steps of a padded batch (see :func:`training_threads`).

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> before = torch.get_num_threads()
    >>> with limit_threads(nn.RNN(1, 8), batch_size=16):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    global _active
    if not policy_enabled():
        yield 1
        return
    before = torch.get_num_threads()
    with _lock:
        _active += 1
        concurrent = _active
    try:
        threads = training_threads(module, batch_size, before, concurrent,
                                   n_steps)
        if threads != before:
            torch.set_num_threads(threads)
        # Lanes: how many computations of this size the caller's share of
        # the threads runs side by side (an ensemble's members, see
        # SequenceNet.train_step_single).
        yield max(1, _share(before, concurrent) // threads)
    finally:
        with _lock:
            _active -= 1
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def steps_hold_the_gil(module, batch_size):
    """Whether a training step of ``module`` on batches of ``batch_size``
    spends most of its time holding Python's lock, so that two such steps
    in threads of one process take longer together than one after the
    other: a GRU that trains through the compiled loop (its recurrence is
    one short call without the lock; the rest of the step, autograd's glue,
    the optimiser and the training loop, is Python) with no convolutional
    front end (whose large convolutions run without it).

    Measured on 2 cores (round 19, benchmarks/results/round19-compiled-front-end.md):
    ItalyPowerDemand's three members in two lanes 1.38x the time of one
    lane, ``RNNForecaster``'s two fits side by side 1.19x one after the
    other; ArrowHead's members (a front end) 0.77x; the fits side by side
    with torch's own GRU loop 0.80x. An ensemble's members then train one
    after the other (``SequenceNet``), and so do a forecaster's two models.

    Examples
    --------
    >>> from torch import nn
    >>> steps_hold_the_gil(nn.LSTM(1, 8, batch_first=True), batch_size=8)
    False
    """
    # Imported here: _fused_gru imports this module.
    from ._fused_gru import trains_compiled
    from ._module import NetworkEnsemble

    members = (module.members if isinstance(module, NetworkEnsemble)
               else [module])
    front_end = any(getattr(member, "conv", None) is not None
                    for member in members)
    return not front_end and trains_compiled(module, batch_size)


class FitCancelled(Exception):
    """A training stopped at a batch because the fits it ran beside were
    cancelled (:func:`cancel_when`): another of them failed, or the caller
    was interrupted."""


@contextmanager
def cancel_when(event):
    """Trainings that this thread runs inside the block stop at their next
    batch once ``event`` is set, raising :class:`FitCancelled`
    (:func:`check_cancelled`, called by the training loop per batch).

    Examples
    --------
    >>> import threading
    >>> event = threading.Event()
    >>> with cancel_when(event):
    ...     check_cancelled()  # not set: nothing happens
    ...     event.set()
    ...     check_cancelled()
    Traceback (most recent call last):
    ...
    sklearn_rnn._threads.FitCancelled: ...
    """
    previous = getattr(_cancel, "event", None)
    _cancel.event = event
    try:
        yield
    finally:
        _cancel.event = previous


def check_cancelled():
    """Raise :class:`FitCancelled` when this thread's trainings were
    cancelled (see :func:`cancel_when`)."""
    event = getattr(_cancel, "event", None)
    if event is not None and event.is_set():
        raise FitCancelled(
            "Training cancelled: a fit it ran beside failed or was "
            "interrupted.")


def run_side_by_side(first, second):
    """Call ``first`` in this thread and ``second`` in a new one, at once;
    return both results.

    The new thread starts from this thread's torch setting, and the two
    trainings share it as any concurrent fits do (:func:`limit_threads`).
    When either call raises (a Ctrl-C arrives in this thread), the other is
    cancelled at its next batch and waited for, and the exception is raised
    here: the first one raised, not the other's :class:`FitCancelled`.

    Parameters
    ----------
    first, second : callable
        Called without arguments.

    Returns
    -------
    tuple
        ``(first(), second())``.

    Examples
    --------
    >>> run_side_by_side(lambda: 1, lambda: 2)
    (1, 2)
    """
    event = threading.Event()
    threads = torch.get_num_threads()
    outcome = {}

    def work():
        try:
            if torch.get_num_threads() != threads:
                torch.set_num_threads(threads)
            with cancel_when(event):
                outcome["result"] = second()
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc
            event.set()

    worker = threading.Thread(target=work, name="sklearn-rnn-fit", daemon=True)
    worker.start()
    try:
        with cancel_when(event):
            result = first()
        worker.join()
    except BaseException as exc:
        event.set()
        worker.join()
        if isinstance(exc, FitCancelled) and "error" in outcome:
            raise outcome["error"] from None
        raise
    if "error" in outcome:
        raise outcome["error"]
    return result, outcome["result"]

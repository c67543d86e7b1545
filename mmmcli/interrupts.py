"""Ctrl-C and SIGTERM as an exception the samplers do not swallow, from start to exit.

PyMC's and nutpie's samplers catch ``KeyboardInterrupt`` and return a partial trace; a partial
trace must never become a run folder. Once :func:`install` has run (the first thing the ``mmm``
command does, before it imports anything heavy), SIGINT and SIGTERM raise :class:`Interrupted`
(a ``BaseException`` that is not a ``KeyboardInterrupt``), which unwinds through the sampler,
discards the temporary run folder and releases the lock. It also replaces a disposition the
parent left behind: a job started in the background by a non-interactive shell inherits SIGINT
ignored, and cron and CI runners start jobs that way.

The commit of a run is the one moment a signal is held (:func:`commit_point`): a run folder is
either in place or not at all. After a run is committed its outcome stands, and the command
holds signals until it exits, so that its exit code agrees with the run folder.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Interrupted(BaseException):
    """The run was interrupted by a signal; ``exit_code`` is 128 + the signal number."""

    def __init__(self, signum: int):
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


_pending: int | None = None
_installed = False  # install() ran: this process is the ``mmm`` command
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _handler(signum: int, frame: object) -> None:
    global _pending
    _pending = signum
    raise Interrupted(signum)


def _unraisable(info: Any) -> None:
    """The copy of :class:`Interrupted` that C code swallowed: it stays pending, no traceback."""
    if not isinstance(info.exc_value, Interrupted):
        sys.__unraisablehook__(info)


def install() -> None:
    """From now on, in this process, SIGINT and SIGTERM raise :class:`Interrupted`."""
    global _pending, _installed
    _pending, _installed = None, True
    sys.unraisablehook = _unraisable
    for signum in SIGNALS:
        signal.signal(signum, _handler)


@contextmanager
def commit_point() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while the block commits a run.

    If the block fails, a signal that came is delivered at its end. If it completes, the run is
    in place: in the ``mmm`` command (after :func:`install`) signals then stay held until the
    process exits, so its exit code is the committed run's; a library caller gets a pending
    signal delivered at the end of the block.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    done = False
    try:
        yield
        done = True
    finally:
        if not (done and _installed):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)


def pending() -> Interrupted | None:
    """The interruption a signal already raised, if any: an error that surfaces while it is
    pending (compiled code that the signal's exception broke, a ``SystemError`` from numba) is
    the interruption, not an error of its own."""
    return Interrupted(_pending) if _pending is not None else None


def check() -> None:
    """Raise :class:`Interrupted` if a signal arrived whose exception was swallowed.

    An exception raised while C code calls back into Python (numba's LLVM cache callback during
    compilation, for one) is printed and dropped; the pipeline calls this at its checkpoints.
    """
    if _pending is not None:
        raise Interrupted(_pending)


@contextmanager
def deliverable() -> Iterator[None]:
    """Let SIGINT/SIGTERM through for the block, after a commit held them: for work that a
    signal may cut short without changing the command's outcome (logging a committed run to a
    tracker). The caller catches :class:`Interrupted` and calls :func:`clear`."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
    try:
        yield
    finally:
        if _installed:
            signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)


def clear() -> None:
    """Forget a signal that was handled (see :func:`deliverable`)."""
    global _pending
    _pending = None

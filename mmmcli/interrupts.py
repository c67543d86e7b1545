"""Ctrl-C and SIGTERM as an exception the samplers do not swallow.

PyMC's and nutpie's samplers catch ``KeyboardInterrupt`` and return a partial trace; a partial
trace must never become a run folder. Inside :func:`raise_on_signals`, SIGINT and SIGTERM raise
:class:`Interrupted` (a ``BaseException`` that is not a ``KeyboardInterrupt``), which unwinds
through the sampler, discards the temporary run folder and releases the lock.
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
        self.written = None  # the run folder, when the signal came after it was complete

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


_pending: int | None = None
SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while the block runs; a signal that came is delivered at its end."""
    signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)


def check() -> None:
    """Raise :class:`Interrupted` if a signal arrived whose exception was swallowed.

    An exception raised while C code calls back into Python (numba's LLVM cache callback during
    compilation, for one) is printed and dropped; the pipeline calls this at its checkpoints.
    """
    if _pending is not None:
        raise Interrupted(_pending)


@contextmanager
def raise_on_signals(signums: tuple[signal.Signals, ...] = SIGNALS) -> Iterator[None]:
    """Within the block, the given signals raise :class:`Interrupted` (and stay pending)."""
    global _pending
    _pending = None

    def handler(signum: int, frame: object) -> None:
        global _pending
        _pending = signum
        raise Interrupted(signum)

    def unraisable(info: Any) -> None:  # the swallowed copy: stays pending, needs no traceback
        if not isinstance(info.exc_value, Interrupted):
            previous_hook(info)

    previous_hook = sys.unraisablehook
    sys.unraisablehook = unraisable
    previous = {s: signal.signal(s, handler) for s in signums}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        sys.unraisablehook = previous_hook
        _pending = None

"""The ``mmm`` command line: Typer commands over ``workflows`` (``commands.py``), rendering in
``render.py``, and :func:`main`, the console-script entry point.

:func:`main` takes charge of SIGINT and SIGTERM before it imports anything else, so a signal at
any moment of the process, even while PyMC loads, ends it with 130/143 and nothing written.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from typing import Any


def main() -> None:
    """Console-script entry point: run ``mmm`` with ``sys.argv`` and end the process.

    Once the command has returned and its output is flushed the process ends with ``os._exit``:
    every file is already closed and committed, and the interpreter's teardown of PyMC's,
    PyTensor's and numba's module state cost about half a second per run.

    The cyclic garbage collector runs its young generation every 20,000 allocations instead of
    Python's 700: building and rewriting PyTensor graphs allocates millions of small objects,
    and with the default a fit spent over a second (an eighth of the bench fit) in some 1,600
    collections that freed little; peak memory is unchanged. The library (``import mmmcli``)
    leaves the host program's collector alone.
    """
    from ..interrupts import Interrupted, install

    gc.set_threshold(20_000, 10, 10)
    install()
    _end_with_parent()
    args = sys.argv[1:]
    try:
        from .commands import run

        code = run(args)
    except Interrupted as exc:  # before a command took charge (while importing, parsing)
        code = _report(args, exc.exit_code, "interrupted", f"{exc}; nothing was written")
    except Exception as exc:  # the tool itself cannot start (a broken install, say)
        code = _report(args, 1, "internal error", _log(exc))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _end_with_parent() -> None:
    """A fit started by a batch (``MMM_PARENT_PID``) gets SIGTERM when that process dies, so a
    lost batch or Dask worker never leaves its fits running on (Linux; elsewhere a no-op)."""
    parent = os.environ.get("MMM_PARENT_PID")
    if not parent or not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if str(os.getppid()) != parent:  # it died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _report(args: list[str], code: int, label: str, message: str) -> int:
    """One line on stderr and, with ``--json``, one object on stdout (standard library only:
    this runs when the rest of the tool may not have loaded)."""
    print(f"{label}: {message}", file=sys.stderr)
    if "--json" in args:
        status = {"command": "mmm", "status": label.replace(" ", "_"), "exit_code": code}
        print(json.dumps({**status, "error": message}, indent=2))
    return code


def _log(exc: BaseException) -> str:
    import tempfile
    import time
    import traceback

    log = os.path.join(tempfile.gettempdir(), f"mmm-error-{time.time_ns()}.log")
    try:
        with open(log, "w", encoding="utf-8") as fh:
            fh.write("".join(traceback.format_exception(exc)))
    except OSError:
        log = "not written"
    return f"{type(exc).__name__}: {exc} (traceback: {log})"


def __getattr__(name: str) -> Any:
    if name == "app":
        from .commands import app

        return app
    raise AttributeError(f"module 'mmmcli.cli' has no attribute {name!r}")

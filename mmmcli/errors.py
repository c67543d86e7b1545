"""Errors the tool reports to users, each carrying the exit code the CLI maps it to."""

from __future__ import annotations

import errno
import os
import unicodedata
from pathlib import Path


class MMMError(Exception):
    """Base error: a one-line, user-facing message and an exit code."""

    exit_code = 1


class UsageError(MMMError):
    """Bad usage, config, data or calibration input (exit 2, nothing written)."""

    exit_code = 2


class ConfigError(UsageError):
    """The YAML config is unreadable or invalid."""


class DataError(UsageError):
    """A data file is missing, malformed or inconsistent with the config."""


class PriorError(UsageError):
    """A prior cannot be built (unknown family, bad parameters, unreachable bounds)."""


class LockedError(MMMError):
    """Another run of the same config is in progress (exit 75, 'try again later')."""

    exit_code = 75


class TrackingError(MMMError):
    """The experiment tracker (MLflow) could not be reached or written; the run folder is whole.
    ``mmm fit`` only warns; ``mmm track`` exits 75 (try again later), or 2 when the tracker
    answered and refused (``permanent``: a deleted experiment, say)."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.exit_code = 2 if permanent else 75


class SchedulerError(MMMError):
    """The Dask scheduler of ``mmm fit --scheduler`` could not be reached; nothing was fitted
    (exit 75: try again later)."""

    exit_code = 75


class EnvironmentFailure(MMMError):
    """The machine refused what a correct command asked of it: the disk is full, a folder is
    read-only or not ours to write, a path is too long, the process ran out of file handles.
    Not the input's fault (2) and not a bug (1): the exit codes are sysexits' 73 (cannot create
    the output) and 74 (an input/output error), so cron and CI can tell "fix the machine"
    from "fix the config". Nothing half-written is left, as with every other error."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


CANNOT_CREATE = 73  # sysexits EX_CANTCREAT
IO_ERROR = 74  # sysexits EX_IOERR

# errno -> (what happened, exit code, what to do)
_ENVIRONMENT = {
    errno.ENOSPC: ("no space left on the device", IO_ERROR, "free space or write elsewhere"),
    errno.EDQUOT: ("disk quota exceeded", IO_ERROR, "free space or write elsewhere"),
    errno.EACCES: ("permission denied", CANNOT_CREATE, "write elsewhere or fix its permissions"),
    errno.EPERM: ("operation not permitted", CANNOT_CREATE, "write elsewhere"),
    errno.EROFS: ("read-only file system", CANNOT_CREATE, "write elsewhere (--out, output.dir)"),
    errno.ENAMETOOLONG: ("file name or path too long", CANNOT_CREATE, "use a shorter path"),
    errno.EMFILE: (
        "too many open files",
        IO_ERROR,
        "raise the limit ('ulimit -n', now {nofile}) or run fewer fits at a time",
    ),
    errno.ENFILE: ("the system has too many open files", IO_ERROR, "try again later"),
    errno.EIO: ("input/output error", IO_ERROR, "check the disk"),
}


def environment_failure(
    exc: BaseException, path: Path | str | None = None, detail: str = ""
) -> EnvironmentFailure | None:
    """``exc`` as an EnvironmentFailure naming ``path`` (default: the file the error names) and
    what to do, or None when it is not a failure of the machine (a bug, or the caller's to
    explain)."""
    code = getattr(exc, "errno", None)
    if not isinstance(exc, OSError) or code not in _ENVIRONMENT:
        return None
    what, exit_code, todo = _ENVIRONMENT[code]
    where = path if path is not None else exc.filename
    if code == errno.ENAMETOOLONG and where is not None:
        what += _length_detail(Path(where))
    if code == errno.EMFILE:
        todo = todo.format(nofile=_open_files_limit())
    prefix = f"{where}: " if where is not None else ""
    return EnvironmentFailure(f"{prefix}{what}{detail}; {todo}", exit_code)


def existing_ancestor(path: Path) -> Path:
    """``path`` itself or its nearest ancestor that exists (a name too long exists nowhere)."""
    probe = path
    while probe != probe.parent:
        try:
            probe.stat()
            return probe
        except OSError:
            probe = probe.parent
    return probe


def path_limits(path: Path) -> tuple[int, int]:
    """(longest name, longest path) in bytes on the file system that holds ``path``."""
    probe = existing_ancestor(path)
    try:
        return os.pathconf(probe, "PC_NAME_MAX"), os.pathconf(probe, "PC_PATH_MAX")
    except (OSError, ValueError):
        return 255, 4096


def _length_detail(path: Path) -> str:
    name_max, path_max = path_limits(path)
    longest = max((len(os.fsencode(p)) for p in path.parts), default=0)
    if longest > name_max:
        return f" (a name of {longest} bytes; at most {name_max} here)"
    return f" ({len(os.fsencode(str(path)))} bytes; at most {path_max} here, files inside included)"


def _open_files_limit() -> str:
    try:
        import resource

        return str(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    except (ImportError, OSError, ValueError):
        return "unknown"


class ModelError(UsageError):
    """The model cannot be evaluated at its initial point."""


def did_you_mean(key: str, options: list[str]) -> str:
    """`` (did you mean 'x'?)`` when ``key`` is close to one of ``options``, else ``""``."""
    import difflib

    close = difflib.get_close_matches(key, options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def one_line(text: str) -> str:
    """``text`` on one line: control characters (a newline in a YAML key, say) escaped."""
    return "".join(
        repr(ch)[1:-1] if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
        for ch in text
    )


def plural(n: int | float, noun: str, many: str | None = None) -> str:
    """``1 fold``, ``2 folds``, ``1,000 draws``: a count and its noun, agreeing."""
    word = noun if n == 1 else (many or noun + "s")
    return f"{n:,} {word}" if isinstance(n, int) else f"{n:g} {word}"


def read_text(path: Path, kind: str, error: type[UsageError]) -> str:
    """The text of the ``kind`` file (``"config"``, ``"CSV"``) at ``path``; ``error`` names the
    problem: a folder, a missing file, unreadable bytes. UTF-8 (a byte-order mark is dropped) or
    UTF-16 with its byte-order mark, as spreadsheet programs write it."""
    if path.is_dir():
        raise error(f"{path}: is a folder, not a {kind} file")
    if not path.is_file():
        raise error(f"{path}: {kind} file not found")
    try:
        data = path.read_bytes()
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start : exc.start + 1]
        raise error(
            f"{path}: not UTF-8 text (byte {byte!r} at position {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None

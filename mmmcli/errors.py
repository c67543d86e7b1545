"""Errors the tool reports to users, each carrying the exit code the CLI maps it to."""

from __future__ import annotations

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

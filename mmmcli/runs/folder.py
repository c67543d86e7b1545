"""Run folders on disk: atomic creation, the `latest` link, the per-config lock, fingerprints.

A run is written into ``<dir>/<name>/.tmp-<timestamp>-<pid>/`` and renamed to
``<dir>/<name>/<UTC timestamp>/`` only when complete, so a crash, Ctrl-C or SIGTERM never leaves
a half-written run where a dashboard would read it. ``<dir>/<name>/latest`` is a symlink to the
newest run that passed its checks. ``<dir>/<name>/.lock`` is held (``flock``) while a fit runs:
the kernel releases it when the process dies, so a crashed run cannot leave it stuck.
Fingerprints for ``--if-changed`` are ``fingerprint.py``'s job.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from .. import interrupts
from ..errors import (
    EnvironmentFailure,
    LockedError,
    UsageError,
    environment_failure,
    existing_ancestor,
    path_limits,
)
from ..spec.config import Config

TIMESTAMP = "%Y%m%dT%H%M%S.%fZ"
RUN_NAME = re.compile(r"\d{8}T\d{6}\.\d{6}Z")
LATEST = "latest"
# the longest path a run writes below its runs folder, and some room (a side folder's prefix)
DEEPEST = len("/.tmp-validate-20261208T012811.547780Z-4194304/plots/contributions.png") + 40
FIT_TEMPORARY = re.compile(r"\.tmp-" + RUN_NAME.pattern + r"-\d+")


class RunFolder:
    """A run folder under construction: write into ``.path``, then ``commit()`` it.

    The states a runs folder can be in, and why every failure or signal leaves them consistent:

    1. ``.tmp-<name>-<pid>/`` being written: not a run. A failure or signal removes it; a process
       killed outright leaves it, and the next run removes it (its pid is dead).
    2. ``latest`` prepared: before the rename, a passing run makes ``.latest-<pid>``, a link to
       the final name. A failure here removes it and the temporary folder: still state 1.
    3. The rename of the temporary folder to ``<timestamp>/`` (atomic): the run exists, complete.
    4. ``.latest-<pid>`` renamed over ``latest`` (atomic, a link over the tool's own link). If
       that fails, the run is renamed back and discarded, so no run exists that its exit code
       denies. Killed between 3 and 4, the run stands complete and marked passed in its manifest
       while ``latest`` still names the previous one; the next passing run moves it.

    Signals are held from before 2 to after 4 (``interrupts.commit_point``).
    """

    def __init__(self, parent: Path, prefix: str = "", started: datetime | None = None):
        self.started = started or datetime.now(UTC)
        self.parent = parent
        self.final = parent / (prefix + self.started.strftime(TIMESTAMP))
        self.path = parent / f".tmp-{self.final.name}-{os.getpid()}"
        try:
            self.path.mkdir(parents=True)
        except OSError as exc:
            failure = environment_failure(exc, parent, " (creating the run folder)")
            if failure is not None:
                raise failure from exc
            raise UsageError(f"{parent}: cannot write the runs folder: {exc.strerror}") from None

    def commit(self, passed: bool) -> Path:
        """Move the finished folder into place; point ``latest`` at it when it passed."""
        link = None
        if passed:
            check_latest(self.parent)
            link = self.parent / f".latest-{os.getpid()}"
            if os.path.lexists(link):
                link.unlink()
            link.symlink_to(self.final.name)
        os.replace(self.path, self.final)
        if link is not None:
            try:
                os.replace(link, self.parent / LATEST)
            except OSError:
                os.replace(self.final, self.path)  # undo: no run without its `latest`
                link.unlink()
                raise
        return self.final

    def discard(self, exc: BaseException | None = None) -> EnvironmentFailure | None:
        """Remove the unfinished folder. When the machine made the write fail (``exc``: a full
        disk, a read-only folder), return the failure to raise instead, naming the run folder,
        and for a full disk what it needs: what was written before it filled, the previous
        run's size, the space left."""
        written = folder_size(self.path)
        shutil.rmtree(self.path, ignore_errors=True)
        if exc is None:
            return None
        detail = f" while writing the run folder {self.final.name}"
        if getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
            previous = completed_runs(self.parent)
            took = (
                f"; the previous run took {size_text(folder_size(previous[-1]))}"
                if previous
                else ""
            )
            free = shutil.disk_usage(self.parent).free
            detail += (
                f": it needs more than the {size_text(written)} written when it failed{took}, "
                f"and {size_text(free)} are free there; nothing was kept"
            )
        return environment_failure(exc, self.parent, detail)


@contextmanager
def side_folder(parent: Path, prefix: str) -> Iterator[RunFolder]:
    """A folder beside the runs (``prior-``, ``optimize-``, ``validate-``): written inside the
    block, committed when the block completes (never ``latest``), removed when it does not."""
    folder = RunFolder(parent, prefix=prefix)
    try:
        yield folder
        with interrupts.commit_point():
            interrupts.check()
            folder.commit(passed=False)
    except BaseException as exc:
        failure = folder.discard(exc)
        if failure is not None:
            raise failure from exc
        raise


def folder_size(path: Path) -> int:
    """Bytes in the files under ``path`` (0 when it is gone)."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            with suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def size_text(n: int) -> str:
    """``12.3 MiB``, ``840 KiB``, ``512 B``."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}" if n < 100 * scale else f"{n / scale:.0f} {unit}"
    return f"{n} B"


def check_latest(parent: Path) -> None:
    """Refuse a ``latest`` that is not the tool's own link (a user's file or folder, a link
    elsewhere): a passing run would have to replace it."""
    latest = parent / LATEST
    if not os.path.lexists(latest):
        return
    if latest.is_symlink() and RUN_NAME.fullmatch(os.readlink(latest)):
        return  # ours (possibly dangling: its run was deleted)
    what = (
        "a link to " + os.readlink(latest)
        if latest.is_symlink()
        else ("a folder" if latest.is_dir() else "a file")
    )
    raise UsageError(
        f"{latest}: is {what}, not the link mmm keeps to the newest passing run; "
        f"move it away (mmm would replace it)"
    )


class RunLock:
    """An exclusive, non-blocking lock on one config's runs folder (``.lock``)."""

    def __init__(self, parent: Path, name: str):
        self.parent = parent
        self.name = name
        self.path = parent / ".lock"
        self._fh = None

    def __enter__(self) -> RunLock:
        try:
            self.parent.mkdir(parents=True, exist_ok=True)
            fh = open(self.path, "a+")  # noqa: SIM115 - held for the lock's lifetime
        except OSError as exc:
            failure = environment_failure(exc, self.parent, " (taking the run lock)")
            if failure is not None:
                raise failure from exc
            raise UsageError(
                f"{self.parent}: cannot write the runs folder: {exc.strerror}"
            ) from None
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown process"
            fh.close()
            raise LockedError(
                f"{self.path}: another run of {self.name!r} is in progress ({holder}); "
                f"try again when it has finished"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n")
        fh.flush()
        self._fh = fh
        remove_stale_temporaries(self.parent)
        return self

    def __exit__(self, *exc) -> None:
        if self._fh is not None:
            self._fh.seek(0)
            self._fh.truncate()
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def remove_stale_temporaries(parent: Path) -> None:
    """Delete temporary folders and ``latest`` links left by runs killed outright.

    Called with the config's lock held, so a fit's own temporaries (``.tmp-<run>-<pid>``,
    ``.latest-<pid>``) are stale whatever their pid says: only the lock's holder writes them,
    and it is this process, about to start. That holds across machines sharing the runs folder,
    where a pid means nothing (a batch's worker lost on another host). Side folders
    (``.tmp-optimize-...``) are written without the lock: removed only when their process is
    gone from this machine.
    """
    for tmp in [*parent.glob(".tmp-*"), *parent.glob(".latest-*")]:
        pid = tmp.name.rsplit("-", 1)[-1]
        fit_own = tmp.name.startswith(".latest-") or FIT_TEMPORARY.fullmatch(tmp.name)
        if fit_own or (pid.isdigit() and not _alive(int(pid))):
            if tmp.is_symlink() or not tmp.is_dir():
                tmp.unlink(missing_ok=True)
            else:
                shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_writable(parent: Path) -> None:
    """Refuse, before any work, a runs folder that cannot be made or written: UsageError when
    a file stands in its way, EnvironmentFailure (73) when the file system is read-only or the
    folder is not ours to write."""
    probe = existing_ancestor(parent)
    if not probe.is_dir():
        raise UsageError(f"{parent}: cannot write the runs folder ({probe} is not a folder)")
    name_max, path_max = path_limits(probe)
    longest = max(len(os.fsencode(p)) for p in parent.parts)
    if longest > name_max or len(os.fsencode(str(parent))) + DEEPEST > path_max:
        failure = environment_failure(OSError(errno.ENAMETOOLONG, "name too long"), parent)
        assert failure is not None
        raise failure
    read_only = bool(os.statvfs(probe).f_flag & os.ST_RDONLY)
    if read_only or not os.access(probe, os.W_OK | os.X_OK):
        why = errno.EROFS if read_only else errno.EACCES
        detail = "" if probe == parent else f" (so the runs folder {parent} cannot be made)"
        failure = environment_failure(OSError(why, os.strerror(why)), probe, detail)
        assert failure is not None
        raise failure


def runs_folder(cfg: Config, out: Path | None) -> Path:
    """``<dir>/<name>``: ``--out`` is relative to the cwd, ``output.dir`` to the config file."""
    root = Path(out).resolve() if out is not None else cfg.resolve(cfg.output.dir)
    return root / cfg.name


def completed_runs(parent: Path) -> list[Path]:
    """Finished run folders, oldest first."""
    if not parent.is_dir():
        return []
    runs = [p for p in parent.iterdir() if RUN_NAME.fullmatch(p.name) and not p.is_symlink()]
    runs = [p for p in runs if (p / "manifest.json").is_file()]
    return sorted(runs, key=lambda p: p.name)

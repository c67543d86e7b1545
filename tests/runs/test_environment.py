"""Failures of the machine (issue 26): a full disk, a read-only or forbidden runs folder, a path
too long, too many open files. Each is one line naming the path and what to do, exit 73 (cannot
create the output) or 74 (input/output error), no traceback on the console (the log keeps it),
and nothing half-written. Real file systems where the machine allows (a small tmpfs, a read-only
one: root only), the rest by raising the error the kernel would.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import subprocess
from pathlib import Path

import pytest

import mmmcli.workflows.fit as fit_module
from mmmcli.errors import environment_failure
from mmmcli.runs.folder import RunFolder, check_writable
from tests.helpers import EXAMPLE, example_config, invoke, run_mmm


@pytest.fixture
def mount(tmp_path):
    """``mount(size, read_only)``: a tmpfs under tmp_path, unmounted afterwards; skips where this
    process may not mount (not root, no CAP_SYS_ADMIN)."""
    mounted: list[Path] = []

    def make(size: str, read_only: bool = False) -> Path:
        where = tmp_path / f"fs{len(mounted)}"
        where.mkdir()
        options = f"size={size}" + (",ro" if read_only else "")
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(where)
        return where

    yield make
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _lock_is_free(lock: Path) -> bool:
    with open(lock) as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(fh, fcntl.LOCK_UN)
    return True


@pytest.mark.sampling
def test_a_full_disk_while_the_run_is_written(mount):
    small = mount("400k")
    proc = run_mmm("fit", str(EXAMPLE), "--quick", "--out", str(small / "runs"), "--json")
    assert proc.returncode == 74, proc.stderr
    error = proc.stderr.strip().splitlines()[-1]
    assert error.startswith(f"error: {small / 'runs' / 'example'}: no space left on the device")
    assert "while writing the run folder" in error and "it needs more than the" in error
    assert "are free there; nothing was kept; free space or write elsewhere" in error
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    log = Path(error.rsplit("traceback: ", 1)[1].rstrip(")"))
    assert "No space left on device" in log.read_text()
    result = json.loads(proc.stdout)
    assert result["exit_code"] == 74 and result["status"] == "error"
    left = sorted(p.name for p in (small / "runs" / "example").iterdir())
    assert left == [".lock"]  # no run, no temporary folder, no latest
    assert _lock_is_free(small / "runs" / "example" / ".lock")


def test_a_read_only_runs_folder_is_refused_before_sampling(mount):
    read_only = mount("64k", read_only=True)
    config = example_config(read_only.parent, output={"dir": str(read_only / "runs")})
    result = invoke("fit", config)
    assert result.exit_code == 73
    assert result.stderr.startswith(f"error: {read_only}: read-only file system")
    assert "write elsewhere (--out, output.dir)" in result.stderr


def test_permission_denied(tmp_path, monkeypatch):
    """As root nothing is forbidden, so ``os.access`` answers as it would for another user."""
    config = example_config(tmp_path)
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **k: not mode & os.W_OK and real(p, mode))
    result = invoke("fit", config, "--json")
    assert result.exit_code == 73
    assert json.loads(result.stdout)["error"].startswith(f"{tmp_path}: permission denied")
    assert not (tmp_path / "runs").exists()


def test_a_name_too_long_is_refused_before_anything(tmp_path):
    config = example_config(tmp_path, output={"dir": str(tmp_path / ("r" * 300))})
    result = invoke("fit", config)
    assert result.exit_code == 73
    assert "file name or path too long (a name of 300 bytes; at most 255 here)" in result.stderr
    assert list(tmp_path.iterdir()) == [config]


def test_too_many_open_files_anywhere(tmp_path, monkeypatch):
    def exhausted(*args, **kwargs):
        raise OSError(errno.EMFILE, "Too many open files", str(tmp_path / "data.csv"))

    monkeypatch.setattr(fit_module, "prepare", exhausted)
    result = invoke("fit", example_config(tmp_path))
    assert result.exit_code == 74
    line = " ".join(result.stderr.split())
    assert line.startswith(f"error: {tmp_path / 'data.csv'}: too many open files;")
    assert "raise the limit ('ulimit -n', now " in line and "(traceback: " in line


def test_a_full_disk_names_the_previous_runs_size(tmp_path):
    parent = tmp_path / "runs" / "acme"
    previous = parent / "20260101T000000.000000Z"
    previous.mkdir(parents=True)
    (previous / "manifest.json").write_text("{}")
    (previous / "trace.nc").write_bytes(b"x" * 3 * 2**20)
    run = RunFolder(parent)
    (run.path / "trace.nc").write_bytes(b"x" * 2**20)
    failure = run.discard(OSError(errno.ENOSPC, "No space left on device"))
    assert failure is not None and failure.exit_code == 74
    assert (
        "it needs more than the 1.0 MiB written when it failed; the previous run took 3.0 MiB"
        in (str(failure))
    )
    assert not run.path.exists()


@pytest.mark.parametrize(
    "code, exit_code",
    [
        (errno.ENOSPC, 74),
        (errno.EDQUOT, 74),
        (errno.EACCES, 73),
        (errno.EROFS, 73),
        (errno.ENAMETOOLONG, 73),
        (errno.EMFILE, 74),
        (errno.EIO, 74),
    ],
)
def test_each_failure_has_its_code(code, exit_code):
    failure = environment_failure(OSError(code, os.strerror(code), "/srv/x"))
    assert failure is not None and failure.exit_code == exit_code
    assert str(failure).startswith("/srv/x: ") and "\n" not in str(failure)


def test_other_errors_are_not_the_machines():
    assert environment_failure(OSError(errno.EINVAL, "Invalid argument")) is None
    assert environment_failure(ValueError("x")) is None


def test_check_writable_accepts_a_folder_to_be_made(tmp_path):
    check_writable(tmp_path / "a" / "b")

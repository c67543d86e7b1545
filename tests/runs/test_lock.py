"""The per-config lock: a second run is refused while one holds it; stale locks do not block."""

from __future__ import annotations

import pytest

from mmmcli.errors import LockedError
from mmmcli.runs.folder import RunLock
from tests.helpers import example_config, run_dirs, run_mmm


def test_lock_refuses_second_run_and_is_released(tmp_path):
    """The lock is held by this process; `mmm fit` in another process is refused (exit 75)."""
    path = example_config(tmp_path)
    parent = tmp_path / "runs" / "example"
    with RunLock(parent, "example"):
        proc = run_mmm("fit", str(path), "--quick")
        assert proc.returncode == 75, proc.stderr
        assert "another run of 'example' is in progress" in proc.stderr
        with pytest.raises(LockedError):
            RunLock(parent, "example").__enter__()
    with RunLock(parent, "example"):  # released: taken again at once
        pass
    assert run_dirs(parent) == []


def test_stale_lock_file_does_not_block(tmp_path):
    parent = tmp_path / "runs" / "example"
    parent.mkdir(parents=True)
    (parent / ".lock").write_text("pid 999999, started long ago\n")
    (parent / ".tmp-20200101T000000.000000Z-999999").mkdir()  # a SIGKILLed run's leftovers
    with RunLock(parent, "example"):
        pass
    assert not (parent / ".tmp-20200101T000000.000000Z-999999").exists()

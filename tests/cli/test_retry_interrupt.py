"""SIGINT during the retry of a near miss: exit 130, no run folder, no temporary, no lock.

The retry samples under the same lock and before any run folder exists, so a signal in the
second attempt must leave what a signal in the first leaves. The near miss is the real one of
``tests/workflows/test_retry_fits.py``.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from mmmcli.runs.folder import RunLock
from tests.helpers import ROOT, run_dirs
from tests.workflows.test_retry_fits import near_miss_project


@pytest.mark.sampling
def test_sigint_during_the_retry_leaves_no_run_and_no_lock(tmp_path):
    config = near_miss_project(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmmcli", "fit", str(config)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:  # said just before the second attempt samples
        seen.append(line)
        if line.startswith("A near miss"):
            break
    else:
        pytest.fail(f"no retry announced:\n{''.join(seen)}")
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    parent = config.parent / "runs" / "nearmiss"
    assert run_dirs(parent) == []
    assert not list(parent.glob(".tmp-*")) and not list(parent.glob(".latest-*"))
    with RunLock(parent, "nearmiss"):  # free
        pass

"""SIGINT and SIGTERM during a fit: exit 130/143, one line, no run folder, no lock left.

Real signals to a real `mmm fit` process.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from mmmcli.runs.folder import RunLock
from tests.helpers import ROOT, example_config, run_dirs


@pytest.mark.sampling
@pytest.mark.parametrize(
    "signum, code, delay",
    [(signal.SIGTERM, 143, 1.0), (signal.SIGINT, 130, 6.0), (signal.SIGTERM, 143, 6.0)],
    ids=["term-while-compiling", "int-while-sampling", "term-while-sampling"],
)
def test_interrupt_leaves_no_run_folder_and_no_lock(tmp_path, signum, code, delay):
    path = example_config(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmmcli", "fit", str(path), "--engine", "pymc"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in proc.stderr:  # the header line is printed just before sampling starts
        if "periods" in line:
            break
    time.sleep(delay)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "interrupted" in err and "Traceback" not in err
    parent = tmp_path / "runs" / "example"
    assert run_dirs(parent) == []
    assert not list(parent.glob(".tmp-*"))
    with RunLock(parent, "example"):
        pass

"""``--quiet`` means nothing on stderr: what cron mails when a command succeeds.

PyMC logs through its own handler, bound to the process's real stderr when it is imported, so
only a process of its own shows what a user sees (``invoke`` captures a swapped ``sys.stderr``).
"""

from __future__ import annotations

import json

from tests.helpers import EXAMPLE, run_mmm


def test_prior_quiet_prints_nothing_on_stderr(tmp_path):
    """Before: ``Sampling: [intercept_offset, price_coef, ...]`` (PyMC's log line), with and
    without ``--json``."""
    proc = run_mmm(
        "prior", str(EXAMPLE), "--quiet", "--json", "--draws", "50", "--out", str(tmp_path)
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert json.loads(proc.stdout)["status"] == "ok"

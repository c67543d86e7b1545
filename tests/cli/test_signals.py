"""SIGINT and SIGTERM at any moment of a real ``mmm fit``, from process start to exit.

The moments are drawn (seeded) uniformly over the whole life of a ``--quick`` fit, measured
first: while Python starts and imports PyMC, while the config and data load, while the model
compiles and samples, while the run is written and committed, and while the result is printed.
Whatever the moment:

* the exit code is the signal's (130 / 143) or, when the run was committed before the signal,
  the run's own (0 for a ``--quick`` run); never anything else (a signal in the first
  milliseconds, before the interpreter has run a line of mmm, kills the process as the
  signal's default does: nothing was written and nothing is said);
* on 130 / 143 no run folder, no temporary folder and no ``.latest-*`` link is left, and the
  lock is free; on 0 there is exactly one complete run folder;
* never a traceback; with ``--json`` stdout is exactly one JSON object carrying the exit code.
"""

from __future__ import annotations

import contextlib
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mmmcli.runs.folder import RunLock
from tests.helpers import ROOT, example_config, run_dirs

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _fit(config: Path, as_json: bool) -> subprocess.Popen:
    args = [sys.executable, "-m", "mmmcli", "fit", str(config), "--quick", "--quiet"]
    return subprocess.Popen(
        [*args, "--json"] if as_json else args,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def lifetime(tmp_path_factory) -> float:
    """Seconds a quick fit takes from process start to exit, here and now (warm caches)."""
    folder = tmp_path_factory.mktemp("lifetime")
    config = example_config(folder)
    _fit(config, False).communicate(timeout=600)  # warm the compile cache
    start = time.perf_counter()
    out, err = _fit(config, False).communicate(timeout=600)
    return time.perf_counter() - start


def assert_consistent(folder: Path, moment: float, signum: int, as_json: bool) -> int:
    folder.mkdir()
    config = example_config(folder)
    proc = _fit(config, as_json)
    time.sleep(moment)
    with contextlib.suppress(ProcessLookupError):  # already gone
        proc.send_signal(signum)
    out, err = proc.communicate(timeout=600)
    code = proc.returncode
    shown = f"moment {moment:.2f}s, {signal.Signals(signum).name}: exit {code}\n{err}"
    if code == -signum:  # killed before the interpreter ran a line of mmm: nothing to say
        assert moment < 0.5, shown
    else:
        assert code in (0, 128 + signum), shown
        assert "Traceback" not in err + out, shown
        if as_json:
            assert json.loads(out)["exit_code"] == code, shown
    parent = folder / "runs" / "example"
    leftovers = list(parent.glob(".tmp-*")) + list(parent.glob(".latest-*"))
    assert not leftovers, shown
    runs = run_dirs(parent)
    if code == 0:
        assert len(runs) == 1 and (runs[0] / "manifest.json").is_file(), shown
    else:
        assert runs == [] and (code < 0 or "interrupted" in err), shown
    if parent.exists():
        with RunLock(parent, "example"):  # free
            pass
    return code


def _moments(count: int, lifetime: float, seed: int) -> list[tuple[float, int, bool]]:
    rng = random.Random(seed)
    return [(rng.uniform(0, 1.05 * lifetime), SIGNALS[i % 2], i % 3 == 0) for i in range(count)]


@pytest.mark.sampling
def test_signals_at_random_moments_leave_a_consistent_state(tmp_path, lifetime):
    codes = []
    for i, (moment, signum, as_json) in enumerate(_moments(6, lifetime, seed=20261128)):
        codes.append(assert_consistent(tmp_path / str(i), moment, signum, as_json))
    print(f"lifetime {lifetime:.1f}s; exit codes {codes}")


@pytest.mark.slow
def test_signals_at_many_random_moments_leave_a_consistent_state(tmp_path, lifetime):
    report = []
    for i, (moment, signum, as_json) in enumerate(_moments(16, lifetime, seed=7)):
        report.append((moment, assert_consistent(tmp_path / str(i), moment, signum, as_json)))
    spread = ", ".join(f"{moment:.2f}s: {code}" for moment, code in sorted(report))
    print(f"lifetime {lifetime:.1f}s; {spread}")

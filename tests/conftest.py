"""Fixtures only (helpers live in ``tests/helpers.py``, datasets in ``tests/datasets.py``).

Three tiers: fast (no sampler), ``sampling`` (short real fits) and ``slow`` (full-sampling
statistical checks). A test that starts the sampler must carry ``sampling`` or ``slow``, so
``-m "not sampling and not slow"`` never samples: tests using ``quick_run`` are marked here, and
in this process the sampler refuses to start for a test with neither mark.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.datasets import rising_channel, uplift_twins
from tests.helpers import EXAMPLE, run_mmm

# before any test imports PyTensor (helpers and datasets do not)
os.environ.setdefault("PYTENSOR_FLAGS", "numba__fastmath=False")

SAMPLING_FIXTURES = {"quick_run"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a sampling fixture as ``sampling`` (before ``-m`` selects)."""
    for item in items:
        if SAMPLING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.sampling)


@pytest.fixture(autouse=True)
def _sampler_only_in_marked_tests(request, monkeypatch):
    """Outside the ``sampling`` and ``slow`` tiers, starting the sampler in-process fails."""
    if request.node.get_closest_marker("sampling") or request.node.get_closest_marker("slow"):
        return

    def refuse(*args, **kwargs):
        raise AssertionError(f"{request.node.nodeid} starts the sampler: mark it sampling or slow")

    # both imported before patching: prepare binds engines.prepare_sampler by name at import
    import mmmcli.sampling.engines
    import mmmcli.workflows.prepare

    monkeypatch.setattr(mmmcli.sampling.engines, "prepare_sampler", refuse)
    monkeypatch.setattr(mmmcli.workflows.prepare, "prepare_sampler", refuse)


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """`mmm fit configs/example.yaml --quick --out DIR` once for the whole session, in its own
    process as a user runs it."""
    out = tmp_path_factory.mktemp("quick")
    proc = run_mmm("fit", str(EXAMPLE), "--quick", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    runs = [p for p in (out / "example").iterdir() if not p.name.startswith(".")]
    assert len(runs) == 1, runs
    return proc, runs[0]


@pytest.fixture
def twins(tmp_path) -> dict:
    """Collinear twins with an uplift series on `a` (``tests.datasets.uplift_twins``)."""
    return uplift_twins(tmp_path)


@pytest.fixture
def rising(tmp_path) -> dict:
    """Channel a's effectiveness rising threefold (``tests.datasets.rising_channel``)."""
    return rising_channel(tmp_path)

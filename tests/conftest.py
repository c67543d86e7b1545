"""Shared fixtures: paths, a quick end-to-end run (once per session), helpers to write configs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("PYTENSOR_FLAGS", "numba__fastmath=False")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "mmmcli" / "samples"
EXAMPLE = ROOT / "configs" / "example.yaml"


def run_mmm(*args: str, cwd: Path | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run the CLI in a fresh process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "mmmcli", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def write_config(folder: Path, **changes) -> Path:
    """The example config with top-level ``changes``, data path made absolute, in ``folder``."""
    cfg = yaml.safe_load(EXAMPLE.read_text())
    cfg["data"]["path"] = str(SAMPLE / "weekly.csv")
    cfg["output"] = {"dir": str(folder / "runs")}
    cfg.update(changes)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """`mmm fit configs/example.yaml --quick --out DIR` once for the whole session."""
    out = tmp_path_factory.mktemp("quick")
    proc = run_mmm("fit", str(EXAMPLE), "--quick", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    runs = [p for p in (out / "example").iterdir() if not p.name.startswith(".")]
    assert len(runs) == 1, runs
    return proc, runs[0]

"""What the tests share: paths, config writers, and the two ways to run the ``mmm`` CLI.

``invoke`` runs a command in this process (Typer's ``CliRunner``): exit code, stdout and stderr
apart, for every outcome that needs no process of its own. ``run_mmm`` starts ``python -m mmmcli``
in a fresh process, as a user does: for signals, the lock held by another process,
reproducibility across processes, and the console-script exit path (``main`` ends the process
with ``os._exit``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml
from typer.testing import CliRunner, Result

from mmmcli.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "mmmcli" / "samples"
CONFIGS = ROOT / "configs"
EXAMPLE = CONFIGS / "example.yaml"
CALIBRATED = CONFIGS / "calibrated.yaml"


# ---------------------------------------------------------------- config writers


def example_config(folder: Path, **changes) -> Path:
    """``<folder>/config.yaml``: the example config with top-level ``changes``, data path made
    absolute, runs under ``<folder>/runs``."""
    cfg = yaml.safe_load(EXAMPLE.read_text())
    cfg["data"]["path"] = str(SAMPLE / "weekly.csv")
    cfg["output"] = {"dir": str(folder / "runs")}
    cfg.update(changes)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def synthetic_config(folder: Path, name: str, channels: dict, sampler: dict, **extra) -> Path:
    """``<folder>/<name>.yaml`` for a generated ``<folder>/data.csv``: target ``y``, no
    seasonality, no trend, runs under ``runs``."""
    cfg = {
        "name": name,
        "data": {"path": "data.csv"},
        "target": {"column": "y", "kind": "conversions"},
        "channels": channels,
        "seasonality": {"yearly_fourier_order": 0},
        "trend": "none",
        "sampler": sampler,
        **{k: v for k, v in extra.items() if k != "calibration"},
        "output": {"dir": "runs"},
    }
    if extra.get("calibration"):
        cfg["calibration"] = extra["calibration"]
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def edit_config(path: Path, edit: Callable[[dict], object]) -> Path:
    """Apply ``edit`` to the YAML at ``path`` in place and return ``path``."""
    raw = yaml.safe_load(path.read_text())
    edit(raw)
    path.write_text(yaml.safe_dump(raw))
    return path


def with_calibration(cfg_path: Path, calibration: list) -> Path:
    """A copy of ``cfg_path`` (``edited.yaml`` beside it) with its ``calibration`` replaced."""
    raw = yaml.safe_load(cfg_path.read_text())
    raw["calibration"] = calibration
    out = cfg_path.with_name("edited.yaml")
    out.write_text(yaml.safe_dump(raw))
    return out


# ---------------------------------------------------------------- run folders


def run_dirs(parent: Path) -> list[Path]:
    """The run folders under ``parent``: no hidden entries (lock, temporaries), no ``latest``."""
    if not parent.exists():
        return []
    return [p for p in parent.iterdir() if not p.name.startswith(".") and p.name != "latest"]


# ---------------------------------------------------------------- the CLI


def invoke(*args: str | Path) -> Result:
    """Run ``mmm ARGS`` in this process; ``.exit_code``, ``.stdout``, ``.stderr``.

    Exceptions other than the CLI's own exit propagate (the CLI turns every error it expects
    into a message and an exit code, so an exception here is a bug, shown with its traceback).
    """
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def run_mmm(*args: str, cwd: Path | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run the CLI in a fresh process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "mmmcli", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# ---------------------------------------------------------------- stopping before the sampler


class ReachedSampler(BaseException):
    """Raised in place of sampling: the fit passed every check before it."""


def stop_at_sampler(patch) -> None:
    """Make ``fit`` and ``validate`` raise ReachedSampler where they would compile the model for
    the sampler (before the run lock), after the start check that step makes (the model
    evaluated at its initial point; the compiled evaluation refuses only what this refuses)."""
    import mmmcli.workflows.prepare as prepare_module
    from mmmcli.model.build import check_initial_point

    def reach(model, *args, **kwargs):
        check_initial_point(model)
        raise ReachedSampler

    patch.setattr(prepare_module, "prepare_sampler", reach)

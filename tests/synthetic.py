"""Shared by the synthetic-data test modules: a small mmm config for a generated `data.csv`."""

from __future__ import annotations

from pathlib import Path

import yaml


def write_config(folder: Path, name: str, channels: dict, sampler: dict, **extra) -> Path:
    """``<folder>/<name>.yaml``: target ``y``, no seasonality, no trend, runs under ``runs``."""
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

"""Fingerprints of a fit request: what ``--if-changed`` compares and the manifest records."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..spec.config import Config
from .folder import completed_runs


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def input_hashes(cfg: Config, overrides: dict[str, Any], version: str) -> dict[str, Any]:
    """SHA-256 of config, data and calibration files, and a fingerprint of the whole request.

    The fingerprint also covers the tool's version and the effective command-line overrides,
    so ``--if-changed`` refits when any of them changes.
    """
    config_path = cfg.source
    data_path = cfg.resolve(cfg.data.path)
    out = {
        "config": {
            "path": str(config_path) if config_path else None,
            "sha256": sha256(config_path) if config_path else None,
        },
        "data": {"path": str(data_path), "sha256": sha256(data_path)},
        "calibration": [
            {"path": str(p), "sha256": sha256(p)}
            for p in (cfg.resolve(c.path) for c in cfg.calibration)
        ],
        "overrides": {k: v for k, v in sorted(overrides.items()) if v is not None},
        "version": version,
    }
    blob = json.dumps(out, sort_keys=True).encode()
    out["fingerprint"] = hashlib.sha256(blob).hexdigest()
    return out


def unchanged_run(parent: Path, fingerprint: str) -> tuple[Path, dict[str, Any]] | None:
    """The newest run (any status) with this fingerprint, or None."""
    runs = completed_runs(parent)
    if not runs:
        return None
    newest = runs[-1]
    manifest = json.loads((newest / "manifest.json").read_text())
    if manifest.get("fingerprint") == fingerprint:
        return newest, manifest
    return None
